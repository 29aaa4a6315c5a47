"""Where reclaim re-enters the analysed code, and which locks it takes there.

1. Entry points: functions stored in reclaim-called ops fields (super
   operations, shrinkers, ->release_folio) or passed as list_lru isolate
   callbacks (config/reclaim.toml). Gated entries stop when __GFP_FS is clear
   (a NOFS scope protects against them); ungated ones do not.
2. Reclaim-shared locks: the sleeping locks (not trylocks) taken in any
   function reachable from an ungated entry, each with a witness path.
3. Held locks (held.py): a may-held walk over each function's skeleton,
   then across calls (a callee may run with every lock any caller holds at
   the call), except calls made inside a scope: what is held there cannot
   meet FS reclaim, so it does not decide how the callee's sites are
   converted.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from nofsbot.analyse.guards import Binding
from nofsbot.analyse.held import Node, dropped, held_locks
from nofsbot.analyse.locks import (
    ACQUIRE,
    PAGE_LOCK,
    TRYLOCK,
    WRITEBACK,
    resolve_class,
)
from nofsbot.analyse.program import Fn, Program
from nofsbot.analyse.reach import Entry, Reach, cost, rare_calls, reach_from
from nofsbot.config_reclaim import ReclaimEntry

# the name of an entry point made by the link step
LINKED = "reclaim in another subsystem"
_LAST_WORD = re.compile(r"(\w+)\W*$")


@dataclass
class Model:
    entries: list[Entry] = field(default_factory=list)
    # function -> how reclaim first reaches it from any entry (gated ones
    # run too once an allocation has __GFP_FS) ...
    reach: Reach = field(default_factory=lambda: Reach({}, {}))
    # function -> its calls that run only rarely (rare_calls())
    rare: dict[int, frozenset[int]] = field(default_factory=dict)
    # ... and from ungated entries only (a NOFS scope does not stop them)
    reach_ungated: Reach = field(default_factory=lambda: Reach({}, {}))
    # lock class -> (node taking it on a reclaim path, call index)
    shared: dict[str, tuple[Node, int]] = field(default_factory=dict)
    shared_ungated: dict[str, tuple[Node, int]] = field(default_factory=dict)
    # the same without kswapd's entries, for a kernel thread's allocation
    # (roots.kernel_threads()), which never waits for kswapd
    reach_direct: Reach = field(default_factory=lambda: Reach({}, {}))
    shared_direct: dict[str, tuple[Node, int]] = field(default_factory=dict)
    instance_direct: dict[str, tuple[Node, int]] = field(default_factory=dict)
    # classes every reclaim path takes only on the object its entry point
    # frees (the inode ->destroy_inode gets): lock class -> a node taking it
    instance: dict[str, tuple[Node, int]] = field(default_factory=dict)
    # function -> event -> classes possibly held there (locks taken in it)
    local: dict[int, dict[int, frozenset[str]]] = field(default_factory=dict)
    # function -> line of each return -> classes possibly held there
    returns: dict[int, dict[int, frozenset[str]]] = field(default_factory=dict)
    # function -> class held at entry -> (caller, call index) that holds it
    entry: dict[int, dict[str, tuple[int, int]]] = field(default_factory=dict)
    # (function, class, binding) -> (caller, call index, caller's binding):
    # how a lock held at entry got there, along calls that can run
    held_by: dict[tuple[int, str, Binding], tuple[int, int, Binding]] = field(default_factory=dict)
    first: dict[tuple[int, str], Binding] = field(default_factory=dict)
    # where reclaim locks a folio, if it does
    page_shared: tuple[Node, int] | None = None
    # classes a reclaim path only trylocks somewhere: it does not wait
    # for them there (shown where a holder is said to hold nothing)
    tried: set[str] = field(default_factory=set)
    # fields of locks reclaim takes whose struct type is not known
    # (`down_write(&EXT4_I(inode)->i_data_sem)`)
    unknown_fields: set[str] = field(default_factory=set)
    # field -> where reclaim first takes a lock of that field of unknown type
    unknown_taken: dict[str, tuple[Node, int]] = field(default_factory=dict)
    # function -> its lock operations with resolved classes
    classes: dict[int, list[tuple[int, str, str]]] = field(default_factory=dict)
    # functions that release a lock: (function, its lock operations, the
    # classes its calls return holding only on success), and per event the
    # classes released on every path before it (held.dropped())
    releasing: dict[int, tuple[Fn, list[tuple[int, str, str]], dict[int, frozenset[str]]]] = field(
        default_factory=dict
    )
    dropping: dict[int, dict[int, frozenset[str]]] = field(default_factory=dict)
    _held_index: dict[tuple[int, str], list[Binding]] | None = None  # first_held()

    def in_kernel_thread(self) -> Model:
        """The model as a kernel thread's allocation meets it: reclaim
        without kswapd's entry points."""
        return dataclasses.replace(
            self,
            reach=self.reach_direct,
            shared=self.shared_direct,
            instance=self.instance_direct,
        )

    def held(
        self, fn: int, event: int, allow: Callable[[Binding], bool] | None = None
    ) -> frozenset[str]:
        """The classes possibly held at EVENT in FN; with ALLOW
        (Fn.reaching()), only those held at FN's entry under a binding it
        accepts."""
        local = self.local.get(fn, {}).get(event, frozenset())
        entry = frozenset(
            c
            for c in self.entry.get(fn, {})
            if allow is None or self.first_held(fn, c, allow) is not None
        )
        return local | (entry - dropped(self, fn, event))

    def first_held(
        self, fn: int, cls: str, allow: Callable[[Binding], bool] | None = None
    ) -> Binding | None:
        """The first binding FN is entered with holding CLS (that ALLOW
        accepts)."""
        if allow is None:
            return self.first.get((fn, cls))
        if self._held_index is None:
            self._held_index = {}
            for f, c, b in self.held_by:
                self._held_index.setdefault((f, c), []).append(b)
        return next((b for b in self._held_index.get((fn, cls), ()) if allow(b)), None)


@dataclass(frozen=True)
class Incoming:
    """Reclaim in another subsystem calls a function of this one by name."""

    gated: bool
    path: str  # where that call is
    line: int
    note: str  # how that reclaim gets there
    kswapd: bool = False  # only kswapd's entry points get there
    caller: str = ""  # the function making that call


def build(prog: Program, incoming: dict[str, Incoming] | None = None) -> Model:
    m = Model()
    classes = {fn.id: _classes(fn, prog.structs) for fn in prog.fns if fn.facts.locks}
    m.classes = classes
    _entries(prog, m)
    for name, inc in sorted((incoming or {}).items()):
        spec = ReclaimEntry(LINKED, "", (), "kswapd" if inc.kswapd else "always", inc.note)
        for fid in prog.globals.get(name, ()):
            m.entries.append(Entry(fid, spec, inc.gated, inc.path, inc.line, at=inc.caller))
    # the ops that free what they are given (->evict_inode's inode) free it
    # however reclaim comes to call them: from the shrinker, or from an
    # iput() on a path reclaim is already on
    frees = {e.fn: e.spec.freed for e in m.entries if e.spec.freed >= 0}
    declared = prog.cfg.reclaim.frees
    for fn in prog.fns:
        if fn.name in declared:
            frees.setdefault(fn.id, declared[fn.name])
    rare = m.rare = rare_calls(prog)
    m.reach = reach_from(prog, [e for e in m.entries], frees, rare)
    m.reach_ungated = reach_from(prog, [e for e in m.entries if not e.gated], frees, rare)
    m.shared, m.instance = _shares(prog, m, m.reach, classes, rare, unknown=True)
    m.shared_ungated, _ = _shares(prog, m, m.reach_ungated, classes, rare, live=False)
    # what reclaim a kernel thread's allocation enters takes: not kswapd's
    # ->writepage (roots.kernel_threads())
    direct = [e for e in m.entries if e.spec.gated != "kswapd"]
    if len(direct) < len(m.entries):
        m.reach_direct = reach_from(prog, direct, frees, rare)
        m.shared_direct, m.instance_direct = _shares(prog, m, m.reach_direct, classes, rare)
    else:
        m.reach_direct, m.shared_direct, m.instance_direct = m.reach, m.shared, m.instance
    _nested_alike(prog, m, classes)
    # folio locks are one class for lockdep's purposes here; which folio a
    # reclaim path locks is not followed, so a held folio lock vetoes
    # "unneeded" (unit._reclaim) but never makes a boundary
    m.page_shared = m.shared.pop(PAGE_LOCK, None)
    m.shared_ungated.pop(PAGE_LOCK, None)
    m.shared_direct.pop(PAGE_LOCK, None)
    # a reclaim path that sets a folio under writeback (->writepage) is not
    # what makes writeback shared: every FS reclaim may wait on it
    # (unit._reclaim)
    for d in (m.shared, m.shared_ungated, m.shared_direct):
        d.pop(WRITEBACK, None)
    held_locks(prog, m, classes)
    return m


def _shares(
    prog: Program,
    m: Model,
    reach: Reach,
    classes: dict[int, list[tuple[int, str, str]]],
    rare: dict[int, frozenset[int]],
    *,
    unknown: bool = False,
    live: bool = True,
) -> tuple[dict[str, tuple[Node, int]], dict[str, tuple[Node, int]]]:
    """The lock classes taken on REACH's paths, each with the first node
    that takes it, and those taken only on the object the path's entry
    point frees (the instance classes). With LIVE, a class also taken on
    another object is shown by such a take: a take on an object being
    freed proves nothing against a holder. UNKNOWN: record in M the
    fields of locks of unknown type taken."""
    shared: dict[str, tuple[Node, int]] = {}
    other: set[str] = set()  # classes some reclaim path takes on another object
    lives: dict[str, tuple[Node, int]] = {}  # the first such take of each
    freed: dict[str, tuple[Node, int]] = {}
    # in the order reclaim reaches them, cheapest first (reach_from()): the
    # witness of a class is the shortest path that takes it, the one with
    # the fewest steps whose conditions nofsbot may not see, a rare step
    # counted as RARE_COST of them
    takes = [
        (node, ci, op, cls) for node in reach.parent for ci, op, cls in classes.get(node[0], ())
    ]
    takes.sort(key=lambda t: cost(reach, rare, t[0], t[1]))  # stable: nearest first among equals
    for node, ci, op, cls in takes:
        fid, binding = node
        fn = prog.fns[fid]
        if op == TRYLOCK and unknown and fn.step(ci, binding) is not None:
            m.tried.add(cls)
        if op != ACQUIRE:
            continue
        if cls.startswith("?"):  # of unknown type: only its field is known
            if unknown:
                fld = field_of(cls)
                m.unknown_fields.add(fld)
                if fn.step(ci, binding) is not None:
                    m.unknown_taken.setdefault(fld, (node, ci))
            continue
        if fn.step(ci, binding) is None:
            continue
        shared.setdefault(cls, (node, ci))
        if fn.takes_freed(ci, binding):
            freed.setdefault(cls, (node, ci))
        else:
            other.add(cls)
            lives.setdefault(cls, (node, ci))
    if live:
        shared.update((c, w) for c, w in lives.items() if c in freed)
    return shared, {c: w for c, w in freed.items() if c not in other}


def _nested_alike(prog: Program, m: Model, classes: dict[int, list[tuple[int, str, str]]]) -> None:
    """A lock held under a lockdep subclass of a _nested call
    (`mutex_lock_nested(&JFS_IP(ip)->commit_mutex, COMMIT_MUTEX_CHILD)`) can
    be the very lock reclaim takes plainly (jfs_writepage() -> extAlloc()
    on the inode this task holds): the subclass orders two locks one task
    takes, it does not tell the objects apart. Such a held class shares
    what reclaim takes of its plain class. The subclasses config declares
    (the realtime bitmap inode's ILOCK) name objects of their own and stay
    apart."""
    declared = {sub for w in prog.cfg.reclaim.wrappers for sub in w.subclasses.values()}
    for locks in classes.values():
        for _, _, cls in locks:
            base, slash, _ = cls.partition("/")
            if not slash or cls in declared:
                continue
            for table in (
                m.shared,
                m.shared_ungated,
                m.instance,
                m.shared_direct,
                m.instance_direct,
            ):
                if base in table:
                    table.setdefault(cls, table[base])


def plain(cls: str) -> str:
    """CLS without its lockdep subclass: the struct field the lock is."""
    return cls.partition("/")[0]


def field_of(cls: str) -> str:
    """The field CLS names, without struct type or subclass (`commit_mutex`)."""
    return plain(cls).rsplit(".", 1)[-1]


def _classes(fn: Fn, structs: dict[str, dict[str, str]]) -> list[tuple[int, str, str]]:
    return [(ci, op, resolve_class(cls, structs)) for ci, op, cls in fn.facts.locks]


def _entries(prog: Program, m: Model) -> None:
    cfg = prog.cfg.reclaim
    for f in prog.files.values():
        for r in f.refs:
            spec: ReclaimEntry | None = None
            if r.role in ("ops", "scoped-ops"):
                d = prog.slot(r.detail)
                if d:
                    spec = cfg.entry_for(*d)
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
            if spec is None:
                continue
            for t in prog.resolve(f.path, r.name, 1):
                fn = prog.fns[t]
                if spec.gated in ("always", "kswapd"):
                    gated = True
                elif spec.name == "list_lru isolate callback":
                    walker = prog.function_at(f.path, r.function, r.line)
                    gated = walker is not None and _tests_fs(walker)
                else:
                    gated = _tests_fs(fn)
                # a callback handed to a walker: who hands it on, to which walker
                hands = (r.function or "", r.detail.split("#")[0]) if r.role == "arg" else ("", "")
                m.entries.append(Entry(t, spec, gated, f.path, r.line, *hands))


def outcalls(prog: Program, m: Model) -> dict[str, Incoming]:
    """Calls reclaim makes in this code to functions it does not define
    (exported by another subsystem): how it gets there, gated or not."""
    out: dict[str, Incoming] = {}
    for node in m.reach.parent:  # nearest first, as in build()
        fid, binding = node
        fn = prog.fns[fid]
        for ci, (callee, line) in enumerate(fn.facts.calls):
            if fn.callees[ci] or not callee.isidentifier() or callee in out:
                continue
            if fn.step(ci, binding) is None:
                continue
            gated = fid not in m.reach_ungated
            kswapd = fid not in m.reach_direct
            # the path the note names is one that decides GATED and KSWAPD
            reach = m.reach_ungated if not gated else (m.reach if kswapd else m.reach_direct)
            entry = reach.entry(fid)
            at = [x for x in m.entries if x.fn == entry]
            e = next((x for x in at if x.gated == gated), at[0])
            how = f"{e.spec.name} {prog.fns[entry].name}() ({e.path}) reaches {fn.name}()"
            if between := _between(prog, reach, fid):
                how += f" through {between}"
            out[callee] = Incoming(
                gated,
                fn.path,
                line,
                f"{how}, which calls {callee}()",
                kswapd,
                fn.name,
            )
    return out


def _between(prog: Program, reach: Reach, fid: int, most: int = 6) -> str:
    """The functions between reclaim's entry point and FID on the path
    REACH first reaches it by, entry side first: `a(), b()`, or the first
    and last MOST // 2 with `...` between."""
    names: list[str] = []
    cur = reach.first[fid]
    while (up := reach.parent[cur][1]) is not None:
        cur = up[0]
        names.append(f"{prog.fns[cur[0]].name}()")
    names = names[-2::-1]  # without the entry point, entry side first
    if len(names) > most:
        names = [*names[: most // 2], "...", *names[-(most // 2) :]]
    return ", ".join(names)


def _tests_fs(fn: Fn) -> bool:
    return bool(fn.facts.tests_fs or fn.facts.tested_params)
