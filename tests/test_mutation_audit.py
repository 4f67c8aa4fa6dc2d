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
