"""Calls through function pointer parameters.

`xfs_qm_dquot_walk(mp, type, execute, data)` calls `execute(dqp, data)`:
what runs there is what its callers pass for `execute` (xfs_qm_flush_one()
from xfs_qm_quotacheck(), xfs_qm_dqpurge() at unmount). Like smatch's
function-pointer records, a call through a parameter gets as callees the
functions passed to that parameter anywhere in the analysed code, also
through callers that hand their own parameter on; the constant-argument
binding (bindings.py, Fn.step()) then keeps, on a path from a known caller,
only the function that caller passed. A call through a parameter's field
(`wc->process_func(..)`) calls only what the caller's `&local` initialised
that field with, where it did (field_function()).

A parameter stored into a struct field (`iwag->iwalk_fn = iwalk_fn` in
xfs_iwalk_threaded(), `.iwalk_fn = iwalk_fn` in xfs_iwalk()) makes every call
through that field (`iwag->iwalk_fn(..)` in the worker) a call of what the
callers pass for it: the multi-layer type analysis of MLTA, one layer down,
where the type-only view (functions named in a `STRUCT.field` initialiser)
finds nothing.

A function passed to such a parameter is called by the callee, not "called
back from unknown context", when the callee uses the parameter only to call
it, to store it into such a field, or to hand it whole to another callee
that does the same (contained).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from nofsbot.analyse import records
from nofsbot.analyse.facts import INDIRECT
from nofsbot.analyse.guards import Binding

if TYPE_CHECKING:
    from nofsbot.analyse.program import Fn, Program


def link(prog: Program) -> None:
    """Resolve the calls through parameters; fill Fn.param_call,
    prog.contained, prog.passed_at and prog.passers; drop the function
    arguments no callee calls."""
    sites = _field_sites(prog)
    stores = {
        (fn.id, k): sf
        for fn in prog.fns
        for k, chain in fn.facts.param_stores
        if (sf := prog.field_of(INDIRECT + chain)) is not None and sf in sites
    }
    called = _called(prog.fns, stores)
    # a parameter also stored where no call in the analysed code reads it
    # (`pl->cb = fn` for later) may be called from anywhere
    escaped = {
        (fn.id, k) for fn in prog.fns for k, _ in fn.facts.param_stores if (fn.id, k) not in stores
    }
    prog.contained = _contained(prog.fns, called, escaped)
    passed = _passed(prog, called)
    for fn in prog.fns:
        for ci, k in fn.facts.param_calls:
            fn.param_call[ci] = k
            _add_callees(prog, fn, ci, passed.get((fn.id, k), ()))
    # `iwag->iwalk_fn = iwalk_fn` stores what xfs_iwalk_threaded()'s callers
    # pass into xfs_iwalk_ag.iwalk_fn: every call through that field calls it
    for (fid, k), sf in sorted(stores.items()):
        for gid, ci in sites[sf]:
            _add_callees(prog, prog.fns[gid], ci, passed.get((fid, k), ()))


def _add_callees(prog: Program, fn: Fn, ci: int, targets: Iterable[int]) -> None:
    more = tuple(sorted(t for t in set(targets) if t not in fn.callees[ci]))
    fn.callees[ci] = fn.callees[ci] + more
    for t in more:
        prog.fns[t].callers.append((fn.id, ci))


def _field_sites(prog: Program) -> dict[tuple[str, str], list[tuple[int, int]]]:
    """Per struct field, the calls through it (`iwag->iwalk_fn(..)`)."""
    out: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for fn in prog.fns:
        for ci, (callee, _) in enumerate(fn.facts.calls):
            if callee.startswith(INDIRECT) and (sf := prog.field_of(callee)) is not None:
                out.setdefault(sf, []).append((fn.id, ci))
    return out


def _called(fns: list[Fn], stores: dict[tuple[int, int], tuple[str, str]]) -> dict[int, set[int]]:
    """Per function, the parameters it calls: directly, by storing one
    into a struct field something calls through (STORES), or by handing
    one whole to a parameter its callee calls."""
    called: dict[int, set[int]] = {
        fn.id: {k for _, k in fn.facts.param_calls} for fn in fns if fn.facts.param_calls
    }
    for fid, k in stores:
        called.setdefault(fid, set()).add(k)
    changed = True
    while changed:
        changed = False
        for fn in fns:
            for ci, args in fn.call_args().items():
                for j, a in enumerate(args):
                    if a is None or a[0] != "p" or int(a[1]) in called.get(fn.id, ()):
                        continue
                    if any(j in called.get(t, ()) for t in fn.callees[ci]):
                        called.setdefault(fn.id, set()).add(int(a[1]))
                        changed = True
    return called


def _contained(
    fns: list[Fn], called: dict[int, set[int]], escaped: set[tuple[int, int]]
) -> dict[int, frozenset[int]]:
    """Of the CALLED parameters, those only called, stored where calls
    read them (not ESCAPED), or handed whole to callees that contain them
    too."""
    contained = {
        fid: {k for k in set(fns[fid].facts.contained) & ks if (fid, k) not in escaped}
        for fid, ks in called.items()
    }
    changed = True
    while changed:
        changed = False
        for fid, ks in contained.items():
            fn = fns[fid]
            for ci, args in fn.call_args().items():
                for j, a in enumerate(args):
                    if a is None or a[0] != "p" or int(a[1]) not in ks:
                        continue
                    targets = fn.callees[ci]
                    if not targets or not all(j in contained.get(t, ()) for t in targets):
                        ks.discard(int(a[1]))
                        changed = True
    return {fid: frozenset(ks) for fid, ks in contained.items() if ks}


def _passed(prog: Program, called: dict[int, set[int]]) -> dict[tuple[int, int], set[int]]:
    """(function, called parameter) -> the functions passed to it: named by
    a caller, or held by a caller's own parameter and handed on. Also fills
    prog.passed_at and prog.passers, and drops the function arguments that
    go to no called parameter."""
    passed: dict[tuple[int, int], set[int]] = {}
    handed: list[tuple[tuple[int, int], tuple[int, int]]] = []  # (from, to)
    for fn in prog.fns:
        for ci, args in list(fn.call_args().items()):
            kept = list(args)
            for j, a in enumerate(args):
                if a is None or a[0] not in ("a", "p"):
                    continue
                takers = [t for t in fn.callees[ci] if j in called.get(t, ())]
                if a[0] == "p":
                    handed += [((fn.id, int(a[1])), (t, j)) for t in takers]
                    continue
                named = prog.resolve(fn.path, a[1], 1) if takers else ()
                if not named:
                    # no callee calls it: no function passed. A name no
                    # analysed code defines is a function defined elsewhere
                    # (svc_put()'s `kref_put(.., svc_destroy)`): the callee
                    # calls that one, none of the functions others pass
                    kept[j] = a if takers else None
                    continue
                for t in takers:
                    passed.setdefault((t, j), set()).update(named)
                prog.passed_at[(fn.id, ci)] = tuple(
                    dict.fromkeys((*prog.passed_at.get((fn.id, ci), ()), *named))
                )
                for f in named:
                    prog.passers.setdefault(f, set()).add(fn.id)
            if kept != list(args):
                fn.record_args[ci] = tuple(kept)
    changed = True
    while changed:
        changed = False
        for src, dst in handed:
            new = passed.get(src, set()) - passed.get(dst, set())
            if new:
                passed.setdefault(dst, set()).update(new)
                changed = True
    return passed


def returning(prog: Program, fn: Fn, ci: int) -> tuple[int, ...]:
    """The functions whose state at return FN has after its call CI: its
    callees and the functions it passes them to call; through a function
    pointer parameter none, since the caller passing the function counts
    it at its own call (kref_put() would otherwise return holding what any
    release function its callers pass may return holding)."""
    if ci in fn.param_call:
        return ()
    return fn.callees[ci] + prog.passed_at.get((fn.id, ci), ())


def passes_other(caller: Fn, ci: int, k: int, name: str) -> bool:
    """Call CI of CALLER passes its callee's parameter K a function other
    than NAME: what the callee calls through K there is not NAME."""
    args = caller.call_args().get(ci, ())
    a = args[k] if k < len(args) else None
    return a is not None and a[0] == "a" and a[1] != name


def field_function(fn: Fn, ci: int, binding: Binding) -> str | None:
    """The function call CI of FN through a parameter's field calls, where
    BINDING knows what the caller's `&local` initialised that field with
    (free_log_tree()'s `.process_func = process_one_buffer`)."""
    for c, k, fld in fn.facts.field_calls:
        if c != ci:
            continue
        rec = dict(binding).get(records.FIELD + k)
        if rec is None or rec[0] != "f":
            return None
        v = records.parse(rec[1]).get(fld, "")
        return v[1:] if v.startswith(records.FUNCTION) else None
    return None


def calls_back(prog: Program, path: str, callee: str, idx: int) -> bool:
    """A function passed as argument IDX of CALLEE (called from PATH) is only
    ever called by CALLEE or what it hands the parameter to."""
    targets = prog.resolve(path, callee)
    return bool(targets) and all(idx in prog.contained.get(t, ()) for t in targets)
