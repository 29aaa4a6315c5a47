"""Scope summaries: what calling a function does to its caller's NOFS scope,
and the scope walk of every function whose scope can change inside, to a
fixpoint (ir.py does the walk; a failed begin's error branch has no scope).
"""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from tree_sitter import Node

from nofsbot.analyse import callresult, ir, syntax
from nofsbot.analyse.facts import FLAGS_CLEAR, FLAGS_SET
from nofsbot.config import BEGIN, COND_BEGIN, COND_END, END, HANDOVER, NEUTRAL, Config

if TYPE_CHECKING:
    from nofsbot.analyse.program import Fn, Program

log = logging.getLogger(__name__)


def effect(prog: Program, fn: Fn, ci: int) -> tuple[str, frozenset[int] | None]:
    callee = fn.facts.calls[ci][0]
    if callee == FLAGS_SET:
        return BEGIN, None
    if callee == FLAGS_CLEAR:
        return END, None
    eff, _ = prog.cfg.scope_effect(callee)
    if eff == HANDOVER:
        return NEUTRAL, None
    if eff != NEUTRAL:
        return eff, None
    targets = [prog.fns[t] for t in fn.callees[ci]]
    if any(t.on_success for t in targets) and ci not in {r[0] for r in fn.facts.results}:
        return NEUTRAL, None  # its failure is not told apart here: no scope known
    summaries = [t.summary for t in targets if t.summary != {0}]
    if summaries:
        merged: frozenset[int] = frozenset().union(*summaries)
        return "summary", merged
    return NEUTRAL, None


def _transfer(prog: Program, fn: Fn) -> ir.Transfer:
    # an end given the handle of this function's own begin can only close
    # that begin's scope: a path on which the walk sees it close one more
    # (`stop(h); h = NULL; .. if (h) stop(h)`, which it does not tell
    # apart) leaves the caller's scope alone
    own = set(fn.facts.own_ends)

    def transfer(ci: int, state: ir.State) -> ir.State:
        eff, summary = effect(prog, fn, ci)
        if eff == NEUTRAL:
            return state
        if eff == BEGIN:
            return ir.begin(state)
        if eff == COND_BEGIN:
            return ir.begin(state, conditional=True)
        if eff == END:
            return ir.end(state, conditional=ci in own)
        if eff == COND_END:
            return ir.end(state, conditional=True)
        assert summary is not None
        out: set[int] = set()
        for s in summary:
            if s == 0:
                out |= state
            elif s > 0:
                step = state
                for _ in range(s):
                    step = ir.begin(step)
                out |= step
            else:
                out |= ir.end(state)
        return frozenset(out)

    return transfer


def walk_all(prog: Program) -> None:
    """Walk the functions whose scope can change inside, until summaries settle.

    A function needs a walk only if it calls something that opens or
    closes a scope (configured, or a helper whose summary is not
    neutral); everywhere else every point is "as at entry".
    """
    configured = prog.cfg.scope_names
    scope_re = prog.cfg.scope_pattern
    work: deque[int] = deque()
    for fn in prog.fns:
        if fn.facts.ir is not None and any(
            c in (FLAGS_SET, FLAGS_CLEAR) or scope_re.fullmatch(c) for c, _ in fn.facts.calls
        ):
            work.append(fn.id)
    queued = set(work)
    steps = 0
    while work:
        steps += 1
        fid = work.popleft()
        queued.discard(fid)
        fn = prog.fns[fid]
        assert fn.facts.ir is not None
        w = ir.Walk(_transfer(prog, fn))
        w.run(fn.facts.ir)
        # what the function does to its callers: a helper that returns
        # an error or a running transaction opens a scope for them
        exits = _summary(frozenset(w.exits))
        if fn.facts.results:
            # inside, a branch taken when a begin failed has no scope
            w = ir.Walk(_transfer(prog, fn), branch=_failed_begin(prog, fn))
            w.run(fn.facts.ir)
        fn.at = {k: frozenset(v) for k, v in w.at.items()}
        on_success = exits == {0} and _on_success(fn, w)
        if on_success:
            exits = frozenset({1})
        if fn.name in configured or scope_re.fullmatch(fn.name):
            exits = frozenset({0})  # a configured provider's own body
            on_success = False
        if exits != fn.summary or on_success != fn.on_success:
            fn.summary = exits
            fn.on_success = on_success
            for caller, _ in fn.callers:
                if prog.fns[caller].facts.ir is not None and caller not in queued:
                    work.append(caller)
                    queued.add(caller)
    log.debug("scope walks settled after %d steps", steps)


def _failed_begin(
    prog: Program, fn: Fn
) -> Callable[[frozenset[int], tuple[str, bool]], frozenset[int]]:
    """The branch of a begin's result test taken when the begin failed
    (`if (IS_ERR(handle))`, `if (error)` right after `error =
    xfs_trans_alloc(..)`, marked by extraction) runs without the scope that
    begin would have opened."""

    def opens(ci: int) -> bool:
        eff, summary = effect(prog, fn, ci)
        return eff in (BEGIN, COND_BEGIN) or (summary is not None and 1 in summary)

    def branch(state: frozenset[int], key: tuple[str, bool]) -> frozenset[int]:
        ci = callresult.failed_call(key)
        if ci is not None and opens(ci):
            return ir.end(state, conditional=True)
        return state

    return branch


def _on_success(fn: Fn, w: ir.Walk) -> bool:
    """A helper that returns inside a scope it opened exactly when it
    succeeds: every return is either inside the scope and not a failure, or
    outside it and a failure (`return ERR_PTR(error)`), and no path falls off
    the end. Its callers are in the scope where its result says success."""
    fails = set(fn.facts.fail_returns)
    if not fails or not w.returns:
        return False
    seen: set[int] = set()
    opened = False
    for line, states in w.returns.items():
        seen |= states
        if line in fails:
            if any(s != 0 for s in states):
                return False
        elif any(s < 1 for s in states):
            return False
        else:
            opened = True
    return opened and seen == set(w.exits)


def _summary(exits: frozenset[int]) -> frozenset[int]:
    """What calling a function does to its caller's scope, from its exit states.

    A function that returns inside a scope it opened on every path (a cookie
    saved in a struct field, restored by another function) opens a scope for
    its caller: {+1}. A scope left open on some paths only is the error path
    of a failed begin (`error = xfs_trans_alloc(); if (error) return error;`)
    and counts as neutral. Closing a scope the caller opened (-1) is always
    kept. Erring towards neutral only makes callers look less covered.
    """
    if not exits:
        return frozenset({0})
    if all(s >= 1 for s in exits):
        return frozenset({1})
    return frozenset(min(s, 0) for s in exits)


def begin_results(
    cfg: Config,
    var_types: Callable[[], dict[str, str]],
    calls: list[tuple[str, Node]],
) -> tuple[tuple[tuple[int, str, bool], ...], dict[int, str]]:
    """Extraction: the scope begins among CALLS (callee, node) of a function
    whose result is tested right after them (`handle = ocfs2_start_trans(..);
    if (IS_ERR(handle))`), as (call index, variable, is a pointer: VAR_TYPES
    gives the function's declared pointers), and a mark for the key of that
    test's condition (syntax.FAILED_MARK), which _failed_begin() reads."""
    results: list[tuple[int, str, bool]] = []
    marks: dict[int, str] = {}
    begins = cfg.scope_pattern
    for ci, (callee, cnode) in enumerate(calls):
        # every tested result: a helper may return a running transaction
        # (xfs_ioctl_setattr_get_trans()); whether the call opens a scope is
        # known only once summaries are (_failed_begin)
        if callee.startswith(("*", "\x00")) or not callee.isidentifier():
            continue
        var = callresult.result_var(cnode)
        if not var:
            continue
        test = callresult.result_test(cnode, var, begins)
        if test is not None:
            pointer = var in var_types()
            results.append((ci, var, pointer))
            for cond in callresult.else_if_tests(test, var):
                marks[cond.start_byte] = callresult.failed_mark(ci, var, pointer)
    return tuple(results), marks


def own_ends(cfg: Config, calls: list[tuple[str, Node]]) -> tuple[int, ...]:
    """Extraction: the indexes of the scope ends among CALLS (callee, node)
    given a local that an earlier scope begin of the same function handed
    out (`handle = ext4_journal_start(..); .. ext4_journal_stop(handle)`,
    `flags = memalloc_nofs_save(); .. memalloc_nofs_restore(flags)`,
    `xfs_trans_alloc(.., &tp); .. xfs_trans_commit(tp)`)."""
    handed: set[str] = set()
    out: list[int] = []
    for ci, (callee, cnode) in enumerate(calls):
        if callee.startswith(("*", "\x00")) or not callee.isidentifier():
            continue
        eff, _ = cfg.scope_effect(callee)
        if eff in (BEGIN, COND_BEGIN):
            handed |= callresult.handles_out(cnode)
        elif eff in (END, COND_END) and handed.intersection(syntax.arg_names(cnode)):
            out.append(ci)
    return tuple(out)


_FAILS = re.compile(rb"\breturn\s*\(?\s*(?:ERR_PTR\s*\(|NULL\s*\)?\s*;|-\s*E[A-Z0-9]+\s*\)?\s*;)")


_RETURNS = re.compile(rb"\breturn\b")
_OK = re.compile(rb"\breturn\s*\(?\s*0\s*\)?\s*;")


def _lines(fnode: Node, pattern: re.Pattern[bytes]) -> set[int]:
    text = fnode.text or b""
    first = fnode.start_point[0] + 1
    return {first + text.count(b"\n", 0, m.start()) for m in pattern.finditer(text)}


def failing_returns(fnode: Node) -> tuple[int, ...]:
    """Extraction: the lines of FNODE's returns that return a failure
    (`return ERR_PTR(error);`, `return NULL;`, `return -ENOMEM;`)."""
    return tuple(sorted(_lines(fnode, _FAILS)))


def success_returns(fnode: Node, fails: tuple[int, ...]) -> tuple[int, ...]:
    """Extraction: the lines of FNODE's returns that say it succeeded:
    `return 0;`, and in a function returning a pointer, every return but
    the FAILS (failing_returns(): NULL, ERR_PTR())."""
    ok = _lines(fnode, _OK)
    decl = fnode.child_by_field_name("declarator")
    if decl is not None and decl.type == "pointer_declarator":
        ok |= _lines(fnode, _RETURNS) - set(fails)
    return tuple(sorted(ok))
