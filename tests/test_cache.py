"""The parse cache: same results, edits re-read, corrupt entries rewritten, safe to share."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecslint import __version__, check
from ecslint.cache import parse as cache
from ecslint.cache import store as store_mod
from ecslint.report import render
from ecslint.settings import Settings
from ecslint.sources.hcl.parser import HclParser
from helpers import load_root, write

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "terraform"

MODULE = {
    "main.tf": '''
        resource "aws_ecs_cluster" "c" {
          name = "prod"
        }
        resource "aws_ecs_task_definition" "app" {
          family                   = "app"
          requires_compatibilities = ["FARGATE"]
          network_mode             = "awsvpc"
          cpu                      = "256"
          memory                   = "512"
          container_definitions = jsonencode([{
            name = "app", image = "app:1", essential = true, memory = 512
          }])
        }
    ''',
}


def report_text(paths, parse) -> str:
    report = check.run([str(p) for p in paths], Settings(), parser=parse)
    return render(report, "json")


def entries(root: Path) -> list[Path]:
    """The stored entries (not the pruning stamp)."""
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != "pruned")


@pytest.fixture()
def store_dir(tmp_path) -> Path:
    return tmp_path / "cache"


def parser(store_dir: Path) -> cache.CachedParser:
    return cache.CachedParser(cache.Store(str(store_dir)))


def test_cached_runs_are_byte_identical_to_uncached(store_dir, monkeypatch):
    monkeypatch.chdir(EXAMPLE)
    plain = report_text(["."], HclParser())
    cold, warm = parser(store_dir), parser(store_dir)
    assert report_text(["."], cold) == plain
    assert report_text(["."], warm) == plain
    assert cold.stats.misses > 0 and cold.stats.hits == 0
    assert warm.stats.misses == 0 and warm.stats.hits == cold.stats.misses
    assert report_text(["."], cache.CachedParser(None)) == plain  # --no-cache


def dump(value) -> tuple:
    """A value with every position it carries, comparable with ==."""
    smap = getattr(value, "smap", None)
    extra = (repr(getattr(value, "pos", None)), repr(getattr(value, "where", None)),
             repr(smap.spans) if smap is not None else None)
    if isinstance(value, dict):
        return ("dict", [(k, dump(v)) for k, v in value.items()], extra)
    if isinstance(value, list):
        return ("list", [dump(v) for v in value], extra)
    return (type(value).__name__, repr(value), extra)


def test_evaluated_records_match_the_lark_trees(store_dir):
    def records(parse) -> list:
        return [(r.address, dump(r.values), r.where)
                for r in load_root(EXAMPLE, parser=parse).records]

    expected = records(HclParser())
    assert records(parser(store_dir)) == expected
    assert records(parser(store_dir)) == expected  # from the stored entries


def test_a_file_edited_between_runs_is_read_again(tmp_path, store_dir):
    write(tmp_path / "m", MODULE)
    first = report_text([tmp_path / "m"], parser(store_dir))
    assert '"ECS401"' in first
    main = tmp_path / "m" / "main.tf"
    main.write_text(main.read_text().replace('name = "prod"', '''name = "prod"
          setting {
            name  = "containerInsights"
            value = "enhanced"
          }'''))
    again = parser(store_dir)
    second = report_text([tmp_path / "m"], again)
    assert '"ECS401"' not in second
    assert again.stats.misses == 1
    assert second == report_text([tmp_path / "m"], HclParser())


def test_corrupt_entries_are_ignored_and_rewritten(tmp_path, store_dir):
    write(tmp_path / "m", MODULE)
    expected = report_text([tmp_path / "m"], HclParser())
    report_text([tmp_path / "m"], parser(store_dir))
    files = entries(store_dir)
    assert files
    files[0].write_bytes(b"\x80\x05garbage")  # not a pickle
    for f in files[1:]:
        f.write_bytes(f.read_bytes()[:20])  # truncated
    again = parser(store_dir)
    assert report_text([tmp_path / "m"], again) == expected
    assert again.stats.misses == len(files)
    third = parser(store_dir)
    assert report_text([tmp_path / "m"], third) == expected
    assert third.stats.misses == 0  # rewritten whole


def test_an_entry_for_another_key_is_a_miss(tmp_path, store_dir):
    write(tmp_path / "m", MODULE)
    report_text([tmp_path / "m"], parser(store_dir))
    (only,) = entries(store_dir)
    store = cache.Store(str(store_dir))
    other = store.key("file", "/elsewhere.tf", "locals {}\n")
    Path(store.path(other)).parent.mkdir(parents=True, exist_ok=True)
    Path(store.path(other)).write_bytes(only.read_bytes())  # a valid entry, wrong key
    assert store.get(other) is None


def test_syntax_errors_are_cached_with_their_position(tmp_path, store_dir):
    write(tmp_path / "m", {**MODULE, "bad.tf": 'locals {\n  a = = 1\n}\n'})
    expected = report_text([tmp_path / "m"], HclParser())
    assert '"ECS001"' in expected
    assert report_text([tmp_path / "m"], parser(store_dir)) == expected
    warm = parser(store_dir)
    assert report_text([tmp_path / "m"], warm) == expected and warm.stats.misses == 0


@pytest.mark.parametrize("depth", [900, 1500])
def test_deeply_nested_expressions_give_the_same_results(tmp_path, store_dir, depth):
    nested = "(" * depth + '"x"' + ")" * depth
    write(tmp_path / "m", {"main.tf": f'resource "aws_ecs_cluster" "c" {{\n  name = {nested}\n}}\n'})
    expected = report_text([tmp_path / "m"], HclParser())
    assert report_text([tmp_path / "m"], parser(store_dir)) == expected
    assert report_text([tmp_path / "m"], parser(store_dir)) == expected


def test_unwritable_cache_directory_still_checks(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    write(tmp_path / "m", MODULE)
    p = cache.CachedParser(cache.Store(str(blocker / "cache")))
    assert report_text([tmp_path / "m"], p) == report_text([tmp_path / "m"], HclParser())


def test_many_misses_give_the_same_results(tmp_path, store_dir):
    # (Roots read by worker processes: tests/test_parallel.py and test_memo.py.)
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import corpus
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    corpus.write(str(tmp_path / "c"), corpus.generate(60, seed=3))
    expected = report_text([tmp_path / "c"], HclParser())
    cold = parser(store_dir)
    assert report_text([tmp_path / "c"], cold) == expected
    assert cold.stats.misses > 8
    warm = parser(store_dir)
    assert report_text([tmp_path / "c"], warm) == expected and warm.stats.misses == 0
    nothing_stored = cache.CachedParser(None)
    assert report_text([tmp_path / "c"], nothing_stored) == expected
    assert nothing_stored.stats.misses == cold.stats.misses


# ----------------------------------------------------------------------- processes

def cli(*args: str, cwd, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ECSLINT_")}
    return subprocess.run([sys.executable, "-m", "ecslint", *args], cwd=cwd,
                          env={**clean, **env}, capture_output=True, text=True, timeout=300)


def test_cache_directory_from_the_environment(tmp_path, monkeypatch):
    for name in ("ECSLINT_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert store_mod.cache_dir() == str(tmp_path / "home" / ".cache" / "ecslint")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert store_mod.cache_dir() == str(tmp_path / "xdg" / "ecslint")
    monkeypatch.setenv("ECSLINT_CACHE_DIR", str(tmp_path / "mine"))
    assert store_mod.cache_dir() == str(tmp_path / "mine")


def test_key_names_ecslint_and_parser_versions(store_dir):
    from importlib import metadata

    salt = cache.Store(str(store_dir)).salt
    assert f"ecslint-{__version__}" in salt
    assert f"python_hcl2-{metadata.version('python-hcl2')}" in salt
    assert f"lark-{metadata.version('lark')}" in salt


def test_no_cache_flag_and_environment_write_nothing(tmp_path):
    write(tmp_path / "m", MODULE)
    store = tmp_path / "cache"
    off = cli("check", "--no-cache", "m", cwd=tmp_path, env={"ECSLINT_CACHE_DIR": str(store)})
    assert not store.exists()
    off_env = cli("check", "m", cwd=tmp_path,
                  env={"ECSLINT_CACHE_DIR": str(store), "ECSLINT_NO_CACHE": "1"})
    assert not store.exists()
    on = cli("check", "m", cwd=tmp_path, env={"ECSLINT_CACHE_DIR": str(store)})
    assert entries(store)
    assert off.stdout == off_env.stdout == on.stdout and on.returncode == 1


def test_warm_run_does_not_import_the_hcl_parser(tmp_path):
    write(tmp_path / "m", MODULE)
    env = {"ECSLINT_CACHE_DIR": str(tmp_path / "cache")}
    probe = ("import sys; from ecslint.cli import main; sys.argv = ['ecslint', 'check', 'm']\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print('PARSER', sorted(m for m in ('lark', 'hcl2', 'ecslint.sources.hcl.hclparse')"
             " if m in sys.modules))")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ECSLINT_")}

    def run() -> str:
        proc = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env={**clean, **env},
                              capture_output=True, text=True, timeout=120)
        return proc.stdout.splitlines()[-1]

    # Cold: parsed by our own parser (lark and python-hcl2 are never imported at run time).
    assert run() == "PARSER ['ecslint.sources.hcl.hclparse']"
    assert run() == "PARSER []"  # warm: loaded from the cache


def test_concurrent_processes_leave_the_cache_valid(tmp_path):
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import corpus
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    corpus.write(str(tmp_path / "c"), corpus.generate(40, seed=5))
    store = tmp_path / "cache"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ECSLINT_")}
    env = {**clean, "ECSLINT_CACHE_DIR": str(store)}
    procs = [subprocess.Popen([sys.executable, "-m", "ecslint", "check", "--format", "json", "c"],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
             for _ in range(4)]
    outputs = {p.communicate(timeout=300)[0] for p in procs}
    assert len(outputs) == 1
    files = entries(store)
    assert files and not [f for f in files if f.name.endswith(".tmp")]
    stores = {f.parent.parent for f in files}
    assert len(stores) == 2  # the parse cache and the result cache (ecslint.memo)
    for f in files:
        key = f.parent.name + f.name
        assert cache.Store.decode(key, f.read_bytes()) is not None, f
    warm = cli("check", "--format", "json", "c", cwd=tmp_path, env={"ECSLINT_CACHE_DIR": str(store)})
    assert warm.stdout == outputs.pop()


# ----------------------------------------------------------------------- pre-scan skip

UNRELATED = {"main.tf": '''
    resource "aws_s3_bucket" "logs" {
      bucket = "logs"
    }
    module "role" {
      source = "../shared/role"
    }
'''}
SHARED_ROLE = {"main.tf": 'resource "aws_iam_role" "r" {\n  name = "r"\n}\n'}


class Counting(HclParser):
    """A parser that records which files it parsed."""

    def __init__(self) -> None:
        super().__init__()
        self.parsed: list[str] = []

    def parse_file(self, path: str, text: str, whole: bool = False):
        self.parsed.append(Path(path).relative_to(self.root).as_posix())
        return super().parse_file(path, text, whole)


def counting(root: Path) -> Counting:
    c = Counting()
    c.root = root
    return c


def test_roots_without_ecs_resources_are_listed_but_not_parsed(tmp_path):
    write(tmp_path / "infra" / "logs", UNRELATED)
    write(tmp_path / "infra" / "shared" / "role", SHARED_ROLE)
    write(tmp_path / "ecs", MODULE)
    parse = counting(tmp_path)
    report = check.run([str(tmp_path)], Settings(), parser=parse)
    assert parse.parsed == ["ecs/main.tf"]
    assert report.files == 3
    assert "ECS401" in {f.code for f in report.findings}


def test_a_module_with_only_variables_called_by_an_ecs_root_is_read(tmp_path):
    write(tmp_path / "naming", {"outputs.tf": '''
        variable "env" {
          default = "prod"
        }
        output "name" {
          value = "shop-${var.env}"
        }
    '''})
    write(tmp_path / "root", {"main.tf": '''
        module "naming" {
          source = "../naming"
        }
        resource "aws_ecs_cluster" "c" {
          name = module.naming.name
        }
    '''})
    parse = counting(tmp_path)
    report = check.run([str(tmp_path)], Settings(), parser=parse)
    assert sorted(parse.parsed) == ["naming/outputs.tf", "root/main.tf"]
    assert any("'shop-prod'" in f.message for f in report.findings)


def test_a_root_whose_local_module_holds_ecs_resources_is_kept(tmp_path):
    write(tmp_path / "modules" / "svc", MODULE)
    write(tmp_path / "live", {"main.tf": '''
        # the module is called with a comment before its source
        module "svc" {
          # pinned locally
          source = "../modules/svc"
        }
    '''})
    parse = counting(tmp_path)
    report = check.run([str(tmp_path / "live")], Settings(), parser=parse)
    assert sorted(parse.parsed) == ["live/main.tf", "modules/svc/main.tf"]
    assert "ECS401" in {f.code for f in report.findings}


def test_a_module_block_that_cannot_be_followed_by_text_keeps_its_root(tmp_path):
    write(tmp_path / "m", MODULE)
    write(tmp_path / "live", {"main.tf": '''
        module "svc" {
          providers = { aws = aws }
          source    = "../m"
        }
    '''})
    parse = counting(tmp_path)
    check.run([str(tmp_path / "live")], Settings(), parser=parse)
    assert "live/main.tf" in parse.parsed


def test_syntax_errors_in_skipped_roots_show_only_for_named_files(tmp_path, monkeypatch):
    write(tmp_path / "infra", {"main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = = "x"\n}\n'})
    monkeypatch.chdir(tmp_path)
    whole = check.run(["."], Settings(), parser=HclParser())
    assert not whole.findings and whole.files == 1  # not parsed: no ECS resource in it
    named = check.run(["infra/main.tf"], Settings(), parser=HclParser())
    assert [f.code for f in named.findings] == ["ECS001"]


# ------------------------------------------------------------------ never poisons a run

@pytest.mark.parametrize("payload", [
    (), ("body",), ("body", 5), ("split",), ("split", [("resource", [], 0)], None),
    ("split", [], {0: ("body", None)}), ("error", 1, 2, 3), ("error",), 7, None, "body",
    ("expr", None), ("plain", "x"),
])
def test_an_entry_of_the_wrong_shape_is_a_miss_and_rewritten(tmp_path, store_dir, payload):
    write(tmp_path / "m", MODULE)
    expected = report_text([tmp_path / "m"], HclParser())
    report_text([tmp_path / "m"], parser(store_dir))
    store = cache.Store(str(store_dir))
    for f in entries(store_dir):  # a valid pickle under the right key, of the wrong shape
        f.write_bytes(store.encode(f.parent.name + f.name, payload))
    again = parser(store_dir)
    assert report_text([tmp_path / "m"], again) == expected
    assert again.stats.misses == 1
    third = parser(store_dir)
    assert report_text([tmp_path / "m"], third) == expected
    assert third.stats.misses == 0  # rewritten


def test_a_damaged_expression_is_read_again_without_the_cache(tmp_path, store_dir):
    """An entry of the right shape whose stored expression does not load fails its root
    when evaluated: the root is read again, parsed afresh, and the entry rewritten."""
    from ecslint.sources.hcl import tree

    write(tmp_path / "m", MODULE)
    expected = report_text([tmp_path / "m"], HclParser())
    report_text([tmp_path / "m"], parser(store_dir))
    store = cache.Store(str(store_dir))
    (entry,) = entries(store_dir)
    key = entry.parent.name + entry.name
    kind, spans, blocks = store.decode(key, entry.read_bytes())
    for i, (what, body) in blocks.items():
        for attr in body.attributes.values():
            attr.expr = tree._stored_node(b"not marshal")
    entry.write_bytes(store.encode(key, (kind, spans, blocks)))
    assert report_text([tmp_path / "m"], parser(store_dir)) == expected
    third = parser(store_dir)
    assert report_text([tmp_path / "m"], third) == expected
    assert third.stats.misses == 0  # rewritten with good expressions


def test_the_cache_is_private(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "umask", os.umask)
    old = os.umask(0o022)
    try:
        write(tmp_path / "m", MODULE)
        report_text([tmp_path / "m"], parser(tmp_path / "cache"))
    finally:
        os.umask(old)
    dirs = [tmp_path / "cache"] + [p for p in (tmp_path / "cache").rglob("*") if p.is_dir()]
    assert {oct(p.stat().st_mode & 0o777) for p in dirs} == {"0o700"}
    assert {oct(p.stat().st_mode & 0o777) for p in entries(tmp_path / "cache")} == {"0o600"}


def test_a_cache_others_can_write_is_not_used(tmp_path, store_dir):
    write(tmp_path / "m", MODULE)
    report_text([tmp_path / "m"], parser(store_dir))
    os.chmod(store_dir, 0o777)  # anyone could have put a pickle there
    shared = parser(store_dir)
    report_text([tmp_path / "m"], shared)
    assert shared.stats.hits == 0 and not shared.store.writable


def test_an_older_cache_directory_is_made_private(tmp_path, store_dir):
    store_dir.mkdir(mode=0o755)
    os.chmod(store_dir, 0o755)
    write(tmp_path / "m", MODULE)
    report_text([tmp_path / "m"], parser(store_dir))
    assert store_dir.stat().st_mode & 0o777 == 0o700


def _entry(base: Path, version: str, name: str, size: int, age_days: float, now: float) -> Path:
    path = base / version / name[:2] / name[2:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    os.utime(path, (now - age_days * 86400, now - age_days * 86400))
    return path


def test_pruning_removes_old_entries_then_the_least_recently_used(tmp_path, monkeypatch):
    now = 2_000_000_000.0
    base = tmp_path / "cache"
    old = _entry(base, "vold", "aa01", 10, 40, now)  # unused for 40 days
    tmp = _entry(base, "vnew", "bb01.123.tmp", 10, 0.5, now)  # a crashed writer's
    recent = [_entry(base, "vnew", f"cc{i:02d}", 100, 10 - i, now) for i in range(10)]
    other = base / "notes.txt"  # not ours: never touched
    other.write_text("x")
    os.utime(other, (0, 0))
    monkeypatch.setenv("ECSLINT_CACHE_MAX_SIZE", "500")
    store_mod.prune(str(base), now)
    assert not old.exists() and not tmp.exists() and not (base / "vold").exists()
    assert [p.exists() for p in recent] == [False] * 6 + [True] * 4  # oldest first, to 80%
    assert other.exists()


def test_pruning_runs_at_most_once_a_day_when_writing(tmp_path, monkeypatch):
    seen: list[str] = []
    monkeypatch.setattr(store_mod, "prune", lambda base, now=None: seen.append(base))
    write(tmp_path / "m", MODULE)
    report_text([tmp_path / "m"], parser(tmp_path / "cache"))
    report_text([tmp_path / "m"], parser(tmp_path / "cache"))  # warm: nothing written
    (tmp_path / "m" / "main.tf").write_text(MODULE["main.tf"] + "\n")
    report_text([tmp_path / "m"], parser(tmp_path / "cache"))  # writes, but pruned today
    assert seen == [str(tmp_path / "cache")]
    stamp = tmp_path / "cache" / "pruned"
    os.utime(stamp, (stamp.stat().st_mtime - 2 * 86400,) * 2)
    (tmp_path / "m" / "main.tf").write_text(MODULE["main.tf"] + "\n\n")
    report_text([tmp_path / "m"], parser(tmp_path / "cache"))
    assert len(seen) == 2


def test_a_body_too_deep_to_pickle_is_not_stored_and_the_run_goes_on(tmp_path, store_dir):
    write(tmp_path / "m", MODULE)
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "main.tf").write_text(
        'resource "aws_ecs_cluster" "c" {\n' + "a {\n" * 200 + "}\n" * 200 + "}\n")
    expected = report_text([tmp_path], HclParser())
    assert '"ECS401"' in expected
    assert report_text([tmp_path], parser(store_dir)) == expected
    assert report_text([tmp_path], parser(store_dir)) == expected
