"""The result cache: an unchanged run replays its output; any change to what the run read
(files, listings, configuration, baseline, templates, worker reads) runs it again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import write

REPO = Path(__file__).resolve().parent.parent

SERVICE = {
    "main.tf": '''
        resource "aws_ecs_cluster" "c" {
          name = "prod"
        }
        resource "aws_ecs_task_definition" "app" {
          family                = "app"
          container_definitions = templatefile("${path.module}/containers.json.tpl", {})
        }
    ''',
    "containers.json.tpl": '[{"name": "app", "image": "app:1", "memory": 512}]\n',
}

# Runs the CLI and reports whether the run replayed (the checker was never imported).
PROBE = """
import sys
from ecslint import cli
{setup}
sys.argv = ["ecslint", *{args!r}]
try:
    cli.main()
except SystemExit as exc:
    code = exc.code
sys.stderr.write("\\nREPLAYED=%s CODE=%s\\n" % ("ecslint.check" not in sys.modules, code))
"""


class Run:
    def __init__(self, proc: subprocess.CompletedProcess) -> None:
        self.stdout = proc.stdout
        self.stderr, _, tail = proc.stderr.rpartition("\nREPLAYED=")
        replayed, code = tail.split()
        self.replayed = replayed == "True"
        self.code = int(code.split("=")[1])


def run(cwd: Path, *args: str, cache: Path, env: dict | None = None, setup: str = "") -> Run:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ECSLINT_")}
    proc = subprocess.run([sys.executable, "-c", PROBE.format(args=list(args), setup=setup)],
                          cwd=cwd, env={**clean, "ECSLINT_CACHE_DIR": str(cache), **(env or {})},
                          capture_output=True, text=True, timeout=300)
    assert "REPLAYED=" in proc.stderr, proc.stderr
    return Run(proc)


@pytest.fixture()
def tree(tmp_path) -> Path:
    write(tmp_path / "svc", SERVICE)
    return tmp_path


def test_unchanged_run_replays_byte_identical_output(tree):
    cache = tree / "cache"
    first = run(tree, "check", "svc", cache=cache)
    again = run(tree, "check", "svc", cache=cache)
    assert not first.replayed and again.replayed
    assert first.code == again.code == 1
    assert (again.stdout, again.stderr) == (first.stdout, first.stderr)
    assert "ECS401" in first.stdout


def test_other_options_are_other_entries(tree):
    cache = tree / "cache"
    concise = run(tree, "check", "svc", cache=cache)
    as_json = run(tree, "check", "--format", "json", "svc", cache=cache)
    assert not as_json.replayed and as_json.stdout != concise.stdout
    assert run(tree, "check", "--format", "json", "svc", cache=cache).stdout == as_json.stdout


def test_edited_file_is_read_again(tree):
    cache = tree / "cache"
    run(tree, "check", "svc", cache=cache)
    main = tree / "svc" / "main.tf"
    main.write_text(main.read_text().replace('name = "prod"', 'name = "staging"'))
    after = run(tree, "check", "svc", cache=cache)
    assert not after.replayed and "'staging'" in after.stdout


def test_edited_template_is_read_again(tree):
    cache = tree / "cache"
    before = run(tree, "check", "--select", "ECS101", "svc", cache=cache)
    assert "ECS101" not in before.stdout
    tpl = tree / "svc" / "containers.json.tpl"
    tpl.write_text(tpl.read_text().replace('"memory": 512', '"cpu": 256'))
    after = run(tree, "check", "--select", "ECS101", "svc", cache=cache)
    assert not after.replayed and "ECS101" in after.stdout


def test_new_file_in_a_checked_directory_is_seen(tree):
    cache = tree / "cache"
    run(tree, "check", "svc", cache=cache)
    write(tree / "svc" / "more", {"x.tf": 'resource "aws_ecs_cluster" "d" {\n  name = "extra"\n}\n'})
    after = run(tree, "check", "svc", cache=cache)
    assert not after.replayed and "'extra'" in after.stdout


def test_new_configuration_file_is_seen(tree):
    cache = tree / "cache"
    assert run(tree, "check", "svc", cache=cache).code == 1
    (tree / ".ecslint.toml").write_text('ignore = ["ECS4"]\n')
    after = run(tree, "check", "svc", cache=cache)
    assert not after.replayed and "ECS401" not in after.stdout


def test_edited_baseline_is_read_again(tree):
    cache = tree / "cache"
    base = tree / "baseline.json"
    written = run(tree, "check", "--write-baseline", str(base), "svc", cache=cache)
    assert written.code == 0 and not written.replayed  # never replayed: it writes a file
    assert run(tree, "check", "--baseline", str(base), "svc", cache=cache).code == 0
    assert run(tree, "check", "--baseline", str(base), "svc", cache=cache).replayed
    doc = json.loads(base.read_text())
    doc["findings"] = []
    base.write_text(json.dumps(doc))
    after = run(tree, "check", "--baseline", str(base), "svc", cache=cache)
    assert not after.replayed and after.code == 1


def test_output_file_is_written_again_on_replay(tree):
    cache = tree / "cache"
    out = tree / "report.sarif"
    run(tree, "check", "--format", "sarif", "-o", str(out), "svc", cache=cache)
    first = out.read_text()
    out.unlink()
    again = run(tree, "check", "--format", "sarif", "-o", str(out), "svc", cache=cache)
    assert again.replayed and out.read_text() == first


@pytest.mark.parametrize("how", ["flag", "env"])
def test_no_cache_never_replays(tree, how):
    cache = tree / "cache"
    args = ["check", "--no-cache", "svc"] if how == "flag" else ["check", "svc"]
    env = {"ECSLINT_NO_CACHE": "1"} if how == "env" else {}
    run(tree, *args, cache=cache, env=env)
    assert not run(tree, *args, cache=cache, env=env).replayed


def test_reads_made_in_worker_processes_count(tmp_path):
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import corpus
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    corpus.write(str(tmp_path / "c"), corpus.generate(160, seed=3))
    templates = sorted((tmp_path / "c").rglob("*.tftpl"))
    assert templates  # only read by templatefile(), inside a worker
    cache = tmp_path / "cache"
    setup = "import ecslint.sources.terraform as t; t.PARALLEL_MIN_ROOTS = 2"
    args = ("check", "--format", "json", "c")
    before = run(tmp_path, *args, cache=cache, setup=setup)
    assert run(tmp_path, *args, cache=cache, setup=setup).replayed
    for tpl in templates:
        tpl.write_text("[]\n")
    after = run(tmp_path, *args, cache=cache, setup=setup)
    assert not after.replayed and after.stdout != before.stdout


def test_unrelated_files_do_not_invalidate(tree):
    cache = tree / "cache"  # created next to the checked directory by the first run
    run(tree, "check", "svc/main.tf", cache=cache)
    (tree / "svc" / "NOTES.md").write_text("not an input\n")
    (tree / "report.txt").write_text("neither\n")
    assert run(tree, "check", "svc/main.tf", cache=cache).replayed
    (tree / "caller.tf").write_text('module "svc" {\n  source = "./svc"\n}\n')
    assert not run(tree, "check", "svc/main.tf", cache=cache).replayed  # a possible caller


def test_a_file_switched_back_and_forth_replays_both_ways(tree):
    cache = tree / "cache"
    main = tree / "svc" / "main.tf"
    first, second = main.read_text(), main.read_text().replace('"prod"', '"staging"')
    a = run(tree, "check", "svc", cache=cache)
    main.write_text(second)
    b = run(tree, "check", "svc", cache=cache)
    assert not b.replayed and b.stdout != a.stdout
    main.write_text(first)
    assert run(tree, "check", "svc", cache=cache).replayed
    main.write_text(second)
    again = run(tree, "check", "svc", cache=cache)
    assert again.replayed and again.stdout == b.stdout


def _memo_entries(cache: Path) -> list[Path]:
    """The result cache's entries: pickles of a list of (observations, outputs)."""
    from ecslint.cache.store import Store

    out = []
    for path in cache.rglob("*"):
        if path.is_file() and path.name != "pruned":
            if isinstance(Store.decode(path.parent.name + path.name, path.read_bytes()), list):
                out.append(path)
    return out


@pytest.mark.parametrize("variants", [
    [], [5], [({}, ("out", "err", {}, "1"))], [({}, ("out",))], [("ops", "outputs")],
    [({("read", 5): 1}, ("out", "err", {}, 0))],  # a foreign observation: never "unchanged"
    [({}, (1, 2, {3: 4}, 0))], [({}, ("out", "err", {"x": 5}, 0))],
])
def test_a_result_of_the_wrong_shape_is_never_replayed_and_is_rewritten(tree, variants):
    from ecslint.cache.store import Store

    cache = tree / "cache"
    first = run(tree, "check", "svc", cache=cache)
    (entry,) = _memo_entries(cache)
    key = entry.parent.name + entry.name
    entry.write_bytes(Store.encode(key, variants))
    again = run(tree, "check", "svc", cache=cache)
    assert not again.replayed and (again.stdout, again.code) == (first.stdout, first.code)
    assert "Traceback" not in again.stderr
    third = run(tree, "check", "svc", cache=cache)
    assert third.replayed and third.stdout == first.stdout  # rewritten


def test_a_root_lost_or_past_its_time_is_never_replayed(tree):
    setup = ("import ecslint.sources.hcl.module as m, time\n"
             "real = m.ModuleInstance.records\n"
             "def slow(self, types):\n"
             "    while True: pass\n"
             "m.ModuleInstance.records = slow")
    cache = tree / "cache"
    env = {"ECSLINT_ROOT_TIMEOUT": "0.3"}
    first = run(tree, "check", "svc", cache=cache, env=env, setup=setup)
    assert first.code == 2 and "took longer than 0.3 s" in first.stdout
    assert not run(tree, "check", "svc", cache=cache, env=env, setup=setup).replayed
