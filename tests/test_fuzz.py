"""Our own fuzz test (issue 10): hostile inputs, and seeded random mutants of our fixtures,
each next to a good module; every run keeps the promise of `benchmarks/fuzz.py` (no
traceback, exit code 0/1/2, a valid JSON document, exit 2 with any ECS001, every finding of
the good module kept, no hang). `python benchmarks/fuzz.py` is the longer run."""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import fuzz  # noqa: E402

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="runs are forked")

CORPUS = fuzz.corpus()
OTHERS = [data for _name, data in CORPUS]


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> set[tuple]:
    return fuzz.good_findings(tmp_path_factory.mktemp("good"))


def verdict(case: fuzz.Case, good: set[tuple]) -> fuzz.Verdict:
    with tempfile.TemporaryDirectory() as tmp:
        fuzz.place(case, Path(tmp))
        return fuzz.judge(fuzz.run(Path(tmp), case.argv()), good)


@pytest.mark.parametrize("case", fuzz.hostile(), ids=lambda case: case.what)
def test_hostile_inputs_keep_the_promise(case, good):
    v = verdict(case, good)
    assert v.broken == []
    assert v.ecs001 == 0 or v.code == 2


@settings(max_examples=40, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_mutants_of_our_fixtures_keep_the_promise(good, data):
    name, text = data.draw(st.sampled_from(CORPUS), label="fixture")
    for seed in data.draw(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=3),
                          label="mutations"):
        text, _what = fuzz.mutate(random.Random(seed), text, OTHERS)
    case = fuzz.Case(name, text, "mutant", named=data.draw(st.booleans(), label="named"))
    assert verdict(case, good).broken == []


def test_the_oracle_sees_a_broken_promise(good):
    """The judge itself: a traceback, exit 1 with ECS001, a lost finding, a hang."""
    ok = fuzz.Outcome(1, '{"findings": []}', "", 0.1)
    assert "findings of the good module lost" in fuzz.judge(ok, good).broken[0]
    ecs001 = '{"findings": [{"code": "ECS001", "file": "x", "line": 1, "column": 1, ' \
             '"message": "m"}]}'
    assert any("ECS001 reported with exit code 1" in b
               for b in fuzz.judge(fuzz.Outcome(1, ecs001, "", 0.1), set()).broken)
    crash = fuzz.Outcome(1, "", "Traceback (most recent call last):\nValueError: x\n", 0.1)
    assert fuzz.judge(crash, set()).broken[0].startswith("traceback")
    assert fuzz.judge(fuzz.Outcome(None, "", "", 40), set()).broken[0].startswith("hung")
