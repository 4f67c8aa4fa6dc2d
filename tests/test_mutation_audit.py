"""Audit cases that mutation testing found unguarded (issue #15): a denied call must read as
"not verified", never as an empty result. Denials come from moto's IAM evaluation of a real
policy document (the peer of test_audit_failures.py), so which calls fail is AWS's verdict."""

from __future__ import annotations

from moto.core.authorization import enable_iam_authentication

from ecslint.audit.command import AuditRequest, run_audit
from ecslint.audit.usage import NOT_READ
from ecslint.settings import Settings
from test_audit_failures import DOCUMENTED, NOW, account, auditor  # noqa: F401 - fixture

SERVICES = ["api", "worker"]


def audit_without(monkeypatch, denied: str):
    auditor(monkeypatch, DOCUMENTED - {denied}, "mut-" + denied.replace(":", "-"))
    with enable_iam_authentication():
        return run_audit(AuditRequest(), Settings(), now=NOW)


def stop_sections(report) -> list[str]:
    return [s for s in report.sections if s.startswith("Stopped tasks of")]


def test_denied_list_tasks_is_not_verified_not_none_in_the_window(account, monkeypatch):
    admin = account["admin"]
    # with every call allowed, worker has no stops: "none in the window" is its true answer
    assert [(s["service"], s["verified"]) for s in admin.extra["stopped_tasks"]] == [
        ("api", True), ("worker", True)]
    assert stop_sections(admin)[1].endswith(": none in the window.")

    report = audit_without(monkeypatch, "ecs:ListTasks")
    assert [(s["service"], s["verified"], s["stops"]) for s in report.extra["stopped_tasks"]] \
        == [("api", False, []), ("worker", False, [])]
    sections = stop_sections(report)
    assert len(sections) == 2
    for s in sections:
        assert s.endswith("): NOT VERIFIED: the stopped tasks could not be read "
                          "(see Not verified)."), s
        assert "none in the window" not in s


def test_denied_get_metric_data_is_not_verified_not_no_data(account, monkeypatch):
    admin = account["admin"]
    assert [m["verified"] for m in admin.extra["metrics"]] == [True, True]

    report = audit_without(monkeypatch, "cloudwatch:GetMetricData")
    metrics = report.extra["metrics"]
    assert [(m["service"], m["verified"], m["max_cpu_utilization"],
             m["max_memory_utilization"]) for m in metrics] == [
        ("api", False, None, None), ("worker", False, None, None)]
    assert [t["max_seconds"] for t in metrics[0]["target_response_time"]] == [None]
    for usage in report.extra["usage"]:
        measures = [usage["task"]["memory"], usage["task"]["cpu"]] + [
            c[k] for c in usage["containers"] for k in ("memory", "cpu")]
        assert [(m["verified"], m["peak"], m["reason"]) for m in measures] == \
            [(False, None, NOT_READ)] * len(measures)
        assert usage["rules_verified"] is False
    text = "\n".join(report.sections)
    assert "no data" not in text
    assert stop_sections(report)[0].startswith(
        "Stopped tasks of prod/api (max CPU not verified, max memory not verified, max "
        "TargetResponseTime not verified (api)):")
    assert stop_sections(report)[1].startswith(
        "Stopped tasks of prod/worker (max CPU not verified, max memory not verified):")


def test_denied_scaling_policies_say_which_target_they_were_for(account, monkeypatch):
    report = audit_without(monkeypatch, "application-autoscaling:DescribeScalingPolicies")
    entries = report.extra["not_verified"]
    assert {e["action"] for e in entries} == {"application-autoscaling:DescribeScalingPolicies"}
    assert sorted(e["what"] for e in entries) == [
        f"scaling policies of service/prod/{name} (ECS302)" for name in SERVICES
        if any(f"service/prod/{name}" in e["what"] for e in entries)]
    assert entries and all(e["what"].startswith("scaling policies of service/prod/")
                           for e in entries)


def test_a_stopped_task_is_measured_against_the_limits_it_ran_with():
    # botocore's ECS model: Task.cpu, Task.memory, Container.cpu and Container.memory are
    # strings (CPU units, MiB) in DescribeTasks
    from ecslint.audit import stops, usage
    from modelkit import container, task

    td = task(container("web", cpu=128, memory=256), cpu=256, memory=512)
    stop = stops.classify({"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/t1",
                           "cpu": "1024", "memory": "2048",
                           "containers": [{"name": "web", "cpu": "512", "memory": "1024"}]})
    ran = usage._revision_of(stop, td)
    assert (ran.cpu, ran.memory) == (1024, 2048)
    assert (ran.containers[0].cpu, ran.containers[0].memory) == (512, 1024)
    # "0" or absent: the revision's values stand
    stop = stops.classify({"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/t2",
                           "cpu": "0", "containers": [{"name": "web", "cpu": "0"}]})
    ran = usage._revision_of(stop, td)
    assert (ran.cpu, ran.memory) == (256, 512)
    assert (ran.containers[0].cpu, ran.containers[0].memory) == (128, 256)


def test_cpu_share_of_a_task_cpu_of_zero_is_none():
    # boundary: a task `cpu` of 0 is no size (ECS reports 0 for none), like a container's
    from ecslint.audit import usage
    from modelkit import container, task

    td = task(container("web"), cpu=0)
    assert usage.cpu_share(td.containers[0], td) == (None, None)
    td = task(container("web"), cpu=1)
    assert usage.cpu_share(td.containers[0], td) == (1, "task")
    td = task(container("web", cpu=1), cpu=256)
    assert usage.cpu_share(td.containers[0], td) == (1, "container")
    td = task(container("web", cpu=0), cpu=256)
    assert usage.cpu_share(td.containers[0], td) == (256, "task")
