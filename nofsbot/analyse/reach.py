"""How reclaim reaches the analysed code's functions: from its entry
points, along calls that can run under the constant arguments carried
(guards.py), each function by its cheapest path, nearest first.
reclaim.py builds the entry points and the model on top of it."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field

from nofsbot.analyse.guards import FREED, MAX_BINDINGS, TASK, Binding, widened
from nofsbot.analyse.held import Node
from nofsbot.analyse.pointees import DEREF
from nofsbot.analyse.program import Program
from nofsbot.analyse.records import FIELD
from nofsbot.config_reclaim import ReclaimEntry


@dataclass(frozen=True)
class Entry:
    fn: int
    spec: ReclaimEntry
    gated: bool
    path: str  # where the function is registered
    line: int
    # for a function handed to a walker (a list_lru isolate callback): the
    # function that hands it on at LINE, and the walker
    registrar: str = ""
    walker: str = ""
    # the function LINE is in, where that is not FN: the caller in another
    # subsystem of a function its reclaim calls by name (reclaim.outcalls())
    at: str = ""


@dataclass
class Reach:
    """Functions reachable from reclaim entries along calls that can run."""

    first: dict[int, Node]  # function -> the node it was first reached as
    # node -> (entry, (calling node, call index) or None at the entry)
    parent: dict[Node, tuple[int, tuple[Node, int] | None]]
    cost: dict[Node, int] = field(default_factory=dict)  # reach_from()

    def __contains__(self, fid: int) -> bool:
        return fid in self.first

    def entry(self, fid: int) -> int:
        return self.parent[self.first[fid]][0]

    def steps(self, node: Node, ci: int) -> Iterator[tuple[Node, int]]:
        """Call CI of NODE, then each call on the way up to the entry point
        that reaches it, as (calling node, call index), nearest first."""
        cur: tuple[Node, int] | None = (node, ci)
        while cur is not None:
            yield cur
            cur = self.parent[cur[0]][1]


def reach_from(
    prog: Program, entries: list[Entry], frees: dict[int, int], rare: dict[int, frozenset[int]]
) -> Reach:
    """Functions reachable from ENTRIES, carrying constant arguments so a call
    they rule out (`if (cow)` with cow = 0) is not followed. FREES: the
    functions whose argument N is always an object being freed (an inode
    with no reference left, in ->evict_inode), wherever they are called
    from. Each is reached by its cheapest path, nearest first: a call costs
    1, a rare one (RARE: rare_calls()) RARE_COST more."""
    r = Reach({}, {})
    bindings: dict[tuple[int, Binding], int] = {}
    best: dict[Node, int] = {}
    via: dict[Node, tuple[int, tuple[Node, int] | None]] = {}
    heap: list[tuple[int, int, Node]] = []
    seq = 0
    for e in sorted(entries, key=lambda e: e.fn):
        # the object the entry point frees: ->destroy_inode's inode
        # and the task state every reclaim context has (PF_MEMALLOC)
        freed = ((e.spec.freed, FREED),) if e.spec.freed >= 0 else ()
        node = (
            e.fn,
            tuple(sorted(((TASK, ("t", "1")), *freed))) if prog.cfg.reclaim.task_flags else freed,
        )
        if node not in best:
            best[node], via[node] = 0, (e.fn, None)
            heapq.heappush(heap, (0, seq, node))
            seq += 1
    while heap:
        cost, _, node = heapq.heappop(heap)
        if node in r.parent or cost > best[node]:
            continue
        r.parent[node] = via[node]
        r.first.setdefault(node[0], node)
        fid, binding = node
        entry = r.parent[node][0]
        fn = prog.fns[fid]
        for ci, targets in enumerate(fn.callees):
            if not targets:
                continue
            b = fn.step(ci, binding)
            if b is None:
                continue
            step = 1 + (RARE_COST if ci in rare.get(fid, ()) else 0)
            for t in targets:
                got = fn.enter(ci, prog.fns[t], b)
                if got is None:
                    continue
                nb = got
                key = (t, widened(nb))  # the bindings counted against MAX_BINDINGS
                if (t, nb) not in best and bindings.get(key, 0) >= MAX_BINDINGS:
                    nb = key[1]
                if t in frees:
                    nb = tuple(sorted({**dict(nb), frees[t]: FREED}.items()))
                nxt = (t, nb)
                if nxt in r.parent:
                    continue
                if nxt not in best:
                    bindings[key] = bindings.get(key, 0) + 1
                elif best[nxt] <= cost + step:
                    continue
                best[nxt], via[nxt] = cost + step, (entry, (node, ci))
                heapq.heappush(heap, (cost + step, seq, nxt))
                seq += 1
    r.cost = {n: best[n] for n in r.parent}
    return r


# how many calls a rare one (rare_calls()) counts as, when a path is
# chosen to show
RARE_COST = 4


def rare_calls(prog: Program) -> dict[int, frozenset[int]]:
    """Per function, its calls that run only where a carried field is 0
    (eviction deletes only an unlinked inode) or a debugging knob is set
    (config/reclaim.toml [context]): real paths, but rare ones. Read from
    the extracted guards, before a call's test becomes the callee's
    (Program._call_guards()). Also its calls through a struct field
    several functions are stored in, each a path only for some objects:
    a path without them is the one shown where there is one."""
    carried, debug = prog.cfg.reclaim.carried, prog.cfg.reclaim.debug
    evicting = prog.cfg.reclaim.evicting
    out: dict[int, frozenset[int]] = {}
    for fn in prog.fns:
        got = frozenset(
            ci
            for ci, gs in fn.facts.guards
            if any(
                (FIELD <= g[0] < DEREF and g[1] == "falsy" and g[2][1:] in carried)
                or (g[1] == "call" and g[2].partition("\x00")[0] in debug)
                for g in gs
            )
        )
        # a call through a struct field several functions are stored in:
        # which one runs depends on the object, which is not followed
        got |= frozenset(ci for ci in range(len(fn.callees)) if fn.by_type(ci) > 1)
        # a truncation that meets folios in reclaim only for an unlinked inode
        got |= frozenset(ci for ci, (c, _) in enumerate(fn.facts.calls) if c in evicting)
        if got:
            out[fn.id] = got
    return out


def cost(reach: Reach, rare: dict[int, frozenset[int]], node: Node, ci: int) -> int:
    """How far reclaim goes to call CI of NODE: the calls to it, and
    RARE_COST more where the call itself runs only rarely."""
    return reach.cost.get(node, 0) + RARE_COST * (ci in rare.get(node[0], ()))
