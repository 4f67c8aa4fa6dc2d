"""Time whole `ecslint check` processes (and checkov's, when given) on the same inputs.

    python benchmarks/bench.py [--files 2000] [--runs 11] [--checkov PATH]
                               [--real-corpus DIR] [--ecslint PATH] [--work DIR]

Every figure is the median of several processes: wall time, CPU time (user + system, the
process and its workers) and peak memory (RSS of the largest single process; the peaks of
the summed RSS and of the summed PSS over the process tree, sampled every 10 ms). The
measurements take turns, one process each per round, so a machine whose speed drifts moves
every row alike. "cold" runs start with an
empty cache directory; "warm" runs follow the cold run of the same round. Run it with the
real interpreter, not a pyenv shim: a shim adds ~100 ms to every process.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Callable

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import corpus  # noqa: E402  (benchmarks/ is not a package)

SMALL_FILE = '''resource "aws_ecs_cluster" "main" {
  name = "main"
}
'''

# The targets: (row, limit in seconds or MB, what is measured)
TARGETS = {
    "small-warm": 0.150, "small-cold": 0.600, "corpus-warm": 2.0, "corpus-pss": 150.0,
    "edited": 0.120, "edited-shared": 0.150, "edited-wiped": 0.400, "vs-hcl2": 3.0,
    "edited-vs-no-cache": 5.0,
}

# A single-core python-hcl2 parse of every .tf file: the baseline the cold corpus run must
# beat by 2x. The strict one stops at lark's parse tree (the cheapest python-hcl2 offers);
# `load` is what python-hcl2 users call (`hcl2.load`: the tree turned into dicts).
HCL2_BASELINE = r'''
import os, sys
import hcl2
paths = sorted(os.path.join(d, n) for d, _, names in os.walk(sys.argv[1])
               for n in names if n.endswith(".tf"))
for path in paths:
    with open(path, encoding="utf-8") as fh:
        if sys.argv[2] == "tree":
            hcl2.parses_to_tree(fh.read() + "\n")
        else:
            hcl2.load(fh)
'''


@dataclass
class Sample:
    wall: float
    cpu: float
    rss: float  # MB, largest single process
    tree_rss: float  # MB, peak of the sum over the process tree
    tree_pss: float  # MB, peak of the summed PSS (shared pages split among the processes)
    code: int


def _tree_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in KB summed over the process and its descendants. Forked workers share
    the parent's pages: RSS counts them once per process, PSS splits them."""
    rss = pss = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
                        break
            with open(f"/proc/{p}/task/{p}/children") as fh:
                todo += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            continue
    return rss, pss


def run_once(cmd: list[str], cwd: str, env: dict[str, str]) -> Sample:
    peak = [0, 0]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            rss, pss = _tree_kb(proc.pid)
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                  peak[0] / 1024, peak[1] / 1024, proc.returncode)


@dataclass
class Result:
    name: str
    samples: list[Sample]

    def median(self, attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in self.samples)

    def row(self) -> str:
        codes = sorted({s.code for s in self.samples})
        return (f"| {self.name} | {self.median('wall') * 1000:,.0f} ms | "
                f"{self.median('cpu') * 1000:,.0f} ms | {self.median('rss'):.0f} MB | "
                f"{self.median('tree_rss'):.0f} MB | {self.median('tree_pss'):.0f} MB | "
                f"{len(self.samples)} | "
                f"{','.join(map(str, codes))} |")


@dataclass
class Job:
    name: str
    cmd: list[str]
    cwd: str
    runs: int
    env: dict[str, str]
    before: Callable[[], None] | None = None
    after: Callable[[], None] | None = None


def _editor(target: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """Functions that edit `target` (a new comment each time: it always misses the cache)
    and restore it."""
    with open(target, encoding="utf-8") as fh:
        original = fh.read()
    counter = [0]

    def edit() -> None:
        counter[0] += 1
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(original + f"# edit {counter[0]} {time.time()}\n")

    def restore() -> None:
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(original)

    return edit, restore


class Bench:
    """Jobs run in rounds, one sample of each per round, so that a machine that speeds up
    or slows down during the run moves every row alike."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = args.work or tempfile.mkdtemp(prefix="ecslint-bench-")
        self.jobs: list[Job] = []
        self.results: dict[str, Result] = {}
        base = {k: v for k, v in os.environ.items() if not k.startswith("ECSLINT_")}
        base.pop("PYTHONDONTWRITEBYTECODE", None)  # time an installed ecslint, with bytecode
        self.env = base

    def add(self, name: str, cmd: list[str], cwd: str, runs: int, before=None, after=None,
            env: dict[str, str] | None = None) -> None:
        self.jobs.append(Job(name, cmd, cwd, runs, env or self.env, before, after))

    def run_all(self) -> None:
        samples: dict[str, list[Sample]] = {job.name: [] for job in self.jobs}
        for round_ in range(max(job.runs for job in self.jobs)):
            for job in self.jobs:
                if round_ >= job.runs:
                    continue
                if job.before is not None:
                    job.before()
                try:
                    samples[job.name].append(run_once(job.cmd, job.cwd, job.env))
                finally:
                    if job.after is not None:
                        job.after()
            print(f"round {round_ + 1} done", file=sys.stderr, flush=True)
        print("| run | wall (median) | CPU | peak RSS | tree RSS | tree PSS | runs | exit |")
        print("|---|---:|---:|---:|---:|---:|---:|---|")
        for job in self.jobs:
            self.results[job.name] = Result(job.name, samples[job.name])
            print(self.results[job.name].row())

    def ecslint_pair(self, label: str, args: list[str], cwd: str, runs: int) -> None:
        """Cold (a fresh cache directory) and warm (after the cold run) runs."""
        cache = os.path.join(self.work, f"cache-{label}")
        env = {**self.env, "ECSLINT_CACHE_DIR": cache}
        cmd = [self.args.ecslint, "check", *args]

        def wipe() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        self.add(f"ecslint {label}, cold cache", cmd, cwd, runs, before=wipe, env=env)
        self.add(f"ecslint {label}, warm cache", cmd, cwd, runs, env=env)

    def main(self) -> None:
        a = self.args
        small_dir = os.path.join(self.work, "small")
        os.makedirs(small_dir, exist_ok=True)
        with open(os.path.join(small_dir, "main.tf"), "w") as fh:
            fh.write(SMALL_FILE)
        corpus_dir = os.path.join(self.work, f"corpus-{a.files}")
        if not os.path.isdir(corpus_dir):
            corpus.write(corpus_dir, corpus.generate(a.files, a.seed))
        python = a.python
        print(f"ecslint: {a.ecslint}\npython: {python}\nwork: {self.work}\n")
        # Prime bytecode once, as an installed package would have it.
        subprocess.run([a.ecslint, "--version"], env=self.env, stdout=subprocess.DEVNULL,
                       check=False)
        self.add("python -c pass (floor)", [python, "-c", "pass"], self.work, a.runs)
        self.add("python -I -S -c pass", [python, "-I", "-S", "-c", "pass"], self.work, a.runs)
        self.add("ecslint --version", [a.ecslint, "--version"], self.work, a.runs)
        self.ecslint_pair("one small file", ["main.tf"], small_dir, a.runs)
        self.ecslint_pair(f"{a.files}-file corpus", ["."], corpus_dir, a.corpus_runs)
        self.add(f"ecslint {a.files}-file corpus, --no-cache",
                 [a.ecslint, "check", "--no-cache", "."], corpus_dir, a.baseline_runs)
        self.add(f"python-hcl2 parse of the {a.files} files, one core",
                 [python, "-c", HCL2_BASELINE, corpus_dir, "tree"], corpus_dir, a.baseline_runs)
        self.add(f"python-hcl2 load (hcl2.load) of the {a.files} files, one core",
                 [python, "-c", HCL2_BASELINE, corpus_dir, "load"], corpus_dir, a.baseline_runs)
        self._precommit(corpus_dir, a.files)
        if a.large:
            large_dir = os.path.join(self.work, f"corpus-{a.large}")
            if not os.path.isdir(large_dir):
                corpus.write(large_dir, corpus.generate(a.large, a.seed))
            self.ecslint_pair(f"{a.large}-file corpus", ["."], large_dir, a.large_runs)
            self.add(f"ecslint {a.large}-file corpus, --no-cache",
                     [a.ecslint, "check", "--no-cache", "."], large_dir, a.large_runs)
            self._precommit(large_dir, a.large, hooks=False, runs=a.large_runs)
        if a.real_corpus:
            self.ecslint_pair("real corpus", ["."], a.real_corpus, a.corpus_runs)
        if a.checkov:
            self._checkov(small_dir, corpus_dir)
        self.run_all()
        self.summary()

    def _precommit(self, corpus_dir: str, files: int, hooks: bool = True,
                   runs: int | None = None) -> None:
        """Pre-commit runs: one service file named, everything else cached. Two files: one
        whose root declares its own task definition, one that calls the shared
        ecs-service module; each warm (unchanged: the result cache replays) and edited
        (the hook's real path: that file misses, the parse and root caches hold the rest).
        The first also after the OS temporary directory is wiped, and the whole corpus
        is run with it edited (the result cache misses, the root cache holds the rest)."""
        services = [os.path.join(d, "main.tf") for d, _, names in sorted(os.walk(corpus_dir))
                    if "/services/" in d and "main.tf" in names]
        calls = {p: "modules/ecs-service" in open(p, encoding="utf-8").read() for p in services}
        own = next((p for p in services if not calls[p]), None)
        shared = next((p for p in services if calls[p]), None)
        cache = os.path.join(self.work, f"cache-{files}-file corpus")
        env = {**self.env, "ECSLINT_CACHE_DIR": cache}
        for target, label in ((own, "own task definition"), (shared, "calls the shared module")):
            if target is None or (not hooks and target is not own):
                continue  # a corpus too small to hold one
            cmd = [self.args.ecslint, "check", os.path.relpath(target, corpus_dir)]
            edit, restore = _editor(target)
            if not hooks:
                self.add(f"ecslint {files}-file corpus, that file edited (1 miss)",
                         [self.args.ecslint, "check", "."], corpus_dir, runs or 1,
                         before=edit, after=restore, env=env)
                continue
            self.add(f"ecslint pre-commit ({label}): 1 corpus file named, warm", cmd,
                     corpus_dir, self.args.runs, env=env)
            self.add(f"ecslint pre-commit ({label}): that file edited (1 miss)", cmd,
                     corpus_dir, self.args.runs, before=edit, after=restore, env=env)
            if target is not own:
                continue
            tmp = os.path.join(self.work, "tmp-wiped")

            def wiped(edit=edit, tmp=tmp) -> None:
                edit()
                shutil.rmtree(tmp, ignore_errors=True)
                os.makedirs(tmp)

            self.add(f"ecslint pre-commit ({label}): edited, temp directory wiped", cmd,
                     corpus_dir, self.args.runs, before=wiped, after=restore,
                     env={**env, "TMPDIR": tmp})
            self.add(f"ecslint {files}-file corpus, that file edited (1 miss)",
                     [self.args.ecslint, "check", "."], corpus_dir, self.args.corpus_runs,
                     before=edit, after=restore, env=env)

    def _checkov(self, small_dir: str, corpus_dir: str) -> None:
        a = self.args
        quiet = ["--quiet", "--compact", "--framework", "terraform", "--skip-download"]
        runs = a.checkov_runs
        self.add("checkov one small file", [a.checkov, *quiet, "-f", "main.tf"], small_dir, runs)
        if a.real_corpus:
            self.add("checkov real corpus", [a.checkov, *quiet, "-d", "."], a.real_corpus, runs)
        if a.checkov_corpus:
            self.add(f"checkov {a.files}-file corpus", [a.checkov, *quiet, "-d", "."],
                     corpus_dir, runs)

    def summary(self) -> None:
        r, f, big = self.results, self.args.files, self.args.large
        wall = {k: v.median("wall") for k, v in r.items()}
        print("\n| target | limit | measured | met |\n|---|---:|---:|---|")

        def line(name: str, limit: str, value: str, ok: bool | None) -> None:
            met = "-" if ok is None else ("yes" if ok else "NO")
            print(f"| {name} | {limit} | {value} | {met} |")

        def ms(row: str, limit: float, name: str) -> None:
            if row in wall:
                line(name, f"{limit * 1000:.0f} ms", f"{wall[row] * 1000:.0f} ms",
                     wall[row] <= limit)

        ms("ecslint one small file, warm cache", TARGETS["small-warm"], "one file, warm cache")
        ms("ecslint one small file, cold cache", TARGETS["small-cold"], "one file, cold cache")
        own, shared = "ecslint pre-commit (own task definition)", \
            "ecslint pre-commit (calls the shared module)"
        ms(f"{own}: that file edited (1 miss)", TARGETS["edited"],
           "pre-commit, one edited file")
        ms(f"{shared}: that file edited (1 miss)", TARGETS["edited-shared"],
           "pre-commit, one edited file calling a shared module")
        ms(f"{own}: edited, temp directory wiped", TARGETS["edited-wiped"],
           "pre-commit, edited file, first run after the temp directory is wiped")
        warm, cold = r[f"ecslint {f}-file corpus, warm cache"], r[f"ecslint {f}-file corpus, cold cache"]
        line(f"{f} files, warm cache", "2 s", f"{warm.median('wall'):.2f} s",
             warm.median("wall") <= TARGETS["corpus-warm"])
        base = wall[f"python-hcl2 parse of the {f} files, one core"]
        line(f"{f} files, cold, vs one-core python-hcl2 parse to tree", ">= 3x",
             f"{base / cold.median('wall'):.2f}x ({cold.median('wall'):.2f} s vs {base:.1f} s)",
             base / cold.median("wall") >= TARGETS["vs-hcl2"])
        load = wall[f"python-hcl2 load (hcl2.load) of the {f} files, one core"]
        line(f"{f} files, cold, vs one-core hcl2.load (for reference)", "-",
             f"{load / cold.median('wall'):.2f}x ({cold.median('wall'):.2f} s vs {load:.1f} s)",
             None)
        for n in (f, big) if big else (f,):
            peak = max(r[f"ecslint {n}-file corpus, {k}"].median("tree_pss")
                       for k in ("cold cache", "warm cache", "--no-cache"))
            peak_rss = max(r[f"ecslint {n}-file corpus, {k}"].median("tree_rss")
                           for k in ("cold cache", "warm cache", "--no-cache"))
            line(f"{n} files, peak memory (process tree PSS; summed RSS)", "150 MB",
                 f"{peak:.0f} MB; {peak_rss:.0f} MB", peak <= TARGETS["corpus-pss"])
            edited = f"ecslint {n}-file corpus, that file edited (1 miss)"
            nocache = wall[f"ecslint {n}-file corpus, --no-cache"]
            if edited in wall:
                line(f"{n} files, one file edited vs --no-cache", ">= 5x",
                     f"{nocache / wall[edited]:.1f}x ({wall[edited]:.2f} s vs {nocache:.2f} s)",
                     nocache / wall[edited] >= TARGETS["edited-vs-no-cache"])
        if big:
            for kind in ("cold cache", "--no-cache"):
                a, b = wall[f"ecslint {f}-file corpus, {kind}"], wall[f"ecslint {big}-file corpus, {kind}"]
                per = (b / big) / (a / f)
                line(f"{big} vs {f} files, {kind}: time per file", "linear (<= 1.25x)",
                     f"{per:.2f}x ({b:.2f} s vs {a:.2f} s)", per <= 1.25)
        for label, ours, theirs in (
                ("one small file, warm", "ecslint one small file, warm cache", "checkov one small file"),
                ("one small file, cold", "ecslint one small file, cold cache",
                 "checkov one small file"),
                ("real corpus, warm", "ecslint real corpus, warm cache", "checkov real corpus"),
                ("real corpus, cold", "ecslint real corpus, cold cache", "checkov real corpus"),
                (f"{f} files, warm", f"ecslint {f}-file corpus, warm cache", f"checkov {f}-file corpus"),
                (f"{f} files, cold", f"ecslint {f}-file corpus, cold cache", f"checkov {f}-file corpus")):
            if ours in wall and theirs in wall:
                ratio = wall[theirs] / wall[ours]
                mem = r[theirs].median("tree_rss") / max(r[ours].median("tree_rss"), 1)
                line(f"vs checkov, {label}", ">= 20x", f"{ratio:.0f}x faster, {mem:.1f}x less memory",
                     ratio >= 20)


def main(argv: list[str] | None = None) -> None:
    here_bin = os.path.dirname(sys.executable)
    default_ecslint = os.path.join(here_bin, "ecslint")
    if not os.path.exists(default_ecslint):
        default_ecslint = shutil.which("ecslint") or "ecslint"
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--files", type=int, default=2000, help="generated corpus size")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--runs", type=int, default=11, help="runs per small measurement")
    p.add_argument("--corpus-runs", type=int, default=5, help="runs per corpus measurement")
    p.add_argument("--baseline-runs", type=int, default=3,
                   help="runs of the python-hcl2 baseline and of --no-cache")
    p.add_argument("--ecslint", default=default_ecslint,
                   help=f"ecslint executable (default: {default_ecslint})")
    p.add_argument("--python", default=sys.executable, help="interpreter for the baselines")
    p.add_argument("--large", type=int, default=0,
                   help="also a corpus of this many files (cold, warm, --no-cache, edited)")
    p.add_argument("--large-runs", type=int, default=3, help="runs per large-corpus row")
    p.add_argument("--checkov", help="a checkov executable, e.g. in its own venv")
    p.add_argument("--checkov-runs", type=int, default=3)
    p.add_argument("--checkov-corpus", action="store_true",
                   help="also run checkov on the generated corpus (slow)")
    p.add_argument("--real-corpus", help="a directory of real ECS Terraform to time")
    p.add_argument("--work", help="work directory (default: a new temporary one)")
    Bench(p.parse_args(argv)).main()


if __name__ == "__main__":
    main()
