"""Fuzz `ecslint check`: hostile inputs and random mutants of our own fixtures.

Each input is written into `bad/` next to a well-formed module in `good/` and checked with
`ecslint check --format json .` in a forked child process (ecslint is imported once, so a
case costs milliseconds, and a child that hangs or dies is killed without harm). Every run
must keep the promise of issue 10 (README, "Output and exit codes"):

- no Python traceback, an exit code in {0, 1, 2}, and a valid JSON document on stdout;
- exit code 2 whenever an ECS001 is reported;
- every finding of the good module alone is still reported;
- the run ends within the time limit.

Runs that keep it but report an *internal error* (an exception contained as ECS001) are
counted apart: they are bugs to fix, not broken promises.

    python benchmarks/fuzz.py --count 2000 --seed 1 --jobs 2 --save /tmp/fuzz-failures

prints what ran and found; failing inputs are saved under --save to reproduce. The test
suite runs a short, seeded version of the same (tests/test_fuzz.py).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

REPO = Path(__file__).resolve().parent.parent
GOOD = REPO / "tests" / "fixtures" / "rules" / "ECS201" / "bad" / "main.tf"
# Environment of every run: no cache (each case is new), limits low enough to end a
# pathological case quickly.
ENV = {"ECSLINT_NO_CACHE": "1", "ECSLINT_ROOT_TIMEOUT": "10", "ECSLINT_ROOT_MEMORY": "512MiB",
       "NO_COLOR": "1"}
TIMEOUT = 40.0  # seconds a case may take in all before it counts as a hang
# Address space of a run, as a memory-limited CI container has: an allocation past it is a
# MemoryError (contained as ECS001), not the machine swapping.
MEMORY = 2 << 30


# ------------------------------------------------------------------ inputs

@dataclass
class Case:
    name: str  # file name in bad/ (its suffix decides how ecslint reads it)
    data: bytes | None  # None: `make` builds it
    what: str  # how it was made
    make: Callable[[Path], None] | None = None  # special files (FIFOs, links, sparse files)
    named: bool = False  # name the files on the command line (pre-commit), not the directory

    def argv(self) -> list[str]:
        paths = [f"bad/{self.name}", "good/main.tf"] if self.named else ["."]
        return ["check", "--format", "json", *paths]


def corpus() -> list[tuple[str, bytes]]:
    """Our own inputs: rule fixtures, the example and the plan fixtures (name, bytes)."""
    roots = [REPO / "tests" / "fixtures" / "rules", REPO / "examples" / "terraform",
             REPO / "tests" / "fixtures" / "plan"]
    out = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.name.endswith((".tf", ".json", ".tpl", ".tfvars")) \
                    and path.stat().st_size < 200_000:
                out.append((path.name, path.read_bytes()))
    return out


_TOKENS = [b"{", b"}", b"[", b"]", b"(", b")", b'"', b"${", b"%{", b"%{ for x in [1] }",
           b"%{ if true }", b"\\u", b"\\uzzzz", b"\\U0011FFFF", b"1e400", b"-1e400", b"9" * 5000,
           b"NaN", b"Infinity", b"-", b",", b":", b"=", b"null", b"<<EOF\n", b"<<-EOT\n",
           b"\nEOF\n", b"\x00", b"\xff\xfe", b"\xe2\x82", b"#", b"//", b"/*", b"*/", b"\\",
           b"count = 100000000\n", b"count = 1e400\n", b"for_each = toset(range(1e8))\n",
           b'file("/dev/zero")', b'templatefile("/dev/zero", {})', b"range(1e8)",
           b'join(",", range(1e7))', b"jsonencode(", b'module "m" {\n source = "./m"\n}\n',
           b"[" * 600, b"]" * 600, b"{" * 600, b'{"a":' * 600, b"# " * 40 + b"\n",
           b'"\\ud800"', b"\t" * 100, b"\n" * 200, b'"' * 3, b"...", b"[*]", b".*",
           b"local.a", b"var.x", b"aws_ecs_task_definition", b"container_definitions",
           b"requires_compatibilities = 5\n", b'"root_module": "x"', b'"resources": [5]']


def _span(rng: random.Random, data: bytes) -> tuple[int, int]:
    i = rng.randrange(len(data) + 1)
    return i, min(len(data), i + rng.choice((1, 2, 4, 16, 64, 256)))


def mutate(rng: random.Random, data: bytes, others: list[bytes]) -> tuple[bytes, str]:
    """One random change to `data`: its bytes and a short description."""
    op = rng.choice(("flip", "delete", "duplicate", "insert", "insert", "splice", "nest",
                     "number", "truncate"))
    i, j = _span(rng, data)
    if op == "flip" and data:
        k = rng.randrange(len(data))
        return data[:k] + bytes([data[k] ^ (1 << rng.randrange(8))]) + data[k + 1:], op
    if op == "delete":
        return data[:i] + data[j:], op
    if op == "duplicate":
        return data[:j] + data[i:j] * rng.choice((2, 8, 100)) + data[j:], op
    if op == "insert" or not data:
        token = rng.choice(_TOKENS)
        return data[:i] + token + data[i:], f"insert {token[:20]!r}"
    if op == "splice":
        other = rng.choice(others)
        a, b = _span(rng, other)
        return data[:i] + other[a:b] + data[j:], op
    if op == "nest":
        depth = rng.choice((10, 100, 300, 1000))
        open_, close = rng.choice(((b"[", b"]"), (b"{\"a\":", b"}"), (b"(", b")"),
                                   (b"a {\n", b"}\n")))
        return data[:i] + open_ * depth + data[i:j] + close * depth + data[j:], f"nest {depth}"
    if op == "number":
        numbers = list(re.finditer(rb"\d+", data))
        if numbers:
            m = rng.choice(numbers)
            new = rng.choice((b"1e400", b"9" * 5000, b"100000000", b"-1", b"0", b"1.5",
                              b"NaN", b"1e-400"))
            return data[:m.start()] + new + data[m.end():], f"number {new[:10]!r}"
        return data, op
    return data[:rng.randrange(len(data) + 1)], "truncate"


def mutants(seed: int, count: int, max_changes: int = 3) -> Iterator[Case]:
    files = corpus()
    others = [data for _name, data in files]
    rng = random.Random(seed)
    for n in range(count):
        name, data = rng.choice(files)
        changes = []
        for _ in range(rng.randint(1, max_changes)):
            data, what = mutate(rng, data, others)
            changes.append(what)
        named = rng.random() < 0.3
        yield Case(name, data, f"mutant {n} of {name}{' (named)' if named else ''}: "
                               f"{', '.join(changes)}", named=named)


def _fifo(name: str) -> Callable[[Path], None]:
    return lambda bad: os.mkfifo(bad / name)


def _bytes_name(name: bytes) -> Callable[[Path], None]:
    def make(bad: Path) -> None:
        with open(os.path.join(os.fsencode(bad), name), "w") as fh:
            fh.write('resource "aws_ecs_cluster" "c" {\n  name = "x"\n}\n')
    return make


def _link(name: str, target: str) -> Callable[[Path], None]:
    return lambda bad: os.symlink(target, bad / name)


def _with_template(kind: str) -> Callable[[Path], None]:
    """A module whose templatefile() reads a FIFO, /dev/zero or a 1 GiB sparse file."""
    def make(bad: Path) -> None:
        tpl = bad / "t.tpl"
        if kind == "fifo":
            os.mkfifo(tpl)
        elif kind == "zero":
            os.symlink("/dev/zero", tpl)
        else:
            with open(tpl, "wb") as fh:
                fh.truncate(1 << 30)
        (bad / "main.tf").write_text(_TASK.format(defs='templatefile("${path.module}/t.tpl", {})'))
    return make


_TASK = '''resource "aws_ecs_task_definition" "t" {{
  family                = "t"
  container_definitions = {defs}
}}
'''


def _deep(open_: str, close: str, n: int = 1000) -> str:
    return open_ * n + close * n


def hostile() -> list[Case]:
    """Hand-built inputs, one or more per class of issue 10."""
    plan = '{{"format_version":"1.0","planned_values":{{"root_module":{root}}}}}'
    res = '{{"resources":[{{"mode":"managed","type":"aws_ecs_cluster",{rest}}}]}}'
    text = [
        # deep nesting
        ("td.json", '{"containerDefinitions": ' + _deep("[", "]") + "}", "deep task definition"),
        ("plan.json", plan.format(root=res.format(rest='"address":"aws_ecs_cluster.x",'
                                                   '"values":{"name":' + _deep("[", "]") + "}")),
         "deep plan"),
        ("main.tf.json", '{"resource": {"aws_ecs_cluster": {"c": {"name": ' + _deep("[", "]")
         + "}}}}", "deep .tf.json"),
        ("main.tf", _TASK.format(defs='"' + _deep("[", "]") + '"'), "deep container_definitions"),
        ("main.tf", 'resource "aws_ecs_cluster" "c" {\n' + _deep("a {\n", "}\n", 200) + "}\n",
         "deep HCL blocks"),
        ("main.tf", 'resource "aws_ecs_cluster" "c" {\n  name = ' + _deep("[", "]", 300) + "\n}\n",
         "deep HCL brackets"),
        ("main.tf", 'resource "aws_ecs_cluster" "c" {\n  name = ' + _deep("[", "]", 250) + "\n}\n",
         "HCL brackets just within the parser's limit"),
        # numbers
        ("td.json", '{"containerDefinitions":[{"name":"a","image":"b","memory":' + "9" * 5000
         + "}]}", "a 5,000-digit integer"),
        ("main.tf", 'resource "aws_ecs_cluster" "c" {\n  count = 1e400\n  name = "a"\n}\n',
         "count = 1e400"),
        ("main.tf", 'resource "aws_ecs_cluster" "c" {\n  count = 100000000\n  name = "a"\n}\n',
         "count = 100000000"),
        ("main.tf", 'locals {\n  r = range(1e8)\n}\nresource "aws_ecs_cluster" "c" {\n'
         '  for_each = toset([for i in local.r : tostring(i)])\n  name = "a"\n}\n',
         "for_each over range(1e8)"),
        ("main.tf", 'resource "aws_ecs_cluster" "c" {\n  name = join(",", range(1e8))\n}\n',
         "join over range(1e8)"),
        ("main.tf", "locals {\n  x = " + "9" * 5000 + "\n}\n"
         'resource "aws_ecs_cluster" "c" {\n  name = local.x\n}\n', "a 5,000-digit HCL number"),
        ("td.json", '{"containerDefinitions":[{"name":"a","image":"b","memory":NaN}]}', "NaN"),
        ("td.json", '{"containerDefinitions":[{"name":"a","image":"b","cpu":Infinity}]}',
         "Infinity"),
        # wrong types
        ("plan.json", plan.format(root='"x"'), "a string root_module"),
        ("plan.json", plan.format(root='{"resources":[5]}'), "a resource 5"),
        ("plan.json", plan.format(root=res.format(rest='"values":{}')), "no address"),
        ("plan.json", plan.format(root=res.format(rest='"address":7,"values":[]')),
         "a number address"),
        ("plan.json", '{"format_version":"1.0","planned_values":{},"resource_changes":[5,'
         '{"address":[1]}],"configuration":"x"}', "wrong resource_changes and configuration"),
        ("main.tf", 'resource "aws_ecs_task_definition" "t" {\n  family = "t"\n'
         '  requires_compatibilities = 5\n  container_definitions = jsonencode([{name = "a", '
         'image = "b"}])\n}\n', "requires_compatibilities = 5"),
        ("td.json", '{"family":"t","requiresCompatibilities":5,"tags":7,"containerDefinitions":'
         '[{"name":"a","image":"b"}]}', "requiresCompatibilities = 5 in JSON"),
        ("main.tf", 'resource "aws_ecs_cluster" "c" {\n  name = "a\\uzzzz"\n}\n', "bad \\u"),
        ("td.json", '{"containerDefinitions":[{"name":"\\uzzzz","image":"b"}]}',
         "bad \\u in JSON"),
        ("main.tf", 'resource "aws_ecs_cluster" "c" {\n  name = "%{ for x in [1] }a"\n}\n',
         "unclosed %{ for }"),
        ("main.tf", _TASK.format(defs="<<EOF\n%{ for x in [1] }\nEOF"), "unclosed for heredoc"),
        # regular expressions of the pre-scan
        ("main.tf", 'module "m" {\n' + "# " * 40 + "\n}\n", "a comment of 40 #"),
        ("main.tf", "\n" * 200_000 + 'resource "aws_ecs_cluster" "c" {}\n', "200,000 blank lines"),
    ]
    cases = [Case(name, data.encode(), what) for name, data, what in text]
    cases += [
        Case("td.json", b'{"family": "\\ud800", "containerDefinitions": [{"name": "\\udfff", '
                        b'"image": "a", "memory": 512}, {"name": "b", "image": "c"}]}',
             "lone surrogates in JSON strings"),
        Case("x.tf", None, "a file name that is not UTF-8", _bytes_name(b"\xff.tf")),
        Case("y.tf", None, "a FIFO named y.tf", _fifo("y.tf")),
        Case("y.json", None, "a FIFO named y.json", _fifo("y.json")),
        Case("z.tf", None, "a symlink to /dev/zero", _link("z.tf", "/dev/zero")),
        Case("main.tf", _TASK.format(defs='file("/dev/zero")').encode(), "file(/dev/zero)"),
        Case("t.tpl", None, "templatefile() of a FIFO", _with_template("fifo")),
        Case("t.tpl", None, "templatefile() of /dev/zero", _with_template("zero")),
        Case("t.tpl", None, "templatefile() of a 1 GiB sparse file", _with_template("sparse")),
    ]
    return cases


# ------------------------------------------------------------------ running

@dataclass
class Outcome:
    code: int | None  # None: killed after the time limit
    stdout: str
    stderr: str
    seconds: float
    variants: list = field(default_factory=list)  # (code, stdout) of each run of the case
    sarif: tuple | None = None  # (code, stdout, stderr) of the same check as SARIF


def _child(argv: list[str], cwd: str, out: str, err: str, cached: bool) -> None:
    """Run the check (with `cached`, three times: cold, replayed from the result cache, and
    with only the parse cache warm), then once more as SARIF, each run's stdout and stderr
    in `out`.N and `err`.N and its exit code in `out`.codes; exit with the first run's
    code."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    os.chdir(cwd)
    os.environ.update(ENV)
    if cached:
        del os.environ["ECSLINT_NO_CACHE"]
        os.environ["ECSLINT_CACHE_DIR"] = os.path.join(cwd, ".cache")  # hidden: not walked
    from ecslint import cli

    codes = []
    variants = ("cold", "replay", "parse") if cached else ("plain",)
    for n, variant in enumerate(variants + ("sarif",)):
        os.environ["ECSLINT_FUZZ_VARIANT"] = "parse" if variant == "parse" else ""
        fd_out, fd_err = os.open(f"{out}.{n}", os.O_WRONLY | os.O_CREAT), \
            os.open(f"{err}.{n}", os.O_WRONLY | os.O_CREAT)
        os.dup2(fd_out, 1)
        os.dup2(fd_err, 2)
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        sys.argv = ["ecslint", *(["check", "--format", "sarif", *argv[3:]]
                                 if variant == "sarif" else argv)]
        code = 0
        try:
            cli.main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        codes.append(code)
    with open(f"{out}.codes", "w") as fh:
        fh.write(json.dumps(codes))
    os._exit(codes[0])


class Running:
    """`ecslint check --format json .` in a directory, in a child forked from this process
    (which has ecslint imported already)."""

    def __init__(self, directory: Path, argv: list[str] | None = None,
                 cached: bool = False) -> None:
        self.tmp = tempfile.mkdtemp(prefix="ecslint-fuzz-run-")
        self.out, self.err = os.path.join(self.tmp, "out"), os.path.join(self.tmp, "err")
        context = multiprocessing.get_context("fork")
        self.child = context.Process(target=_child, args=(
            argv or ["check", "--format", "json", "."], str(directory), self.out, self.err,
            cached))
        self.start = time.monotonic()
        self.child.start()

    def overdue(self, timeout: float) -> bool:
        return time.monotonic() - self.start > timeout

    def outcome(self) -> Outcome:
        """Wait for the child (or kill it, when overdue: a hang) and read what it wrote."""
        if self.child.is_alive():
            self.child.kill()
            self.child.join()
            code = None
        else:
            self.child.join()
            code = self.child.exitcode

        def text(path: str) -> str:
            try:
                return Path(path).read_text(errors="replace")
            except OSError:
                return ""

        try:
            runs = json.loads(text(f"{self.out}.codes") or "[]")
            variants = [(c, text(f"{self.out}.{n}")) for n, c in enumerate(runs)]
            sarif = variants.pop() + (text(f"{self.err}.{len(variants)}"),) if variants \
                else None
            return Outcome(code, text(f"{self.out}.0"), text(f"{self.err}.0"),
                           time.monotonic() - self.start, variants, sarif)
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


def run(directory: Path, argv: list[str] | None = None, timeout: float = TIMEOUT) -> Outcome:
    running = Running(directory, argv)
    running.child.join(timeout)
    return running.outcome()


def good_findings(work: Path) -> set[tuple]:
    """The findings of the good module alone."""
    directory = work / "alone"
    (directory / "good").mkdir(parents=True)
    shutil.copy(GOOD, directory / "good" / "main.tf")
    outcome = run(directory)
    assert outcome.code == 1, outcome.stderr
    return {_key(f) for f in json.loads(outcome.stdout)["findings"]}


def _key(f: dict) -> tuple:
    return (f["code"], f["file"], f["line"], f["column"], f["message"])


def place(case: Case, directory: Path) -> None:
    """good/ and bad/ in `directory`, with the case's input in bad/."""
    (directory / "good").mkdir(parents=True)
    shutil.copy(GOOD, directory / "good" / "main.tf")
    bad = directory / "bad"
    bad.mkdir()
    if case.make is not None:
        case.make(bad)
    if case.data is not None:
        (bad / case.name).write_bytes(case.data)


@dataclass
class Verdict:
    broken: list[str] = field(default_factory=list)  # promises not kept
    internal: list[str] = field(default_factory=list)  # contained internal errors
    code: int | None = None
    ecs001: int = 0


def judge(outcome: Outcome, good: set[tuple]) -> Verdict:
    v = Verdict(code=outcome.code)
    if outcome.code is None:
        v.broken.append(f"hung: killed after {outcome.seconds:.0f} s")
        return v
    if "Traceback" in outcome.stdout + outcome.stderr:
        v.broken.append("traceback: " + outcome.stderr.strip().splitlines()[-1][:200])
    if outcome.code not in (0, 1, 2):
        v.broken.append(f"exit code {outcome.code}")
    try:
        doc = json.loads(outcome.stdout)
        findings = doc["findings"]
    except (ValueError, KeyError, TypeError):
        v.broken.append("stdout is not the JSON document")
        return v
    v.ecs001 = sum(1 for f in findings if f["code"] == "ECS001")
    if v.ecs001 and outcome.code != 2:
        v.broken.append(f"ECS001 reported with exit code {outcome.code}")
    missing = good - {_key(f) for f in findings}
    if missing:
        v.broken.append(f"{len(missing)} findings of the good module lost")
    messages = [f["message"] for f in findings] + doc.get("errors", [])
    v.internal = [m for m in messages if "internal error" in m]
    if outcome.sarif is not None:
        code, out, err = outcome.sarif
        try:
            results = json.loads(out)["runs"][0]["results"]
            if "Traceback" in err or (code, len(results)) != (outcome.code, len(findings)):
                v.broken.append(f"SARIF: exit {code}, {len(results)} results")
        except (ValueError, KeyError, IndexError, TypeError):
            v.broken.append("SARIF: not a document: " + err.strip()[-200:])
    # A run that met a time or memory limit may end differently the next time (and is
    # never replayed): only the others must agree.
    timed = any(m in out for _c, out in outcome.variants
                for m in ("ECSLINT_ROOT_TIMEOUT", "ECSLINT_ROOT_MEMORY", "ran out of memory"))
    if not timed and len({(c, out) for c, out in outcome.variants}) > 1:
        v.broken.append("the cached runs differ: " + ", ".join(
            f"exit {c}" for c, _out in outcome.variants))
    return v


def fuzz(cases: list[Case], jobs: int = 1, work: Path | None = None,
         timeout: float = TIMEOUT, cached: bool = False) -> list[tuple[Case, Verdict, float]]:
    """Run every case, `jobs` children at a time; (case, verdict, seconds) each, in order.
    With `cached`, each case runs with the caches, three times (cold, replayed, parse cache
    only), and the three must agree. Children are forked from this thread alone (never
    from a thread pool: a fork while another thread holds a lock can deadlock the child)."""
    from multiprocessing.connection import wait

    import ecslint.check  # noqa: F401 - imported once, inherited by every child
    import ecslint.cli  # noqa: F401

    own = work is None
    work = Path(tempfile.mkdtemp(prefix="ecslint-fuzz-")) if own else work
    try:
        good = good_findings(work)
        results: list = [None] * len(cases)
        todo = list(enumerate(cases))
        running: dict[int, tuple[Running, Path]] = {}
        while todo or running:
            while todo and len(running) < jobs:
                i, case = todo.pop(0)
                directory = Path(tempfile.mkdtemp(dir=work))
                place(case, directory)
                running[i] = (Running(directory, case.argv(), cached), directory)
            wait([r.child.sentinel for r, _d in running.values()], timeout=0.5)
            for i, (r, directory) in list(running.items()):
                if r.child.is_alive() and not r.overdue(timeout):
                    continue
                outcome = r.outcome()
                results[i] = (cases[i], judge(outcome, good), outcome.seconds)
                shutil.rmtree(directory, ignore_errors=True)
                del running[i]
        return results
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="random mutants (default 2000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-hostile", action="store_true", help="mutants only")
    parser.add_argument("--cached", action="store_true",
                        help="run each input three times with the caches (cold, replayed, "
                             "parse cache only): the runs must agree")
    parser.add_argument("--save", help="directory to save failing inputs in")
    args = parser.parse_args()
    cases = ([] if args.no_hostile else hostile()) + list(mutants(args.seed, args.count))
    start = time.monotonic()
    results = fuzz(cases, args.jobs, cached=args.cached)
    elapsed = time.monotonic() - start
    codes = Counter(v.code for _c, v, _s in results)
    broken = [(c, v) for c, v, _s in results if v.broken]
    internal = Counter(m.split(" (a bug in")[0].split("internal error: ")[-1][:120]
                       for _c, v, _s in results for m in v.internal)
    slowest = max(results, key=lambda r: r[2])
    print(f"{len(results)} inputs in {elapsed:.0f} s ({len(results) / elapsed:.1f}/s), "
          f"seed {args.seed}; exit codes {dict(sorted(codes.items(), key=str))}; "
          f"{sum(1 for _c, v, _s in results if v.ecs001)} with ECS001; slowest "
          f"{slowest[2]:.1f} s ({slowest[0].what})")
    print(f"promises broken: {len(broken)}")
    for case, v in broken:
        print(f"  {case.what}: {'; '.join(v.broken)}")
    print(f"internal errors contained as ECS001: {sum(internal.values())} "
          f"({len(internal)} distinct)")
    for message, n in internal.most_common():
        print(f"  {n:4d}  {message}")
    if args.save and broken:
        out = Path(args.save)
        out.mkdir(parents=True, exist_ok=True)
        for i, (case, _v) in enumerate(broken):
            if case.data is not None:
                (out / f"{i:04d}-{case.name}").write_bytes(case.data)
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
