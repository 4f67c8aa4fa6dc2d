"""The root cache (ecslint.cache.roots): a root whose every observation holds is replayed,
any change to what that root read re-reads that root and only it, and a run that replays
roots reports exactly what a run without any cache reports."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from ecslint import check
from ecslint.cache import parse
from ecslint.cache.fsio import FileSystem
from ecslint.report import render
from ecslint.settings import Settings
from ecslint.sources import terraform
from helpers import write

SERVICE = '''
module "svc" {
  source = "../../modules/svc"
  memory = var.memory
}
variable "memory" {
  type    = number
  default = %d
}
'''
MODULE = {
    "main.tf": '''
        variable "memory" { type = number }
        resource "aws_ecs_task_definition" "app" {
          family                   = "app"
          requires_compatibilities = ["FARGATE"]
          cpu                      = 1024
          memory                   = var.memory
          container_definitions = jsonencode([{
            name = "app", image = "app:1", essential = true, memory = 512
          }])
        }
    ''',
}


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path / "repo")


def make_tree(root: Path) -> Path:
    """Three roots calling one shared module, and a root reading a file with file()."""
    write(root / "modules/svc", MODULE)
    for i, memory in enumerate((2048, 4096, 8192)):
        write(root / f"services/s{i}", {"main.tf": SERVICE % memory})
    write(root / "services/plain", {"main.tf": '''
        resource "aws_ecs_task_definition" "t" {
          family                = "t"
          container_definitions = file("${path.module}/containers.json")
        }
    ''', "containers.json": '[{"name": "a", "image": "a:1"}]'})
    return root


class Runs:
    """check.run as a cached CLI run makes it (a recording file system, the parse cache
    and the root cache in `cache`), noting which roots were evaluated."""

    def __init__(self, root: Path, cache: Path, monkeypatch) -> None:
        self.root, self.cache = root, cache
        self.read: list[str] = []
        real = terraform._Reader.read_root

        def spy(reader, directory, types, retry=True):
            self.read.append(os.path.relpath(directory, root))
            return real(reader, directory, types, retry)

        monkeypatch.setattr(terraform._Reader, "read_root", spy)
        monkeypatch.setattr(terraform, "PARALLEL_MIN_ROOTS", 10**9)  # spy sees every root

    def __call__(self, paths=(".",), settings: Settings | None = None, cached: bool = True
                 ) -> str:
        self.read = []
        parser = parse.CachedParser(parse.Store(str(self.cache)) if cached else None)
        old = os.getcwd()
        os.chdir(self.root)
        try:
            report = check.run(list(paths), settings or Settings(), parser,
                               FileSystem(recording=cached))
        finally:
            os.chdir(old)
        return render(report, "json", color=False)


@pytest.fixture
def runs(tree, tmp_path, monkeypatch):
    return Runs(tree, tmp_path / "cache", monkeypatch)


def test_unchanged_roots_are_replayed_and_report_what_no_cache_reports(runs):
    first = runs()
    assert sorted(runs.read) == ["services/plain", "services/s0", "services/s1", "services/s2"]
    again = runs()
    assert runs.read == []  # every root replayed
    assert again == first == runs(cached=False)
    assert first.count('"code": "ECS') >= 4  # the runs report findings


def test_an_edit_re_reads_only_the_root_that_read_the_file(runs, tree):
    runs()
    path = tree / "services/s1/main.tf"
    path.write_text(SERVICE % 16384)  # incident 2: 16 GB task
    after = runs()
    assert runs.read == ["services/s1"]
    assert after == runs(cached=False)


def test_an_edit_of_a_shared_module_re_reads_every_root_that_calls_it(runs, tree):
    first = runs()
    (tree / "modules/svc/main.tf").write_text(
        (tree / "modules/svc/main.tf").read_text().replace("cpu                      = 1024",
                                                           "cpu                      = 256"))
    after = runs()
    assert sorted(runs.read) == ["services/s0", "services/s1", "services/s2"]
    assert after == runs(cached=False) and after != first


def test_an_edit_far_from_the_start_of_a_large_file_is_seen(runs, tree):
    """The digest covers the whole file, not a prefix."""
    padding = "# padding\n" * 2000
    path = tree / "services/s2/main.tf"
    path.write_text(padding + SERVICE % 2048)
    runs()
    path.write_text(padding + SERVICE % 4096)
    runs()
    assert runs.read == ["services/s2"]


def test_a_file_read_by_a_function_is_observed(runs, tree):
    runs()
    (tree / "services/plain/containers.json").write_text(
        '[{"name": "a", "image": "a:1", "memory": 64}]')
    after = runs()
    assert runs.read == ["services/plain"]
    assert after == runs(cached=False)


def test_a_tfvars_file_that_appears_re_reads_its_root(runs, tree):
    before = runs()
    (tree / "services/s0/terraform.tfvars").write_text("memory = 16384\n")
    after = runs()
    assert runs.read == ["services/s0"]
    assert after == runs(cached=False) and after != before


def test_rule_options_and_named_files_are_part_of_the_key(runs, tree):
    runs()
    runs(settings=Settings(options={**Settings().options, "peak_utilization": 0.5}))
    assert len(runs.read) == 4  # other options: other results
    runs(paths=["services/s1/main.tf"])  # named files are parsed whole
    assert runs.read == ["services/s1"]


def test_the_working_directory_is_part_of_the_key(runs, tree):
    """Findings hold paths relative to the working directory."""
    runs()
    runs.root = tree / "services"
    out = runs(paths=["."])
    assert len(runs.read) == 4
    assert '"file": "services/' not in out and '"file": "s' in out


def test_a_damaged_entry_is_a_miss_and_is_rewritten(runs, tree):
    expected = runs()
    entries = [p for p in (runs.cache).rglob("*") if p.is_file()]
    roots = [p for p in entries if _is_root_entry(p)]
    assert len(roots) == 4
    for p in roots:
        p.write_bytes(b"\x80garbage")
    assert runs() == expected
    assert len(runs.read) == 4
    runs()
    assert runs.read == []  # rewritten


def test_an_entry_of_the_wrong_shape_is_a_miss_and_is_rewritten(runs, tree):
    from ecslint.cache.store import Store

    expected = runs()
    roots = [p for p in runs.cache.rglob("*") if p.is_file() and _is_root_entry(p)]
    for p in roots:  # a whole, readable entry whose result is not a root's result
        ops, _result = pickle.loads(p.read_bytes())[1]
        p.write_bytes(Store.encode(p.parent.name + p.name, (ops, ["not", "a", "result"])))
    assert runs() == expected
    assert len(runs.read) == 4
    runs()
    assert runs.read == []  # rewritten


def test_without_a_recording_file_system_there_is_no_root_cache(runs):
    runs(cached=False)
    runs(cached=False)
    assert len(runs.read) == 4


def _is_root_entry(path: Path) -> bool:
    try:
        _key, payload = pickle.loads(path.read_bytes())
    except Exception:  # noqa: BLE001
        return False
    return (isinstance(payload, tuple) and len(payload) == 2 and isinstance(payload[0], dict)
            and isinstance(payload[1], terraform.TerraformResult))


@pytest.mark.skipif(os.name == "nt", reason="workers are forked")
def test_roots_read_in_workers_are_stored_and_replayed(tmp_path, monkeypatch):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import corpus

    root = tmp_path / "corpus"
    corpus.write(str(root), corpus.generate(120, seed=3))
    runs = Runs(root, tmp_path / "cache", monkeypatch)
    monkeypatch.setattr(terraform, "PARALLEL_MIN_ROOTS", 2)
    monkeypatch.setattr(terraform, "cpus", lambda: 2)
    hits = []
    from ecslint.cache.roots import RootCache

    real = RootCache.get
    monkeypatch.setattr(RootCache, "get", lambda self, key, now, kind: hits.append(
        real(self, key, now, kind) is not None) or real(self, key, now, kind))
    first = runs()
    assert hits and not any(hits)  # all missed, read in workers, stored there
    hits.clear()
    assert runs() == first and hits and all(hits)
    edited = next(p for p in sorted(root.rglob("main.tf")) if "services" in str(p))
    edited.write_text(edited.read_text().replace("memory", "memory ", 1))
    hits.clear()
    after = runs()
    assert hits.count(False) == 1
    assert after == runs(cached=False)


# ------------------------------------------------------------------ edits in any order

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

EDITS = {
    "memory": lambda tree, i: (tree / f"services/s{i}/main.tf").write_text(
        SERVICE % (1024 * (i + 1) * 3)),
    "tfvars": lambda tree, i: (tree / f"services/s{i}/terraform.tfvars").write_text(
        f"memory = {2048 * (i + 2)}\n"),
    "no tfvars": lambda tree, i: (tree / f"services/s{i}/terraform.tfvars").unlink(
        missing_ok=True),
    "suppress": lambda tree, i: (tree / f"services/s{i}/main.tf").write_text(
        "# ecslint: ignore[ECS1] a reason\n" + (tree / f"services/s{i}/main.tf").read_text()),
    "broken": lambda tree, i: (tree / f"services/s{i}/extra.tf").write_text("locals {\n"),
    "fixed": lambda tree, i: (tree / f"services/s{i}/extra.tf").unlink(missing_ok=True),
    "module cpu": lambda tree, i: (tree / "modules/svc/main.tf").write_text(
        (tree / "modules/svc/main.tf").read_text().replace(
            "cpu                      = ", f"cpu                      = {256 * (i + 1)} + 0 * ")),
    "container file": lambda tree, i: (tree / "services/plain/containers.json").write_text(
        f'[{{"name": "a", "image": "a:1", "memory": {64 * (i + 1)}}}]'),
    "new module file": lambda tree, i: (tree / "modules/svc/more.tf").write_text(
        f'locals {{\n  n = {i}\n}}\n'),
}


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(sorted(EDITS)), st.integers(0, 2)),
                min_size=1, max_size=4))
def test_after_any_edits_the_cached_run_reports_what_an_uncached_run_reports(
        tmp_path_factory, monkeypatch, edits):
    base = tmp_path_factory.mktemp("edits")
    root = make_tree(base / "repo")
    with monkeypatch.context() as m:
        runs = Runs(root, base / "cache", m)
        runs()
        for name, i in edits:
            EDITS[name](root, i)
            assert runs() == runs(cached=False), (name, i)
