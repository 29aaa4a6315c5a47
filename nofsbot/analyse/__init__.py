"""The analyse stage: sites, scopes and call graph over a set of kernel paths.

`analyse(tree, paths, cfg, opts)` reads the subsystem directories of PATHS
(plus the include/ headers they include), extracts per-file facts in
parallel (cached by content), runs the whole-program scope analysis, and
returns every NOFS site under PATHS placed in its scope context, plus the
accounting of every grep hit that is not a site.
"""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
import re
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from nofsbot import discover
from nofsbot.analyse import evidence, hazards, reclaim
from nofsbot.analyse.facts import FileFacts
from nofsbot.analyse.program import OUT, Fn, Program, Roots
from nofsbot.cache import Store, key
from nofsbot.config import Config
from nofsbot.model import Boundary, Context, Evidence, FileProblem, Hazard, Occurrence, Site
from nofsbot.runner import Progress, map_items
from nofsbot.tools import git, grep

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Options:
    jobs: int = 1
    cache: bool = True
    cache_dir: Path | None = None
    progress: bool | None = None
    hazards: bool = False


@dataclass(frozen=True)
class Reclaim:
    """What reclaim can do to a site: the locks it shares with the site."""

    shared: tuple[str, ...] = ()  # reclaim-shared lock classes possibly held here
    unresolved: tuple[str, ...] = ()  # held locks of unknown type that may be shared
    on_reclaim_path: str | None = None  # how reclaim itself reaches this function
    boundary: Boundary | None = None  # where a scope would cover the critical section
    evidence: tuple[Evidence, ...] = ()
    unproven: str = ""  # why no boundary could be proposed although a shared lock is held


@dataclass(frozen=True)
class Placed:
    """A site placed in its scope context, with the evidence for it."""

    site: Site
    context: Context
    evidence: tuple[Evidence, ...]
    signal: str | None  # why the mask is read as a signal, if it is
    reclaim: Reclaim = Reclaim()
    mapping: str | None = None  # for mapping masks: the choke point, or why there is none


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


def _outside_headers(tree: Path, roots: list[tuple[str, bool]]) -> tuple[list[str], list[str], str]:
    """Where to look for declarations of the analysed code's global functions.

    Kernel style declares a function used across directories in a header
    (checkpatch warns about externs in .c files), so a global function is
    callable from outside the analysed code if a header outside it names it:
    include/, arch/*/include/, and the headers of the parent directories
    (fs/*.h for fs/xfs). Returns the directories, the loose headers, and a
    stamp (sizes and mtimes) that changes when any of them changes.
    """
    arch = (p.relative_to(tree).as_posix() for p in tree.glob("arch/*/include") if p.is_dir())
    targets = ["include", *sorted(arch)]
    parents: set[str] = set()
    for root, _ in roots:
        parts = root.split("/")
        for i in range(1, len(parts)):
            parents.add("/".join(parts[:i]))
    loose = sorted(p.relative_to(tree).as_posix() for d in parents for p in (tree / d).glob("*.h"))
    stamp = hashlib.blake2b(digest_size=16)
    for t in targets:
        for dirpath, _, filenames in os.walk(tree / t):
            for fname in sorted(filenames):
                if fname.endswith(".h"):
                    st = os.stat(os.path.join(dirpath, fname))
                    stamp.update(f"{dirpath}/{fname}:{st.st_size}:{st.st_mtime_ns}".encode())
    for p in loose:
        st = os.stat(tree / p)
        stamp.update(f"{p}:{st.st_size}:{st.st_mtime_ns}".encode())
    return targets, loose, stamp.hexdigest()


def _external(
    tree: Path,
    facts: list[FileFacts],
    roots: list[tuple[str, bool]],
    outside: tuple[list[str], list[str], str],
    store: Store,
) -> dict[str, str]:
    """Global functions of the analysed .c files that a header outside mentions."""
    names = sorted(
        {
            fn.name
            for f in facts
            if f.path.endswith(".c")
            for fn in f.functions
            if fn.name and not fn.static
        }
    )
    if not names:
        return {}
    targets, loose, stamp = outside
    inside = tuple(r for r, _ in roots)
    k = key("external", "\n".join(names), "\n".join(inside), stamp)
    hit = store.get(k)
    if isinstance(hit, dict):
        return hit
    with tempfile.NamedTemporaryFile("w", suffix=".names") as tf:
        tf.write("\n".join(names) + "\n")
        tf.flush()
        found = grep.words_in_files(tree, Path(tf.name), targets + loose, "*.h")
    external: dict[str, str] = {}
    for path in sorted(found):
        if all(inside) and discover.in_paths(path, inside):
            continue
        for word in found[path]:
            external.setdefault(word, path)
    store.put(k, external)
    return external


_INCLUDE_RE = re.compile(rb"^[ \t]*#[ \t]*include[ \t]*<([^>]+)>", re.M)


def _in_unit(path: str, unit: tuple[str, bool]) -> bool:
    root, recursive = unit
    if recursive:
        return discover.in_paths(path, (root,))
    return posixpath.dirname(path) == root


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
    roots = [u for u in units if any(_in_unit(h, u) for h in hits)]
    files = discover.source_files(tree, roots)
    contents = {p: contents[p] for p in files}
    store = Store(opts.cache_dir, enabled=opts.cache)

    # the include/ headers these files include (one level)
    incs = {m.decode() for p in files for m in _INCLUDE_RE.findall(contents[p])}
    headers = sorted(
        {f"include/{i}" for i in incs if (tree / "include" / i).is_file()} - set(files)
    )
    contents.update({h: (tree / h).read_bytes() for h in headers})
    outside = _outside_headers(tree, roots)
    whole = key(
        "analysis",
        cfg.digest,
        "\n".join(rel),
        outside[2],
        *(key(p, contents[p]) for p in files + headers),
    )
    clock.lap("read files")
    hit = store.get(whole)
    if isinstance(hit, Analysis):
        log.debug("whole-analysis cache hit")
        return hit

    facts, problems = _extract(tree, files + headers, contents, cfg, opts, store)
    clock.lap(f"facts of {len(facts)} files")
    # the grep for outside callers runs while the scope walks, which need
    # no outside knowledge, do
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(_external, tree, facts, roots, outside, store)
        prog = Program(facts, cfg)
        clock.lap("call graph")
        prog.walk_all()
        clock.lap("scope walks")
        prog.roots = Roots(pending.result())
        clock.lap("outside callers (grep)")
    prog.contexts()
    clock.lap("entry contexts")
    model = reclaim.build(prog)
    clock.lap("reclaim entries and locks")
    found = (
        tuple(h for h in hazards.find(prog, model) if discover.in_paths(h.path, rel))
        if opts.hazards
        else ()
    )
    clock.lap("hazards")

    choke = _pagecache_index(prog)
    placed: list[Placed] = []
    nfunctions = 0
    for f in sorted(facts, key=lambda f: f.path):
        nfunctions += len(f.functions)
        if not discover.in_paths(f.path, rel):
            continue
        problems += list(f.problems)
        for si, (site, fi) in enumerate(zip(f.sites, f.site_funcs, strict=True)):
            fn = prog.function_at(f.path, site.function, site.line) if fi >= 0 else None
            states = fn.state_at(-1 - si) if fn is not None else frozenset({0})
            ctx, ev = evidence.for_site(prog, fn, states, site.line)
            signal = None
            if site.callee and site.arg_index is not None:
                signal = prog.tests_gfp(f.path, site.callee, site.arg_index)
            for use in site.uses:
                signal = signal or next(
                    (s for i in range(6) if (s := prog.tests_gfp(f.path, use, i))), None
                )
            rec = _reclaim(prog, model, fn, -1 - si, site.line) if fn is not None else Reclaim()
            unit = next((u for u in roots if _in_unit(f.path, u)), ("", True))
            mapping = next(
                (
                    _choke_point([c for c in choke if _in_unit(c[0], unit)], expr, keys)
                    for i, expr, keys in f.mappings
                    if i == si
                ),
                None,
            )
            placed.append(Placed(site, ctx, tuple(ev), signal, rec, mapping))

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
        hazards=found,
    )
    store.put(whole, result)
    clock.lap("result cached")
    return result


def _pagecache_index(prog: Program) -> list[tuple[str, str, int, str]]:
    """Every page-cache allocation call: (path, function, line, mapping)."""
    return sorted(
        (fn.path, fn.name, fn.facts.calls[ci][1], mapping)
        for fn in prog.fns
        for ci, mapping in fn.facts.pagecache
    )


def _choke_point(index: list[tuple[str, str, int, str]], expr: str, keys: tuple[str, ...]) -> str:
    """Whether a mapping-wide mask on EXPR can become a scope at one choke point.

    KEYS name the mapping's owner: the struct fields its inode is stored in
    first (sbi->direct_inode), else the inode variable itself. The page-cache
    allocations on it in the analysed code decide: exactly one function is a
    choke point; none means the generic paths outside allocate it (every data
    mapping of the filesystem); several mean the mask cannot be localised.
    """
    words = [k for k in keys if k]
    hits = [
        (p, f, line)
        for p, f, line, m in index
        if any(re.search(rf"\b{re.escape(k)}\b", m) for k in words)
    ]
    fns = sorted({(p, f) for p, f, _ in hits})
    if len(fns) == 1:
        p, f = fns[0]
        lines = ", ".join(str(line) for q, g, line in hits if (q, g) == (p, f))
        return f"localisable: {f}() ({p}, line {lines}) is the only page-cache allocation on it"
    if not fns:
        return (
            f"cannot be localised: no page-cache allocation on {expr} in the analysed code "
            "(the generic read/write paths allocate it)"
        )
    where = ", ".join(f"{f}()" for _, f in fns[:4]) + (" ..." if len(fns) > 4 else "")
    return f"cannot be localised: {len(fns)} functions allocate page cache on it ({where})"


def _reclaim(prog: Program, model: reclaim.Model, fn: Fn, event: int, line: int) -> Reclaim:
    held = model.held(fn.id, event)
    shared = tuple(sorted(c for c in held if c in model.shared))
    fields = {c.rsplit(".", 1)[-1] for c in model.shared}
    unresolved = tuple(
        sorted(c for c in held if c.startswith("?") and c.rsplit(".", 1)[-1] in fields)
    )
    on_path = None
    if fn.id in model.reach:
        entry = prog.fns[model.reach[fn.id][0]]
        on_path = f"reached by reclaim from {entry.name}()"
    boundary = None
    unproven = ""
    ev: list[Evidence] = []
    for cls in shared:
        acq = reclaim.acquire_site(prog, model, fn.id, event, line, cls)
        if acq is None:
            continue
        owner, ci, aline = acq
        ev.append(Evidence(owner.path, aline, owner.name, f"takes {cls}, which reclaim also takes"))
        ev += reclaim.reclaim_path(prog, model, cls)
        if boundary is not None:
            continue
        exits = reclaim.exits(model, owner, aline, cls)
        if OUT not in prog.elems(owner, owner.state_at(ci)):
            unproven = (
                f"{owner.name}() takes {cls} at line {aline}, but no known path "
                "reaches it outside a scope (its callers cannot all be seen)"
            )
        elif not exits:
            unproven = f"{cls} taken by {owner.name}() is released in another function"
        else:
            boundary = Boundary(owner.path, owner.name, aline, cls, exits)
    return Reclaim(shared, unresolved, on_path, boundary, tuple(ev), unproven)


def _account(
    tree: Path, rel: tuple[str, ...], facts: list[FileFacts], placed: list[Placed]
) -> tuple[tuple[Occurrence, ...], tuple[Occurrence, ...]]:
    """Match every `git grep -w GFP_NOFS/KM_NOFS` hit to a site or a reason."""
    hits = git.grep_words(tree, ["GFP_NOFS", "KM_NOFS"], list(rel) or ["."])
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
