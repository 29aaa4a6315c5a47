"""The analyse stage: sites, scopes and call graph over a set of kernel paths.

`analyse(tree, paths, cfg, opts)` reads the subsystem directories of PATHS
(plus the include/ headers they include), extracts per-file facts in worker
processes (cached by content), runs the whole-program scope analysis of each
subsystem in a worker, and returns every NOFS site under PATHS placed in its
scope context, plus the accounting of every grep hit that is not a site.
Each subsystem is analysed on its own (unit.py); outside.py finds the
callers outside it; work.py is what the workers do.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing
import os
import re
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nofsbot.tools.git as gitcli
from nofsbot import discover
from nofsbot.analyse import outside, reclaim, work
from nofsbot.analyse.extract import Extractor
from nofsbot.analyse.placed import Placed, Reclaim
from nofsbot.analyse.preprocess import line_start_matches
from nofsbot.cache import Store, key
from nofsbot.config import Config
from nofsbot.model import FileProblem, FunctionSpan, Hazard, Occurrence
from nofsbot.runner import Progress, Workers

__all__ = ["Analysis", "Options", "Placed", "Plan", "Reclaim", "analyse", "functions", "plan"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Options:
    jobs: int = 1
    cache: bool = True
    cache_dir: Path | None = None
    progress: bool | None = None
    hazards: bool = False
    # analyse every subsystem of PATHS, also one whose files hold no NOFS token
    # (review: a series may add a GFP_KERNEL allocation or a scope anywhere)
    every_unit: bool = False
    # with hazards: also __GFP_FS allocations under locks only gated reclaim takes
    gated: bool = False
    # what the tree's content is known to be (a review worktree: its commit and
    # the series on it): the stamp of the headers searched for outside callers,
    # instead of their sizes and times, so a new checkout of the same content
    # still hits the cache
    stamp: str | None = None


@dataclass(frozen=True)
class Analysis:
    tree: str
    paths: tuple[str, ...]
    placed: tuple[Placed, ...]
    accounted: tuple[Occurrence, ...]
    unaccounted: tuple[Occurrence, ...]
    problems: tuple[FileProblem, ...]
    files_analysed: int
    functions: int
    hazards: tuple[Hazard, ...] = ()


# -- outside knowledge -------------------------------------------------------


_INCLUDE_RE = re.compile(rb"#[ \t]*include[ \t]*<([^>]+)>")


class _Clock:
    """Phase timings, logged at debug level (nofsbot -vv)."""

    def __init__(self) -> None:
        self.last = time.monotonic()

    def lap(self, what: str) -> None:
        now = time.monotonic()
        log.debug("%-28s %6.2fs", what, now - self.last)
        self.last = now


@dataclass(frozen=True)
class Plan:
    """What an analysis of PATHS reads."""

    tree: Path
    rel: tuple[str, ...]  # the scanned paths, relative to the tree
    roots: list[outside.Unit]  # the subsystems analysed
    members: dict[outside.Unit, tuple[str, ...]]  # the files of each, sorted
    files: list[str]  # all their files, sorted
    headers: list[str]  # the include/ headers those include (one level)
    contents: dict[str, bytes]  # of files and headers


def plan(tree: Path, paths: list[str], *, every_unit: bool) -> Plan:
    tree = discover.check_tree(tree)
    rel = tuple(sorted({discover.normalise(tree, p) for p in paths}))
    units = sorted({u for p in rel for u in discover.subsystems(tree, *discover.analysis_root(p))})
    contents = {p: (tree / p).read_bytes() for p in discover.source_files(tree, units)}
    # only the units where a scanned file holds a NOFS token can have sites
    hits = [
        p
        for p, src in contents.items()
        if discover.in_paths(p, rel) and any(t in src for t in (b"NOFS", b"__GFP_FS"))
    ]
    known = set(units)
    hit = {outside.unit_of(h, known) for h in hits}
    roots = [u for u in units if every_unit or u in hit]
    chosen = set(roots)
    by_unit: dict[outside.Unit | None, list[str]] = {}
    for p in contents:  # sorted
        by_unit.setdefault(outside.unit_of(p, chosen), []).append(p)
    members = {u: tuple(by_unit.get(u, ())) for u in roots}
    files = sorted(p for fs in members.values() for p in fs)
    contents = {p: contents[p] for p in files}
    incs = {
        m.group(1).decode() for p in files for _, m in line_start_matches(_INCLUDE_RE, contents[p])
    }
    headers = sorted(
        {f"include/{i}" for i in incs if (tree / "include" / i).is_file()} - set(files)
    )
    contents.update({h: (tree / h).read_bytes() for h in headers})
    return Plan(tree, rel, roots, members, files, headers, contents)


def analyse(tree: Path, paths: list[str], cfg: Config, opts: Options) -> Analysis:
    clock = _Clock()
    reads = plan(tree, paths, every_unit=opts.every_unit)
    tree, rel, roots = reads.tree, reads.rel, reads.roots
    files, headers, contents = reads.files, reads.headers, reads.contents
    store = Store(opts.cache_dir, enabled=opts.cache)
    where = outside.headers(tree, roots)
    if opts.stamp:
        where = (where[0], where[1], f"given:{opts.stamp}")
    whole = key(
        "analysis",
        cfg.digest,
        "\n".join(rel),
        where[2],
        str(opts.hazards),
        str(opts.gated),
        *(key(p, contents[p]) for p in files + headers),
    )
    clock.lap("read files")
    hit = store.get(whole)
    if isinstance(hit, Analysis):
        log.debug("whole-analysis cache hit")
        return hit

    with _scratch(store) as shared:
        outcomes, problems = _units(reads, cfg, opts, shared, where, clock)
    placed: list[Placed] = []
    found: list[Hazard] = []
    occurrences: list[Occurrence] = []
    analysed = set(files + headers) - {p.path for p in problems}
    nfunctions = 0
    for o in outcomes:
        assert o.result is not None
        occurrences += o.occurrences
        placed += o.result.placed
        found += o.result.hazards
        problems += o.result.problems
        nfunctions += o.result.functions
    clock.lap("sites and evidence")
    accounted, unaccounted = _account(tree, rel, analysed, occurrences, placed)
    clock.lap("grep accounting")
    result = Analysis(
        tree=str(tree),
        paths=rel,
        placed=tuple(sorted(placed, key=lambda p: p.site.key)),
        accounted=accounted,
        unaccounted=unaccounted,
        problems=tuple(sorted(set(problems), key=lambda p: (p.path, p.line, p.message))),
        files_analysed=len(analysed),
        functions=nfunctions,
        hazards=tuple(sorted(set(found), key=lambda h: (h.path, h.line, h.kind, h.message))),
    )
    store.put(whole, result)
    clock.lap("result cached")
    return result


@contextlib.contextmanager
def _scratch(store: Store) -> Iterator[Store]:
    """Where workers share facts during one run: the cache, or, when it is
    off, a temporary store that goes away afterwards."""
    if store.enabled:
        yield store
        return
    with tempfile.TemporaryDirectory(prefix="nofsbot-facts.") as tmp:
        yield Store(Path(tmp))


def _units(
    reads: Plan,
    cfg: Config,
    opts: Options,
    store: Store,
    where: tuple[list[str], list[str], str],
    clock: _Clock,
) -> tuple[list[work.UnitOutcome], list[FileProblem]]:
    """Extract the facts of every file, spread over the workers, while grep
    looks for outside callers; then analyse each unit in one worker, the
    largest first. Returns the units' outcomes and the files that could not
    be analysed."""
    tree, roots, files, headers = reads.tree, reads.roots, reads.files, reads.headers
    names = {f: outside.defined_names(reads.contents[f]) for f in files if f.endswith(".c")}
    members = reads.members
    size = {u: sum(len(reads.contents[f]) for f in fs) for u, fs in members.items()}
    parsing = Progress("parsing", len(files) + len(headers), enabled=opts.progress)
    analysing = Progress("analysing", len(roots), enabled=opts.progress, unit="subsystems")
    guessed = frozenset().union(*names.values())
    shared = work.Shared(
        cfg,
        str(tree),
        store,
        frozenset(files) | frozenset(headers),
        multiprocessing.get_context().Event(),
        outside.mentions_key(guessed, where),
        bool(guessed),
        os.getpid(),
    )

    def grep() -> None:
        try:
            outside.mentions(tree, guessed, where, store)  # the answer goes into the store
        finally:
            shared.grepped.set()

    tasks: dict[outside.Unit, work.UnitTask] = {}

    def task(
        u: outside.Unit,
        extra: dict[str, tuple[str, ...]] | None = None,
        grepped: frozenset[str] = frozenset(),
    ) -> work.UnitTask:
        unit_names = grepped.union(*(names.get(p, frozenset()) for p in members[u]))
        t = work.UnitTask(
            u, members[u], unit_names, extra or {}, reads.rel, opts.hazards, opts.gated
        )
        tasks[u] = t
        return t

    with Workers(opts.jobs, work.init, (shared,)) as pool, ThreadPoolExecutor(1) as thread:
        grepping = thread.submit(grep)
        extracted = pool.map(work.extract, headers + files, progress=parsing)
        parsing.close()
        clock.lap(f"facts of {len(headers) + len(files)} files")
        todo = sorted(roots, key=lambda u: (-size[u], u))
        try:
            outcomes = pool.map(
                work.analyse_units,
                [task(u) for u in todo],
                chunk=1,
                progress=analysing,
            )
        except work.NoMentions:
            grepping.result()  # raises what went wrong
            raise
        grepping.result()
        done = [o for o in outcomes if o.result is not None]
        again = [o for o in outcomes if o.result is None]
        if again:
            # definitions the column-0 guess missed: grep for them too, and
            # analyse those units again (their facts are in the store now)
            extra = frozenset().union(*(o.missing for o in again))
            log.debug("grep again for %d names: %s", len(extra), " ".join(sorted(extra)))
            found = outside.mentions(tree, extra, where, store)
            analysing.total += len(again)
            retried = pool.map(
                work.analyse_units,
                [task(o.unit, found, extra) for o in again],
                chunk=1,
                progress=analysing,
            )
            if any(o.result is None for o in retried):
                raise AssertionError("a unit still misses names after grepping for them")
            done += retried
        linked = _link(done)
        if linked:
            # the link step: analyse again the subsystems whose functions
            # another one's reclaim calls, with those calls as entry points
            analysing.total += len(linked)
            again_tasks = [dataclasses.replace(tasks[u], incoming=inc) for u, inc in linked]
            relinked = pool.map(work.analyse_units, again_tasks, chunk=1, progress=analysing)
            by_unit = {o.unit: o for o in relinked}
            done = [by_unit.get(o.unit, o) for o in done]
    analysing.close()
    clock.lap(f"facts and analysis of {len(roots)} units")
    return done, [p for p in extracted if p is not None]


def _link(
    done: list[work.UnitOutcome],
) -> list[tuple[outside.Unit, dict[str, reclaim.Incoming]]]:
    """Which units define functions that another unit's reclaim calls, and
    those calls (an ungated one before a gated one). One round: a library
    reached this way does not pass the reclaim path on to a third unit."""
    calls: dict[str, list[tuple[outside.Unit, reclaim.Incoming]]] = {}
    for o in sorted(done, key=lambda o: o.unit):
        assert o.result is not None
        for name, inc in sorted(o.result.outcalls.items()):
            calls.setdefault(name, []).append((o.unit, inc))
    out = []
    for o in sorted(done, key=lambda o: o.unit):
        assert o.result is not None
        incoming: dict[str, reclaim.Incoming] = {}
        for name in sorted(o.result.globals & set(calls)):
            others = [inc for u, inc in calls[name] if u != o.unit]
            if others:
                incoming[name] = min(others, key=lambda i: (i.gated, i.kswapd, i.path, i.line))
        if incoming:
            out.append((o.unit, incoming))
    return out


def functions(tree: Path, path: str, cfg: Config, opts: Options) -> tuple[FunctionSpan, ...]:
    """The functions defined in PATH (relative to TREE), from its cached facts."""
    src = (tree / path).read_bytes()
    store = Store(opts.cache_dir, enabled=opts.cache)
    facts = work.cached_facts(store, Extractor(cfg), path, src)
    return tuple(
        sorted(FunctionSpan(path, f.line, f.end_line, f.name) for f in facts.functions if f.name)
    )


def _account(
    tree: Path,
    rel: tuple[str, ...],
    analysed: set[str],
    occurrences: list[Occurrence],
    placed: list[Placed],
) -> tuple[tuple[Occurrence, ...], tuple[Occurrence, ...]]:
    """Match every `git grep -w GFP_NOFS/KM_NOFS` hit to a site or a reason."""
    hits = gitcli.grep_words(tree, ["GFP_NOFS", "KM_NOFS"], list(rel) or ["."])
    site_lines = {(p.site.path, p.site.line) for p in placed}
    occ: dict[tuple[str, int], Occurrence] = {}
    for o in occurrences:
        occ.setdefault((o.path, o.line), o)
    accounted: list[Occurrence] = []
    unaccounted: list[Occurrence] = []
    for h in hits:
        token = "KM_NOFS" if "KM_NOFS" in h.text else "GFP_NOFS"
        if (h.path, h.line) in site_lines:
            continue
        if (h.path, h.line) in occ:
            accounted.append(occ[(h.path, h.line)])
        elif h.path not in analysed and not h.path.endswith(discover.SOURCE_SUFFIXES):
            accounted.append(Occurrence(h.path, h.line, token, "not C source"))
        else:
            unaccounted.append(Occurrence(h.path, h.line, token, "unaccounted"))
    return tuple(accounted), tuple(unaccounted)
