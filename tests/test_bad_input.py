"""Bad input never crashes ecslint and never hides the other results."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ecslint.cache.fsio import FileSystem
from ecslint.limits import size_text
from helpers import codes, lint, write

GOOD_MODULE = {"main.tf": '''
    resource "aws_ecs_cluster" "c" {
      name = "prod"
    }
'''}  # fires ECS401 (no Container Insights): proof that this module was still checked


def run_cli(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ecslint", "check", "--no-color", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=120)


def assert_clean_failure(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.returncode == 2, proc.stdout + proc.stderr


def test_malformed_hcl_reports_line_and_other_modules_are_checked(tmp_path):
    write(tmp_path / "good", GOOD_MODULE)
    write(tmp_path / "bad", {"main.tf": 'resource "aws_ecs_cluster" "x" {\n  name = "a"\n'})
    proc = run_cli(".", cwd=tmp_path)
    assert_clean_failure(proc)
    lines = proc.stdout.splitlines()
    ecs001 = [ln for ln in lines if " ECS001 " in ln]
    assert len(ecs001) == 1 and ecs001[0].startswith("bad/main.tf:")
    assert "invalid HCL" in ecs001[0]
    assert any(ln.startswith("good/main.tf:2:1: ECS401") for ln in lines)


def test_malformed_file_does_not_hide_the_rest_of_its_module(tmp_path):
    write(tmp_path, {**GOOD_MODULE, "broken.tf": 'locals {\n  a = = 1\n}\n'})
    report = lint([tmp_path])
    errors = [f for f in report.findings if f.code == "ECS001"]
    assert len(errors) == 1 and errors[0].file.endswith("broken.tf") and errors[0].line == 2
    assert "ECS401" in codes(report)


def test_malformed_json_reports_line_and_column(tmp_path):
    (tmp_path / "td.json").write_text('{\n  "family": "x",\n  "containerDefinitions": [,]\n}\n')
    write(tmp_path / "tf", GOOD_MODULE)
    proc = run_cli(".", cwd=tmp_path)
    assert_clean_failure(proc)
    assert "td.json:3:28: ECS001 invalid JSON" in proc.stdout
    assert "tf/main.tf:2:1: ECS401" in proc.stdout


def test_non_utf8_file(tmp_path):
    write(tmp_path, GOOD_MODULE)
    (tmp_path / "latin1.tf").write_bytes(b'# caf\xe9\nlocals {}\n')
    proc = run_cli(".", cwd=tmp_path)
    assert_clean_failure(proc)
    assert "latin1.tf:1:6: ECS001 file is not valid UTF-8 (byte 5)" in proc.stdout
    assert "main.tf:2:1: ECS401" in proc.stdout


def test_unreadable_file(tmp_path, monkeypatch):
    write(tmp_path, {**GOOD_MODULE, "secret.tf": "locals {}\n"})
    real = FileSystem.read_bytes

    def deny(self, path):
        if path.endswith("secret.tf"):
            raise PermissionError(13, "Permission denied", path)
        return real(self, path)

    monkeypatch.setattr(FileSystem, "read_bytes", deny)
    report = lint([tmp_path])
    err = next(f for f in report.findings if f.code == "ECS001")
    assert err.file.endswith("secret.tf") and err.message == "cannot read file: Permission denied"
    assert "ECS401" in codes(report)


def test_dangling_symlink_is_reported(tmp_path):
    write(tmp_path, GOOD_MODULE)
    os.symlink(tmp_path / "nowhere.tf", tmp_path / "link.tf")
    report = lint([tmp_path])
    err = next(f for f in report.findings if f.code == "ECS001")
    assert err.file.endswith("link.tf") and "cannot read file" in err.message
    assert "ECS401" in codes(report)


def test_empty_directory_is_a_usage_error(tmp_path):
    (tmp_path / "empty").mkdir()
    proc = run_cli("empty", cwd=tmp_path)
    assert_clean_failure(proc)
    assert proc.stderr.strip() == "ecslint: error: no Terraform or task-definition files found " \
                                  "in empty"


def test_missing_path_is_a_usage_error_after_checking_the_rest(tmp_path):
    write(tmp_path / "tf", GOOD_MODULE)
    proc = run_cli("nope", "tf", cwd=tmp_path)
    assert_clean_failure(proc)
    assert "ecslint: error: nope: no such file or directory" in proc.stderr
    assert "tf/main.tf:2:1: ECS401" in proc.stdout


def test_unknown_option_and_bad_values_are_usage_errors(tmp_path):
    write(tmp_path, GOOD_MODULE)
    for args in (["--format", "xml", "."], ["--fail-on", "fatal", "."], ["--select", "ECS999"],
                 ["--bogus"]):
        proc = run_cli(*args, cwd=tmp_path)
        assert_clean_failure(proc)


def test_hostile_expressions_do_not_crash(tmp_path):
    write(tmp_path, {"main.tf": '''
        locals {
          deep = [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]
          huge = range(0, 5)
          bad  = 1 / 0
          typ  = "a" + 1
          idx  = [1, 2][7]
          fmt  = format("%d", "x")
        }
        resource "aws_ecs_task_definition" "t" {
          family                = "t"
          cpu                   = local.bad
          memory                = local.typ
          container_definitions = jsonencode([{ name = "a", image = "x", memory = local.idx,
                                                cpu = local.fmt }])
        }
    '''})
    report = lint([tmp_path])
    assert not [f for f in report.findings if f.code == "ECS001"]
    assert "ECS104" not in codes(report)  # every size is unknown: rules stay silent


def test_two_arguments_on_one_line_are_a_parse_error(tmp_path):
    write(tmp_path, {"main.tf": 'resource "aws_ecs_cluster" "c" {\n  name = "x" tags = {}\n}\n'})
    err = next(f for f in lint([tmp_path]).findings if f.code == "ECS001")
    assert (err.line, err.column, err.message) == (
        2, 14, "invalid HCL: missing newline after argument")


# ------------------------------------------------------------------ not regular, too large

def ecs001(report) -> dict[str, str]:
    """file name -> message of each ECS001."""
    return {os.path.basename(f.file): f.message for f in report.findings if f.code == "ECS001"}


def test_fifos_and_devices_are_reported_without_being_opened(tmp_path):
    write(tmp_path / "good", GOOD_MODULE)
    (tmp_path / "bad").mkdir()
    os.mkfifo(tmp_path / "bad" / "y.tf")  # opening it for reading would block forever
    os.mkfifo(tmp_path / "bad" / "y.json")
    os.symlink("/dev/zero", tmp_path / "bad" / "z.tf")  # reading it would never end
    proc = run_cli(".", cwd=tmp_path)
    assert_clean_failure(proc)
    assert "bad/y.tf: ECS001 cannot read file: not a regular file (a named pipe)" in proc.stdout
    assert "bad/y.json: ECS001 cannot read file: not a regular file (a named pipe)" \
        in proc.stdout
    assert "bad/z.tf: ECS001 cannot read file: not a regular file (a character device)" \
        in proc.stdout
    assert "good/main.tf:2:1: ECS401" in proc.stdout


def test_a_fifo_named_on_the_command_line_is_ecs001(tmp_path):
    write(tmp_path, GOOD_MODULE)
    os.mkfifo(tmp_path / "y.tf")
    proc = run_cli("y.tf", "main.tf", cwd=tmp_path)
    assert_clean_failure(proc)
    assert "y.tf: ECS001 cannot read file: not a regular file (a named pipe)" in proc.stdout
    assert "main.tf:2:1: ECS401" in proc.stdout


def test_files_over_the_size_cap_are_ecs001(tmp_path, monkeypatch):
    monkeypatch.setenv("ECSLINT_MAX_FILE_SIZE", "1KiB")
    write(tmp_path / "good", GOOD_MODULE)
    write(tmp_path / "big", {"main.tf": "# padding\n" * 200 + GOOD_MODULE["main.tf"]})
    with open(tmp_path / "big" / "td.json", "wb") as fh:
        fh.truncate(1 << 30)  # sparse: 1 GiB that costs nothing on disk, never read
    found = ecs001(lint([tmp_path]))
    size = size_text((tmp_path / "big" / "main.tf").stat().st_size)
    assert found == {
        "main.tf": f"cannot read file: the file is {size}, more than the limit of 1 KiB "
                   "(ECSLINT_MAX_FILE_SIZE)",
        "td.json": "cannot read file: the file is 1 GiB, more than the limit of 1 KiB "
                   "(ECSLINT_MAX_FILE_SIZE)"}
    assert "ECS401" in codes(lint([tmp_path / "good"]))


def test_unreadable_directories_are_reported(tmp_path, monkeypatch):
    write(tmp_path / "good", GOOD_MODULE)
    write(tmp_path / "locked", GOOD_MODULE)
    real_scandir = os.scandir

    def scandir(path="."):  # as a non-root user finds a directory without read permission
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = lint([tmp_path])
    assert ecs001(report) == {"locked": "cannot read directory: Permission denied"}
    assert [f.file.split(os.sep)[-2:] for f in report.findings if f.code == "ECS401"] == [
        ["good", "main.tf"]]


@pytest.mark.parametrize("text", [
    'module "m" {\n' + "# " * 40 + "\n}\n",  # was exponential in the number of `#`
    "\n" * 300_000 + 'resource "aws_ecs_cluster" "c" {}\n',  # was quadratic in blank lines
])
def test_the_pre_scan_is_linear(tmp_path, text):
    import time

    from ecslint.sources.build import RESOURCE_TYPES
    from ecslint.sources.terraform import PreScan

    (tmp_path / "main.tf").write_text(text)
    start = time.monotonic()
    PreScan(RESOURCE_TYPES, FileSystem()).scan(str(tmp_path))
    assert time.monotonic() - start < 2
