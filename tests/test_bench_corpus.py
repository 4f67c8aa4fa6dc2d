"""The benchmark corpus generator: deterministic, sized as asked, and clean HCL."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

from ecslint import check
from ecslint.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import corpus  # noqa: E402


def test_same_arguments_give_the_same_corpus():
    assert corpus.generate(150, seed=1) == corpus.generate(150, seed=1)
    assert corpus.generate(150, seed=1) != corpus.generate(150, seed=2)


@pytest.mark.parametrize("n", [1, 7, 40, 333])
def test_corpus_has_exactly_the_files_asked_for(n):
    files = corpus.generate(n)
    assert sum(1 for p in files if p.endswith(".tf")) == n


def test_corpus_has_the_realistic_parts():
    files = corpus.generate(400)
    text = "\n".join(files.values())
    for part in ('resource "aws_ecs_cluster"', 'resource "aws_ecs_service"',
                 'resource "aws_lb_target_group"', 'resource "aws_appautoscaling_policy"',
                 "container_definitions    = jsonencode(", "templatefile(", "<<-EOF",
                 'module "service"', 'module "naming"', 'resource "aws_s3_bucket"', "locals {",
                 'variable "'):
        assert part in text, part
    tops = Counter(p.split("/")[0] for p in files if p.endswith(".tf"))
    assert set(tops) == {"modules", "clusters", "services", "infra"}


def test_corpus_is_checked_without_parse_errors(tmp_path):
    corpus.write(str(tmp_path), corpus.generate(250, seed=4))
    report = check.run([str(tmp_path)], Settings())
    codes = Counter(f.code for f in report.findings)
    assert not report.usage_errors
    assert codes["ECS001"] == 0, [f for f in report.findings if f.code == "ECS001"][:3]
    assert report.files == 250
    assert len(codes) >= 3  # the corpus exercises several rules
