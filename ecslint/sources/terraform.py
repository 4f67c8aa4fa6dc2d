"""The Terraform loader: root module directories of `.tf`/`.tf.json` files -> resource
records (`load`), and the text pre-scan that tells which roots can hold ECS resources."""

from __future__ import annotations

import errno
import gc
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Collection

from ecslint.cache.fsio import FileSystem, Ops
from ecslint.cache.roots import RootCache
from ecslint.cache.store import cpus
from ecslint.limits import Budget, BudgetExceeded, Watchdog, problem_message, show_traceback
from ecslint.model import InputProblem, Location
from ecslint.sources.hcl.evaluate import Evaluator, where
from ecslint.sources.hcl.module import Loader, ModuleFiles, ModuleInstance, ResourceRecord
from ecslint.sources.hcl.parser import HclParser, ParseStats
from ecslint.sources.hcl.syntax import HclSyntaxError, parse_tf_json

# Below this many roots per worker, roots are read in-process: a worker costs ~20 ms.
PARALLEL_MIN_ROOTS = 8
# Roots per chunk of a worker at most (`_read_parallel`), and between collections of
# cycles in-process (`_read_roots`).
CHUNK_ROOTS = 24

# What `load` keeps of a root evaluated into records: the records themselves (the default,
# for `inspect`), or what a caller makes of them where the root was read (`check` runs the
# rules there), so that a run holds one root's records at a time, never the whole run's.
OnRoot = Callable[[str, list[ResourceRecord]], Any]


@dataclass
class TerraformResult:
    """What the loader read: records per root, problems, files and their texts."""

    # Root module directory -> its resource records (and those of the modules it calls),
    # or what `load`'s `on_root` made of them, in root order. Each root is its own
    # configuration: relations are resolved inside it.
    roots: dict[str, Any] = field(default_factory=dict)
    problems: list[InputProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every .tf file read (all modules)
    texts: dict[str, str] = field(default_factory=dict)  # path -> text, for suppressions
    # path -> {first line of a top-level block: its last line}, for suppressions
    block_ends: dict[str, dict[int, int]] = field(default_factory=dict)
    read_by_functions: set[str] = field(default_factory=set)  # file() / templatefile()

    @property
    def records(self) -> list[ResourceRecord]:
        """Every root's records, in root order (when `load` kept them)."""
        return [r for records in self.roots.values() for r in records]

    def add(self, other: TerraformResult, texts: dict[str, str]) -> None:
        """Another reader's result (a worker's, a retry's): its roots, and what it read
        that this one has not (the text of a new file from `texts`, else from other)."""
        self.roots.update(other.roots)
        known = self._index("_problems", self.problems)
        for problem in other.problems:
            if problem not in known:
                known.add(problem)
                self.problems.append(problem)
        seen = self._index("_files", self.files)
        for path in other.files:
            if path not in seen:
                seen.add(path)
                self.files.append(path)
                self.texts[path] = texts.get(path) or other.texts.get(path, "")
        self.block_ends.update(other.block_ends)
        self.read_by_functions.update(other.read_by_functions)

    def _index(self, name: str, items: list) -> set:
        """The set of `items` (a list that only grows), kept between calls so that merging
        many results (a root each) is linear, not quadratic."""
        count, index = self.__dict__.get(name, (0, set()))
        index.update(items[count:])
        self.__dict__[name] = (len(items), index)
        return index

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("_problems", "_files")}


def load(roots: list[str], parser: HclParser, fs: FileSystem, scan: PreScan,
         named: Collection[str] = (),
         progress: Callable[[int, int, str], None] | None = None,
         on_root: OnRoot | None = None, cache: RootCache | None = None) -> TerraformResult:
    """Evaluate root modules, skipping those that cannot hold a resource of `scan.types`.

    A root is skipped when no file of it or of the local modules it calls names one of the
    types (a text scan): its files are listed but not parsed, so an HCL syntax error in it
    is not reported unless one of its files was named. Named files are parsed whole, so
    that every error in them shows. The other roots are read in worker processes when there
    are many (`_read_parallel`), else here. `progress(done, total, root)` is called as
    roots are done. `on_root(root, records)` is called where each root was evaluated (a
    worker process, or here) and its result is what `TerraformResult.roots` keeps; without
    it, the records are kept.

    With a root `cache` (and a recording `fs`, whose pre-scan observations are reused), a
    root whose every observation still holds is replayed from it, and each other root is
    read by a reader of its own and stored (`_Reader.read_one`).
    """
    named_dirs = {os.path.dirname(p) for p in named}
    plan = []
    for root in roots:
        reach = scan.reach(root)
        keep = bool(named_dirs.intersection(reach)) or any(scan.dirs[d].relevant
                                                           for d in reach)
        plan.append((root, reach, keep))
    reader = _Reader(parser, fs, frozenset(named), scan.texts(), on_root)
    kept = [root for root, _reach, keep in plan if keep]
    if cache is not None and fs.ops is not None:
        kept = _replay(reader, cache, plan, fs.ops)
    if _read_parallel(reader, kept, scan.types, progress) is None:
        _read_roots(reader, kept, scan.types, progress)
    parser.flush()
    result = reader.result
    order = {os.path.normpath(root): i for i, (root, _reach, _keep) in enumerate(plan)}
    result.roots = dict(sorted(result.roots.items(), key=lambda kv: order.get(kv[0], -1)))
    read_dirs = {os.path.dirname(p) for p in result.files}
    for _root, reach, keep in plan:
        if keep:
            continue
        for d in reach:
            if d not in read_dirs:
                read_dirs.add(d)
                result.files.extend(scan.dirs[d].texts)
                result.texts.update(scan.dirs[d].texts)
    return result


def _replay(reader: _Reader, cache: RootCache, plan: list, seen: Ops) -> list[str]:
    """Take from `cache` the roots whose observations all hold (and note them as this
    run's); the roots left to read, each with its cache key set on the reader."""
    now = dict(seen)  # the pre-scan's observations: not repeated
    todo = []
    for root, reach, keep in plan:
        if not keep:
            continue
        dirs = set(reach)
        key = cache.key(os.path.normpath(root),
                        [p for p in reader.named if os.path.dirname(p) in dirs])
        hit = cache.get(key, now, TerraformResult)
        if hit is None:
            reader.cache_keys[os.path.normpath(root)] = key
            todo.append(root)
            continue
        ops, res = hit
        reader.fs.merge(ops)
        reader.result.add(res, reader.texts)
    reader.cache = cache
    reader.seen = seen
    return todo


def _read_roots(reader: _Reader, roots: list[str], types: frozenset[str],
                progress: Callable[[int, int, str], None] | None = None) -> None:
    """Evaluate roots with one reader. What `on_root` did not keep of a root is garbage
    once it is done, much of it in cycles: with the collector paused for the run, they are
    collected every CHUNK_ROOTS roots, so that memory is bounded by what the reader keeps
    (the parsed modules) and a few roots, not by the run."""
    for done, root in enumerate(roots, 1):
        reader.read_one(root, types)
        if progress is not None:
            progress(done, len(roots), root)
        if done % CHUNK_ROOTS == 0:
            gc.collect(0)


def _problem(path: str, exc: Exception) -> InputProblem:
    if isinstance(exc, HclSyntaxError):
        return InputProblem(path, exc.message, exc.line, exc.column)
    if isinstance(exc, UnicodeDecodeError):
        data = exc.object[:exc.start]
        line = data.count(b"\n") + 1
        return InputProblem(path, f"file is not valid UTF-8 (byte {exc.start})", line,
                            exc.start - (data.rfind(b"\n") + 1) + 1)
    if isinstance(exc, OSError):
        return InputProblem(path, f"cannot read file: {exc.strerror or exc}")
    return InputProblem(path, f"cannot parse file: {exc}")


class _Reader:
    """Reads module directories once per run and evaluates root modules."""

    def __init__(self, parser: HclParser, fs: FileSystem, named: frozenset[str],
                 texts: dict[str, str], on_root: OnRoot | None = None) -> None:
        self.parser, self.fs, self.named, self.on_root = parser, fs, named, on_root
        self.modules: dict[str, ModuleFiles | None] = {}
        self.result = TerraformResult()
        self.loader = Loader(self.read_module, parser, fs)
        self.texts = texts  # read by the pre-scan, not parsed yet
        # The root cache, when on: the key of each root to store, and the run's pre-scan
        # observations (a root's own reader notes them for the texts it takes from `texts`).
        self.cache: RootCache | None = None
        self.cache_keys: dict[str, str] = {}
        self.seen: Ops = {}
        self.reported: set[str] = set()  # files read by functions whose failure is reported

    def read_module(self, directory: str) -> ModuleFiles | None:
        directory = os.path.normpath(directory)
        if directory in self.modules:
            return self.modules[directory]
        if not self.fs.isdir(directory):
            self.modules[directory] = None
            return None
        files = ModuleFiles(directory)
        for name in sorted(self.fs.listdir(directory, only="tf")):
            path = os.path.join(directory, name)
            if self.fs.isdir(path):
                continue
            if not self.fs.exists(path):  # a dangling symbolic link
                files.problems.append(InputProblem(path, "cannot read file: broken symbolic "
                                                         "link"))
                continue
            self.result.files.append(path)
            try:
                text = self.texts.get(path)
                if text is None:
                    text = self.fs.read_text(path)
                else:
                    self.fs.note(("read", path), self.seen)
                self.result.texts[path] = text
                body = files.bodies[path] = self.parser.parse_file(path, text,
                                                                   whole=path in self.named)
                self.result.block_ends[path] = {b.where.line: b.end_line for b in body.blocks
                                                if b.where.line}
            except (OSError, UnicodeDecodeError, HclSyntaxError) as exc:
                files.problems.append(_problem(path, exc))
        files.index()
        self.result.problems.extend(files.problems)
        self.modules[directory] = files
        return files

    def _tfvars(self, files: ModuleFiles) -> None:
        names = ["terraform.tfvars", "terraform.tfvars.json"]
        try:  # *.auto.tfvars[.json], as glob would list them (no leading dot)
            names += sorted(self.fs.listdir(files.dir, only="tfvars"))
        except OSError:
            pass
        for name in names:
            path = os.path.join(files.dir, name)
            if not self.fs.isfile(path):
                continue
            try:
                text = self.fs.read_text(path)
                body = (parse_tf_json(text, path) if name.endswith(".json")
                        else self.parser.parse_file(path, text, whole=True))
            except (OSError, UnicodeDecodeError, HclSyntaxError) as exc:
                self.result.problems.append(_problem(path, exc))
                continue
            files.tfvars.update(body.attributes)

    def child(self, parser: HclParser | None = None, fs: FileSystem | None = None) -> _Reader:
        """A fresh reader of the same run (another parser, file system), sharing nothing
        read so far but the pre-scan."""
        other = _Reader(parser or self.parser, fs or self.fs, self.named, self.texts,
                        self.on_root)
        other.cache, other.cache_keys, other.seen = self.cache, self.cache_keys, self.seen
        return other

    def read_one(self, directory: str, types: frozenset[str]) -> None:
        """`read_root`; with the root cache on, by a reader and a recording file system of
        its own, so that what is stored for the root is all that decided it."""
        key = self.cache_keys.get(os.path.normpath(directory))
        if self.cache is None or key is None:
            self.read_root(directory, types)
            return
        one = self.child(fs=FileSystem(recording=True, limits=self.fs.limits))
        one.read_root(directory, types)
        ops = one.fs.observations()
        self.fs.merge(ops)
        self.fs.failed.update(one.fs.failed)
        res = one.result
        slim = TerraformResult(res.roots, res.problems, res.files,
                               {p: t for p, t in res.texts.items() if p not in self.texts},
                               res.block_ends, res.read_by_functions)
        self.cache.put(key, ops, slim)
        self.result.add(res, self.texts)

    def read_root(self, directory: str, types: frozenset[str], retry: bool = True) -> bool:
        """Evaluate one root module into the result. Whatever goes wrong inside it (a bug
        of ours, a budget crossed, a recursion too deep) becomes one ECS001 for this root,
        its partial records are dropped, and the other roots go on. A root that fails on
        bodies from the parse cache is read once more without it (`retry`), so that a
        damaged entry is rewritten rather than failing every later run. False when the
        root could not be evaluated."""
        budget = self.loader.budget = Budget(self.fs.limits)
        records: list[ResourceRecord] | None = None
        failure: BaseException | None = None
        try:
            with Watchdog(self.fs.limits).guard("this module"):
                files = self.read_module(directory)
                if files is not None:
                    self._tfvars(files)
                    root = ModuleInstance(self.loader, files, "", files.dir)
                    records = list(root.records(types))
        except (Exception, BudgetExceeded) as exc:  # noqa: BLE001 - contained, see above
            failure = exc
        if failure is not None and retry and not isinstance(
                failure, (BudgetExceeded, RecursionError, MemoryError)):
            fresh = self.parser.fresh()
            if fresh is not None and self._retry(fresh, directory, types):
                self.loader.problems.clear()  # the first attempt's, superseded
                return True
        if failure is not None:
            show_traceback(failure)
            self.result.problems.append(self._failed(directory, failure))
            if isinstance(failure, (BudgetExceeded, MemoryError)):
                self.fs.volatile(directory)  # timing and memory may differ next time
        elif records is not None:
            root = os.path.normpath(directory)
            self.result.roots[root] = records if self.on_root is None else \
                self.on_root(root, records)
        self.result.read_by_functions.update(self.loader.texts)
        # Syntax errors of blocks parsed when first read (sources.hcl.lazy), modules that
        # could not be loaded, values past a budget, files that functions could not read.
        self.result.problems.extend(self.parser.errors())
        self.result.problems.extend(self.loader.problems)
        self.loader.problems.clear()
        self.result.problems.extend(budget.notes)
        self.result.problems.extend(self._unreadable_function_files())
        return failure is None

    def _retry(self, parser: HclParser, directory: str, types: frozenset[str]) -> bool:
        """Read a root again with a parser that re-parses instead of loading; True (and its
        result taken) when that works."""
        again = self.child(parser)
        if not again.read_root(directory, types, retry=False):
            return False
        parser.flush()  # the re-parsed bodies replace the damaged entries
        self.parser.errors()  # the first attempt's are superseded
        self.result.add(again.result, self.texts)
        return True

    def _failed(self, directory: str, exc: BaseException) -> InputProblem:
        """The ECS001 of a root that could not be evaluated: at the expression being
        evaluated when it failed if the traceback tells, else at the root's first file."""
        at = _evaluating(exc)
        if at is None:
            directory = os.path.normpath(directory)
            first = sorted(p for p in self.result.files if os.path.dirname(p) == directory)
            at = Location(first[0] if first else directory)
        return InputProblem(at.file, problem_message(exc, "this module"), at.line, at.column)

    def _unreadable_function_files(self) -> list[InputProblem]:
        """Files that file() / templatefile() read but could not (a FIFO, a device, over
        the size cap, no permission): ECS001, not a silently unknown value. A missing file
        is left to try() / fileexists() as Terraform leaves it."""
        out = []
        for path, text in self.loader.texts.items():
            failed = self.fs.failed.get(path) if text is None else None
            if failed is None or path in self.reported or failed[0] in (errno.ENOENT,
                                                                        errno.ENOTDIR):
                continue
            self.reported.add(path)
            out.append(InputProblem(path, "cannot read file (read by file() or "
                                          f"templatefile()): {failed[1]}"))
        return out


def _evaluating(exc: BaseException) -> Location | None:
    """Where the innermost expression being evaluated when `exc` was raised is, if any."""
    found = None
    tb = exc.__traceback__
    try:
        while tb is not None:
            frame_self = tb.tb_frame.f_locals.get("self")
            if isinstance(frame_self, Evaluator):
                node = tb.tb_frame.f_locals.get("node")
                loc = where(node, frame_self.file) if node is not None else None
                if loc is not None and loc.line:
                    found = loc
                elif found is None or found.file != frame_self.file:
                    found = Location(frame_self.file)
            tb = tb.tb_next
    except Exception:  # noqa: BLE001 - a damaged node: the root's first file will do
        return None
    return found


# ------------------------------------------------------------------ worker processes

@dataclass
class _Job:
    """What a forked worker inherits: the parent's reader and what to record."""

    reader: _Reader
    types: frozenset[str]


# Worker-process state: set by the pool's initializer in each worker, never in the parent.
_worker: _Job | None = None


def _start_worker(job: _Job) -> None:
    global _worker  # noqa: PLW0603 - the one place a worker keeps its job
    _worker = job
    gc.freeze()  # inherited objects: never scanned, so their pages stay shared


def _read_parallel(reader: _Reader, roots: list[str], types: frozenset[str],
                   progress: Callable[[int, int, str], None] | None = None
                   ) -> bool | None:
    """Evaluate roots in worker processes (forked: they inherit the parser, the pre-scan
    texts and the reader). Each worker parses and evaluates whole roots, so parsing and
    evaluation both use every core; results come back in root order, as if read here.
    Returns True, or None when there are too few roots, one core, or no fork: read them
    in-process.

    A chunk whose worker died (killed: out of memory) or hung past its time is not lost
    with the others: its roots are read again one per process (`_isolated`), and only a
    root that kills its own process is reported, as ECS001."""
    workers = min(cpus(), len(roots) // PARALLEL_MIN_ROOTS)
    if workers < 2 or sys.platform == "win32":
        return None
    import concurrent.futures
    import multiprocessing

    try:
        context = multiprocessing.get_context("fork")
    except ValueError:
        return None
    reader.parser.prepare()  # loaded once, before the workers fork
    # Contiguous chunks keep the results in root order. At least six per worker balance
    # the load; at most CHUNK_ROOTS roots each bound a worker's memory, as a chunk's reader
    # and its state are dropped when it is done (measured at 8,000 files: 6 chunks per
    # worker peaked at 53 MB private per worker, chunks of 24 roots at 30 MB).
    n = min(len(roots), max(workers * 6, -(-len(roots) // CHUNK_ROOTS)))
    chunks = [roots[len(roots) * i // n:len(roots) * (i + 1) // n] for i in range(n)]
    results: list = [None] * n
    try:
        with concurrent.futures.ProcessPoolExecutor(
                workers, mp_context=context, initializer=_start_worker,
                initargs=(_Job(reader, types),)) as pool:
            futures = [pool.submit(_read_chunk, chunk) for chunk in chunks]
            done = 0
            for i, future in enumerate(futures):
                try:
                    results[i] = future.result(timeout=len(chunks[i]) * _allowance(reader))
                    done += len(chunks[i])
                    if progress is not None:
                        progress(done, len(roots), chunks[i][-1])
                except concurrent.futures.TimeoutError:
                    _stop_workers(pool)  # a worker stuck where the watchdog cannot reach
                except Exception:  # noqa: BLE001 - a worker died (BrokenExecutor), or its
                    pass  # result did not come back: its roots are read again below
    except OSError:
        return None  # no workers (fork failed): read in-process
    lost = [root for chunk, res in zip(chunks, results) if res is None for root in chunk]
    try:
        alone = dict(zip(lost, _isolated(reader, lost, types, workers, context)))
    except OSError:  # no more processes: read them here, contained as any root is
        alone = {root: _read_here(reader, root, types) for root in lost}
    if lost and progress is not None:
        progress(len(roots), len(roots), lost[-1])
    for chunk, res in zip(chunks, results):
        for one in [res] if res is not None else [alone[root] for root in chunk]:
            _merge(reader, one)
    return True


# Time a worker may take per root beyond the watchdog's own limit before it is stopped.
_GRACE = 30.0


def _allowance(reader: _Reader) -> float:
    return reader.fs.limits.root_seconds + _GRACE


def _stop_workers(pool) -> None:
    """Kill a process pool's workers (the executor has no public way): its futures fail."""
    for process in list(getattr(pool, "_processes", {}).values()):
        process.kill()


def _merge(reader: _Reader, one: tuple) -> None:
    res, texts, ops, stats = one
    reader.fs.merge(ops)
    reader.parser.stats.add(stats)
    reader.result.add(res, texts)


def _read_here(reader: _Reader, root: str, types: frozenset[str]) -> tuple:
    """One root read in this process, shaped as a worker's result."""
    again = reader.child()
    again.read_one(root, types)
    return again.result, {}, {}, ParseStats()


def _isolated(reader: _Reader, roots: list[str], types: frozenset[str], workers: int,
              context) -> list[tuple]:
    """Read each root in a process of its own, `workers` at a time, each stopped after its
    allowance: `_read_chunk`'s result per root, or an ECS001 for a root whose process
    died or had to be stopped."""
    import time
    from multiprocessing.connection import wait

    job, allowance = _Job(reader, types), _allowance(reader)
    done: dict[str, tuple] = {}
    running: dict = {}  # receiving end -> (root, process, start)
    todo = list(roots)
    while todo or running:
        while todo and len(running) < workers:
            root = todo.pop(0)
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_read_alone, args=(job, root, send), daemon=True)
            process.start()
            send.close()
            running[receive] = (root, process, time.monotonic())
        ready = wait(list(running), timeout=1.0)
        for receive in list(running):
            root, process, start = running[receive]
            stopped = time.monotonic() - start > allowance
            if receive not in ready and not stopped:
                continue
            if receive in ready:
                try:
                    done[root] = receive.recv()
                except Exception:  # noqa: BLE001 - EOF: the process died without a result
                    pass
            del running[receive]
            receive.close()
            process.kill()
            process.join()
            if root not in done:
                done[root] = _lost(reader, root, process.exitcode, stopped, allowance)
    return [done[root] for root in roots]


def _read_alone(job: _Job, root: str, send) -> None:
    """An isolated process: one root, its result sent back."""
    _start_worker(job)
    send.send(_read_chunk([root]))
    send.close()


def _lost(reader: _Reader, root: str, exitcode: int | None, stopped: bool,
          allowance: float) -> tuple:
    """The result of a root whose process was lost: its files, and one ECS001."""
    files = sorted(p for p in reader.texts if os.path.dirname(p) == root)
    if stopped:
        why = (f"evaluating this module did not finish within {allowance:g} s "
               "(ECSLINT_ROOT_TIMEOUT): its process was stopped")
    elif exitcode is not None and exitcode < 0:
        why = (f"the process evaluating this module was killed by signal {-exitcode}"
               + (" (as when the system runs out of memory)" if -exitcode == 9 else ""))
    else:
        why = f"the process evaluating this module ended with exit code {exitcode}"
    res = TerraformResult(problems=[InputProblem(files[0] if files else root,
                                                 f"{why}; it was not checked")],
                          files=files, texts={p: reader.texts[p] for p in files})
    # What the lost process read is unknown: this run's output must never be replayed.
    return res, {}, {("volatile", root): None}, ParseStats()


def _read_chunk(roots: list[str]) -> tuple[TerraformResult, dict[str, str], Ops, ParseStats]:
    """Worker: read some roots with a fresh reader. Returns the chunk's result, the texts
    the parent lacks, the file-system observations made for it and the parser's counters.

    Memory stays per chunk: the reader and its evaluation state are dropped after each
    one (the parse cache makes re-reading a shared module cheap), and the cyclic collector
    runs once after each chunk over that chunk's objects only (inherited ones are frozen)."""
    assert _worker is not None
    parent = _worker.reader
    parser = parent.parser
    fs = FileSystem(recording=parent.fs.recording, limits=parent.fs.limits)
    before = ParseStats(parser.stats.hits, parser.stats.misses)
    reader = parent.child(fs=fs)
    for root in roots:
        reader.read_one(root, _worker.types)
    parser.flush()
    res = reader.result
    stats = ParseStats(parser.stats.hits - before.hits, parser.stats.misses - before.misses)
    out = (res, {p: t for p, t in res.texts.items() if p not in parent.texts},
           fs.observations(), stats)
    del reader
    gc.collect()
    return out


# ------------------------------------------------------------------ the pre-scan

# A module block, and one whose source is its first attribute (as `terraform fmt` users
# write it); compiled by the first scan, not at import.
_MODULE = r'^[ \t]*module[ \t]+"[^"\n]*"[ \t]*\{'
# Each comment runs to its line's end: a comment that could also end earlier (`# # # #`)
# made the match exponential in the number of `#`.
_MODULE_SOURCE = _MODULE + r'\s*(?:(?:#|//)[^\n]*\n\s*)*source\s*=\s*"([^"\n]*)"'
# Any local source argument, wherever it stands in its block: the call graph. Leading
# blanks only ([ \t], not \s): from every line start \s* would rescan all blank lines below.
_LOCAL_SOURCE = r'^[ \t]*source[ \t]*=[ \t]*"(\.{1,2}/[^"\n]*)"'


@dataclass
class _DirScan:
    """The pre-scan of one module directory."""

    texts: dict[str, str] = field(default_factory=dict)  # path -> text of its .tf files
    relevant: bool = False  # names a type, or cannot be judged without parsing
    calls: list[str] = field(default_factory=list)  # local module directories called


class PreScan:
    """Cheap text scan of module directories: which could hold a resource of `types`."""

    def __init__(self, types: frozenset[str], fs: FileSystem) -> None:
        self.types, self.fs = types, fs
        # A shared literal prefix ("aws_") lets the regex engine skip ahead quickly.
        prefix = os.path.commonprefix(sorted(types))
        self.pattern = re.compile(re.escape(prefix) + "(?:" + "|".join(
            re.escape(t[len(prefix):]) for t in sorted(types)) + ")")
        self.modules = re.compile(_MODULE, re.M)
        self.sources = re.compile(_MODULE_SOURCE, re.M)
        self.local_sources = re.compile(_LOCAL_SOURCE, re.M)
        self.dirs: dict[str, _DirScan] = {}

    def texts(self) -> dict[str, str]:
        """Every file text read so far, by path."""
        return {p: t for d in self.dirs.values() for p, t in d.texts.items()}

    def reach(self, root: str) -> list[str]:
        """`root` and the local module directories it calls, transitively."""
        order, todo = [], [os.path.normpath(root)]
        while todo:
            d = todo.pop()
            if d in order:
                continue
            order.append(d)
            todo.extend(self.scan(d).calls)
        return order

    def scan(self, directory: str) -> _DirScan:
        if directory in self.dirs:
            return self.dirs[directory]
        out = self.dirs[directory] = _DirScan()
        try:
            self._scan(directory, out)
        except Exception as exc:  # noqa: BLE001
            # A bug of ours here must not end the run: the reader reads this directory,
            # and the evaluation of its root is contained as any other.
            show_traceback(exc)
            out.relevant = True
        return out

    def _scan(self, directory: str, out: _DirScan) -> None:
        try:
            names = sorted(self.fs.listdir(directory, only="tf"))
        except OSError:
            out.relevant = True  # the reader reports what is wrong
            return
        for name in names:
            path = os.path.join(directory, name)
            if self.fs.isdir(path):
                continue
            try:
                text = self.fs.read_text(path)
            except (OSError, UnicodeDecodeError):
                out.relevant = True  # reported by the reader as ECS001 (a FIFO included)
                continue
            out.texts[path] = text
            if self.pattern.search(text):
                out.relevant = True
            if name.endswith(".json"):
                out.relevant = out.relevant or '"module"' in text
                continue
            if "module" not in text:
                continue
            sources = self.sources.findall(text)
            if len(sources) < len(self.modules.findall(text)):
                out.relevant = True  # a module block we cannot follow by text
            for source in sources:
                if "${" in source or not source.startswith(("./", "../")):
                    # Interpolated, or registry / git (followed after `terraform init`).
                    out.relevant = True
            out.calls += [os.path.normpath(os.path.join(directory, source))
                          for source in self.local_sources.findall(text)]
