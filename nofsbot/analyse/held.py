"""Which locks may be held where: a may-held walk of each function, knowing
the lock helpers it calls, then across calls along the calls that can run
with the constant arguments of each (guards.py). Fills the reclaim model's
`local`, `returns`, `classes`, `entry`, `held_by` and `first`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nofsbot.analyse import fnptrs, ir
from nofsbot.analyse.guards import EMPTY, MAX_BINDINGS, Binding, widened
from nofsbot.analyse.locks import ACQUIRE, PAGE_LOCK, RELEASE, RETURNED, WRITEBACK
from nofsbot.analyse.lockwalk import AT_ENTRY, ends, walk
from nofsbot.analyse.program import IN, Fn, Program

if TYPE_CHECKING:
    from nofsbot.analyse.reclaim import Model

# a class a call may have returned holding (_maybe_returned): "may:CLASS"
MAYBE = "may:"
# the witness of a lock held at entry because code outside took it
OUTSIDE = (-1, -1)
# a function with the constant arguments it was called with (guards.py)
Node = tuple[int, Binding]


def held_locks(prog: Program, m: Model, classes: dict[int, list[tuple[int, str, str]]]) -> None:
    """Locks held inside each function, then across calls."""
    _local(prog, m, classes)
    _across(prog, m)


def _local(prog: Program, m: Model, classes: dict[int, list[tuple[int, str, str]]]) -> None:
    """A may-held walk of each function, knowing the lock helpers it calls.

    A lock helper takes a lock itself and returns holding it on every path
    (`lock_mode = xfs_ilock_data_map_shared(ip)`), or releases one its
    caller holds on every path (through any depth of calls:
    _dropped_through()); after a call to it, its caller holds or no longer
    holds that lock. Taking is one level only: a function that returns
    holding a lock some callee took (btrfs_search_slot() and its path's tree
    locks) is not a lock helper, which errs towards locks not being held
    there.
    """
    sems = prog.cfg.reclaim.semaphores
    semaphores = {
        cls
        for fid, locks in classes.items()
        for ci, _, cls in locks
        if prog.fns[fid].facts.calls[ci][0] in sems
    }
    taken: dict[int, frozenset[str]] = {}
    dropped: dict[int, frozenset[str]] = {}
    kept_any: dict[int, set[str]] = {}  # held at some exit: a lock it may return holding
    succeeds: dict[int, set[str]] = {}  # of those, the ones held only where it succeeds
    for fid, locks in sorted(classes.items()):
        fn = prog.fns[fid]
        if fn.facts.ir is None:
            continue
        w, mine, freed, gone = _release_walk(fn, _direct(locks))
        exits = [frozenset(c for c, _ in v) for v in w.returns.values()] or [
            frozenset(c for c, _ in w.exits)
        ]
        kept = frozenset.intersection(*exits) if exits else frozenset()
        # a lock of unknown type too (`ubifs_inode(inode1)->ui_mutex` in
        # lock_4_inodes()): its caller holds it, and unit.py matches its field
        held = {c for c in kept & mine if c not in (PAGE_LOCK, WRITEBACK)}
        if held - semaphores:
            taken[fid] = frozenset(held - semaphores)
        if gone:
            dropped[fid] = gone
        _kept_any(fn, w, freed, kept_any, succeeds)

    _dropped_through(prog, classes, dropped)
    # what a function leaves held once the release helpers it calls are
    # known: udf_setsize() takes i_data_sem and returns on the failure of
    # udf_expand_file_adinicb(), which has dropped it
    for fid in list(kept_any):
        fn = prog.fns[fid]
        releases = _call_releases(fn, dropped)
        if releases:
            kept_any.pop(fid)
            succeeds.pop(fid, None)
            w, _, freed, _ = _release_walk(fn, _direct(classes[fid]) + releases)
            _kept_any(fn, w, freed, kept_any, succeeds)

    def own(fn: Fn) -> list[tuple[int, str, str]]:
        """FN's own lock operations, a flags variable set from a lock helper
        resolved (xfs_iunlock(ip, lock_mode))."""
        out: list[tuple[int, str, str]] = []
        for ci, op, cls in classes.get(fn.id, ()):
            if cls.startswith(RETURNED):
                out += [(ci, op, c) for c in sorted(_after(prog.resolve(fn.path, cls[1:]), taken))]
            else:
                out.append((ci, op, cls))
        return out

    joined = _joined_below(prog)

    def late(fn: Fn) -> list[tuple[int, str, str]]:
        """Releases by FN's commits of what its callees handed to the
        transaction (xfs_trans_dqlockedjoin() locks and joins the dquots
        that __xfs_trans_commit() unlocks in xlog_cil_commit()); they come
        after what each call returns holding."""
        if not fn.facts.commits:
            return []
        below = set().union(*(joined.get(t, ()) for targets in fn.callees for t in targets))
        return [
            (ci, RELEASE, c) for ci, j in fn.facts.commits for jj, c in sorted(below) if jj == j
        ]

    maybe = _maybe_returned(
        prog,
        kept_any,
        succeeds,
        lambda fn: own(fn) + _call_releases(fn, dropped),
        late,
        semaphores,
    )

    helpers = set(taken) | set(dropped) | set(maybe)
    for fn in prog.fns:
        if fn.facts.ir is None:
            continue
        returning = [fnptrs.returning(prog, fn, ci) for ci in range(len(fn.callees))]
        calls_helper = any(t in helpers for targets in returning for t in targets)
        if fn.id not in classes and not calls_helper:
            continue
        full = own(fn)
        if calls_helper:
            full += _call_releases(fn, dropped)
            for ci, targets in enumerate(returning):
                full += [(ci, ACQUIRE, c) for c in sorted(_after(targets, taken))]
                full += [(ci, ACQUIRE, MAYBE + c) for c in sorted(_after(targets, maybe))]
        full += late(fn)
        # releasing a lock also ends its maybe-held twin
        full += [(ci, RELEASE, MAYBE + c) for ci, op, c in list(full) if op == RELEASE]
        ok = _if_succeeded(fn, full, succeeds)
        w = walk(fn, full, frozenset(), ok)
        if full:
            m.classes[fn.id] = full
        if any(op == RELEASE for _, op, _ in full):
            m.releasing[fn.id] = (fn, full, ok)
        m.local[fn.id] = {k: frozenset(c for c, _ in v) for k, v in w.at.items() if v}
        m.returns[fn.id] = {k: frozenset(c for c, _ in v) for k, v in w.returns.items() if v}


def _on_success_only(fn: Fn, w: ir.Walk, classes: set[str]) -> set[str]:
    """Of CLASSES, held at some exit of FN's walk W, those it returns
    holding only where it says it succeeded (`return 0;`, a pointer that
    is not NULL: xfs_qm_dqget_cache_insert() locks the dquot it inserted,
    and returns the radix tree's error without it); its callers hold them
    only where the call's result says so."""
    ok = set(fn.facts.ok_returns)
    if not ok or not w.returns:
        return set()
    out: set[str] = set()
    returned: set[Any] = set().union(*w.returns.values())
    for c in classes:
        at = {line for line, facts in w.returns.items() if any(f[0] == c for f in facts)}
        falls = any(f[0] == c and f not in returned for f in w.exits)
        if at and at <= ok and len(at) < len(w.returns) and not falls:
            out.add(c)
    return out


def _if_succeeded(
    fn: Fn, ops: list[tuple[int, str, str]], succeeds: dict[int, set[str]]
) -> dict[int, frozenset[str]]:
    """The maybe-held classes of OPS that FN's calls return holding only
    if they succeed, where FN tests their result: call -> classes."""
    tested = {r[0] for r in fn.facts.results}
    out: dict[int, set[str]] = {}
    for ci, op, c in ops:
        targets = fn.callees[ci] if ci < len(fn.callees) else ()
        if (
            op == ACQUIRE
            and ci in tested
            and c.startswith(MAYBE)
            and targets
            and all(c.removeprefix(MAYBE) in succeeds.get(t, ()) for t in targets)
        ):
            out.setdefault(ci, set()).add(c)
    return {ci: frozenset(v) for ci, v in out.items()}


def _direct(locks: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """The lock operations of a function that name their class."""
    return [(ci, op, c) for ci, op, c in locks if not c.startswith(RETURNED)]


def _after(targets: tuple[int, ...], summary: dict[int, frozenset[str]]) -> set[str]:
    """What the callees of one call take or release, by SUMMARY."""
    return set().union(*(summary.get(t, frozenset()) for t in targets))


def _call_releases(fn: Fn, dropped: dict[int, frozenset[str]]) -> list[tuple[int, str, str]]:
    """The releases FN's calls to release helpers make."""
    return [
        (ci, RELEASE, c)
        for ci, targets in enumerate(fn.callees)
        for c in sorted(_after(targets, dropped))
    ]


def _release_walk(
    fn: Fn, ops: list[tuple[int, str, str]]
) -> tuple[ir.Walk, set[str], set[str], frozenset[str]]:
    """Walk OPS with every lock FN releases but does not take held at its
    entry: the walk, the locks it takes, those it releases, and those it
    releases on every path (for its caller, it is a release helper)."""
    mine = {c for _, op, c in ops if op == ACQUIRE}
    released = {c for _, op, c in ops if op == RELEASE}
    freed = released - mine
    w = walk(fn, ops, frozenset((c, None) for c in freed))
    gone = freed - {c for c, _ in w.exits}
    # a class it also takes: released for the caller where the caller's
    # lock, not its own, is what every path ends
    if both := released & mine:
        marks = frozenset((c + AT_ENTRY, None) for c in both)
        left = {c for c, _ in walk(fn, ops, marks, at_entry=True).exits}
        gone |= {c for c in both if c + AT_ENTRY not in left}
    return w, mine, freed, frozenset(gone)


def _kept_any(
    fn: Fn,
    w: ir.Walk,
    freed: set[str],
    kept_any: dict[int, set[str]],
    succeeds: dict[int, set[str]],
) -> None:
    """The locks FN may return holding by its walk W (semaphores too: a
    buffer a function returns locked, xfs_buf's b_sema, is held by its
    caller, whoever unlocks it later), and those only where it succeeds."""
    # a folio under writeback is its I/O's, not the caller's, once the
    # function that set it returns (it submits the I/O or ends it)
    some = {c for c, _ in w.exits} - freed - {WRITEBACK}
    if some:
        kept_any[fn.id] = some
        if got := _on_success_only(fn, w, some):
            succeeds[fn.id] = got


def _dropped_through(
    prog: Program,
    classes: dict[int, list[tuple[int, str, str]]],
    dropped: dict[int, frozenset[str]],
) -> None:
    """Release helpers through any depth of calls: xfs_buf_relse() calls
    xfs_buf_unlock(), which ups b_sema; a function that calls one on every
    path releases that lock for its caller too."""
    todo = {caller for fid in dropped for caller, _ in prog.fns[fid].callers}
    while todo:
        nxt: set[int] = set()
        for fid in sorted(todo):
            fn = prog.fns[fid]
            if fn.facts.ir is None:
                continue
            *_, gone = _release_walk(
                fn, _direct(classes.get(fid, [])) + _call_releases(fn, dropped)
            )
            if gone - dropped.get(fid, frozenset()):
                dropped[fid] = dropped.get(fid, frozenset()) | gone
                nxt |= {caller for caller, _ in fn.callers}
        todo = nxt


def _joined_below(prog: Program) -> dict[int, frozenset[tuple[str, str]]]:
    """(join, class) a function or its callees hand to a transaction that
    it does not commit itself: what a commit in its caller releases."""
    out: dict[int, set[tuple[str, str]]] = {}
    work = deque(fn.id for fn in prog.fns if fn.facts.joins)
    while work:
        fid = work.popleft()
        fn = prog.fns[fid]
        got = {(j, c) for _, j, c in fn.facts.joins}
        got |= set().union(*(out.get(t, ()) for targets in fn.callees for t in targets))
        got = {(j, c) for j, c in got if all(j != k for _, k in fn.facts.commits)}
        if got - out.get(fid, set()):
            out.setdefault(fid, set()).update(got)
            work.extend(caller for caller, _ in fn.callers)
    return {fid: frozenset(v) for fid, v in out.items() if v}


def _maybe_returned(
    prog: Program,
    kept_any: dict[int, set[str]],
    succeeds: dict[int, set[str]],
    releases: Callable[[Fn], list[tuple[int, str, str]]],
    late: Callable[[Fn], list[tuple[int, str, str]]],
    semaphores: set[str],
) -> dict[int, frozenset[str]]:
    """Locks a function may return holding on some path, through any depth
    of callees (btrfs_search_slot() returns with its path's tree blocks
    locked): what it holds at some exit, and what its callees may return
    holding where some path from that call reaches an exit without
    releasing it (xfs_dquot_disk_read() unlocks the quota inode after
    xfs_ilock_data_map_shared() on every path; xfs_alloc_read_agf()
    releases the buffer only on its error path, so it may return holding
    it). Not precise enough to place a scope by, but a site after such a
    call is not called unneeded.

    A semaphore is held by whoever has its object: a function passes one
    its callee returned holding on to its own callers only if it shares an
    object of that type with them (returns it, takes it, or stores it
    through `struct xfs_buf **bpp`). The ic_sema xlog_write_iclog() leaves
    to the I/O it submits goes no further than the log code handing the
    iclog around, and a function that reads a buffer into its transaction
    and shares none with its caller does not return holding it.

    SUCCEEDS (updated here) holds, per function, the classes it returns
    holding only where it succeeds (_on_success_only()); where its caller
    tests its result, the branch taken on failure does not hold them."""
    out: dict[int, set[str]] = {fid: set(c) for fid, c in kept_any.items()}
    # classes already followed through each function: the walk of one class
    # does not depend on the others, so each is walked once per function,
    # and once more if a call that held it only on success no longer does
    seen: dict[int, dict[str, bool]] = {}
    work = deque(
        sorted(
            {caller for fid in out for caller, _ in prog.fns[fid].callers}
            | {c for fid in out for c in prog.passers.get(fid, ())}
        )
    )
    queued = set(work)
    while work:
        fid = work.popleft()
        queued.discard(fid)
        fn = prog.fns[fid]
        if fn.facts.ir is None:
            continue
        hands = fn.facts.hands_back
        done = seen.setdefault(fid, {})
        gens: list[tuple[int, str, str]] = []
        for ci in range(len(fn.callees)):
            for t in fnptrs.returning(prog, fn, ci):
                for c in out.get(t, ()):
                    if c not in semaphores or c.split(".", 1)[0] in hands:
                        gens.append((ci, ACQUIRE, MAYBE + c))
        ok = _if_succeeded(fn, gens, succeeds)
        # a class is walked again only if it now comes from a call that
        # does not hold it only on success
        tagged: dict[str, bool] = {}
        for ci, _, c in gens:
            cls = c.removeprefix(MAYBE)
            tagged[cls] = tagged.get(cls, True) and c in ok.get(ci, ())
        fresh = {c for c, t in tagged.items() if c not in done or (done[c] and not t)}
        gens = [g for g in gens if g[2].removeprefix(MAYBE) in fresh]
        if not gens:
            continue
        done.update({c: tagged[c] for c in fresh})
        ops = releases(fn)
        after = late(fn)
        released = {c for _, op, c in ops + after if op == RELEASE}
        # a class this function never releases reaches its exits: no walk,
        # unless it may say where it returns holding it (`return 0;`)
        walks = {c for c in fresh if ends(c, released) or tagged[c] or fn.facts.ok_returns}
        at_exit = fresh - walks
        walked = [g for g in gens if g[2].removeprefix(MAYBE) in walks]
        only_ok: set[str] = set()
        if walked:
            ops += [(ci, RELEASE, MAYBE + c) for ci, op, c in list(ops) if op == RELEASE]
            after += [(ci, RELEASE, MAYBE + c) for ci, _, c in list(after)]
            w = walk(fn, ops + walked + after, frozenset(), ok)
            left = {c.removeprefix(MAYBE) for c, _ in w.exits if c.startswith(MAYBE)}
            for v in w.returns.values():
                left |= {c.removeprefix(MAYBE) for c, _ in v if c.startswith(MAYBE)}
            at_exit |= left
            only_ok = {
                c.removeprefix(MAYBE) for c in _on_success_only(fn, w, {MAYBE + c for c in left})
            }
        mine = succeeds.setdefault(fid, set())
        had = out.get(fid, set())
        lost: set[str] = set()
        for c in fresh & at_exit:
            if c in only_ok and (c not in had or c in mine):
                mine.add(c)
            elif c in mine:
                mine.discard(c)
                lost.add(c)
        new = at_exit - had
        if new or lost:
            out.setdefault(fid, set()).update(new)
            for caller in [c for c, _ in fn.callers] + sorted(prog.passers.get(fid, ())):
                if caller not in queued:
                    work.append(caller)
                    queued.add(caller)
    return {fid: frozenset(c) for fid, c in out.items() if c}


def dropped(m: Model, fid: int, event: int) -> frozenset[str]:
    """The classes FID releases on every path to EVENT: held at its entry,
    they are no longer held there (__track_dentry_update() unlocks the
    i_fc_lock ext4_fc_track_template() calls it under before it
    allocates). Walked once per function that releases a lock."""
    got = m.dropping.get(fid)
    if got is None:
        got = m.dropping[fid] = {}
        if fid in m.releasing:
            fn, full, ok = m.releasing[fid]
            released = {c for _, op, c in full if op == RELEASE}
            marks = frozenset((c + AT_ENTRY, None) for c in released)
            w = walk(fn, full, marks, ok, at_entry=True)
            for ev, facts in w.at.items():
                kept = {c[: -len(AT_ENTRY)] for c, _ in facts if c.endswith(AT_ENTRY)}
                if released - kept:
                    got[ev] = frozenset(released - kept)
    return got.get(event, frozenset())


def _across(prog: Program, m: Model) -> None:
    """Locks held at a call flow into the callee, along calls that can run
    with the constant arguments of each call. A node is a function with a
    binding; each carries the set of classes that may be held at its entry,
    and only what is new at a node is passed on."""
    held: dict[Node, set[str]] = {}
    pending: dict[Node, set[str]] = {}
    nodes: dict[Node, int] = {}
    work: deque[Node] = deque()

    def reach(t: int, b: Binding, classes: set[str], why: tuple[int, int, Binding]) -> None:
        caller, ci = why[0], why[1]
        got = prog.fns[caller].enter(ci, prog.fns[t], b) if caller >= 0 else prog.fns[t].admit(b)
        if got is None:
            return  # a call that passes NULL where the callee dereferences it
        b = got
        node = (t, b)
        if node not in held:
            key = (t, widened(b))  # the bindings counted against MAX_BINDINGS
            if nodes.get(key, 0) >= MAX_BINDINGS:
                b = key[1]
                node = key
            if node not in held:
                nodes[key] = nodes.get(key, 0) + 1
                held[node] = set()
        new = classes - held[node]
        if not new:
            return
        held[node] |= new
        entry = m.entry.setdefault(t, {})
        for cls in new:
            m.held_by[(t, cls, b)] = why
            m.first.setdefault((t, cls), b)
            entry.setdefault(cls, why[:2] if why[0] >= 0 else OUTSIDE)
        if node not in pending:
            work.append(node)
            pending[node] = set()
        pending[node] |= new

    # held when code outside calls in (the parent's i_rwsem at ->lookup)
    for fid, roots in sorted(prog.entry_holds.items()):
        reach(fid, EMPTY, set(roots), (-1, -1, EMPTY))
    # taken here, or held by the kernel around a call back (fill_super)
    for g in prog.fns:
        local = m.local.get(g.id, {})
        for ci, targets in enumerate(g.callees):
            here = set(local.get(ci, ())) | set(prog.call_holds.get((g.id, ci), ((), ""))[0])
            if not here or not targets or prog.elems(g, g.state_at(ci)) == {IN}:
                continue  # a call inside a scope: what it holds cannot meet FS reclaim
            b = g.step(ci, EMPTY)
            assert b is not None
            for t in targets:
                reach(t, b, here, (g.id, ci, EMPTY))
    while work:
        node = work.popleft()
        delta = pending.pop(node)
        gid, binding = node
        g = prog.fns[gid]
        for ci, targets in enumerate(g.callees):
            if not targets or prog.elems(g, g.state_at(ci)) == {IN}:
                continue
            b = g.step(ci, binding)
            if b is None:
                continue
            flows = delta - dropped(m, gid, ci)
            for t in targets:
                if flows:
                    reach(t, b, flows, (gid, ci, binding))
