"""The analyse stage: sites, scopes and call graph over a set of kernel paths.

`analyse(tree, paths, cfg, opts)` reads the subsystem directories of PATHS
(plus the include/ headers they include), extracts per-file facts in
parallel (cached by content), runs the whole-program scope analysis, and
returns every NOFS site under PATHS placed in its scope context, plus the
accounting of every grep hit that is not a site. Each subsystem is analysed
on its own (unit.py); outside.py finds the callers outside it.
"""

from __future__ import annotations

import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nofsbot.tools.git as gitcli
from nofsbot import discover
from nofsbot.analyse import outside
from nofsbot.analyse.facts import FileFacts
from nofsbot.analyse.placed import Placed, Reclaim
from nofsbot.analyse.unit import analyse_unit, prepare_unit
from nofsbot.cache import Store, key
from nofsbot.config import Config
from nofsbot.model import FileProblem, FunctionSpan, Hazard, Occurrence
from nofsbot.runner import Progress, map_items

__all__ = ["Analysis", "Options", "Placed", "Reclaim", "analyse", "functions"]

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


# -- per-file extraction, in worker processes ------------------------------

_WORKER: dict[str, object] = {}


def _init_worker(cfg: Config, tree: str, store: Store) -> None:
    from nofsbot.analyse.extract import Extractor

    _WORKER["extractor"] = Extractor(cfg)
    _WORKER["tree"] = tree
    _WORKER["store"] = store
    _WORKER["digest"] = cfg.digest


def _extract_chunk(items: list[str]) -> list[FileFacts | FileProblem]:
    """Extract the facts of ITEMS and cache them (the worker writes its own entries)."""
    from nofsbot.analyse.extract import Extractor

    ex = _WORKER["extractor"]
    store = _WORKER["store"]
    assert isinstance(ex, Extractor) and isinstance(store, Store)
    tree = Path(str(_WORKER["tree"]))
    out: list[FileFacts | FileProblem] = []
    for path in items:
        try:
            src = (tree / path).read_bytes()
            facts = ex.extract(path, src)
        except Exception as e:  # one bad file never stops the batch
            log.debug("extracting %s failed", path, exc_info=True)
            out.append(FileProblem(path, 0, f"could not analyse: {type(e).__name__}: {e}"))
            continue
        store.put(_file_key(str(_WORKER["digest"]), path, src), facts)
        out.append(facts)
    return out


def _file_key(digest: str, path: str, content: bytes) -> str:
    return key("facts", digest, path, content)


def _extract(
    tree: Path,
    want: list[str],
    contents: dict[str, bytes],
    cfg: Config,
    opts: Options,
    store: Store,
) -> tuple[list[FileFacts], list[FileProblem]]:
    facts: list[FileFacts] = []
    problems: list[FileProblem] = []
    todo: list[str] = []
    for path in sorted(want):
        hit = store.get(_file_key(cfg.digest, path, contents[path]))
        if isinstance(hit, FileFacts):
            facts.append(hit)
        else:
            todo.append(path)
    if todo:
        bar = Progress("analysing", len(todo), enabled=opts.progress)
        results = map_items(
            _extract_chunk,
            todo,
            jobs=opts.jobs,
            initializer=_init_worker,
            initargs=(cfg, str(tree), store),
            progress=bar,
        )
        bar.close()
        for r in results:
            if isinstance(r, FileFacts):
                facts.append(r)
            else:
                problems.append(r)
    return facts, problems


# -- outside knowledge -------------------------------------------------------


_INCLUDE_RE = re.compile(rb"^[ \t]*#[ \t]*include[ \t]*<([^>]+)>", re.M)


class _Clock:
    """Phase timings, logged at debug level (nofsbot -vv)."""

    def __init__(self) -> None:
        self.last = time.monotonic()

    def lap(self, what: str) -> None:
        now = time.monotonic()
        log.debug("%-28s %6.2fs", what, now - self.last)
        self.last = now


def analyse(tree: Path, paths: list[str], cfg: Config, opts: Options) -> Analysis:
    clock = _Clock()
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
    roots = [u for u in units if opts.every_unit or any(outside.in_unit(h, u) for h in hits)]
    files = sorted(p for p in contents if any(outside.in_unit(p, u) for u in roots))
    contents = {p: contents[p] for p in files}
    store = Store(opts.cache_dir, enabled=opts.cache)

    # the include/ headers these files include (one level)
    incs = {m.decode() for p in files for m in _INCLUDE_RE.findall(contents[p])}
    headers = sorted(
        {f"include/{i}" for i in incs if (tree / "include" / i).is_file()} - set(files)
    )
    contents.update({h: (tree / h).read_bytes() for h in headers})
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

    facts, problems = _extract(tree, files + headers, contents, cfg, opts, store)
    clock.lap(f"facts of {len(facts)} files")
    by_path = {f.path: f for f in facts}
    programs = []
    # the grep for outside callers (a subprocess) runs while the call graphs
    # are built and walked, which need no outside knowledge
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(outside.mentions, tree, facts, where, store)
        for unit in roots:
            mine = [f for f in facts if outside.in_unit(f.path, unit)]
            # the include/ headers this subsystem's own files include
            used = sorted({f"include/{i}" for f in mine for i in f.includes} & set(by_path))
            programs.append((unit, prepare_unit(mine + [by_path[h] for h in used], cfg)))
        clock.lap("call graphs and scope walks")
        mentioned = pending.result()
    clock.lap("outside callers (grep)")
    placed: list[Placed] = []
    found: list[Hazard] = []
    nfunctions = 0
    for unit, prog in programs:
        r = analyse_unit(
            prog,
            outside.external_to(unit, mentioned),
            rel,
            with_hazards=opts.hazards,
            gated=opts.gated,
        )
        placed += r.placed
        found += r.hazards
        problems += r.problems
        nfunctions += r.functions
    clock.lap("sites and evidence")
    accounted, unaccounted = _account(tree, rel, facts, placed)
    clock.lap("grep accounting")
    result = Analysis(
        tree=str(tree),
        paths=rel,
        placed=tuple(sorted(placed, key=lambda p: p.site.key)),
        accounted=accounted,
        unaccounted=unaccounted,
        problems=tuple(sorted(set(problems), key=lambda p: (p.path, p.line, p.message))),
        files_analysed=len(facts),
        functions=nfunctions,
        hazards=tuple(sorted(set(found), key=lambda h: (h.path, h.line, h.kind, h.message))),
    )
    store.put(whole, result)
    clock.lap("result cached")
    return result


def functions(tree: Path, path: str, cfg: Config, opts: Options) -> tuple[FunctionSpan, ...]:
    """The functions defined in PATH (relative to TREE), from its cached facts."""
    from nofsbot.analyse.extract import Extractor

    src = (tree / path).read_bytes()
    store = Store(opts.cache_dir, enabled=opts.cache)
    k = _file_key(cfg.digest, path, src)
    facts = store.get(k)
    if not isinstance(facts, FileFacts):
        facts = Extractor(cfg).extract(path, src)
        store.put(k, facts)
    return tuple(
        sorted(FunctionSpan(path, f.line, f.end_line, f.name) for f in facts.functions if f.name)
    )


def _account(
    tree: Path, rel: tuple[str, ...], facts: list[FileFacts], placed: list[Placed]
) -> tuple[tuple[Occurrence, ...], tuple[Occurrence, ...]]:
    """Match every `git grep -w GFP_NOFS/KM_NOFS` hit to a site or a reason."""
    hits = gitcli.grep_words(tree, ["GFP_NOFS", "KM_NOFS"], list(rel) or ["."])
    site_lines = {(p.site.path, p.site.line) for p in placed}
    occ: dict[tuple[str, int], Occurrence] = {}
    for f in facts:
        for o in f.occurrences:
            occ.setdefault((o.path, o.line), o)
    analysed = {f.path for f in facts}
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
