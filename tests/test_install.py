"""What a plain install gives a new user: every command works, the audit included."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def requirement_names(requirements: list[str]) -> set[str]:
    from packaging.requirements import Requirement

    return {Requirement(r).name for r in requirements}


def test_boto3_is_a_regular_dependency_and_aws_a_harmless_alias():
    assert "boto3" in requirement_names(PROJECT["dependencies"])
    # `pip install 'ecslint[aws]'` (older instructions) still resolves, to nothing new.
    assert requirement_names(PROJECT["optional-dependencies"]["aws"]) <= \
        requirement_names(PROJECT["dependencies"])


def test_an_audit_without_boto3_is_a_one_line_error_not_a_traceback(tmp_path):
    code = ("import sys\nsys.modules['boto3'] = None  # as if not installed\n"
            "sys.argv = ['ecslint', 'audit', '--region', 'us-east-1']\n"
            "from ecslint.cli import main\nmain()\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("ecslint: error: the audit needs boto3, which is not installed: "
                           "python3 -m pip install boto3\n")


def test_the_license_pyproject_names_ships():
    import hashlib

    assert PROJECT["license"] == "Apache-2.0"
    assert PROJECT["license-files"] == ["LICENSE"]
    # The Apache License 2.0 as published at https://www.apache.org/licenses/LICENSE-2.0.txt
    assert hashlib.sha256((ROOT / "LICENSE").read_bytes()).hexdigest() == \
        "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"
