"""Turn the program's witnesses into evidence chains a human can check."""

from __future__ import annotations

from collections.abc import Callable

from nofsbot.analyse import flow, ir
from nofsbot.analyse.facts import INDIRECT, shown
from nofsbot.analyse.guards import EMPTY, Binding
from nofsbot.analyse.program import IN, OUT, UNK, CallWitness, Fn, Program, RootWitness
from nofsbot.config import BEGIN, COND_BEGIN, COND_END, END
from nofsbot.model import Context, Evidence

MAX_CALLERS = 6
MAX_DEPTH = 3
MAX_CHAIN = 8


def opener_before(prog: Program, fn: Fn, line: int) -> tuple[str, int] | None:
    """The nearest call before LINE in FN that opens a scope, or the first
    of a run of calls to the same opener with nothing ending a scope
    between them: xfs_rename() calls xfs_trans_alloc() again only where the
    first failed with -ENOSPC, and the first is the one that opens the
    scope on the common path."""
    calls = sorted(
        ((cline, ci, callee) for ci, (callee, cline) in enumerate(fn.facts.calls) if cline <= line),
        reverse=True,
    )
    best = None
    for cline, ci, callee in calls:
        eff, summary = prog.effect(fn, ci)
        opens = eff in (BEGIN, COND_BEGIN) or (summary is not None and any(s > 0 for s in summary))
        if opens and (best is None or callee == best[0]):
            best = (callee, cline)
        elif best is not None and (opens or eff in (END, COND_END)):
            break
    return best


def not_providers_before(prog: Program, fn: Fn, line: int) -> list[tuple[str, int, str]]:
    out = []
    for callee, cline in fn.facts.calls:
        if cline <= line:
            np = prog.cfg.not_provider(callee)
            if np is not None:
                out.append((callee, cline, f"{np.name}: {np.note}"))
    return out


def context_of(elems: set[str]) -> Context:
    if elems == {IN}:
        return Context.ALWAYS
    if elems == {OUT}:
        return Context.NEVER
    # a caller nofsbot cannot see may hold anything: what happens on its
    # paths is not shown, even if other paths are scoped and others not
    if not elems or UNK in elems:
        return Context.UNKNOWN
    return Context.SOMETIMES


def _opener(prog: Program, fn: Fn, line: int) -> Evidence | None:
    op = opener_before(prog, fn, line)
    if op is None:
        return None
    callee, cline = op
    note = prog.cfg.provider_note(callee)
    callee = shown(callee)
    _eff, pair = prog.cfg.scope_effect(callee)
    text = f"{callee}() opens a NOFS scope" + (f" ({pair.name})" if pair else "")
    if pair and pair.conditional:
        text += f"; conditional: {note}"
    return Evidence(fn.path, cline, fn.name, text)


def conditional_opener(prog: Program, fn: Fn, line: int) -> Evidence | None:
    """The call before LINE in FN that opens a scope only on some paths
    (a conditional provider: ext4's handle, with a journal), whose note
    says when it opens none: why a path goes on outside any scope."""
    op = _opener(prog, fn, line)
    return op if op is not None and "; conditional: " in op.note else None


def covered(
    prog: Program,
    fn: Fn,
    states: frozenset[int],
    line: int,
    depth: int = 0,
    below: tuple[tuple[int, Fn], ...] = (),
    allow: Callable[[Binding], bool] | None = None,
) -> list[Evidence]:
    """Why every path to LINE in FN (with STATES there) is inside a scope.
    BELOW is the way down from FN to the site: (call index, callee) per
    step; a caller whose constant arguments rule one of those calls out is
    no path to the site. ALLOW: the bindings the site's own function must
    be entered with to reach it (Fn.reaching())."""
    out: list[Evidence] = []
    if any(s >= 1 for s in states):
        ev = _opener(prog, fn, line)
        if ev:
            out.append(ev)
    if ir.ENTRY not in states:
        return out
    # covered because the function is always entered inside a scope
    root = (flow.entered(prog, fn, allow)[1] if allow and not below else fn.why).get(IN)
    if isinstance(root, RootWitness):
        out.append(Evidence(root.path, root.line, fn.name, root.note))
        return out
    # the calls that can run (flow.py): not one passing NULL where the callee
    # dereferences it, not one from a function nothing calls
    live = sorted(
        {(c, ci) for c, ci in fn.callers if (c, ci) in prog.live},
        key=lambda x: (prog.fns[x[0]].path, x[1]),
    )
    ruled = {(c, ci): ruled_out(prog, c, ci, fn, below, allow) for c, ci in live}
    callers = [x for x in live if ruled[x] is None]
    # the call sites ruled out are counted apart, and listed next
    others = len(live) - len(callers)
    more = f" (and {others} that {'does' if others == 1 else 'do'} not reach it)" if others else ""
    if len(callers) == 1:
        reaching = " that reaches the site" if others else ""
        note = f"its only call site{reaching} is inside a scope{more}"
    else:
        note = f"every one of its {len(callers)} call sites is inside a scope{more}"
    out.append(Evidence(fn.path, fn.facts.line, fn.name, note))
    # the callers that never get to the site, next to the count they are
    # not in
    for c, ci in [x for x in live if ruled[x] is not None][:MAX_CALLERS]:
        g = prog.fns[c]
        out.append(
            Evidence(
                g.path,
                g.facts.calls[ci][1],
                g.name,
                f"calls {called(g, ci, fn.name)} with arguments under which "
                + (
                    f"{ruled[(c, ci)]}() is never called on the way to the site"
                    if ruled[(c, ci)]
                    else "the site is not reached (its own test rules it out)"
                ),
            )
        )
    for c, ci in callers[:MAX_CALLERS]:
        g = prog.fns[c]
        cline = g.facts.calls[ci][1]
        callee = called(g, ci, fn.name)
        st = g.state_at(ci)
        if all(s >= 1 for s in st):
            out.append(Evidence(g.path, cline, g.name, f"calls {callee} inside a scope"))
            ev = _opener(prog, g, cline)
            if ev:
                out.append(ev)
        else:
            out.append(
                Evidence(
                    g.path,
                    cline,
                    g.name,
                    f"calls {callee}; {g.name}() is itself always entered in a scope",
                )
            )
            if depth < MAX_DEPTH:
                out += covered(prog, g, st, cline, depth + 1, ((ci, fn), *below), allow)[
                    :MAX_CALLERS
                ]
    if len(callers) > MAX_CALLERS:
        out.append(
            Evidence(
                fn.path,
                fn.facts.line,
                fn.name,
                f"... and {len(callers) - MAX_CALLERS} more call sites, all inside a scope",
            )
        )
    return out


def ruled_out(
    prog: Program,
    c: int,
    ci: int,
    fn: Fn,
    below: tuple[tuple[int, Fn], ...],
    allow: Callable[[Binding], bool] | None = None,
) -> str | None:
    """The callee on the way down BELOW that the constant arguments of call
    CI of C into FN rule out, if any, or "" when they rule out the site
    itself (ALLOW rejects the binding its function is entered with)
    (xfs_reflink.c passes XFS_COW_FORK to
    xfs_bmap_add_extent_unwritten_real(), which passes it on to
    xfs_rmap_convert_extent(), which then never calls __xfs_rmap_add())."""
    caller = prog.fns[c]
    b = caller.step(ci, EMPTY)
    b = caller.enter(ci, fn, b) if b is not None else None
    if b is None:
        return fn.name
    f = fn
    for via, nxt in below:
        nb = f.step(via, b)
        b = f.enter(via, nxt, nb) if nb is not None else None
        if b is None:
            return nxt.name
        f = nxt
    if allow is not None and not allow(b):
        return ""
    return None


def takes(fn: Fn, ci: int, cls: str) -> str:
    """How call CI of FN takes CLS: itself, or through a helper that
    returns holding it (ni_lock(), or btrfs_is_data_extent_shared() on the
    paths it leaves without its up_read()): the line is the helper's call."""
    if any(c == ci for c, _, _ in fn.facts.locks):
        return f"takes {cls}"
    return f"takes {cls} through {shown(fn.facts.calls[ci][0])}()"


def called(g: Fn, ci: int, target: str) -> str:
    """How call CI of G names its callee TARGET: as the code writes it, and
    through a function pointer with the function called there, or for a
    kernel helper that calls a function back (d_splice_alias(),
    block_write_full_page(.., udf_get_block, ..)) with the one it calls."""
    callee = g.facts.calls[ci][0]
    written = shown(callee)
    if written == target:
        return f"{written}()"
    if ci in g.param_call or callee.startswith(INDIRECT):
        return f"{written}() ({target}() here)"
    return f"{written}() (which calls {target}() back)"


def witness(
    prog: Program,
    fn: Fn,
    elem: str,
    why: dict[str, RootWitness | CallWitness] | None = None,
    roots: list[Fn] | None = None,
) -> list[Evidence]:
    """A chain of callers from FN up to where ELEM (out/unk/in) comes from
    (WHY: FN's witnesses, if not FN.why). ROOTS, if given, gets the
    function the chain ends at when it ends where ELEM comes from outside
    the analysed calls."""
    out: list[Evidence] = []
    seen: set[int] = set()
    cur = fn
    w = (fn.why if why is None else why).get(elem)
    for _ in range(MAX_CHAIN):
        if cur.id in seen:
            break
        seen.add(cur.id)
        if w is None:
            break
        if isinstance(w, RootWitness):
            out.append(Evidence(w.path, w.line, cur.name, w.note))
            if roots is not None:
                roots.append(cur)
            break
        g = prog.fns[w.caller]
        cline = g.facts.calls[w.call][1]
        callee = called(g, w.call, cur.name)
        st = g.state_at(w.call)
        if elem == IN and any(s >= 1 for s in st):
            ev = _opener(prog, g, cline)
            out.append(Evidence(g.path, cline, g.name, f"calls {callee} inside a scope"))
            if ev:
                out.append(ev)
            break
        if elem == OUT and ir.OUT in st:
            out.append(
                Evidence(
                    g.path, cline, g.name, f"calls {callee} after a scope it was given was closed"
                )
            )
            break
        what = {
            OUT: "outside any scope",
            UNK: "without a scope of its own",
            IN: "without a scope of its own",
        }[elem]
        out.append(Evidence(g.path, cline, g.name, f"calls {callee} {what}"))
        cur = g
        w = prog.next_why(w, elem)
    return out


def unknown_root(prog: Program, fn: Fn) -> str | None:
    """What nofsbot cannot see behind FN's unknown callers: the function at
    the end of the chain and why its callers are unknown."""
    cur = fn
    w = fn.why.get(UNK)
    seen: set[int] = set()
    while cur.id not in seen:
        seen.add(cur.id)
        if w is None:
            if not cur.entry:
                return f"{cur.name}() is called only from functions nothing calls"
            return None
        if isinstance(w, RootWitness):
            return f"{cur.name}() {w.note}"
        cur = prog.fns[w.caller]
        w = prog.next_why(w, UNK)
    return None


def for_site(
    prog: Program,
    fn: Fn | None,
    states: frozenset[int],
    line: int,
    allow: Callable[[Binding], bool] | None = None,
) -> tuple[Context, list[Evidence]]:
    """The site's context and why. ALLOW (Fn.reaching()): the bindings FN
    must be entered with to reach the site; the others bring nothing."""
    if fn is None:
        return Context.UNKNOWN, []
    entry, why = flow.entered(prog, fn, allow) if allow else (fn.entry, fn.why)
    elems = prog.elems(fn, states, entry)
    ctx = context_of(elems)
    ev: list[Evidence] = []
    if ctx is Context.ALWAYS:
        ev = covered(prog, fn, states, line, allow=allow)
    else:
        if ir.OUT in states:
            ev.append(
                Evidence(
                    fn.path,
                    line,
                    fn.name,
                    "reached after the scope was closed on some path (restore before this point)",
                )
            )
        if any(s >= 1 for s in states):
            op = _opener(prog, fn, line)
            if op:
                ev.append(op)
        if ir.ENTRY in states:
            for elem in (IN, OUT, UNK):
                if elem in entry:
                    ev += witness(prog, fn, elem, why)
    for callee, cline, note in not_providers_before(prog, fn, line):
        ev.append(Evidence(fn.path, cline, fn.name, f"{callee}() gives no scope: {note}"))
    return ctx, ev
