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

A function passed to such a parameter is called by the callee, not "called
back from unknown context", when the callee uses the parameter only to call
it or to hand it whole to another callee that does the same (contained).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nofsbot.analyse import records
from nofsbot.analyse.guards import Binding

if TYPE_CHECKING:
    from nofsbot.analyse.program import Fn, Program


def link(prog: Program) -> None:
    """Resolve the calls through parameters; fill Fn.param_call,
    prog.contained, prog.passed_at and prog.passers; drop the function
    arguments no callee calls."""
    called = _called(prog.fns)
    prog.contained = _contained(prog.fns, called)
    passed = _passed(prog, called)
    for fn in prog.fns:
        for ci, k in fn.facts.param_calls:
            fn.param_call[ci] = k
            more = tuple(sorted(t for t in passed.get((fn.id, k), ()) if t not in fn.callees[ci]))
            fn.callees[ci] = fn.callees[ci] + more
            for t in more:
                prog.fns[t].callers.append((fn.id, ci))


def _called(fns: list[Fn]) -> dict[int, set[int]]:
    """Per function, the parameters it calls: directly, or by handing one
    whole to a parameter its callee calls."""
    called: dict[int, set[int]] = {
        fn.id: {k for _, k in fn.facts.param_calls} for fn in fns if fn.facts.param_calls
    }
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


def _contained(fns: list[Fn], called: dict[int, set[int]]) -> dict[int, frozenset[int]]:
    """Of the CALLED parameters, those only called or handed whole to
    callees that contain them too."""
    contained = {fid: set(fns[fid].facts.contained) & ks for fid, ks in called.items()}
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
                    kept[j] = None  # no function, or no callee calls it
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
