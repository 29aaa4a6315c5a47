"""Entry contexts flow from callers to callees, along the calls that can run.

A function is a node per set of constant arguments it is called with
(guards.py), as in the reclaim walk: a call its guards rule out, or one that
passes NULL where the callee dereferences it first
(`xfs_bmap_add_extent_unwritten_real(NULL, ..)` down to `xfs_defer_add(tp,
..)`), brings no context into its callee.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Container
from typing import TYPE_CHECKING

from nofsbot.analyse import ir
from nofsbot.analyse.guards import EMPTY, MAX_BINDINGS, Binding, widened

if TYPE_CHECKING:
    from nofsbot.analyse.program import CallWitness, Fn, Program, RootWitness

Node = tuple[int, Binding]


def contexts(prog: Program, skip: Container[str]) -> None:
    """Propagate the roots' elements (in/out/unk) to every callee, filling
    each function's `entry` and `why`, and PROG.node_why and PROG.live.
    Functions named in SKIP keep the context they were given."""
    from nofsbot.analyse.program import IN, OUT, CallWitness

    entry: dict[Node, set[str]] = {}
    bindings: dict[tuple[int, Binding], int] = {}
    work: deque[Node] = deque()
    for fn in prog.fns:
        if fn.entry:
            node = (fn.id, EMPTY)
            # a function nothing calls never runs: its own entry context
            # reaches no callee, only the scopes it opens do
            entry[node] = set() if fn.id in prog.uncalled else set(fn.entry)
            prog.node_why[node] = dict(fn.why)
            bindings[(fn.id, EMPTY)] = 1
            work.append(node)
    queued = set(work)

    def elems(g: Fn, ci: int, mine: set[str]) -> set[str]:
        out: set[str] = set()
        for s in g.state_at(ci):
            if s >= 1:
                out.add(IN)
            elif s == ir.OUT:
                out.add(OUT)
            else:
                out |= mine
        return out

    while work:
        node = work.popleft()
        queued.discard(node)
        gid, binding = node
        g = prog.fns[gid]
        mine = entry[node]
        for ci, targets in enumerate(g.callees):
            if not targets:
                continue
            b = g.step(ci, binding)
            if b is None:
                continue
            contrib = elems(g, ci, mine)
            for t in targets:
                callee = prog.fns[t]
                nb = g.enter(ci, callee, b) if callee.name not in skip else None
                if nb is None:
                    continue
                prog.live.add((gid, ci))
                key = (t, widened(nb))  # the bindings counted against MAX_BINDINGS
                if (t, nb) not in entry and bindings.get(key, 0) >= MAX_BINDINGS:
                    nb = key[1]
                nxt = (t, nb)
                if nxt not in entry:
                    entry[nxt] = set()
                    bindings[key] = bindings.get(key, 0) + 1
                new = contrib - entry[nxt]
                if not new:
                    continue
                why = prog.node_why.setdefault(nxt, {})
                for e in new:
                    entry[nxt].add(e)
                    w = CallWitness(gid, ci, binding)
                    why.setdefault(e, w)
                    if e not in callee.entry:
                        callee.entry.add(e)
                        callee.why[e] = w
                if nxt not in queued:
                    work.append(nxt)
                    queued.add(nxt)
    prog.node_index = {}
    for fid, b in prog.node_why:
        prog.node_index.setdefault(fid, []).append(b)


def entered(
    prog: Program, g: Fn, allow: Callable[[Binding], bool]
) -> tuple[set[str], dict[str, RootWitness | CallWitness]]:
    """G's entry contexts, with a witness for each, from the calls into G
    that give it a binding ALLOW accepts: a caller whose constant
    arguments rule a point of G out brings it nothing."""
    elems: set[str] = set()
    why: dict[str, RootWitness | CallWitness] = {}
    for b in prog.node_index.get(g.id, ()):
        if allow(b):
            for e, w in prog.node_why[(g.id, b)].items():
                why.setdefault(e, w)
                elems.add(e)
    return elems, why
