"""Where reclaim re-enters the analysed code, and which locks it takes there.

1. Entry points: functions stored in reclaim-called ops fields (super
   operations, shrinkers, ->release_folio) or passed as list_lru isolate
   callbacks (config/reclaim.toml). Gated entries stop when __GFP_FS is clear
   (a NOFS scope protects against them); ungated ones do not.
2. Reclaim-shared locks: the sleeping locks (not trylocks) taken in any
   function reachable from an ungated entry, each with a witness path.
3. Held locks: a may-held walk over each function's skeleton, then across
   calls (a callee may run with every lock any caller holds at the call),
   except calls made inside a scope: what is held there cannot meet FS
   reclaim, so it does not decide how the callee's sites are converted.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from nofsbot.analyse import ir
from nofsbot.analyse.locks import ACQUIRE, PAGE_LOCK, RELEASE, TRYLOCK, resolve_class
from nofsbot.analyse.program import IN, Fn, Program
from nofsbot.config import ReclaimEntry
from nofsbot.model import Evidence

_DESIGNATOR = re.compile(r"^(\w+)\.(\w+)$")
_LAST_WORD = re.compile(r"(\w+)\W*$")


@dataclass(frozen=True)
class Entry:
    fn: int
    spec: ReclaimEntry
    gated: bool
    path: str  # where the function is registered
    line: int


@dataclass
class Model:
    entries: list[Entry] = field(default_factory=list)
    # function -> (entry it is reached from, caller on the way or -1), from
    # any entry (gated ones run too once an allocation has __GFP_FS) ...
    reach: dict[int, tuple[int, int]] = field(default_factory=dict)
    # ... and from ungated entries only (a NOFS scope does not stop them)
    reach_ungated: dict[int, tuple[int, int]] = field(default_factory=dict)
    # lock class -> (function taking it on a reclaim path, call index)
    shared: dict[str, tuple[int, int]] = field(default_factory=dict)
    shared_ungated: dict[str, tuple[int, int]] = field(default_factory=dict)
    # function -> event -> classes possibly held there (locks taken in it)
    local: dict[int, dict[int, frozenset[str]]] = field(default_factory=dict)
    # function -> line of each return -> classes possibly held there
    returns: dict[int, dict[int, frozenset[str]]] = field(default_factory=dict)
    # function -> class held at entry -> (caller, call index) that holds it
    entry: dict[int, dict[str, tuple[int, int]]] = field(default_factory=dict)
    # function -> its lock operations with resolved classes
    classes: dict[int, list[tuple[int, str, str]]] = field(default_factory=dict)

    def held(self, fn: int, event: int) -> frozenset[str]:
        local = self.local.get(fn, {}).get(event, frozenset())
        return local | frozenset(self.entry.get(fn, {}))


def build(prog: Program) -> Model:
    m = Model()
    structs: dict[str, dict[str, str]] = {}
    for f in prog.files.values():
        for s, fields in f.structs.items():
            structs.setdefault(s, {}).update(fields)
    classes = {fn.id: _classes(fn, structs) for fn in prog.fns if fn.facts.locks}
    m.classes = classes
    _entries(prog, m)
    m.reach = _reach(prog, [e for e in m.entries])
    m.reach_ungated = _reach(prog, [e for e in m.entries if not e.gated])
    for reach, shared in ((m.reach, m.shared), (m.reach_ungated, m.shared_ungated)):
        for fid, locks in sorted(classes.items()):
            if fid not in reach:
                continue
            for ci, op, cls in locks:
                if op == ACQUIRE and cls != PAGE_LOCK and not cls.startswith("?"):
                    shared.setdefault(cls, (fid, ci))
    _held(prog, m, classes)
    return m


def _classes(fn: Fn, structs: dict[str, dict[str, str]]) -> list[tuple[int, str, str]]:
    return [(ci, op, resolve_class(cls, structs)) for ci, op, cls in fn.facts.locks]


def _entries(prog: Program, m: Model) -> None:
    cfg = prog.cfg.reclaim
    for f in prog.files.values():
        for r in f.refs:
            spec: ReclaimEntry | None = None
            if r.role in ("ops", "scoped-ops"):
                d = _DESIGNATOR.match(r.detail)
                if d:
                    spec = cfg.entry_for(d.group(1), d.group(2))
                else:  # assignment: x->s_op.evict_inode = fn, sh->scan_objects = fn
                    w = _LAST_WORD.search(r.detail)
                    spec = cfg.entry_for("", w.group(1)) if w else None
            elif r.role == "arg":
                callee, _, idx = r.detail.partition("#")
                if cfg.lru.get(callee) == int(idx or -1):
                    spec = ReclaimEntry(
                        "list_lru isolate callback",
                        "",
                        (),
                        "tests-gfp",
                        f"called by {callee}() from a shrinker",
                    )
            if spec is None or spec.gated == "kswapd":
                continue
            for t in prog.resolve(f.path, r.name, 1):
                fn = prog.fns[t]
                if spec.gated == "always":
                    gated = True
                elif spec.name == "list_lru isolate callback":
                    walker = prog.function_at(f.path, r.function, r.line)
                    gated = walker is not None and _tests_fs(walker)
                else:
                    gated = _tests_fs(fn)
                m.entries.append(Entry(t, spec, gated, f.path, r.line))


def _tests_fs(fn: Fn) -> bool:
    return bool(fn.facts.tests_fs or fn.facts.tested_params)


def _reach(prog: Program, entries: list[Entry]) -> dict[int, tuple[int, int]]:
    """Functions reachable from ENTRIES: function -> (entry, caller or -1)."""
    reach: dict[int, tuple[int, int]] = {}
    work: deque[int] = deque()
    for e in sorted(entries, key=lambda e: e.fn):
        if e.fn not in reach:
            reach[e.fn] = (e.fn, -1)
            work.append(e.fn)
    while work:
        fid = work.popleft()
        entry = reach[fid][0]
        for targets in prog.fns[fid].callees:
            for t in targets:
                if t not in reach:
                    reach[t] = (entry, fid)
                    work.append(t)
    return reach


def _held(prog: Program, m: Model, classes: dict[int, list[tuple[int, str, str]]]) -> None:
    for fid, locks in classes.items():
        fn = prog.fns[fid]
        if fn.facts.ir is None:
            continue
        ops: dict[int, list[tuple[str, str]]] = {}
        for ci, op, cls in locks:
            ops.setdefault(ci, []).append((op, cls))
        w = lock_walk(ops)
        w.run(fn.facts.ir)
        m.local[fid] = {k: frozenset(c for c, _ in v) for k, v in w.at.items() if v}
        m.returns[fid] = {k: frozenset(c for c, _ in v) for k, v in w.returns.items() if v}
    # across calls
    work = deque(sorted(m.local))
    queued = set(work)
    while work:
        gid = work.popleft()
        queued.discard(gid)
        g = prog.fns[gid]
        inherited = m.entry.get(gid, {})
        for ci, targets in enumerate(g.callees):
            held = set(m.local.get(gid, {}).get(ci, ())) | set(inherited)
            if not held or not targets:
                continue
            if prog.elems(g, g.state_at(ci)) == {IN}:
                continue  # a call inside a scope: what it holds cannot meet FS reclaim
            for t in targets:
                have = m.entry.setdefault(t, {})
                new = held - set(have)
                if new:
                    for cls in new:
                        have[cls] = (gid, ci)
                    if t not in queued:
                        work.append(t)
                        queued.add(t)


def lock_walk(ops: dict[int, list[tuple[str, str]]]) -> ir.Walk:
    """A may-held walk whose facts are (lock class, condition it was taken under).

    `if (c) down(l); ... if (c) up(l);` is common; a lock taken under c is
    not held on a branch where c is false, so the second `if` does not leak it.
    """
    Fact = tuple[str, tuple[str, bool] | None]

    def transfer(ci: int, state: frozenset[Fact]) -> frozenset[Fact]:
        for op, cls in ops.get(ci, ()):
            if op in (ACQUIRE, TRYLOCK):
                state = state | {(cls, w.conds[-1] if w.conds else None)}
            elif op == RELEASE:
                state = frozenset(f for f in state if f[0] != cls)
        return state

    def branch(state: frozenset[Fact], key: tuple[str, bool]) -> frozenset[Fact]:
        cond, holds = key
        return frozenset(f for f in state if f[1] != (cond, not holds))

    w = ir.Walk(transfer, frozenset(), branch)
    return w


# -- evidence ----------------------------------------------------------------


def acquire_site(
    prog: Program, m: Model, fid: int, event: int, line: int, cls: str
) -> tuple[Fn, int, int] | None:
    """Where the lock CLS held at EVENT (on LINE) in FID was taken:
    (function, call index, line)."""
    fn = prog.fns[fid]
    seen: set[int] = set()
    while True:
        if cls in m.local.get(fn.id, {}).get(event, ()):
            best: tuple[int, int] | None = None
            for ci, op, c in m.classes.get(fn.id, ()):
                cline = fn.facts.calls[ci][1]
                later = best is None or cline >= best[1]
                if op in (ACQUIRE, TRYLOCK) and c == cls and cline <= line and later:
                    best = (ci, cline)
            return (fn, *best) if best else None
        w = m.entry.get(fn.id, {}).get(cls)
        if w is None or fn.id in seen:
            return None
        seen.add(fn.id)
        fn, event = prog.fns[w[0]], w[1]
        line = fn.facts.calls[event][1]


def exits(m: Model, fn: Fn, after: int, cls: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """For a scope opened after line AFTER for lock CLS: the releases of CLS after
    it (where the restore goes), and the returns reached with CLS still held
    (where the critical section outlives the function)."""
    releases = {
        fn.facts.calls[ci][1]
        for ci, op, c in m.classes.get(fn.id, ())
        if op == RELEASE and c == cls and fn.facts.calls[ci][1] > after
    }
    held = {line for line, held in m.returns.get(fn.id, {}).items() if cls in held and line > after}
    return tuple(sorted(releases)), tuple(sorted(held))


def reclaim_path(prog: Program, m: Model, cls: str, *, ungated: bool = False) -> list[Evidence]:
    """How reclaim gets to the place that takes CLS: entry point, callers, lock."""
    shared, reach = (m.shared_ungated, m.reach_ungated) if ungated else (m.shared, m.reach)
    if cls not in shared:
        return []
    fid, ci = shared[cls]
    fn = prog.fns[fid]
    out = [Evidence(fn.path, fn.facts.calls[ci][1], fn.name, f"reclaim takes {cls} here")]
    cur = fid
    for _ in range(12):
        entry, parent = reach[cur]
        if parent < 0:
            e = next(x for x in m.entries if x.fn == entry)
            gate = (
                "gated: stops when __GFP_FS is clear"
                if e.gated
                else "not gated: runs even when __GFP_FS is clear"
            )
            out.append(
                Evidence(
                    e.path,
                    e.line,
                    prog.fns[entry].name,
                    f"{e.spec.name}: reclaim calls it ({gate})",
                )
            )
            break
        p = prog.fns[parent]
        out.append(Evidence(p.path, p.facts.line, p.name, f"calls {prog.fns[cur].name}()"))
        cur = parent
    return out
