"""tests/tfexpected.py reads what a real plan knows, and only that.

The plans are tests/fixtures/differential/*/plan.json (made by Terraform 1.11.4 and the AWS
provider 5.100, see its regen.sh); the hand-made plan documents below pin the rules for
unknown and sensitive values and for container definition keys.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import tfexpected
from tfexpected import expected_entities

HERE = Path(__file__).resolve().parent
DIFF = HERE / "fixtures" / "differential"
ROOTS = sorted(p.name for p in DIFF.iterdir() if (p / "plan.json").is_file())


def plan(name: str) -> dict:
    return json.loads((DIFF / name / "plan.json").read_text())


def entities(name: str) -> dict:
    return expected_entities(plan(name))


def fields(name: str, address: str) -> dict:
    return entities(name)[address]["fields"]


def one_resource(rtype: str, after: dict, unknown: dict | None = None,
                 sensitive: dict | None = None) -> dict:
    """A minimal plan document with one resource change."""
    return {"resource_changes": [{
        "address": f"{rtype}.x", "mode": "managed", "type": rtype, "name": "x",
        "change": {"actions": ["create"], "after": after, "after_unknown": unknown or {},
                   "after_sensitive": sensitive or {}}}]}


def test_there_are_committed_plans():
    assert len(ROOTS) >= 4


@pytest.mark.parametrize("name", ROOTS)
def test_every_ecs_resource_instance_of_a_plan_is_an_entity(name):
    doc = plan(name)
    want = {rc["address"] for rc in doc["resource_changes"]
            if rc["mode"] == "managed" and rc["type"] in tfexpected.KINDS}
    got = expected_entities(doc)
    assert set(got) == want and want
    for entity in got.values():
        assert entity["kind"] in tfexpected._FIELDS
        json.dumps(entity)  # plain JSON values only


def test_task_memory_from_a_tfvars_string_is_a_number():
    f = fields("ec2_tfvars", "aws_ecs_task_definition.app")
    assert (f["cpu"], f["memory"]) == (4096, 16384)  # the plan has "4096" and "16384"
    assert f["requiresCompatibilities"] == ["EC2"] and f["networkMode"] == "bridge"
    backend = next(c for c in f["containerDefinitions"] if c["name"] == "backend")
    assert (backend["cpu"], backend["memory"], backend["memoryReservation"]) == (4000, 15360,
                                                                                 14336)
    assert backend["environment"] == [{"name": "JAVA_OPTS", "value": "-Xmx11520m"},
                                      {"name": "PORT", "value": "8080"}]
    assert backend["healthCheck"] == {
        "command": ["CMD-SHELL", "curl -fs http://localhost:8080/health || exit 1"],
        "interval": 30, "retries": 3, "startPeriod": 120, "timeout": 10}
    sidecar = next(c for c in f["containerDefinitions"] if c["name"] == "cwagent")
    assert sidecar["essential"] is False and "memory" not in sidecar


def test_lowercase_entrypoint_key_comes_out_as_entry_point():
    f = fields("tam_fargate", "module.ecs_service.aws_ecs_task_definition.this[0]")
    app = next(c for c in f["containerDefinitions"] if c["name"] == "ecsdemo-frontend")
    assert app["entryPoint"] == ["/usr/bin/env"] and app["command"] == ["node", "server.js"]
    # optional() defaults of the module's type filled the health check
    assert app["healthCheck"]["interval"] == 30 and app["healthCheck"]["retries"] == 3
    fluent = next(c for c in f["containerDefinitions"] if c["name"] == "fluent-bit")
    assert "cpu" not in fluent  # the provider drops "cpu": 0
    assert fluent["essential"] is False and fluent["memoryReservation"] == 50


def test_unknown_values_are_left_out():
    e = entities("tam_fargate")
    svc = e["module.ecs_service.aws_ecs_service.this[0]"]["fields"]
    # launch_type is null in the configuration (a capacity provider strategy is set), so
    # the provider computes it: unknown in the plan, absent here.
    doc = plan("tam_fargate")
    rc = next(r for r in doc["resource_changes"]
              if r["address"] == "module.ecs_service.aws_ecs_service.this[0]")
    assert rc["change"]["after_unknown"]["launch_type"] is True
    assert "launchType" not in svc
    assert svc["capacityProviderStrategy"] == [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 2}]
    # A capacity provider without a managed_scaling block: the block is computed.
    ex3 = e['module.ec2_cluster.aws_ecs_capacity_provider.this["ex_3"]']["fields"]
    assert ex3 == {"name": "ex_3"}
    ex2 = e['module.ec2_cluster.aws_ecs_capacity_provider.this["ex_2"]']["fields"]
    assert ex2 == {"name": "tam-fargate-spot", "managedScaling": {"status": "DISABLED"}}


def test_disabled_module_plans_nothing():
    e = entities("cloudposse_alb_service")
    assert not any(a.startswith("module.disabled_service_task.") for a in e)
    worker = e["module.worker_service_task.aws_ecs_service.default[0]"]["fields"]
    assert "launchType" not in worker  # null because of the capacity provider strategy
    assert worker["capacityProviderStrategy"] == [
        {"capacityProvider": "eg-test-ec2", "weight": 1, "base": 1}]
    web = e["module.alb_service_task.aws_ecs_task_definition.default[0]"]["fields"]
    app = next(c for c in web["containerDefinitions"] if c["name"] == "app")
    assert app["memory"] == 2048  # the override object wins over container_memory


def test_other_kinds():
    e = entities("ec2_tfvars")
    assert e["aws_ecs_cluster.this"]["fields"] == {"clusterName": "ec2-backend",
                                                   "containerInsights": "enabled"}
    assert e["aws_ecs_capacity_provider.this"]["fields"]["managedScaling"] == {
        "status": "ENABLED"}
    assert e["aws_appautoscaling_target.app"]["fields"] == {
        "resourceId": "service/ec2-backend/ec2-backend-svc", "minCapacity": 2,
        "maxCapacity": 12, "scalableDimension": "ecs:service:DesiredCount",
        "serviceNamespace": "ecs"}
    assert e["aws_cloudwatch_metric_alarm.cpu_reservation[0]"]["fields"] == {
        "namespace": "AWS/ECS", "metricName": "CPUReservation", "actionsEnabled": False}
    assert e["aws_lb_target_group.app"]["fields"]["healthCheck"] == {
        "enabled": True, "interval": 15, "timeout": 6, "healthyThreshold": 3,
        "unhealthyThreshold": 3, "protocol": "HTTP"}
    svc = e["aws_ecs_service.app"]["fields"]
    assert svc["desiredCount"] == 3 and svc["healthCheckGracePeriodSeconds"] == 90
    assert svc["schedulingStrategy"] == "REPLICA"
    assert svc["loadBalancers"] == [{"containerName": "backend", "containerPort": 8080}]


# ------------------------------------------------------------------ the rules, by hand

def test_wholly_unknown_container_definitions_are_left_out():
    doc = one_resource("aws_ecs_task_definition", {"family": "f", "cpu": "256"},
                       {"container_definitions": True, "arn": True})
    assert expected_entities(doc)["aws_ecs_task_definition.x"]["fields"] == {
        "family": "f", "cpu": 256}


def test_sensitive_values_are_left_out():
    doc = one_resource("aws_ecs_task_definition",
                       {"family": "f", "memory": "512", "container_definitions": "[]"},
                       sensitive={"container_definitions": True, "memory": True})
    assert expected_entities(doc)["aws_ecs_task_definition.x"]["fields"] == {"family": "f"}


def test_partly_unknown_lists_and_blocks():
    after = {"name": "s", "requires_compatibilities": None,
             "load_balancer": [{"container_name": "a", "container_port": 80},
                               {"container_name": "b"}],
             "capacity_provider_strategy": None}
    unknown = {"load_balancer": [{}, {"container_port": True}],
               "capacity_provider_strategy": True}
    f = expected_entities(one_resource("aws_ecs_service", after, unknown))
    assert f["aws_ecs_service.x"]["fields"] == {
        "serviceName": "s", "schedulingStrategy": "REPLICA",  # the default when null
        "loadBalancers": [{"containerName": "a", "containerPort": 80},
                          {"containerName": "b"}]}
    doc = one_resource("aws_ecs_task_definition", {"requires_compatibilities": ["EC2", None]},
                       {"requires_compatibilities": [False, True]})
    assert expected_entities(doc)["aws_ecs_task_definition.x"]["fields"] == {}


def test_container_keys_match_case_insensitively_last_wins():
    defs = [{"name": "a", "Memory": 512, "memory": 256, "ENTRYPOINT": ["sh"],
             "memoryreservation": "128", "HealthCheck": {"Interval": 10, "command": ["x"]},
             "Environment": [{"name": "b", "value": "2"}, {"name": "a", "value": "1"}],
             "unknownKey": 1},
            {"name": "b", "essential": None}]
    doc = one_resource("aws_ecs_task_definition", {"container_definitions": json.dumps(defs),
                                                   "cpu": "1 vCPU"})
    f = expected_entities(doc)["aws_ecs_task_definition.x"]["fields"]
    assert f["cpu"] == "1 vCPU"  # not a number: kept as the plan has it
    assert f["containerDefinitions"] == [
        {"name": "a", "essential": True, "memory": 256, "memoryReservation": 128,
         "entryPoint": ["sh"], "environment": [{"name": "a", "value": "1"},
                                               {"name": "b", "value": "2"}],
         "healthCheck": {"interval": 10, "command": ["x"]}},
        {"name": "b", "essential": True}]


def test_scheduling_strategy_defaults_to_replica_and_deletes_are_skipped():
    doc = one_resource("aws_ecs_service", {"name": "s", "scheduling_strategy": None})
    assert expected_entities(doc)["aws_ecs_service.x"]["fields"]["schedulingStrategy"] == \
        "REPLICA"
    doc["resource_changes"][0]["change"]["actions"] = ["delete"]
    assert expected_entities(doc) == {}


def test_the_extractor_does_not_import_ecslint():
    tree = ast.parse(Path(tfexpected.__file__).read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(n.split(".")[0] == "ecslint" for n in names)
