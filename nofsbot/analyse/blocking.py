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

from collections.abc import Iterator, Mapping
from itertools import islice

from nofsbot.analyse import reclaim, reclaimpath
from nofsbot.analyse.facts import shown
from nofsbot.analyse.held import MAYBE
from nofsbot.analyse.locks import ACQUIRE
from nofsbot.analyse.program import IN, Fn, Program, RootWitness


def lock_calls(
    prog: Program, m: reclaim.Model, fn: Fn, ci: int, cls: str, depth: int = 0
) -> Iterator[str | None]:
    """The lock calls by which call CI of FN takes CLS: itself, or those of
    the helpers it calls, three deep; None for a helper that takes CLS by
    none it can show (deeper, or through calls of its own)."""
    name = fn.facts.calls[ci][0]
    locks = prog.cfg.reclaim
    if name in locks.acquire or name in locks.trylock:
        yield name
        return
    takes = [
        (prog.fns[t], ci2)
        for t in (fn.callees[ci] if depth <= 2 and ci < len(fn.callees) else ())
        for ci2, op, c in m.classes.get(t, ())
        if op == ACQUIRE and c == cls
    ]
    if not takes:
        yield None
    for g, ci2 in takes:
        yield from lock_calls(prog, m, g, ci2, cls, depth + 1)


def exclusive(prog: Program, m: reclaim.Model, fn: Fn, ci: int, cls: str) -> bool:
    """Whether call CI of FN takes CLS exclusively: a lock call not listed
    as shared (down_read()), or a helper that takes it so. A lock wrapper
    whose flags choose the mode (xfs_ilock()) counts as not exclusive."""
    shared = prog.cfg.reclaim.shared
    return any(n is not None and n not in shared for n in lock_calls(prog, m, fn, ci, cls))


def shared_only(prog: Program, m: reclaim.Model, fn: Fn, ci: int, cls: str) -> bool:
    """Whether call CI of FN takes CLS shared only: a lock call listed as
    shared (down_read()), or a helper every take of CLS in which is so."""
    shared = prog.cfg.reclaim.shared
    return all(n is not None and n in shared for n in lock_calls(prog, m, fn, ci, cls))


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
    reclaim's shown path to CLS (reclaimpath.reclaim_path()) takes first and
    still holds where it goes on, where one of the two takes is
    exclusive: a task holding it stops reclaim there, before CLS."""
    got = reclaimpath.shown_take(prog, m, cls, False, made, direct)
    if got is None:
        return None
    node, ci, reach = got
    first = None
    for (fid, _binding), call in islice(reach.steps(node, ci), 17):
        # a lock a helper returns holding where it succeeded counts: the
        # path goes on past that call only where it did
        for other in sorted({c.removeprefix(MAYBE) for c in m.local.get(fid, {}).get(call, ())}):
            if other == cls or other not in held:
                continue
            if held[other] or _takes_exclusively(prog, m, prog.fns[fid], call, other):
                first = other
    return first


def _takes_exclusively(prog: Program, m: reclaim.Model, fn: Fn, before: int, cls: str) -> bool:
    """Whether FN's last take of CLS before its call BEFORE is exclusive."""
    takes = [
        ci
        for ci, op, c in m.classes.get(fn.id, ())
        if op == ACQUIRE and c.removeprefix(MAYBE) == cls
    ]
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
    got = reclaimpath.shown_take(prog, m, cls, False, made, direct)
    if got is None:
        return ""
    node, ci, reach = got
    found, most = "", 1
    for (fid, _binding), call in islice(reach.steps(node, ci), 1, None):  # the callers
        fn = prog.fns[fid]
        if (n := fn.by_type(call)) > most:
            name, line = fn.facts.calls[call]
            found, most = (
                (
                    f"{shown(name)}() in {fn.name}() ({fn.path}:{line}), a call by pointer "
                    f"that the struct type resolves to {n} functions"
                ),
                n,
            )
    return found


def held_everywhere(prog: Program, m: reclaim.Model, fn: Fn, event: int) -> frozenset[str]:
    """The classes held at EVENT of FN on every path outside a scope: taken
    in FN before it, or held at FN's entry by every caller that calls it
    outside a scope (do_commit()'s two callers, run_bg_commit() and
    ubifs_run_commit(), each take commit_sem). An entry point, a caller
    nofsbot cannot see or a cycle holds nothing for certain."""
    here = frozenset(c for c in m.local.get(fn.id, {}).get(event, ()) if not c.startswith(MAYBE))
    return here | _held_at_entry(prog, m, fn, {}, 0)


def _held_at_entry(
    prog: Program, m: reclaim.Model, fn: Fn, memo: dict[int, frozenset[str]], depth: int
) -> frozenset[str]:
    if fn.id in memo:
        return memo[fn.id]
    memo[fn.id] = frozenset()  # a cycle: nothing for certain
    if depth > 8 or any(isinstance(w, RootWitness) for e, w in fn.why.items() if e != IN):
        return frozenset()
    out: frozenset[str] | None = None
    for cid, ci in fn.callers:
        caller = prog.fns[cid]
        if prog.elems(caller, caller.state_at(ci)) == {IN}:
            continue  # inside a scope: what it holds cannot meet FS reclaim
        local = m.local.get(cid, {}).get(ci, ())
        got = frozenset(c for c in local if not c.startswith(MAYBE))
        got |= _held_at_entry(prog, m, caller, memo, depth + 1)
        out = got if out is None else out & got
        if not out:
            break
    memo[fn.id] = out or frozenset()
    return memo[fn.id]
