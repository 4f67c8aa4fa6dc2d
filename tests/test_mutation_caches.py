"""Result-cache cases that mutation testing found unguarded (issue #15). In-process: the
subprocess tests of test_memo.py run the installed code, never a mutant."""

from __future__ import annotations

import io
import os
import sys

import pytest

from ecslint.cache.fsio import FileSystem, unchanged
from ecslint.cache.memo import Memo, Outputs


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture()
def clean_env(monkeypatch, tmp_path):
    for k in list(os.environ):
        if k.startswith(("ECSLINT_", "GITHUB_")) or k in ("NO_COLOR", "FORCE_COLOR", "TERM"):
            monkeypatch.delenv(k)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def key(cache, argv=("check", ".")) -> str:
    return Memo(list(argv), root=str(cache)).key


# ------------------------------------------------------------------ file observations

def recorded_read(path) -> dict:
    fs = FileSystem(recording=True)
    fs.read_bytes(str(path))
    return fs.observations()


@pytest.mark.parametrize("at", [0, 63, 64, 4095, 70_000 - 1])
def test_a_one_byte_edit_anywhere_in_a_file_is_a_change(tmp_path, at):
    # same size, one byte different: at the start, around 64 bytes, and past a 64 KiB read
    path = tmp_path / "main.tf"
    data = bytearray(b"x" * 70_000)
    path.write_bytes(bytes(data))
    ops = recorded_read(path)
    assert unchanged(ops)
    data[at] = ord("y")
    path.write_bytes(bytes(data))
    assert not unchanged(ops)


def test_a_missing_file_that_appears_is_a_change(tmp_path):
    path = str(tmp_path / "later.tfvars")
    fs = FileSystem(recording=True)
    assert not fs.exists(path) and not fs.isfile(path)
    with pytest.raises(OSError):
        fs.read_bytes(path)
    ops = fs.observations()
    assert unchanged(ops)
    (tmp_path / "later.tfvars").write_text("x = 1\n")
    for k in ops:  # each observation on its own sees the file appear
        assert not unchanged({k: ops[k]}), k


def test_a_file_that_disappears_is_a_change(tmp_path):
    path = tmp_path / "main.tf"
    path.write_text("locals {}\n")
    fs = FileSystem(recording=True)
    assert fs.exists(str(path))
    fs.read_bytes(str(path))
    ops = fs.observations()
    path.unlink()
    for k in ops:
        assert not unchanged({k: ops[k]}), k


# ------------------------------------------------------------------ the key of a run

def test_the_working_directory_is_part_of_the_key(clean_env, monkeypatch):
    cache = clean_env / "cache"
    (clean_env / "a").mkdir()
    (clean_env / "b").mkdir()
    monkeypatch.chdir(clean_env / "a")
    memo = Memo(["check", "."], root=str(cache))
    memo.save({}, Outputs("from a\n", "", {}, 0))  # no observations: replays wherever found
    assert Memo(["check", "."], root=str(cache)).replay() == Outputs("from a\n", "", {}, 0)
    monkeypatch.chdir(clean_env / "b")
    assert Memo(["check", "."], root=str(cache)).replay() is None


def test_the_command_line_is_part_of_the_key(clean_env):
    cache = clean_env / "cache"
    assert key(cache, ["check", "."]) != key(cache, ["check", ".", "--format", "json"])
    assert key(cache, ["check", "."]) == key(cache, ["check", "."])


@pytest.mark.parametrize("name, value", [("NO_COLOR", "1"), ("FORCE_COLOR", "1"),
                                         ("TERM", "dumb"), ("ECSLINT_FAIL_ON", "error"),
                                         ("GITHUB_ACTIONS", "true")])
def test_output_changing_variables_are_part_of_the_key(clean_env, monkeypatch, name, value):
    cache = clean_env / "cache"
    before = key(cache)
    monkeypatch.setenv(name, value)
    assert key(cache) != before
    monkeypatch.setenv(name, value + "x")  # its value, not only its presence
    assert key(cache) != before


def test_other_variables_are_not_part_of_the_key(clean_env, monkeypatch):
    cache = clean_env / "cache"
    before = key(cache)
    monkeypatch.setenv("HOME_OF_SOMETHING", "x")
    monkeypatch.setenv("XNO_COLOR", "1")
    assert key(cache) == before


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_a_terminal_is_part_of_the_key(clean_env, monkeypatch, stream):
    cache = clean_env / "cache"
    before = key(cache)
    monkeypatch.setattr(sys, stream, Tty())
    tty = key(cache)
    assert tty != before
    # and which stream is the terminal
    other = "stderr" if stream == "stdout" else "stdout"
    monkeypatch.setattr(sys, stream, io.StringIO())
    monkeypatch.setattr(sys, other, Tty())
    assert key(cache) not in (before, tty)


def test_a_run_recorded_on_a_terminal_does_not_replay_off_it(clean_env, monkeypatch):
    cache = clean_env / "cache"
    monkeypatch.setattr(sys, "stdout", Tty())
    Memo(["check", "."], root=str(cache)).save({}, Outputs("\x1b[1mcolour\x1b[0m\n", "", {}, 1))
    assert Memo(["check", "."], root=str(cache)).replay() is not None
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert Memo(["check", "."], root=str(cache)).replay() is None


# ------------------------------------------------------------------ more of the caches

def test_a_filtered_listing_ignores_files_the_filter_drops(tmp_path):
    (tmp_path / "main.tf").write_text("locals {}\n")
    fs = FileSystem(recording=True)
    assert fs.listdir(str(tmp_path), only="tf") == ["main.tf"]
    ops = fs.observations()
    (tmp_path / "notes.txt").write_text("not terraform\n")
    assert unchanged(ops)  # a file the filter drops is no change
    (tmp_path / "extra.tf").write_text("locals {}\n")
    assert not unchanged(ops)


def test_an_observation_is_made_once_for_every_record_of_a_lookup(tmp_path, monkeypatch):
    from ecslint.cache import fsio

    (tmp_path / "a.tf").write_text("locals {}\n")
    ops = recorded_read(tmp_path / "a.tf")
    calls = []
    real = fsio._see
    monkeypatch.setattr(fsio, "_see", lambda *a: calls.append(a) or real(*a))
    now: dict = {}
    assert unchanged(ops, now) and unchanged(dict(ops), now)
    assert len(calls) == 1


def test_the_code_stamp_covers_the_rule_docs():
    from ecslint.cache import memo

    lines = memo.code_stamp().splitlines()
    # the rules/ directory is walked as its own top: its files appear as /ECSnnn.md
    assert any(ln.startswith("/ECS201.md:") for ln in lines)
    assert any(ln.startswith("/cache/memo.py:") for ln in lines)


def _entry(base, name: str, age_days: float, now: float):
    path = base / "v1" / name[:2] / name[2:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * 10)
    os.utime(path, (now - age_days * 86400, now - age_days * 86400))
    return path


def test_cache_max_age_in_days_overrides_the_default(tmp_path, monkeypatch):
    from ecslint.cache import store

    now = 2_000_000_000.0
    monkeypatch.delenv("ECSLINT_CACHE_MAX_SIZE", raising=False)
    monkeypatch.delenv("ECSLINT_CACHE_MAX_AGE", raising=False)
    two_days = _entry(tmp_path, "aa01", 2, now)
    half_day = _entry(tmp_path, "aa02", 0.5, now)
    store.prune(str(tmp_path), now)
    assert two_days.exists() and half_day.exists()  # the default is 30 days
    monkeypatch.setenv("ECSLINT_CACHE_MAX_AGE", "1")
    store.prune(str(tmp_path), now)
    assert not two_days.exists() and half_day.exists()


def test_a_stored_expression_error_is_replayed_without_parsing(tmp_path, monkeypatch):
    from ecslint.cache import parse
    from ecslint.sources.hcl.parser import HclParser
    from ecslint.sources.hcl.syntax import HclSyntaxError

    first = parse.CachedParser(parse.Store(str(tmp_path / "cache")))
    with pytest.raises(HclSyntaxError) as caught:
        first.parse_expression("1 +")
    message = caught.value.message

    def never(self, text):
        raise AssertionError("parsed again")

    monkeypatch.setattr(HclParser, "parse_expression", never)
    second = parse.CachedParser(parse.Store(str(tmp_path / "cache")))
    with pytest.raises(HclSyntaxError) as again:
        second.parse_expression("1 +")
    assert again.value.message == message


def test_a_file_parsed_whole_and_cut_are_two_entries(tmp_path):
    from ecslint.cache import parse

    text = 'locals {\n  a = 1\n}\n'
    path = str(tmp_path / "main.tf")
    first = parse.CachedParser(parse.Store(str(tmp_path / "cache")))
    first.parse_file(path, text, whole=True)
    second = parse.CachedParser(parse.Store(str(tmp_path / "cache")))
    second.parse_file(path, text)
    assert (second.stats.hits, second.stats.misses) == (0, 1)
    third = parse.CachedParser(parse.Store(str(tmp_path / "cache")))
    third.parse_file(path, text)  # the cut form, stored by `second`: a hit
    third.parse_file(path, text, whole=True)  # the whole form is not the cut one: a miss
    assert (third.stats.hits, third.stats.misses) == (1, 1)


def test_an_unfiltered_listing_sees_every_name(tmp_path):
    (tmp_path / "main.tf").write_text("locals {}\n")
    (tmp_path / "notes.txt").write_text("x\n")
    fs = FileSystem(recording=True)
    assert sorted(fs.listdir(str(tmp_path))) == ["main.tf", "notes.txt"]
    ops = fs.observations()
    assert unchanged(ops)
    (tmp_path / "other.txt").write_text("x\n")
    assert not unchanged(ops)


def test_a_listing_that_fails_is_recorded_and_raised(tmp_path):
    missing = str(tmp_path / "gone")
    fs = FileSystem(recording=True)
    with pytest.raises(FileNotFoundError):
        fs.listdir(missing, only="tf")
    ops = fs.observations()
    assert list(ops) == [("listdir:tf", missing)] and unchanged(ops)
    os.mkdir(missing)
    assert not unchanged(ops)
