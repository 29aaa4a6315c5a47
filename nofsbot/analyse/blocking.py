"""Where reclaim blocks first, of the locks a task holds.

A needs-scope claim names one lock the allocating task holds and reclaim's
path to a take of it. Where that path first takes another lock the task
holds on every path to the site, reclaim stops there, not at the named
lock: dlm_lock() takes the lockspace's ls_in_recovery, then an rsb's
res_mutex, and dlm_recoverd holds ls_in_recovery for write through all of
recovery. Two shared takes of one rwsem (down_read() on both sides) do
not stop each other by themselves, so there reclaim can go on to the
named lock.
"""

from __future__ import annotations

from collections.abc import Mapping

from nofsbot.analyse import reclaim
from nofsbot.analyse.facts import INDIRECT, shown
from nofsbot.analyse.held import Node
from nofsbot.analyse.locks import ACQUIRE
from nofsbot.analyse.program import Fn, Program


def exclusive(prog: Program, m: reclaim.Model, fn: Fn, ci: int, cls: str, depth: int = 0) -> bool:
    """Whether call CI of FN takes CLS exclusively: a lock call not listed
    as shared (down_read()), or a helper that takes it so. A lock wrapper
    whose flags choose the mode (xfs_ilock()) counts as not exclusive."""
    name = fn.facts.calls[ci][0]
    locks = prog.cfg.reclaim
    if name in locks.acquire or name in locks.trylock:
        return name not in locks.shared
    if depth > 2:
        return False
    return any(
        op == ACQUIRE and c == cls and exclusive(prog, m, prog.fns[t], ci2, cls, depth + 1)
        for t in fn.callees[ci]
        for ci2, op, c in m.classes.get(t, ())
    )


def held_before(
    prog: Program,
    m: reclaim.Model,
    cls: str,
    held: Mapping[str, bool],
    *,
    made: tuple[str, tuple[str, ...]] | None = None,
    direct: bool = False,
) -> str | None:
    """Of HELD (class -> whether the task holds it exclusively), the one
    reclaim's shown path to CLS (reclaim.reclaim_path()) takes first and
    still holds where it goes on, where one of the two takes is
    exclusive: a task holding it stops reclaim there, before CLS."""
    got = reclaim.shown_take(prog, m, cls, False, made, direct)
    if got is None:
        return None
    node, ci, reach = got
    first = None
    cur: tuple[Node, int] | None = (node, ci)
    for _ in range(17):
        if cur is None:
            break
        (fid, _binding), call = cur
        for other in sorted(m.local.get(fid, {}).get(call, frozenset())):
            if other == cls or other not in held:
                continue
            if held[other] or _takes_exclusively(prog, m, prog.fns[fid], call, other):
                first = other
        cur = reach.parent[cur[0]][1]
    return first


def _takes_exclusively(prog: Program, m: reclaim.Model, fn: Fn, before: int, cls: str) -> bool:
    """Whether FN's last take of CLS before its call BEFORE is exclusive."""
    takes = [ci for ci, op, c in m.classes.get(fn.id, ()) if op == ACQUIRE and c == cls]
    last = [ci for ci in takes if ci < before]
    return bool(last) and exclusive(prog, m, fn, last[-1], cls)


def by_type_on_path(
    prog: Program,
    m: reclaim.Model,
    cls: str,
    *,
    made: tuple[str, tuple[str, ...]] | None = None,
    direct: bool = False,
) -> str:
    """The call on reclaim's shown path to CLS through a struct field the
    most functions are stored in, if several are (which one runs depends
    on the object, which is not followed), described; "" if none."""
    got = reclaim.shown_take(prog, m, cls, False, made, direct)
    if got is None:
        return ""
    node, _ci, reach = got
    found, most = "", 1
    cur = node
    while (up := reach.parent[cur][1]) is not None:
        caller, call = up
        fn = prog.fns[caller[0]]
        name, n = fn.facts.calls[call][0], len(fn.callees[call])
        if name.startswith(INDIRECT) and n > most and call not in fn.param_call:
            found, most = (
                (
                    f"{shown(name)}() in {fn.name}() ({fn.path}:{fn.facts.calls[call][1]}), a call "
                    f"by pointer that the struct type resolves to {n} functions"
                ),
                n,
            )
        cur = caller
    return found
