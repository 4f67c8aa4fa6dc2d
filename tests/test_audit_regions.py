"""Several regions in one run, and no silent green: an empty region or filter exits 2.

Peer: moto in-process, which keeps one account per region as AWS does, and answers EC2
DescribeRegions (the regions enabled for the account) for --all-regions.
"""

from __future__ import annotations

import json

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from ecslint.audit import AuditError
from ecslint.audit.command import AuditRequest, run_audit
from ecslint.cli import app
from ecslint.report import render
from ecslint.settings import Settings
from test_audit_kit import NOW, apply_env, fake_aws_env

EU = "eu-west-1"


def add_cluster(region: str, name: str) -> str:
    ecs = boto3.client("ecs", region_name=region)
    arn = ecs.create_cluster(clusterName=name, settings=[
        {"name": "containerInsights", "value": "enhanced"}])["cluster"]["clusterArn"]
    ecs.register_task_definition(family=f"{name}-app", containerDefinitions=[
        {"name": "app", "image": "example/app:1", "memory": 256, "cpu": 128}])
    ecs.create_service(cluster=name, serviceName="app", taskDefinition=f"{name}-app",
                       desiredCount=0)
    return arn


@pytest.fixture(scope="module")
def account():
    # One account for the module; the tests only read it.
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        apply_env(monkeypatch, fake_aws_env(None))
        yield {"us": add_cluster("us-east-1", "prod"), "eu": add_cluster(EU, "prod-eu")}


def audit(**request) -> object:
    return run_audit(AuditRequest(**request), Settings(), now=NOW)


def cli(*args: str):
    return CliRunner().invoke(app, ["audit", *args])


def test_each_region_is_its_own_section_and_json_entry(account):
    report = audit(regions=["us-east-1", EU])
    assert report.usage_errors == []
    headers = [s for s in report.header if s.startswith("Live audit of")]
    assert [h.split(";")[0] for h in headers] == [
        "Live audit of account 123456789012, region us-east-1",
        f"Live audit of account 123456789012, region {EU}"]
    # The tables follow the findings, under each region's name.
    assert [s for s in report.sections if s.startswith("Region ")] == [
        "Region us-east-1:", f"Region {EU}:"]
    doc = json.loads(render(report, "json"))
    assert (doc["audit"]["region"], doc["audit"]["regions"]) == (None, ["us-east-1", EU])
    assert doc["audit"]["services"] == ["us-east-1/prod/app", f"{EU}/prod-eu/app"]
    assert [(r["region"], r["audit"]["clusters"]) for r in doc["regions"]] == [
        ("us-east-1", ["prod"]), (EU, ["prod-eu"])]
    assert [(u["region"], u["cluster"]) for u in doc["usage"]] == [
        ("us-east-1", "prod"), (EU, "prod-eu")]
    assert [m["region"] for m in doc["metrics"]] == ["us-east-1", EU]
    # Each region's findings are counted on its own entry.
    per_region = {r["region"]: r["summary"]["findings"] for r in doc["regions"]}
    assert sum(per_region.values()) == doc["summary"]["findings"] > 0
    assert per_region[EU] == sum(1 for f in doc["findings"] if f":{EU}:" in f["file"]) > 0


def test_one_region_keeps_the_keys_of_earlier_versions(account):
    doc = json.loads(render(audit(), "json"))
    assert doc["audit"]["region"] == "us-east-1" and "regions" not in doc["audit"]
    assert all("region" not in entry for key in ("usage", "metrics", "stopped_tasks")
               for entry in doc[key])
    assert [r["region"] for r in doc["regions"]] == ["us-east-1"]


def test_a_region_without_clusters_is_an_error_unless_allowed(account):
    report = audit(region="us-west-2")
    assert report.usage_errors == [
        "no ECS clusters in region us-west-2: check --region (a typo passes no other check), "
        "or pass --allow-empty if it is meant to be empty"]
    result = cli("--region", "us-west-2")
    assert (result.exit_code, result.stderr) == (
        2, f"ecslint: error: {report.usage_errors[0]}\n")
    assert "0 clusters, 0 services." in result.stdout
    assert cli("--region", "us-west-2", "--allow-empty").exit_code == 0


def test_an_empty_region_among_several_is_named(account):
    report = audit(regions=["us-east-1", "us-west-2", "ap-south-1"])
    assert report.usage_errors == [
        "no ECS clusters in regions us-west-2, ap-south-1: check --region (a typo passes no "
        "other check), or pass --allow-empty if it is meant to be empty"]


def test_all_regions_audits_every_enabled_region_and_fails_only_if_all_are_empty(account):
    report = audit(all_regions=True, since="1h")
    regions = [r["region"] for r in report.extra["regions"]]
    assert {"us-east-1", EU, "us-west-2"} <= set(regions) and regions == sorted(regions)
    assert not any(r.startswith(("us-gov-", "cn-")) for r in regions)  # other partitions
    assert report.usage_errors == []
    assert report.extra["audit"]["clusters"] == [f"{EU}/prod-eu", "us-east-1/prod"]
    result = cli("--all-regions", "--region", "us-east-1")
    assert (result.exit_code, result.stderr) == (
        2, "ecslint: error: --all-regions and --region exclude each other\n")


def test_all_regions_with_no_cluster_anywhere_is_an_error(account, monkeypatch):
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "210987654321")  # another account: nothing in it
    report = audit(all_regions=True, since="1h")
    n = len(report.extra["regions"])
    assert n > 10 and report.usage_errors == [
        f"no ECS clusters in any of the {n} enabled regions (--allow-empty accepts that)"]


def test_a_cluster_filter_looks_in_every_region_and_must_match_somewhere(account):
    report = audit(regions=["us-east-1", EU], clusters=["prod-eu"])
    assert report.usage_errors == []
    assert report.extra["audit"]["clusters"] == [f"{EU}/prod-eu"]
    # An ARN is looked up in its own region only.
    report = audit(regions=["us-east-1", EU], clusters=[account["eu"]])
    assert report.extra["audit"]["clusters"] == [f"{EU}/prod-eu"] and not report.usage_errors
    report = audit(regions=["us-east-1", EU], clusters=["staging"])
    assert report.usage_errors == [
        "not found in any audited region: cluster staging (--allow-empty accepts that)"]


def test_a_missing_cluster_or_service_in_one_region_stops_the_audit_unless_allowed(account):
    with pytest.raises(AuditError, match="^cluster not found: staging$"):
        audit(clusters=["staging"])
    with pytest.raises(AuditError, match="^service not found in the audited clusters: nope$"):
        audit(services=["nope"])
    report = audit(clusters=["staging", "prod"], allow_empty=True)
    assert report.usage_errors == []
    header = next(s for s in report.header if s.startswith("Live audit of"))
    assert header.endswith("1 cluster, 1 service. Not found (--allow-empty): cluster staging.")
