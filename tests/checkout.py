"""This checkout as a git repository of its own, for tests that install or hook it as a user
would (pip from a path or a git URL, pre-commit), and an environment that keeps them offline."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **IDENTITY}, check=True,
                          capture_output=True, text=True).stdout


def snapshot(dest: Path) -> str:
    """Copy this checkout as it is on disk (uncommitted and untracked files too) to `dest`
    and commit it there; the commit's hash. A hook or an install then sees exactly what is
    being tested, not the last commit."""
    listed = git(CHECKOUT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        source = CHECKOUT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "snapshot")
    return git(dest, "rev-parse", "HEAD").strip()


def setuptools_wheels() -> Path | None:
    """A local directory with a setuptools wheel new enough to build ecslint (>= 77): the
    ones virtualenv (a dependency of pre-commit) embeds. None if there is none."""
    try:
        import virtualenv
    except ImportError:
        return None
    embed = Path(virtualenv.__file__).parent / "seed" / "wheels" / "embed"
    for wheel in embed.glob("setuptools-*.whl"):
        if int(wheel.name.split("-")[1].split(".")[0]) >= 77:
            return embed
    return None


# pip and virtualenv as pre-commit drives them, without the network: the hook's virtualenv
# sees the packages installed here (ecslint's dependencies) and builds ecslint with the
# setuptools virtualenv seeds it with, so pip never needs an index.
OFFLINE_HOOK_ENV = {"VIRTUALENV_SYSTEM_SITE_PACKAGES": "1", "PIP_NO_INDEX": "1",
                    "PIP_NO_BUILD_ISOLATION": "false"}
