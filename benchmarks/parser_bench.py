"""Throughput and start-up cost of the three HCL parsers on a corpus of .tf files.

    python benchmarks/parser_bench.py [CORPUS_DIR] [--runs 5] [--fresh 5]

Without CORPUS_DIR it parses what `python benchmarks/corpus.py DIR --files 300 --seed 1`
writes. The parsers:

- lark:     `ecslint.sources.hcl.syntax.parse_tree` (lark LALR on hcl2.lark, building
            compact nodes inline; lark is imported on its first call)
- hclparse: `ecslint.sources.hcl.hclparse.parse_tree` (hand-written; the same tree)
- hcl2:     `hcl2.parses_to_tree` (python-hcl2's own lark parser, a lark Tree)

Throughput is the best of --runs passes over every file (MB of UTF-8 per second of
parsing, in this process, after one warm-up pass). Start-up is measured in --fresh new
processes each (median, after one process that is not counted): the import of the
parser's module, and the first parse of the corpus' first file, which for lark includes
loading its cached LALR tables. The processes keep their bytecode in a temporary
PYTHONPYCACHEPREFIX, as an installed package has it (even if PYTHONDONTWRITEBYTECODE is set).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

# name -> (modules to import, expression parsing `text`). syntax.parse_tree imports lark and
# python-hcl2's grammar on its first call; here they are imported first, to time apart.
PARSERS = {
    "lark": ("lark, hcl2.parser, hcl2.postlexer", "ecslint.sources.hcl.syntax.parse_tree(text)"),
    "hclparse": ("ecslint.sources.hcl.hclparse", "ecslint.sources.hcl.hclparse.parse_tree(text)"),
    "hcl2": ("hcl2", "hcl2.parses_to_tree(text)"),
}

# Run in a fresh process: the shared ecslint modules first (both ecslint parsers need them;
# hcl2 does not), then the parser's own import and first parse.
FRESH = """
import sys, time
sys.path.insert(0, {root!r})
text = open({path!r}, encoding="utf-8").read()
{preload}
t0 = time.perf_counter()
import {module}
t1 = time.perf_counter()
{parse}
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def load(directory: Path) -> list[str]:
    paths = sorted(directory.rglob("*.tf"))
    if not paths:
        sys.exit(f"no .tf files under {directory}")
    return [p.read_text(encoding="utf-8") for p in paths]


def throughput(parse, texts: list[str], runs: int) -> float:
    """MB/s: the best of `runs` passes over all texts, after a warm-up pass."""
    size = sum(len(t.encode()) for t in texts)
    for text in texts:
        parse(text)
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        for text in texts:
            parse(text)
        best = min(best, time.perf_counter() - started)
    return size / best / 1e6


def fresh(name: str, first_file: Path, runs: int, pycache: str) -> tuple[float, float]:
    """Median (import, first parse) seconds in new processes (after an uncounted one)."""
    module, parse = PARSERS[name]
    preload = ("import ecslint.compact, ecslint.sources.hcl.syntax"
               if name != "hcl2" else "")
    code = FRESH.format(root=str(ROOT), path=str(first_file), preload=preload, module=module,
                        parse=parse)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = pycache
    samples = []
    for _ in range(runs + 1):
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                             text=True, env=env).stdout.split()
        samples.append((float(out[0]), float(out[1])))
    del samples[0]  # it wrote the bytecode
    return (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", nargs="?", help="directory of .tf files (default: generated)")
    ap.add_argument("--runs", type=int, default=5, help="timed passes per parser")
    ap.add_argument("--fresh", type=int, default=5, help="new processes per parser")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.corpus:
            directory = Path(args.corpus)
        else:
            import corpus

            directory = Path(tmp)
            corpus.write(tmp, corpus.generate(300, seed=1))
        texts = load(directory)
        first = min(directory.rglob("*.tf"))
        size = sum(len(t.encode()) for t in texts)
        print(f"corpus: {directory if args.corpus else 'generated, 300 files, seed 1'}: "
              f"{len(texts)} files, {size / 1e6:.2f} MB")

        import hcl2

        from ecslint.sources.hcl import hclparse, syntax

        functions = {"lark": syntax.parse_tree, "hclparse": hclparse.parse_tree,
                     "hcl2": hcl2.parses_to_tree}
        rates = {name: throughput(fn, texts, args.runs) for name, fn in functions.items()}
        starts = {name: fresh(name, first, args.fresh, os.path.join(tmp, "pycache"))
                  for name in PARSERS}

    print(f"\n{'parser':10} {'MB/s':>7} {'vs lark':>8} {'import ms':>10} {'1st parse ms':>13} "
          f"{'total ms':>9}")
    for name in PARSERS:
        imported, parsed = starts[name]
        print(f"{name:10} {rates[name]:7.2f} {rates[name] / rates['lark']:7.2f}x "
              f"{imported * 1e3:10.1f} {parsed * 1e3:13.1f} {(imported + parsed) * 1e3:9.1f}")
    print(f"\n(python {sys.version.split()[0]}, {os.cpu_count()} CPUs. Import: of lark and "
          f"python-hcl2's grammar for lark, of the module for the others; ecslint.compact and "
          f"syntax, which both ecslint parsers need, are loaded before. First parse: for lark "
          f"it loads the cached LALR tables, for hclparse it compiles its patterns.)")


if __name__ == "__main__":
    main()
