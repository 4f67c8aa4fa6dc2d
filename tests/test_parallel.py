"""Roots evaluated in worker processes give exactly what an in-process run gives."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ecslint import check
from ecslint.cache.parse import CachedParser as Parser
from ecslint.report import render
from ecslint.settings import Settings
from ecslint.sources import terraform

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import corpus  # noqa: E402

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="workers are forked")


_REAL = terraform._read_parallel


def _run(path: Path, monkeypatch, parallel: bool, calls: list[bool]) -> str:
    real = _REAL

    def spy(reader, roots, types, *progress):
        done = real(reader, roots, types, *progress)
        calls.append(done is not None)
        return done

    monkeypatch.setattr(terraform, "PARALLEL_MIN_ROOTS", 2 if parallel else 10**9)
    monkeypatch.setattr(terraform, "_read_parallel", spy)
    report = check.run([str(path)], Settings(), Parser(None))
    return render(report, "json", color=False)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    corpus.write(str(root), corpus.generate(160, seed=7))
    # A syntax error in a module many roots call: reported once, like an in-process run.
    shared = next(root.glob("modules/ecs-service-*"))
    (shared / "broken.tf").write_text('locals {\n  x = [1,\n}\n')
    return root


def test_parallel_run_equals_in_process_run(tree, monkeypatch):
    calls: list[bool] = []
    serial = _run(tree, monkeypatch, parallel=False, calls=calls)
    parallel = _run(tree, monkeypatch, parallel=True, calls=calls)
    assert calls == [False, True]  # the second run really used workers
    assert parallel == serial
    assert serial.count('"code": "ECS001"') == 1
    codes = {line.split('"')[3] for line in serial.splitlines() if '"code": "' in line}
    assert len(codes) >= 4, codes  # several rules, so records really came back


def test_workers_that_cannot_start_fall_back_to_in_process(tree, monkeypatch):
    import concurrent.futures

    calls: list[bool] = []
    serial = _run(tree, monkeypatch, parallel=False, calls=calls)

    class Broken:
        def __init__(self, *a, **k):
            raise OSError("no processes")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Broken)
    assert _run(tree, monkeypatch, parallel=True, calls=calls) == serial
    assert calls == [False, False]


def test_progress_counts_the_same_roots_in_workers_as_in_process(tree, monkeypatch):
    told: dict[bool, list[tuple[int, int]]] = {}
    for parallel in (False, True):
        monkeypatch.setattr(terraform, "PARALLEL_MIN_ROOTS", 2 if parallel else 10**9)
        seen = told[parallel] = []
        check.run([str(tree)], Settings(), Parser(None),
                  progress=lambda done, total, root: seen.append((done, total)))
    serial, parallel = told[False], told[True]
    total = serial[-1][1]
    assert serial == [(i, total) for i in range(1, total + 1)]  # one call per root
    assert parallel[-1] == (total, total) and len(parallel) < len(serial)  # one per chunk
    assert [done for done, _ in parallel] == sorted({done for done, _ in parallel})


# ------------------------------------------------------------------ lost workers

def _losing(monkeypatch, how: str) -> None:
    """Make the worker that reads the first root named `*-svc-0*` die (killed, as the
    system kills a process out of memory) or hang where the watchdog cannot reach."""
    import os
    import signal
    import time

    parent = os.getpid()
    real = terraform._Reader.read_root

    def read_root(self, directory, types, retry=True):
        if os.getpid() != parent and directory.endswith("-0"):
            if how == "die":
                os.kill(os.getpid(), signal.SIGKILL)
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            time.sleep(3600)
        return real(self, directory, types, retry)

    monkeypatch.setattr(terraform._Reader, "read_root", read_root)


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    """20 root modules, each a cluster (ECS401)."""
    top = tmp_path_factory.mktemp("roots")
    for i in range(20):
        (top / f"r-{i}").mkdir()
        (top / f"r-{i}" / "main.tf").write_text(
            f'resource "aws_ecs_cluster" "c" {{\n  name = "c{i}"\n}}\n')
    return top


@pytest.mark.parametrize("how, message", [
    ("die", "the process evaluating this module was killed by signal 9 (as when the system "
            "runs out of memory); it was not checked"),
    ("hang", "evaluating this module did not finish within 2 s (ECSLINT_ROOT_TIMEOUT): its "
             "process was stopped; it was not checked"),
])
def test_a_lost_worker_loses_only_its_own_root(roots, monkeypatch, how, message):
    monkeypatch.setenv("ECSLINT_ROOT_TIMEOUT", "1")
    monkeypatch.setattr(terraform, "_GRACE", 1.0)
    _losing(monkeypatch, how)
    calls: list[bool] = []
    doc = json.loads(_run(roots, monkeypatch, parallel=True, calls=calls))
    assert calls == [True]
    errors = [(f["file"].split("/")[-2:], f["message"]) for f in doc["findings"]
              if f["code"] == "ECS001"]
    assert errors == [(["r-0", "main.tf"], message)]
    checked = {f["file"].split("/")[-2] for f in doc["findings"] if f["code"] == "ECS401"}
    assert checked == {f"r-{i}" for i in range(1, 20)}
