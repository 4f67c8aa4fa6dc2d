"""Live findings name fields as the ECS API does, not as Terraform spells them."""

from __future__ import annotations

import re
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from ecslint.audit.command import AuditRequest, run_audit
from ecslint.audit.wording import LIVE_NAMES, live_message
from ecslint.checks.base import DEFAULT_OPTIONS, UNSET_OPTIONS
from ecslint.settings import Settings
from test_audit_kit import NOW, REGION, apply_env, fake_aws_env, seed_account

RULE_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "rules"
# A Terraform address in a static message is an ARN in a live one.
_ADDRESS = re.compile(r"\baws_[a-z0-9_]+\.[\w\[\]\"-]+")
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\bhealth_check\.\w+")
_OURS = set(DEFAULT_OPTIONS) | set(UNSET_OPTIONS)  # ecslint's own option names


def terraform_names(message: str) -> set[str]:
    return set(_SNAKE.findall(_ADDRESS.sub("ADDRESS", message))) - _OURS


def static_messages() -> list[str]:
    """Every message the rules' bad fixtures produce (their snapshots)."""
    out = []
    for expected in sorted(RULE_FIXTURES.glob("*/bad.expected")):
        for line in expected.read_text(encoding="utf-8").splitlines():
            found = re.match(r"\S+: (ECS[1-4]\d\d) (.*)$", line)
            if found:
                out.append(found.group(2))
    return out


def test_the_static_messages_use_terraform_names_the_audit_renames():
    renamed = [m for m in static_messages() if terraform_names(m)]
    assert len(renamed) >= 10  # the fixtures cover ECS203, ECS204, ECS301, ECS302, ECS303
    for message in renamed:
        assert terraform_names(live_message(message)) == set(), message


def test_each_name_is_renamed_once_and_to_an_api_name():
    for terraform, api in LIVE_NAMES:
        assert api != terraform
        assert live_message(live_message(terraform)) == live_message(terraform) == api


@pytest.fixture(scope="module")
def report():
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        apply_env(monkeypatch, fake_aws_env(None))
        seed_account(lambda name: boto3.client(name, region_name=REGION))
        yield run_audit(AuditRequest(), Settings(), now=NOW)


def test_live_findings_carry_api_names(report):
    messages = {f.code: [] for f in report.findings}
    for f in report.findings:
        messages[f.code].append(f.message)
    assert any("healthCheckGracePeriodSeconds is unset" in m for m in messages["ECS203"])
    assert any("SuspendedState.DynamicScalingOutSuspended = true" in m
               for m in messages["ECS303"])
    assert any("MaxCapacity 1 is not above MinCapacity 1" in m for m in messages["ECS303"])
    assert any("ActionsEnabled = false" in m for m in messages["ECS301"])
    assert any("managedScaling status DISABLED" in m for m in messages["ECS301"])
    assert any("has no scalable target (ecs:service:DesiredCount)" in m
               for m in messages["ECS302"])
    for f in report.findings:
        assert terraform_names(f.message) == set(), f.message
