#!/usr/bin/env python3
"""Sampled mutation testing with mutmut (issue #15). Not part of `.ci/run`: it is slow.

    python scripts/mutation.py                      # every area, 20 mutants each, seed 15
    python scripts/mutation.py --area caches --per-area 60 --seed 3
    python scripts/mutation.py --report-only        # the table of the last run, no new run

mutmut 3 copies the package to mutants/ and creates thousands of mutants
(`ecslint.cache.memo.x_func__mutmut_3`, methods `...xǁClassǁmethod__mutmut_3`). Running
them all takes hours on two cores, so this script has mutmut create them, draws a fixed,
seeded sample per area, has `mutmut run` test only those (each against the tests that
cover the mutated function), and prints killed / survived per area and each survivor's
diff. Mutants judged equivalent are listed in scripts/mutation-equivalent.txt (one per
line: name, then why) and left out of the score. Exit code 0 when every area meets its
target (95 % for the evaluator and the caches, 85 % elsewhere), 1 when one does not,
2 when mutmut itself failed.

Runs mutmut with --max-children 1 (one test process at a time) unless --max-children says
otherwise. mutmut's first run collects which tests cover which function (one run of the
whole suite under tracing, ~8 minutes); later runs reuse it and trace only new tests.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
EQUIVALENT = Path(__file__).resolve().parent / "mutation-equivalent.txt"

# area -> (source files, target score in %)
AREAS: dict[str, tuple[list[str], int]] = {
    "evaluator": (["ecslint/sources/hcl/evaluate.py", "ecslint/sources/hcl/functions.py",
                   "ecslint/sources/hcl/template.py", "ecslint/unknown.py"], 95),
    "model": (["ecslint/sources/build.py", "ecslint/sources/values.py",
               "ecslint/sources/hcl/module.py"], 85),
    "suppressions": (["ecslint/suppress.py", "ecslint/baseline.py"], 85),
    "config": (["ecslint/config.py", "ecslint/settings.py"], 85),
    "caches": (["ecslint/cache/*.py"], 95),
    "audit": (["ecslint/audit/stops.py", "ecslint/audit/usage.py",
               "ecslint/audit/usage_findings.py", "ecslint/audit/drift.py",
               "ecslint/audit/live_model.py", "ecslint/audit/live_related.py"], 85),
    "formats": (["ecslint/report/*.py"], 85),
    "cli": (["ecslint/cli.py"], 85),
}

# mutmut's exit-code classes (mutmut.stats.status_by_exit_code) as this script counts them
DETECTED = {"killed", "timeout", "caught by type check", "segfault"}
UNDETECTED = {"survived", "no tests"}

# A subprocess started by a test with PYTHONPATH pointing at mutants/ imports the mutated
# package; during mutmut's coverage run it must not record coverage (mutmut's recorder
# reads ./pyproject.toml and ./mutants from its working directory, which there is another).
SITECUSTOMIZE = '''import os
if os.environ.get("MUTANT_UNDER_TEST") == "stats":
    os.environ["MUTANT_UNDER_TEST"] = ""
'''

GENERATE = """
from mutmut.__main__ import (copy_also_copy_files, copy_src_dir, create_mutants,
                             setup_source_paths, store_lines_covered_by_tests)
from mutmut.mutation.trampoline import set_mutant_under_test
set_mutant_under_test("mutant_generation")
copy_src_dir(); copy_also_copy_files(); setup_source_paths(); store_lines_covered_by_tests()
s = create_mutants(1)
print(f"{s.mutated} files mutated")
"""


def mutmut_cmd() -> list[str]:
    return [sys.executable, "-m", "mutmut"]


def prepare() -> None:
    """mutants/ as the tests expect a checkout: its own git top level (SARIF paths are
    relative to it), and the sitecustomize above."""
    MUTANTS.mkdir(exist_ok=True)
    (MUTANTS / "sitecustomize.py").write_text(SITECUSTOMIZE)
    if not (MUTANTS / ".git").exists():
        subprocess.run(["git", "init", "-q", str(MUTANTS)], check=True)


def generate() -> None:
    """Have mutmut create the mutants when a source file is newer than its mutants (the
    sample is drawn from them; `mutmut run` then refreshes them itself)."""
    stale = False
    for area in AREAS:
        for path in area_files(area):
            m = MUTANTS / (str(path.relative_to(ROOT)) + ".meta")
            stale |= not m.exists() or m.stat().st_mtime < path.stat().st_mtime
    if stale:
        subprocess.run([sys.executable, "-c", GENERATE], cwd=ROOT, check=True)


def area_files(area: str) -> list[Path]:
    out = []
    for pattern in AREAS[area][0]:
        out += sorted(p for p in ROOT.glob(pattern) if p.name != "__init__.py" or
                      p.stat().st_size > 0)
    return out


def meta(path: Path) -> dict:
    try:
        return json.loads((MUTANTS / (str(path.relative_to(ROOT)) + ".meta")).read_text())
    except FileNotFoundError:
        return {"exit_code_by_key": {}}


def names_of(area: str) -> list[str]:
    return sorted(k for p in area_files(area) for k in meta(p)["exit_code_by_key"])


def sample(area: str, per_area: int, seed: int) -> list[str]:
    names = names_of(area)
    rng = random.Random(f"{seed}:{area}")
    return sorted(rng.sample(names, min(per_area, len(names))))


def equivalents() -> dict[str, str]:
    out = {}
    if EQUIVALENT.exists():
        for line in EQUIVALENT.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, why = line.partition(" ")
                out[name] = why.strip()
    return out


def statuses(area: str) -> dict[str, str]:
    from mutmut.stats import status_by_exit_code

    return {k: status_by_exit_code[v] for p in area_files(area)
            for k, v in meta(p)["exit_code_by_key"].items()}


def show(name: str) -> str:
    proc = subprocess.run([*mutmut_cmd(), "show", name], cwd=ROOT, capture_output=True,
                          text=True)
    return proc.stdout.strip() or proc.stderr.strip()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--area", action="append", choices=sorted(AREAS),
                    help="only this area (repeatable); default: all")
    ap.add_argument("--per-area", type=int, default=20, help="mutants sampled per area")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--max-children", type=int, default=1)
    ap.add_argument("--report-only", action="store_true",
                    help="print the results mutmut recorded for the sample; run nothing")
    ap.add_argument("--resume", action="store_true",
                    help="run only the sampled mutants mutmut has not recorded as killed and "
                         "that are not listed as equivalent (after adding tests: a killed "
                         "mutant stays killed)")
    ap.add_argument("--mutant", action="append", default=[],
                    help="run these mutants (names or globs) instead of a sample")
    args = ap.parse_args(argv)
    os.chdir(ROOT)
    areas = args.area or list(AREAS)

    if not args.report_only:
        prepare()
        generate()
    if args.mutant:
        every = [n for a in AREAS for n in names_of(a)]
        chosen = {a: [n for n in names_of(a) if any(fnmatch.fnmatch(n, m) for m in args.mutant)]
                  for a in areas}
        if not any(chosen.values()):
            print("no mutant matches", args.mutant, f"(of {len(every)})", file=sys.stderr)
            return 2
    else:
        chosen = {a: sample(a, args.per_area, args.seed) for a in areas}
    todo = [n for a in areas for n in chosen[a]]
    if args.resume:
        known = {n: s for a in areas for n, s in statuses(a).items()}
        skip = equivalents()
        todo = [n for n in todo if known.get(n) not in DETECTED and n not in skip]
    if not args.report_only:
        print(f"{len(todo)} mutants to run", file=sys.stderr)
    if not args.report_only and todo:
        proc = subprocess.run([*mutmut_cmd(), "run", "--max-children", str(args.max_children),
                               *todo], cwd=ROOT)
        if proc.returncode != 0:
            print(f"mutmut run failed with exit code {proc.returncode}", file=sys.stderr)
            return 2

    equiv = equivalents()
    rows, survivors, ok = [], [], True
    for area in areas:
        status = statuses(area)
        got = [(n, status.get(n, "not checked")) for n in chosen[area]]
        killed = sum(s in DETECTED for _, s in got)
        eq = [n for n, s in got if s in UNDETECTED and n in equiv]
        alive = [(n, s) for n, s in got if s in UNDETECTED and n not in equiv]
        other = [(n, s) for n, s in got if s not in DETECTED | UNDETECTED]
        counted = killed + len(alive)
        score = 100.0 * killed / counted if counted else 100.0
        target = AREAS[area][1]
        ok &= score >= target and not other
        rows.append((area, len(names_of(area)), len(got), killed, len(alive), len(eq),
                     len(other), score, target))
        survivors += [(area, n, s, equiv.get(n)) for n, s in got if s in UNDETECTED]
        survivors += [(area, n, s, None) for n, s in other]

    print()
    print(f"seed {args.seed}, {args.per_area} per area" if not args.mutant else "chosen mutants")
    print(f"{'area':<13}{'mutants':>8}{'sampled':>8}{'killed':>7}{'alive':>6}{'equiv':>6}"
          f"{'other':>6}{'score':>8}{'target':>7}")
    for area, total, n, killed, alive, eq, other, score, target in rows:
        print(f"{area:<13}{total:>8}{n:>8}{killed:>7}{alive:>6}{eq:>6}{other:>6}"
              f"{score:>7.1f}%{target:>6}%")
    print("(score = killed / (killed + alive); equivalent mutants are left out; 'other' are"
          " mutants mutmut did not classify, e.g. not checked or suspicious)")
    for area, name, status, why in survivors:
        print()
        print(f"--- [{area}] {name}: {status}" + (f" (equivalent: {why})" if why else ""))
        if not why:
            print(show(name))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
