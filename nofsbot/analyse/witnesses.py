"""Evidence for the reclaim side of a site (unit.py): the call sites of a
site that holds nothing reclaim takes, both sides of a lock reclaim takes
only on the object it frees, and both takers of a lock whose struct type
one side does not know."""

from __future__ import annotations

from collections.abc import Callable

from nofsbot.analyse import blocking, evidence, flow, ir, reclaim, reclaimpath, sections
from nofsbot.analyse.fn import KTHREAD
from nofsbot.analyse.guards import Binding
from nofsbot.analyse.held import MAYBE, dropped
from nofsbot.analyse.locks import ACQUIRE
from nofsbot.analyse.program import OUT, Fn, Program
from nofsbot.model import Evidence

# call sites of an unneeded site's function listed in its evidence
MAX_CALL_SITES = 8


def call_sites(
    prog: Program,
    model: reclaim.Model,
    fn: Fn,
    event: int,
    allow: Callable[[Binding], bool] | None = None,
) -> tuple[Evidence, ...]:
    """FN's call sites that can run, each a path of its own to a site that
    holds nothing reclaim takes: a reader checks every one, not only the
    one the context's witness follows. Where all of them are in one
    function (v9fs_get_acl() calls __v9fs_get_acl() twice), that
    function's call sites too, if none holds a lock reclaim takes. A call
    whose constants rule the site out (ALLOW: Fn.reaching()) is not one.
    One holding a lock reclaim takes that FN does not release on every
    path to the site (EVENT) is shown saying so, but not walked up from:
    the site holds nothing, so that lock comes with paths that do not
    reach it."""
    out: list[Evidence] = []
    cur, seen = fn, {fn.id}
    # the calls from CUR down to FN, while there is one path: a call
    # further up is checked along it (xchk_xattr()'s zeroed context reaches
    # xfs_attr_list_ilocked() but not the site below it)
    below: tuple[tuple[int, Fn], ...] | None = ()
    while True:
        live = sorted(
            {
                (c, ci)
                for c, ci in cur.callers
                if (c, ci) in prog.live
                and (below is None or evidence.ruled_out(prog, c, ci, cur, below, allow) is None)
            },
            key=lambda x: (prog.fns[x[0]].path, prog.fns[x[0]].facts.calls[x[1]][1]),
        )
        shared = {
            (g, ci): sorted(
                c for c in model.held(g, ci) if c in model.shared and c not in model.instance
            )
            for g, ci in live
        }
        if cur is not fn and any(shared.values()):
            return tuple(out)  # a lock the wrapper drops before the call
        # at FN's own call sites, a lock reclaim takes that FN does not
        # release before the site is held only with arguments that rule
        # the site out (it holds nothing there): the call is shown, saying so
        gone = dropped(model, fn.id, event) if cur is fn else frozenset()
        kept = {x: [k for k in shared[x] if k not in gone] for x in live}
        for c, ci in live[:MAX_CALL_SITES]:
            g = prog.fns[c]
            out.append(
                Evidence(
                    g.path,
                    g.facts.calls[ci][1],
                    g.name,
                    _call_note(model, fn, g, ci, cur.name, shared[(c, ci)], kept[(c, ci)]),
                )
            )
        if len(live) > MAX_CALL_SITES:
            note = f"... and {len(live) - MAX_CALL_SITES} more call sites"
            out.append(Evidence(cur.path, cur.facts.line, cur.name, note))
        # a call holding such a lock is no path up to a site holding nothing
        live = [x for x in live if not kept[x]]
        up = {c for c, _ in live}
        if len(up) != 1 or (nxt := up.pop()) in seen:
            return tuple(out)
        below = ((live[0][1], cur), *below) if below is not None and len(live) == 1 else None
        cur = prog.fns[nxt]
        seen.add(nxt)


def _call_note(
    model: reclaim.Model,
    fn: Fn,
    g: Fn,
    ci: int,
    target: str,
    shared: list[str],
    kept: list[str],
) -> str:
    """What call CI of G into TARGET, on the way to FN's site, holds: no
    lock reclaim takes; SHARED ones, which FN releases before the site;
    or KEPT ones it does not, held there only with arguments under which
    G never makes the call, where that is so."""
    called = evidence.called(g, ci, target)
    tried = sorted(k for k in model.held(g.id, ci) if k in model.tried and k not in model.shared)
    # ubifs's umount_mutex, which its shrinker only trylocks
    trylocked = f" ({', '.join(tried)}: reclaim only trylocks it, and never waits)" if tried else ""
    released = [k for k in shared if k not in kept]
    if not shared:
        return f"calls {called} holding no lock reclaim takes{trylocked}"
    # udf_expand_file_adinicb() drops its caller's i_data_sem before it
    # allocates
    note = (
        f"calls {called} holding {', '.join(released)}, which {fn.name}() releases before the site"
        if released
        else f"calls {called}"
    )
    if kept:
        # udf_setsize() holds s_alloc_mutex only when udf_new_inode()'s
        # failed iput() evicts, with newsize 0: no allocation then
        calling = model.held(g.id, ci, lambda b: g.step(ci, b) is not None)
        why = (
            f"only with arguments under which {g.name}() does not make this call"
            if not any(k in calling or MAYBE + k in calling for k in kept)
            else "but not on any path nofsbot follows to the site"
        )
        note += f"; {', '.join(kept)} may be held here, {why}"
    return note + trylocked


def unresolved_evidence(
    prog: Program, model: reclaim.Model, fn: Fn, event: int, line: int, cls: str
) -> list[Evidence]:
    """Both sides of a lock whose struct type one side does not know: where
    this task takes CLS and carries it to the site, and reclaim's path to a
    lock of the same field."""
    out: list[Evidence] = []
    chain: list[tuple[Fn, int]] = []
    acq = sections.acquire_site(prog, model, fn.id, event, line, cls, chain)
    if acq is not None:
        owner, aci, aline = acq
        out.append(Evidence(owner.path, aline, owner.name, evidence.takes(owner, aci, cls)))
        out += held_down(fn, chain, cls)
    return out + reclaimpath.unknown_path(prog, model, cls)


def instance_evidence(
    prog: Program, model: reclaim.Model, fn: Fn, event: int, line: int, cls: str
) -> list[Evidence]:
    """Both sides of an instance-disjoint lock: where this task takes CLS,
    and reclaim's path to the place it takes CLS on the object it frees."""
    out: list[Evidence] = []
    acq = sections.acquire_site(prog, model, fn.id, event, line, cls)
    if acq is not None:
        owner, aci, aline = acq
        note = f"{evidence.takes(owner, aci, cls)} on an object it holds"
        out.append(Evidence(owner.path, aline, owner.name, note))
    path = reclaimpath.reclaim_path(prog, model, cls)
    if path:
        first = path[0]
        path[0] = Evidence(
            first.path,
            first.line,
            first.function,
            f"reclaim takes {cls} here only on the object its entry point frees",
        )
    return out + path


def held_down(fn: Fn, chain: list[tuple[Fn, int]], cls: str) -> list[Evidence]:
    """The calls CHAIN (FN's caller first) makes with CLS held, from the
    one that took it down to FN."""
    below = [fn, *(g for g, _ in chain)]
    return [
        Evidence(
            g.path,
            g.facts.calls[gci][1],
            g.name,
            f"calls {evidence.called(g, gci, below[i].name)} with {cls} held",
        )
        for i, (g, gci) in reversed(list(enumerate(chain)))
    ]


def entered_outside(
    prog: Program, fn: Fn, owner: Fn, ci: int, allow: Callable[[Binding], bool] | None
) -> tuple[list[Evidence], bool]:
    """How OWNER, which takes the boundary's lock at call CI, is entered
    outside any scope: its callers up to an entry point (for the site's
    own function, only through the bindings that reach the site); [] when
    the take is not reached from OWNER's entry. And whether that chain
    starts in a kernel thread only (a work item, a kthread), which kswapd
    never throttles."""
    entry, why = (
        flow.entered(prog, fn, allow) if owner is fn and allow else (owner.entry, owner.why)
    )
    roots: list[Fn] = []
    chain = evidence.witness(prog, owner, OUT, why, roots)
    in_thread = bool(roots) and roots[0].runs_in == {KTHREAD}
    if ir.ENTRY not in owner.state_at(ci) or OUT not in entry:
        return [], in_thread
    return chain, in_thread


def joined(prog: Program, owner: Fn, ci: int, cls: str, path: list[Evidence], thread: bool) -> str:
    """Where OWNER's call CI takes CLS with `current->journal_info` set
    just before (nilfs_transaction_lock() sets it, then takes
    ns_segctor_sem), and the function on reclaim's PATH that takes CLS
    reads journal_info first (nilfs_transaction_begin() joins a running
    transaction and takes nothing): reclaim in this task joins that
    transaction, re-entering the filesystem inside it, and the take is
    other tasks'. PATH's first step says so; the function that set
    journal_info, or "". THREAD: the holder is a kernel thread, which
    kswapd never throttles."""
    if not path or not path[0].note.startswith(f"reclaim takes {cls} here"):
        return ""
    setter = _sets_journal(prog, owner, ci, cls)
    take = path[0]
    r = prog.function_at(take.path, take.function, take.line)
    if setter is None or r is None or not _reads_journal(prog, r, take.line):
        return ""
    g, line = setter
    at = f"line {line}" if g.path == take.path else f"{g.path.rsplit('/', 1)[-1]}:{line}"
    others = (
        "other tasks' reclaim takes it here"
        if thread
        else "other tasks' reclaim takes it here, kswapd's among them, which this "
        "allocation may wait for (throttle_direct_reclaim(), mm/vmscan.c)"
    )
    path[0] = Evidence(
        take.path,
        take.line,
        take.function,
        f"reclaim in this task does not take {cls} here but joins the transaction "
        f"{g.name}() set in current->journal_info ({at}), which {take.function}() reads "
        f"first, re-entering the filesystem inside it; {others}",
    )
    return g.name


def _sets_journal(prog: Program, owner: Fn, ci: int, cls: str) -> tuple[Fn, int] | None:
    """The function and line that set `current->journal_info` before call
    CI of OWNER takes CLS: OWNER itself, or the helper it calls there."""
    at = owner.facts.calls[ci][1]
    if any(c == ci for c, _, _ in owner.facts.locks):
        s = owner.facts.journal[0]
        return (owner, s) if s and s <= at else None
    for t in owner.callees[ci] if ci < len(owner.callees) else ():
        g = prog.fns[t]
        s = g.facts.journal[0]
        takes = [g.facts.calls[c][1] for c, _, k in g.facts.locks if k == cls]
        if s and takes and s < min(takes):
            return g, s
    return None


def _reads_journal(prog: Program, fn: Fn, line: int) -> bool:
    """FN reads `current->journal_info` before LINE, itself or in a call."""
    if 0 < fn.facts.journal[1] < line:
        return True
    return any(
        prog.fns[t].facts.journal[1]
        for ci, (_, at) in enumerate(fn.facts.calls)
        if at < line and ci < len(fn.callees)
        for t in fn.callees[ci]
    )


def read_behind_writer(
    prog: Program, m: reclaim.Model, owner: Fn, ci: int, cls: str, path: list[Evidence]
) -> None:
    """Where OWNER's call CI takes CLS shared and reclaim's take on PATH
    is shared too (down_read() on both sides), the two do not stop each
    other by themselves: reclaim blocks behind a writer that queues on the
    rwsem meanwhile and waits for this task. PATH's first step names such
    a writer (nilfs_transaction_lock()'s down_write() of ns_segctor_sem
    behind nilfs_ioctl_trim_fs()'s down_read())."""
    if not path or path[0].note != f"reclaim takes {cls} here":
        return
    take = path[0]
    r = prog.function_at(take.path, take.function, take.line)
    if r is None:
        return
    at_take = [c for c, _, k in m.classes.get(r.id, ()) if k == cls]
    rci = next((c for c in at_take if r.facts.calls[c][1] == take.line), None)
    if rci is None:
        return
    if not (
        blocking.shared_only(prog, m, owner, ci, cls) and blocking.shared_only(prog, m, r, rci, cls)
    ):
        return
    writers = sorted(
        (g.path != take.path, g.path, g.facts.calls[c][1], g.name)
        for g in prog.fns
        for c, op, k in m.classes.get(g.id, ())
        if k == cls and op == ACQUIRE and blocking.exclusive(prog, m, g, c, cls)
    )
    if not writers:
        return
    _, wpath, _, wname = writers[0]
    # each exclusive take of that function: one may run only before the
    # lock can be held (dlm_recoverd() at its start), another later
    wlines = [str(w[2]) for w in writers if (w[1], w[3]) == (wpath, wname)]
    many = "lines " + ", ".join(wlines[:-1]) + " and " + wlines[-1] if len(wlines) > 1 else ""
    at = many or f"line {wlines[0]}"
    at = at if wpath == take.path else f"{wpath}, {at}"
    path[0] = Evidence(
        take.path,
        take.line,
        take.function,
        f"reclaim takes {cls} here shared, as this task holds it: it blocks behind a "
        f"writer that queues meanwhile ({wname}() takes it exclusively, {at}), which "
        "waits for this task",
    )
