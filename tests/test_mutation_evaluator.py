"""Evaluator cases that mutation testing found unguarded (issue #15).

Expected values are what `terraform console -plan` (Terraform 1.11.4, offline: only the
built-in `terraform_data` resource) printed for the same expressions in a configuration
that declares the same `terraform_data.u` and `local.m` as the tests below:

    resource "terraform_data" "u" { input = "a" }
    locals { m = { b = 2, a = 1, c = 3 } }

`terraform_data.u.output` is "(known after apply)" there, as a computed attribute of a
resource is unknown to ecslint.
"""

from __future__ import annotations

import pytest

from ecslint.model import is_unknown
from helpers import records, write

T = frozenset({"test_thing"})

PRELUDE = '''
resource "terraform_data" "u" {
  input = "a"
}
locals {
  m = { b = 2, a = 1, c = 3 }
}
'''


def value(tmp_path, expr: str):
    write(tmp_path, {"main.tf": PRELUDE + f'resource "test_thing" "x" {{\n  v = {expr}\n}}\n'})
    return records(tmp_path, T)["test_thing.x"].values["v"]


# expression -> what `terraform console -plan` printed
CONSOLE = [
    ('[for i, v in ["a", "b", "c"] : "${i}=${v}"]', ["0=a", "1=b", "2=c"]),
    ('{for i, v in ["a", "b"] : v => i}', {"a": 0, "b": 1}),
    ("[2 <= 2, 3 <= 2, 2 < 2, 2 >= 2, 1 >= 2, 2 > 2]",
     [True, False, False, True, False, False]),
    ('"%{ for k, v in local.m }${k}:${v};%{ endfor }"', "a:1;b:2;c:3;"),
    ('"%{ for i, v in ["x", "y"] }${i}${v},%{ endfor }"', "0x,1y,"),
    ("keys(local.m)", ["a", "b", "c"]),
    ("values(local.m)", [1, 2, 3]),
    ("keys({ zeta = 1, alpha = 2, Mid = 3, beta = 4 })", ["Mid", "alpha", "beta", "zeta"]),
    ('coalesce("", "x")', "x"),
    ('coalesce(null, "y")', "y"),
]


@pytest.mark.parametrize("expr, expected", CONSOLE)
def test_as_terraform_console_prints(tmp_path, expr, expected):
    assert value(tmp_path, expr) == expected


def test_coalesce_of_an_unknown_first_argument_is_unknown(tmp_path):
    # console: coalesce(terraform_data.u.output, "x") -> (known after apply): the unknown
    # value may turn out to be non-empty, so "x" is not the answer
    assert is_unknown(value(tmp_path, 'coalesce(terraform_data.u.output, "x")'))


@pytest.mark.parametrize("text, expected", [
    # `terraform console`: "a ${"b" ~}" and "a ${"b" ~}  " are both "a b" (a strip marker on
    # the last interpolation, with nothing or only spaces after it). ecslint's HCL parser
    # does not take `~` in a quoted string, so the same template is read from a file.
    ('a ${"b" ~}', "a b"),
    ('a ${"b" ~}  ', "a b"),
])
def test_a_strip_marker_at_the_end_of_a_template(tmp_path, text, expected):
    (tmp_path / "t.tpl").write_text(text)
    assert value(tmp_path, 'templatefile("${path.module}/t.tpl", {})') == expected


# `terraform console` (1.11.4): range() fails past 1,024 values ("Call to function "range"
# failed: more than 1024 values were generated"), whatever the step or direction.
RANGES = [
    ("length(range(1024))", 1024),
    ("length(range(1025))", None),
    ("length(range(0, 2048, 2))", 1024),
    ("length(range(0, 2050, 2))", None),
    ("length(range(-1024))", 1024),
    ("range(-3)", [0, -1, -2]),  # one argument below 0: the step is -1
]


@pytest.mark.parametrize("expr, expected", RANGES)
def test_range_fails_past_1024_values_as_in_terraform(tmp_path, monkeypatch, expr, expected):
    # Whatever ECSLINT_MAX_COLLECTION allows (README, Limits): an error is unknown.
    monkeypatch.setenv("ECSLINT_MAX_COLLECTION", "1000000")
    got = value(tmp_path, expr)
    assert (is_unknown(got) if expected is None else got == expected)
