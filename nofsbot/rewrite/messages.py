"""Commit message drafts for the rewrite stage: class and evidence, no guesswork."""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from collections.abc import Sequence

from nofsbot.analyse.locks import WRITEBACK
from nofsbot.drafts import path_prefix
from nofsbot.model import Boundary, ChokePoint, Class, Evidence, Finding, Kind
from nofsbot.plan import MADE_OBJECT, UNREAD_MASK

_SUBJECTS = {
    Class.REDUNDANT: "use GFP_KERNEL in {where}, already in a NOFS scope",
    Class.UNNEEDED: "use GFP_KERNEL in {where}",
    Class.MIXED: "use __GFP_NOLOCKDEP instead of GFP_NOFS in {where}",
    Class.NOOP_MASK: "drop the no-op GFP_NOFS in {where}",
}

_EVERY_RE = re.compile(r"every one of its (\d+) call sites")
_MORE_RE = re.compile(r"^\.\.\. and (\d+) more call sites")
_KMEM_CALLS = {"kmem_alloc": "kmalloc", "kmem_zalloc": "kzalloc"}
_KMEM_SUBJECTS = {
    Class.REDUNDANT: "use {new} for {old} in {where}, in a NOFS scope",
    Class.UNNEEDED: "use {new} for {old} in {where}",
    Class.MIXED: "use {new} with __GFP_NOLOCKDEP for {old} in {where}",
}

_WHY = {
    Class.REDUNDANT: "Every path to {it} already runs inside a NOFS scope, so GFP_NOFS adds "
    "nothing; use GFP_KERNEL and keep the other flags.",
    Class.UNNEEDED: "{It} never runs inside a NOFS scope and no lock that memory reclaim also "
    "takes can be held there, so it does not need GFP_NOFS; use GFP_KERNEL.",
    Class.MIXED: "{It} runs inside a NOFS scope on some paths; on the others no lock that "
    "memory reclaim also takes is held, so GFP_NOFS only keeps lockdep quiet. Say that with "
    "__GFP_NOLOCKDEP instead.",
    Class.NOOP_MASK: "GFP_NOFS has no flag that GFP_KERNEL lacks, so GFP_KERNEL | GFP_NOFS is "
    "GFP_KERNEL.",
}
# an unneeded site under a lock class reclaim takes only on the object it frees
_WHY_INSTANCE = (
    "{It} never runs inside a NOFS scope. A lock it may run under is one memory "
    "reclaim also takes, but reclaim takes it only on the object it is freeing, never on "
    "one this task holds a reference to, so the two cannot meet. Lockdep names both by "
    "one class, so say that with __GFP_NOLOCKDEP instead of GFP_NOFS."
)

# the same, where the lock is on an object the function has just made
_WHY_MADE = (
    "{It} never runs inside a NOFS scope. A lock it runs under is one memory reclaim "
    "also takes, but only on objects reclaim can reach, and this one the function has "
    "just made and given to no one, so the two cannot meet. Lockdep names both by one "
    "class, so say that with __GFP_NOLOCKDEP instead of GFP_NOFS."
)


def scope_message(b: Boundary, covered: list[Finding]) -> tuple[str, str]:
    if b.top:
        return _work_scope_message(b, covered)
    if b.lock == WRITEBACK:
        return _writeback_scope_message(b, covered)
    subject = f"{path_prefix(b.path)}: open a NOFS scope in {b.function}() while {b.lock} is held"
    if len(subject) > 75:
        subject = f"{path_prefix(b.path)}: open a NOFS scope in {b.function}()"
    sites = sorted({f"{f.site.function or '?'}()" for f in covered})
    where = f"in {', '.join(sites)}"
    if all(f.site.kind is Kind.STORED for f in covered):
        where = f"with the mask {', '.join(sites)} stored for later allocations"
    paras = [
        wrap(
            f"{b.function}() takes {b.lock} and allocates with GFP_NOFS under it, "
            f"{where}. Memory reclaim takes the same lock:"
        ),
        steps(_reclaim_steps(covered)),
        wrap(
            "so the allocations under it must not enter filesystem reclaim. Say so once, "
            "with a NOFS scope from where the lock is taken to where it is released, "
            "instead of relying on each allocation's flags."
        ),
    ]
    return subject, "\n\n".join(p for p in paras if p)


def _writeback_scope_message(b: Boundary, covered: list[Finding]) -> tuple[str, str]:
    """A scope from where a folio is set under writeback to where that ends."""
    subject = f"{path_prefix(b.path)}: open a NOFS scope in {b.function}() during writeback"
    sites = sorted({f"{f.site.function or '?'}()" for f in covered})
    start = next(
        (e for f in covered for e in f.evidence if "sets a folio under writeback" in e.note),
        None,
    )
    paras = [
        wrap(
            f"{b.function}() sets a folio under writeback and allocates with GFP_NOFS, "
            f"in {', '.join(sites)}, before the writeback ends:"
        ),
        steps([start] if start is not None else []),
        wrap(
            "Memory reclaim with __GFP_FS may wait on a folio under writeback "
            "(shrink_folio_list() calls folio_wait_writeback() in a cgroup v1 memcg), "
            "and only this task can end this one, so the allocations in between must "
            "not enter filesystem reclaim. Say so once, with a NOFS scope from where "
            "the writeback starts to where it ends, instead of relying on each "
            "allocation's flags."
        ),
    ]
    return subject, "\n\n".join(p for p in paras if p)


def _work_scope_message(b: Boundary, covered: list[Finding]) -> tuple[str, str]:
    """A scope over a whole work function or kthread reclaim waits for: the
    path on which reclaim waits, then how the worker ends that wait."""
    subject = f"{path_prefix(b.path)}: run {b.function}() in a NOFS scope"
    sites = sorted({f"{f.site.function or '?'}()" for f in covered})
    ev = next(
        (
            list(f.evidence)
            for f in covered
            if any("reclaim waits" in e.note or "reclaim sleeps" in e.note for e in f.evidence)
        ),
        [],
    )
    start = next(
        (i for i, e in enumerate(ev) if "reclaim waits" in e.note or "reclaim sleeps" in e.note),
        len(ev),
    )
    woke = next((i for i in range(start, len(ev)) if ev[i].note.startswith("wakes")), len(ev))
    wait = ev[start:woke][:12]
    wake = [e for e in ev[woke:] if e.note.startswith(("wakes", "calls"))][:6]
    what, kind = ("the thread", "a kernel thread") if b.thread else ("the work", "work")
    paras = [
        wrap(f"{b.function}() runs as {kind}, and memory reclaim waits for it to make progress:"),
        steps(wait),
        wrap(f"and {what} ends that wait:") if wake else "",
        steps(wake),
        wrap(
            f"An allocation it makes that enters filesystem reclaim, in {', '.join(sites)}, "
            f"could end up waiting for {what} itself. It does not inherit a scope from "
            "whoever started it: give it its own, from its start to every return, instead "
            "of relying on each allocation's flags."
        ),
    ]
    return subject, "\n\n".join(p for p in paras if p)


def _reclaim_steps(covered: list[Finding]) -> list[Evidence]:
    """The evidence from where the lock is taken to the reclaim entry point."""
    for f in covered:
        start = next(
            (i for i, e in enumerate(f.evidence) if e.note.endswith("which reclaim also takes")),
            None,
        )
        if start is not None:
            return list(f.evidence[start : start + 10])
    return []


def message(path: str, group: list[Finding]) -> tuple[str, str]:
    klass = group[0].klass
    instance = all(f.nolockdep for f in group)
    funcs = sorted({f.site.function or "?" for f in group})
    kmem = [f for f in group if f.site.token == "KM_NOFS"]
    # an instance-disjoint unneeded group gets the mask, and so the subject, of mixed
    subject = _subject(
        path, Class.MIXED if instance else klass, funcs, kmem, len(kmem) < len(group)
    )
    paras = []
    for fn in funcs:
        sites = [f for f in group if (f.site.function or "?") == fn]
        it = f"the allocation in {fn}()" if len(sites) == 1 else f"the allocations in {fn}()"
        chokes = [f.choke for f in sites if f.choke is not None]
        if chokes:
            c = chokes[0]
            paras.append(
                wrap(
                    f"{fn}() clears __GFP_FS in the gfp mask of a mapping whose page "
                    f"cache only {c.function}() allocates, and it does so inside a NOFS "
                    "scope already, so the mask adds nothing; make it GFP_KERNEL, which "
                    "keeps the page cache out of highmem and movable memory as before."
                )
            )
        elif klass is Class.REDUNDANT and all(f.site.kind is Kind.STORED for f in sites):
            paras.append(
                wrap(
                    f"{fn}() stores GFP_NOFS for allocations made later. Every call that "
                    "allocates with it runs inside a NOFS scope, so GFP_NOFS adds "
                    "nothing; use GFP_KERNEL and keep the other flags."
                )
            )
        elif klass is Class.NOOP_MASK and all(f.reason.startswith(UNREAD_MASK) for f in sites):
            callees = sorted({f"{f.site.callee}()" for f in sites})
            paras.append(
                wrap(
                    f"{' and '.join(callees)} never {'read' if len(callees) > 1 else 'reads'} "
                    "the gfp argument it is given, so GFP_NOFS there has no effect; pass "
                    "GFP_KERNEL, which does not suggest a constraint that is not there."
                )
            )
        else:
            if instance and all(MADE_OBJECT in f.reason for f in sites):
                text = _WHY_MADE
            else:
                text = _WHY_INSTANCE if instance else _WHY[klass]
            why = text.format(it=it, It=it[0].upper() + it[1:])
            if all(f.site.token == "KM_NOFS" for f in sites):
                why = why.replace("GFP_NOFS", "KM_NOFS")
            paras.append(wrap(why))
        if klass is not Class.NOOP_MASK:
            # a no-op mask is one whatever the context: evidence would be beside the point
            paras.append(steps(*(f.evidence for f in sites)))
    if kmem:
        paras.append(kmem_paragraph(kmem))
    return subject, "\n\n".join(p for p in paras if p)


def _subject(path: str, klass: Class, funcs: list[str], kmem: list[Finding], more: bool) -> str:
    """The draft's subject; a kmem_*() call that becomes kmalloc()/kzalloc() says so."""
    template = _SUBJECTS[klass]
    if kmem and klass in _KMEM_SUBJECTS:
        olds = sorted({f.site.callee or "kmem_alloc" for f in kmem})
        news = [_KMEM_CALLS.get(o, "kmalloc") for o in olds]
        names = "/".join(f"{n}()" for n in news), "/".join(f"{o}()" for o in olds)
        template = ("GFP_KERNEL and " if more else "") + _KMEM_SUBJECTS[klass]
        template = template.replace("{new}", names[0]).replace("{old}", names[1])
    where = f"{funcs[0]}()" if len(funcs) == 1 else f"{len(funcs)} functions"
    subject = f"{path_prefix(path)}: {template.format(where=where)}"
    if len(subject) > 75:
        subject = f"{path_prefix(path)}: {template.format(where=path.rsplit('/', 1)[-1])}"
    if len(subject) > 75 and kmem:
        subject = f"{path_prefix(path)}: {template.split(' in {where}')[0]}"
    return subject


def kmem_paragraph(kmem: list[Finding]) -> str:
    """What 6.1's kmem_alloc() did with KM_NOFS, and what the kmalloc() or
    kzalloc() that replaces it keeps and drops (fs/xfs/kmem.[ch])."""
    mayfail = sorted({"KM_MAYFAIL" in f.site.expression for f in kmem})
    olds = sorted({f.site.callee or "kmem_alloc" for f in kmem})
    paras = [
        f"{' and '.join(f'{o}()' for o in olds)} with KM_NOFS "
        f"{'become' if len(olds) > 1 else 'becomes'} "
        f"{' and '.join(f'{_KMEM_CALLS.get(o, o)}()' for o in olds)}. In 6.1 "
        "kmem_flags_convert() turns KM_NOFS into GFP_KERNEL | __GFP_NOWARN without "
        f"__GFP_FS{_added(olds, mayfail)}, and kmem_alloc() passes that to kmalloc()."
    ]
    if False in mayfail:
        paras.append(
            "Without KM_MAYFAIL the allocation never fails: kmem_alloc() retries until "
            "kmalloc() succeeds (and warns of a possible deadlock every 100 tries); "
            "__GFP_NOFAIL makes the allocator do that retrying. A NULL check right after "
            "the call could no longer trigger: the semantic patch removes it (a check "
            "further away is left as it was)."
        )
    if True in mayfail:
        paras.append(
            "With KM_MAYFAIL kmem_alloc() returns the result of one kmalloc() with "
            "__GFP_RETRY_MAYFAIL; the new call is that kmalloc() with the same flags, "
            "__GFP_NOWARN included: the caller handles the failure, silently as before."
        )
    if False in mayfail:
        paras.append(
            "__GFP_NOWARN, which kmem_flags_convert() adds to every kmem allocation, is "
            "not kept where __GFP_NOFAIL is: it silences failure warnings, and such an "
            "allocation does not fail."
        )
    return "\n\n".join(wrap(p) for p in paras)


def _added(olds: list[str], mayfail: list[bool]) -> str:
    added = ["kmem_zalloc() adds __GFP_ZERO"] if "kmem_zalloc" in olds else []
    added += ["KM_MAYFAIL __GFP_RETRY_MAYFAIL"] if True in mayfail else []
    return f" ({', '.join(added)})" if added else ""


def steps(*chains: Sequence[Evidence]) -> str:
    """Evidence chains as one indented list of `function(): note` lines,
    repeats left out; a call a chain lists once per call site in one
    function is one line that says how many call sites that is, and a count
    of call sites is followed by as many as it counts (those the analysis
    did not list are summed up in one line)."""
    rows: dict[tuple[str, str], int] = {}  # (function, note) -> the call sites it is
    for chain in chains:
        counts = Counter((e.function or "?", e.note) for e in chain)
        for e in chain:
            key = (e.function or "?", e.note)
            rows.setdefault(key, counts[key] if e.note.startswith("calls ") else 1)
    entries = []
    for fn, note in _accounted(list(rows.items())):
        n = rows.get((fn, note), 1)
        entries.append(f"{fn}(): {note}" + (f" ({n} call sites)" if n > 1 else ""))
    return "\n".join(
        textwrap.fill(e, 75, initial_indent="  ", subsequent_indent="    ") for e in entries
    )


def _accounted(rows: list[tuple[tuple[str, str], int]]) -> list[tuple[str, str]]:
    """ROWS' (function, note) pairs, with a line for the call sites an `every
    one of its N call sites` row counts but the rows do not show."""
    out = [key for key, _ in rows]
    for fn, note in list(out):
        m = _EVERY_RE.search(note)
        if not m:
            continue
        calls = f"calls {fn}()"
        shown = [
            (i, n)
            for i, ((g, other), n) in enumerate(rows)
            if other.startswith(calls) or (g == fn and other.startswith("... and "))
        ]
        more = sum(int(x[1]) if (x := _MORE_RE.search(rows[i][0][1])) else n for i, n in shown)
        missing = int(m[1]) - more
        if missing > 0:
            at = out.index(rows[shown[-1][0]][0]) + 1 if shown else out.index((fn, note)) + 1
            word = "call site" if missing == 1 else "call sites"
            out.insert(at, (fn, f"{missing} more {word}, not listed here"))
    return out


def wrap(text: str) -> str:
    return textwrap.fill(text, 75)


def choke_message(c: ChokePoint, masks: list[Finding]) -> tuple[str, str]:
    """A mapping mask (or several on the same mapping) moved to the choke point."""
    subject = f"{path_prefix(c.path)}: allocate {c.function}() page cache in a NOFS scope"
    if len(subject) > 75:
        subject = f"{path_prefix(c.path)}: move the NOFS mapping mask to a scope"
    names = sorted({f"{f.site.function or '?'}()" for f in masks})
    setters = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    calls = "call" if len(c.calls) == 1 else "calls"
    paras = [
        wrap(
            f"{setters} {'clears' if len(names) == 1 else 'clear'} __GFP_FS "
            "in the mapping's gfp mask, which makes every page-cache allocation on it "
            f"NOFS. {c.function}() is the only function that allocates page cache on "
            f"that mapping, so a NOFS scope around its page-cache {calls} says the same "
            "for this mapping alone, and keeps the mapping's mask free of reclaim "
            "policy. The mask becomes GFP_KERNEL: it keeps the page cache out of "
            "highmem and movable memory as GFP_NOFS did."
        ),
    ]
    return subject, "\n\n".join(paras)
