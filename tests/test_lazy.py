"""Blocks parsed on first read: the cut matches the grammar's, results match a whole parse,
and syntax errors are reported where a block is read (always, for named files)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ecslint import check
from ecslint.cache.parse import CachedParser as Parser
from ecslint.report import render
from ecslint.settings import Settings
from ecslint.sources.hcl import lazy
from ecslint.sources.hcl.parser import HclParser
from helpers import write

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
import corpus  # noqa: E402

TRICKY = r'''
# a comment with a brace {
resource "aws_ecs_task_definition" "t" { # trailing comment }
  family = "a}b{"
  x      = "${jsonencode({ a = "}", b = ["{"] })}-${var.y}"
  y      = "$${not an interpolation { and %%{ neither"
  z      = "%{ if var.on }on}%{ else }off{%{ endif }"
  /* a block comment } */
  w = <<-EOT
    a heredoc with } and "quotes" and ${var.q}
    EOT
  v = <<EOF
{"json": "}"}
EOF
  // a line comment }
  nested {
    deep = { a = { b = "}" } }
  }
}

locals {
  u = "a \" quote } and \\ backslash"
}
module "m" {
  source = "./m"
}
terraform {}
'''


def spans_of_whole_parse(text: str) -> list[tuple]:
    body = HclParser().parse_hcl(text, "f.tf")
    return [(b.type, b.labels, b.where.line, b.where.column, b.end_line) for b in body.blocks]


def spans_of_cut(text: str) -> list[tuple] | None:
    spans = lazy.split(text)
    if spans is None:
        return None
    return [(t, labels, line, col, end) for t, labels, _s, _e, line, col, end in spans]


def corpus_files() -> dict[str, str]:
    out = {}
    for p in list((REPO / "examples").rglob("*.tf")) + list((REPO / "tests" / "fixtures").rglob("*.tf")):
        try:
            out[str(p)] = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # the not-UTF-8 fixture
    out.update({k: v for k, v in corpus.generate(300, seed=9).items() if k.endswith(".tf")})
    return out


def test_cut_matches_the_grammar_on_tricky_text():
    assert spans_of_cut(TRICKY) == spans_of_whole_parse(TRICKY)
    assert [s[0] for s in spans_of_cut(TRICKY)] == ["resource", "locals", "module", "terraform"]


def test_cut_matches_the_grammar_on_every_sample_file():
    cut = 0
    for name, text in corpus_files().items():
        try:
            whole = spans_of_whole_parse(text)
        except Exception:
            continue  # a deliberately malformed fixture
        spans = spans_of_cut(text)
        if spans is not None:
            cut += 1
            assert spans == whole, name
    assert cut > 300  # nearly every file is cut


@pytest.mark.parametrize("text", [
    'x = 1\n',  # a top-level attribute (.tfvars)
    'resource "a" "b" {\n  x = "unterminated\n}\n',
    'resource "a" "b" {\n  x = 1\n',
    'resource "a" "b" {\n}  resource "c" "d" {\n}\n',
    'resource "a" "b" {\n  x = "${var.y"\n}\n',
])
def test_text_the_cutter_cannot_vouch_for_is_parsed_whole(text):
    assert lazy.split(text) is None


def report(path: Path, parse, *names: str) -> str:
    paths = [str(path / n) for n in names] or [str(path)]
    return render(check.run(paths, Settings(), parse), "json", color=False)


def test_lazy_and_whole_parses_give_the_same_reports(tmp_path):
    corpus.write(str(tmp_path), corpus.generate(200, seed=11))
    assert report(tmp_path, Parser(None)) == report(tmp_path, HclParser())
    example = REPO / "examples" / "terraform"
    assert report(example, Parser(None)) == report(example, HclParser())


BROKEN = {
    "main.tf": '''
        resource "aws_ecs_cluster" "c" {
          name = "prod"
        }
        resource "aws_iam_role" "unread" {
          name = [1,
        }
    ''',
    "variables.tf": '''
        variable "unused" {
          default = (1 +
        }
    ''',
}


def findings(text: str) -> list[tuple]:
    import json

    return [(f["code"], Path(f["file"]).name, f["line"]) for f in json.loads(text)["findings"]]


def test_syntax_error_in_a_block_that_is_read_is_reported_at_its_line(tmp_path):
    write(tmp_path / "m", {"main.tf": '''
        resource "aws_ecs_cluster" "c" {
          name = "prod"
          setting {
            name  = "containerInsights"
            value = [1,
          }
        }
    '''})
    lazy_report, whole_report = report(tmp_path, Parser(None)), report(tmp_path, HclParser())
    assert ("ECS001", "main.tf", 7) in findings(lazy_report)
    assert [f for f in findings(lazy_report) if f[0] == "ECS001"] == \
        [f for f in findings(whole_report) if f[0] == "ECS001"]


def test_syntax_error_in_an_unread_block_shows_when_the_file_is_named(tmp_path):
    write(tmp_path / "m", BROKEN)
    directory = findings(report(tmp_path, Parser(None)))
    assert [f for f in directory if f[0] == "ECS001"] == []  # never read: not reported
    assert ("ECS401", "main.tf", 2) in directory  # the rest is still checked
    named = findings(report(tmp_path, Parser(None), "m/main.tf", "m/variables.tf"))
    assert ("ECS001", "main.tf", 7) in named and ("ECS001", "variables.tf", 4) in named


def test_blocks_parsed_by_one_run_are_stored_for_the_next(tmp_path):
    from ecslint.cache import parse as cache

    write(tmp_path / "m", BROKEN)
    store = cache.Store(str(tmp_path / "cache"))
    first = Parser(store)
    report(tmp_path, first)
    second = Parser(store)
    assert report(tmp_path, second) == report(tmp_path, first)
    assert second.stats.misses == 0 and not any(f.dirty for f in second._lazy.values())
