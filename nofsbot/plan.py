"""The plan stage: a final class for every site, with its reason and evidence.

Classes (domain.md section 2):
- redundant: inside a NOFS scope on every path -> GFP_KERNEL
- mixed: scoped on some paths; no reclaim-shared lock can be held at the
  site, so NOFS only silenced lockdep -> GFP_KERNEL | __GFP_NOLOCKDEP
- unneeded: never scoped, no reclaim-shared lock, not on a reclaim path
  itself -> GFP_KERNEL
- needs-scope: a lock that reclaim also takes may be held: the fix is a scope
  right after that lock is taken, restored at every exit
- noop-mask: GFP_KERNEL | GFP_NOFS is GFP_KERNEL
- keep: everything nofsbot cannot prove, with the reason
Without proof, never a rewrite.
"""

from __future__ import annotations

import dataclasses
import re

from nofsbot.analyse import Placed
from nofsbot.analyse.locks import WRITEBACK
from nofsbot.analyse.mapping import MappingVerdict
from nofsbot.analyse.placed import WorkWait
from nofsbot.model import Class, Context, Evidence, Finding, Kind, Site

# A scope at the top of work is proposed only for a wait at most this many
# calls from a reclaim entry point: each step of a longer path is one more
# condition nofsbot does not evaluate (a reference count that must drop to
# zero, an error path) that may rule it out.
MAX_WAIT_CALLS = 8

# the reason of a mask passed to a function that never reads it
UNREAD_MASK = "the mask has no effect: "
# the reason of a site under a lock on an object its function has just made
MADE_OBJECT = "is held on an object this function has just made and given to no one"
_NOOP_RE = re.compile(r"^\(?\s*(GFP_KERNEL\s*\|\s*GFP_NOFS|GFP_NOFS\s*\|\s*GFP_KERNEL)\s*\)?$")

_KEEP_KINDS = {
    Kind.STORED: "the mask is stored for allocations made later elsewhere ({detail}); "
    "converting it is right only if every later use is scoped",
    Kind.MAPPING: "mapping-wide mask: every page-cache allocation on the mapping is affected",
    Kind.RETRY: "not an allocation: {detail}() waits before a failed allocation is retried, "
    "and the mask names that allocation's; it reads none of __GFP_FS, so it changes "
    "with that allocation, not on its own",
    Kind.RETURN: "the mask is returned to callers, who allocate with it",
    Kind.OTHER: "a use of the mask nofsbot does not recognise ({detail})",
    Kind.UNPARSED: "the code around it does not parse",
}


def suggest(expression: str, token: str, replacement: str) -> str:
    """EXPRESSION with TOKEN replaced, other bits kept: GFP_NOFS | __GFP_NOFAIL ->
    GFP_KERNEL | __GFP_NOFAIL."""
    if token == "__GFP_FS":
        if not replacement:
            return expression
        # constrained by nothing, a mapping's mask is the mapping's mask
        out = _CONSTRAINT.sub(r"mapping_gfp_mask(\1)", expression)
        return re.sub(r"\s*&\s*~\s*\(?\s*__GFP_FS\s*\)?", "", out)
    out = re.sub(rf"\b{token}\b", replacement, expression)
    if token == "KM_NOFS":  # no KM flag left is 0; 0 | KM_MAYFAIL is KM_MAYFAIL
        out = re.sub(r"^0\s*\|\s*|\s*\|\s*0$", "", out.strip()) or "0"
    return out


_CONSTRAINT = re.compile(r"mapping_gfp_constraint\(\s*(.+?)\s*,\s*~\s*\(?\s*__GFP_FS\s*\)?\s*\)")

_KMEM_TO = {"kmem_alloc": "kmalloc", "kmem_zalloc": "kzalloc"}


def suggest_kmem(s: Site, extra: str = "") -> str:
    """XFS 6.1: kmem_zalloc(.., KM_NOFS [| KM_MAYFAIL]) as kzalloc with the flags
    kmem_flags_convert() gives: never failing without KM_MAYFAIL; with it,
    one try that fails silently (__GFP_NOWARN)."""
    fail = "__GFP_NOWARN | __GFP_RETRY_MAYFAIL" if "KM_MAYFAIL" in s.expression else "__GFP_NOFAIL"
    callee = _KMEM_TO.get(s.callee or "", s.callee or "kmalloc")
    return f"{callee}(.., GFP_KERNEL{extra} | {fail})"


def _suggestion(s: Site, *, mixed: bool = False) -> str:
    """The mask (or, for XFS kmem_* calls, the call) to use instead."""
    if s.token == "KM_NOFS" and s.kind is Kind.KMEM_ARG:
        return suggest_kmem(s, " | __GFP_NOLOCKDEP" if mixed else "")
    return suggest(s.expression, s.token, "GFP_KERNEL | __GFP_NOLOCKDEP" if mixed else "GFP_KERNEL")


def _keep(p: Placed, reason: str) -> Finding:
    return Finding(p.site, p.context, Class.KEEP, reason, p.evidence + p.reclaim.evidence)


def classify(p: Placed) -> Finding:
    s = p.site
    detail = s.callee or s.variable or s.expression
    if s.function is None and s.kind is not Kind.UNPARSED:
        return _keep(p, "not inside a function (an initialiser)")
    if s.kind is Kind.SIGNAL:
        why = "the mask is read as a signal"
        if s.callee:
            why += f": {s.callee}() tests __GFP_FS"
        elif "shrink" in s.expression or (s.variable or "").endswith("gfp_mask"):
            why += ": a shrink_control mask allocates nothing"
        else:
            why += f": tested or compared in `{s.expression}`"
        return _keep(p, why)
    if p.signal:
        return _keep(p, f"the mask is read as a signal: {p.signal}")
    if s.kind is Kind.STORED and p.later is not None:
        later = p.later
        ev = p.evidence + later.uses
        if later.all_scoped:
            return Finding(
                s,
                p.context,
                Class.REDUNDANT,
                f"stored by {s.callee}(); every later use of the mask is inside a scope",
                ev,
                suggestion=suggest(s.expression, s.token, "GFP_KERNEL"),
            )
        if later.boundary is not None:
            b = later.boundary
            return Finding(
                s,
                p.context,
                Class.NEEDS_SCOPE,
                f"stored by {s.callee}() and used while {b.lock} is held outside any "
                f"scope: open a scope after it is taken ({b.function}() line {b.line})",
                ev,
                suggestion=suggest(s.expression, s.token, "GFP_KERNEL"),
                boundary=b,
            )
        if later.uses:
            return _keep(
                p,
                f"stored by {s.callee}(); some later uses run outside a scope, "
                "so the stored mask decides for them",
            )
    if s.kind is Kind.MAPPING and p.mapping:
        return _mapping(p, p.mapping)
    if s.kind in _KEEP_KINDS:
        return _keep(p, _KEEP_KINDS[s.kind].format(detail=detail))
    # a mask with no effect: where the site runs does not matter, only why
    if p.ignored and s.kind is Kind.CALL_ARG:
        return Finding(
            s,
            p.context,
            Class.NOOP_MASK,
            f"{UNREAD_MASK}{p.ignored}",
            _unread(p.ignored),
            suggestion=_suggestion(s),
        )
    if _NOOP_RE.match(s.expression):
        return Finding(
            s,
            p.context,
            Class.NOOP_MASK,
            "GFP_KERNEL | GFP_NOFS is GFP_KERNEL",
            (
                Evidence(
                    s.path, s.line, s.function, "GFP_KERNEL has __GFP_FS: the NOFS adds nothing"
                ),
            ),
            suggestion="GFP_KERNEL",
        )
    if p.context is Context.ALWAYS:
        return Finding(
            s,
            p.context,
            Class.REDUNDANT,
            "every path to this allocation is inside a NOFS scope",
            p.evidence,
            suggestion=_suggestion(s),
        )
    r = p.reclaim
    ww = p.work_wait
    if (
        r.shared
        and r.boundary is not None
        and ww is not None
        and not (ww.through or ww.outside or ww.calls > MAX_WAIT_CALLS)
    ):
        # every path to the site runs in work reclaim waits for: the scope
        # from its top covers the lock's section too, one scope, not two
        return _work_scope(
            p,
            ww,
            f"; {r.boundary.lock}, which reclaim also takes, may be held here too, and "
            f"that scope covers its section ({r.boundary.function}() line {r.boundary.line})",
        )
    if r.shared and r.boundary is not None:
        b = r.boundary
        return Finding(
            s,
            p.context,
            Class.NEEDS_SCOPE,
            (
                f"a folio is under writeback here and its I/O not yet submitted, and FS "
                f"reclaim may wait on it: open a scope after it is set ({b.function}() "
                f"line {b.line}) and restore it where it ends"
                if b.lock == WRITEBACK
                else f"{b.lock} may be held here, taken inside the transaction "
                f"{r.joins}() set in current->journal_info, which reclaim in this task "
                "would join, re-entering the filesystem inside it: open a scope after it is "
                f"taken ({b.function}() line {b.line}) and restore it where it is released"
                if r.joins
                else f"{b.lock} may be held here and reclaim takes it too: open a scope "
                f"after it is taken ({b.function}() line {b.line}) and restore it where "
                "it is released"
            ),
            # one path that runs: the entry, outside any scope, to where the
            # lock is taken, then down to the site; the site's other
            # contexts (some callers in a scope, some unknown) decide nothing
            (r.owner_context or p.evidence) + r.evidence,
            suggestion=_suggestion(s),
            boundary=b,
        )
    if r.section_lock:
        return _keep(p, f"a lock reclaim takes may be held ({r.section_lock}): {r.unproven}")
    if r.shared:
        return _keep(
            p,
            f"a lock reclaim takes may be held ({', '.join(r.shared)}): "
            + (r.unproven or "where it is taken is not known"),
        )
    if r.unresolved:
        return _keep(
            p,
            f"may hold locks reclaim takes ({', '.join(r.unresolved)}): the struct type "
            "of one side is not known, only the field",
        )
    if p.waited is not None:
        b = p.waited
        return Finding(
            s,
            p.context,
            Class.NEEDS_SCOPE,
            f"{b.lock}: work does not inherit the waiter's scope, so it needs its own "
            f"from the top of {b.function}()",
            p.evidence,
            suggestion=_suggestion(s),
            boundary=b,
        )
    if r.maybe:
        locks = [c for c in r.maybe if c != WRITEBACK]
        reasons = []
        if locks:
            reasons.append(
                f"a lock reclaim takes may still be held ({', '.join(locks)}): a call before "
                "this may return holding it, or (for a folio lock) which folio reclaim "
                "locks is not followed"
            )
        if WRITEBACK in r.maybe:
            reasons.append(
                "a folio this task set under writeback may not have its I/O submitted yet: "
                "reclaim with __GFP_FS waits on folios under writeback "
                "(shrink_folio_list()), unless it finds them locked; whether the folio "
                "is still locked here, and where the I/O is submitted, is not followed"
            )
        return _keep(p, "; ".join(reasons))
    if p.context is Context.UNKNOWN:
        seen = f": {p.unknown}" if p.unknown else ""
        return _keep(p, f"reachable from callers nofsbot cannot see{seen}")
    if r.on_reclaim_path:
        return _keep(p, f"runs on a reclaim path: {r.on_reclaim_path}")
    if p.used_under is not None:
        u = p.used_under
        why = f"{u.function}() {u.note}, and reclaim takes it too"
        return Finding(s, p.context, Class.KEEP, why, (*p.evidence, u))
    if p.work_wait is not None:
        # every other reason to keep NOFS was ruled out above: only this
        # work's own paths need the scope
        b = p.work_wait.boundary
        if p.work_wait.through:
            what = "work that may wake what a reclaim path sleeps on"
            if p.work_wait.operation is not None:
                obj, removal = p.work_wait.operation
                what = (
                    f"an operation of {obj}, and a reclaim path calls {removal}(), which "
                    "waits for the operations running on what it removes"
                )
            return Finding(
                s,
                p.context,
                Class.KEEP,
                f"runs in {b.function}(), {what}, but {p.work_wait.through}",
                (*p.evidence, *p.work_wait.evidence),
            )
        if p.work_wait.calls > MAX_WAIT_CALLS:
            return Finding(
                s,
                p.context,
                Class.KEEP,
                f"runs in {b.function}(), work a reclaim path waits for "
                f"{p.work_wait.calls} calls away from its entry point: too long a path "
                "to propose a scope from it",
                (*p.evidence, *p.work_wait.evidence),
            )
        return _work_scope(p, p.work_wait)
    if p.woken is not None:
        k = p.woken
        return Finding(
            s,
            p.context,
            Class.KEEP,
            f"runs before this task wakes {k.thread}(), a kernel thread that may sleep "
            f"holding {k.lock}, which reclaim takes: FS reclaim entered here could wait "
            "for that thread, and the thread for this task",
            (*p.evidence, *k.evidence),
        )
    if p.flushed is not None:
        w = p.flushed
        why = (
            f"runs in work that {w.function}() waits for ({w.note}); no reclaim path "
            f"nofsbot sees waits for it, but what waits for {w.function}() is not followed"
        )
        return Finding(s, p.context, Class.KEEP, why, (*p.evidence, w))
    # a lock reclaim takes only on the object it frees: never the one this
    # task holds, but lockdep names both by one class
    inst = ""
    if r.instance:
        inst = (
            f"; {', '.join(r.instance)} may be held, which reclaim takes only on the "
            "object it frees, never on one this task holds a reference to "
            "(__GFP_NOLOCKDEP: lockdep cannot tell the two apart)"
        )
    if r.made:
        inst += (
            f"; {', '.join(r.made)} {MADE_OBJECT}, which no reclaim path can reach "
            "(__GFP_NOLOCKDEP: lockdep names it by the class reclaim takes)"
        )
    if p.context is Context.SOMETIMES:
        return Finding(
            s,
            p.context,
            Class.MIXED,
            "inside a scope on some paths; on the others no lock that reclaim "
            f"takes is held, so NOFS only silences lockdep{inst}",
            p.evidence + r.evidence if inst else p.evidence,
            suggestion=_suggestion(s, mixed=True),
        )
    return Finding(
        s,
        p.context,
        Class.UNNEEDED,
        "never inside a scope, no lock that reclaim takes is held, and not on a reclaim "
        f"path{inst}",
        tuple(dict.fromkeys(p.evidence + r.callers + (r.evidence if inst else ()))),
        suggestion=_suggestion(s, mixed=bool(inst)),
    )


def _work_scope(p: Placed, w: WorkWait, also: str = "") -> Finding:
    """The scope from the top of W, the work (or kthread) a reclaim path
    waits for, which P's site runs in: needs-scope. ALSO: what else the
    scope covers, said in the reason."""
    s, b = p.site, w.boundary
    kind, what, starts = (
        ("a kernel thread", "the thread", "a kernel thread starts with no scope")
        if b.thread
        else ("work", "the work", "work does not inherit a scope")
    )
    why = (
        f"runs in {b.function}(), {kind} whose progress reclaim waits for: FS reclaim "
        f"entered here could wait for {what} itself, and {starts}, so {b.function}() "
        "needs its own from its top"
    )
    if w.operation is not None:
        obj, removal = w.operation
        why = (
            f"runs in {b.function}(), an operation of {obj}, and a reclaim path calls "
            f"{removal}(), which waits for such operations to end: FS reclaim entered "
            f"here could wait for the operation itself, so {b.function}() needs a "
            "scope from its top"
        )
    return Finding(
        s,
        p.context,
        Class.NEEDS_SCOPE,
        why + also,
        (*p.evidence, *w.evidence),
        suggestion=_suggestion(s),
        boundary=b,
    )


def _mapping(p: Placed, verdict: MappingVerdict) -> Finding:
    """A mapping-wide mask: a scope at its choke point, or keep (domain.md 6)."""
    c = verdict.choke
    if c is None:
        return _keep(p, f"mapping-wide mask: {verdict.reason}")
    where = ", ".join(str(line) for line in c.calls)
    choke = Evidence(
        c.path,
        c.calls[0],
        c.function,
        f"the only page-cache allocation on {c.mapping} (line {where})"
        + (", inside a NOFS scope" if c.scoped else ""),
    )
    # what the mask decides is what its allocation there may hold: where a
    # lock reclaim takes is shown held, that chain, not how the mask is set
    ev = (choke, *verdict.evidence) if verdict.evidence else (*p.evidence, choke)
    suggestion = suggest(p.site.expression, p.site.token, "GFP_KERNEL")
    if c.scoped:
        return Finding(
            p.site,
            p.context,
            Class.REDUNDANT,
            f"mapping-wide mask: {c.function}() is the only page-cache allocation on the "
            "mapping and already runs inside a NOFS scope",
            ev,
            suggestion=suggestion,
            choke=c,
        )
    held = (
        f"; {', '.join(verdict.shared)} may be held there, which reclaim takes"
        if verdict.shared
        else ""
    )
    return Finding(
        p.site,
        p.context,
        Class.NEEDS_SCOPE,
        f"mapping-wide mask: {c.function}() is the only page-cache allocation on the "
        f"mapping: a scope around it there says the same for that mapping alone{held}",
        ev,
        suggestion=suggestion,
        choke=c,
    )


def plan(placed: tuple[Placed, ...]) -> tuple[Finding, ...]:
    return tuple(
        dataclasses.replace(classify(p), locks_held=p.reclaim.held, reclaim_shared=p.reclaim.shared)
        for p in placed
    )


_DEFINED = re.compile(r"^(\w+)\(\) \((\S+):(\d+)\) (.*)$")


def _unread(ignored: str) -> tuple[Evidence, ...]:
    """The callee that never reads the mask, at its definition
    (Program.ignores_gfp(): "f() (path:line) never reads ..")."""
    m = _DEFINED.match(ignored)
    if m is None:
        return ()
    return (Evidence(m.group(2), int(m.group(3)), m.group(1), m.group(4)),)
