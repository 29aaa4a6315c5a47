"""Work whose progress memory reclaim waits for (domain.md section 8).

A reclaim path that sleeps on an object (a wait queue, a completion, a
variable: config/roots.toml [sleep]) or flushes work (flush_work(),
flush_workqueue()) waits for the task that wakes that object or runs that
work. If that task is a work function or a kthread, an allocation it makes
that enters FS reclaim can end up waiting for itself: the XFS CIL push work
wakes xc_commit_wait, which xfs_log_force() sleeps on from the dquot
shrinker. Scopes do not cross into work, so such work needs its own scope
from its top. Objects are classed like locks (struct.field); a class of
unknown struct type matches by its field.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from nofsbot.analyse import ir, reclaim, reclaimpath, skeleton, workitems
from nofsbot.analyse.facts import INDIRECT, TASK_SLEEP, shown
from nofsbot.analyse.held import Node
from nofsbot.analyse.locks import resolve_class
from nofsbot.analyse.placed import WorkWait
from nofsbot.analyse.program import IN, Fn, Program
from nofsbot.model import Boundary, Evidence, Hazard


@dataclass(frozen=True)
class Waited:
    """A function that runs, outside any scope, in work reclaim waits for."""

    worker: int  # the work function or kthread
    boundary: Boundary  # a scope from the top of the worker to its end
    evidence: tuple[Evidence, ...]  # reclaim's path to the wait, and the wake
    calls: int  # calls between the reclaim entry point and the wait
    # why the path to the wake is not shown ("" if it is)
    through: str = ""
    # an operation, not work: its ops object and the removal (drained.py)
    operation: tuple[str, str] | None = None


def reclaim_waited(prog: Program, m: reclaim.Model) -> dict[int, Waited]:
    """Function -> the reclaim-waited work it runs in outside a scope."""
    sleeps, flushes = _reclaim_waits(prog, m)
    if not sleeps and not flushes:
        return {}
    queues = workitems.work_queues(prog)
    out: dict[int, Waited] = {}
    for target, workers in sorted(workitems.queued_work(prog).items()):
        for w in workers:
            how = _flushed(prog, m, flushes, workitems.waited(target, queues), w)
            how = how or _woken(prog, m, sleeps, w)
            if how is not None:
                mark(prog, w, how, out)
    for w in _threads(prog):
        how = _woken(prog, m, sleeps, w)
        if how is not None:
            mark(prog, w, how, out)
    return out


def _reclaim_waits(
    prog: Program, m: reclaim.Model
) -> tuple[dict[str, tuple[Node, int]], dict[str, tuple[Node, int]]]:
    """What reclaim sleeps on (class -> first node and call) and the work
    it flushes (work or workqueue field -> first node and call)."""
    sleeps: dict[str, tuple[Node, int]] = {}
    for node, ci, cls in reclaim_sleeps(prog, m):  # nearest first: the shortest path to each
        if cls not in ("?", TASK_SLEEP):
            sleeps.setdefault(resolve_class(cls, prog.structs), (node, ci))
    flushes: dict[str, tuple[Node, int]] = {}
    for node, ci, cls in _reclaim_work_waits(prog, m):
        flushes.setdefault(cls, (node, ci))
    return sleeps, flushes


def reclaim_sleeps(prog: Program, m: reclaim.Model) -> Iterator[tuple[Node, int, str]]:
    """Each sleep on an object a reclaim path makes (config/roots.toml
    [sleep], and the removals of [drained]): (node, call index, the
    object's class as extracted), nearest first."""
    for node in m.reach.parent:
        fid, binding = node
        fn = prog.fns[fid]
        for ci, cls in fn.facts.sleeps:
            if fn.step(ci, binding) is not None:
                yield node, ci, cls


def _reclaim_work_waits(prog: Program, m: reclaim.Model) -> Iterator[tuple[Node, int, str]]:
    """Each wait for work or a workqueue (flush_work(), cancel_work_sync(),
    ...) a reclaim path makes: (node, call index, the object's class),
    nearest first."""
    for node in m.reach.parent:
        fid, binding = node
        fn = prog.fns[fid]
        for ci, target in fn.facts.waits:
            cls = workitems.normal(target, prog.structs)
            if cls and fn.step(ci, binding) is not None:
                yield node, ci, cls


def _flushed(
    prog: Program,
    m: reclaim.Model,
    flushes: dict[str, tuple[Node, int]],
    fields: list[str],
    w: Fn,
) -> tuple[list[Evidence], int, str] | None:
    for f in fields:
        for hit in workitems.matching(flushes, f):
            node, ci = flushes[hit]
            call = prog.fns[node[0]].facts.calls[ci][0]
            note = f"reclaim waits in {call}() for the work {w.name}() runs in"
            path = reclaimpath.path_to(prog, m, node, ci, note)
            return path, len(path) - 2, ""
    return None


def _woken(
    prog: Program, m: reclaim.Model, sleeps: dict[str, tuple[Node, int]], w: Fn
) -> tuple[list[Evidence], int, str] | None:
    """Reclaim sleeps on an object that W (or what it calls) wakes. The
    search first follows only calls with one known callee, to wakes whose
    path shares no function with reclaim's path to the wait. A wake found
    only otherwise comes back with why its path is not shown: it is reached
    through a call by pointer that the struct type resolves to several
    functions (afs_make_call()'s `call->type->done(call)`), or through a
    function that reclaim's own way to the wait runs too
    (afs_select_fileserver() both waits for a probe and sends one; a bit
    lock's holder wakes its waiters), so the wake is that function's,
    whoever runs it, not shown to be this work's."""
    found = _wake_path(prog, m, sleeps, w, ambiguous=False)
    return found or _wake_path(prog, m, sleeps, w, ambiguous=True)


def _wake_path(
    prog: Program,
    m: reclaim.Model,
    sleeps: dict[str, tuple[Node, int]],
    w: Fn,
    ambiguous: bool,
) -> tuple[list[Evidence], int, str] | None:
    parent: dict[int, tuple[int, int] | None] = {w.id: None}
    todo = deque([w.id])
    while todo:
        fid = todo.popleft()
        fn = prog.fns[fid]
        # of its wakes of one object, one it makes on every path first: a
        # recovery thread's last wake, not one that answers a request on
        # the way
        top = skeleton.unconditional(fn.facts.ir)
        for ci, cls in sorted(fn.facts.wakes, key=lambda w: w[0] not in top):
            c = resolve_class(cls, prog.structs)
            hit = next((s for s in sorted(sleeps) if workitems.same(s, c)), None)
            if hit is None:
                continue
            node, sci = sleeps[hit]
            sleeper = prog.fns[node[0]]
            ev = [Evidence(fn.path, fn.facts.calls[ci][1], fn.name, f"wakes {c}")]
            through = ""
            cur = fid
            while (up := parent[cur]) is not None:
                g = prog.fns[up[0]]
                callee, line = g.facts.calls[up[1]]
                if _by_type(g, up[1]) and not through:
                    through = (
                        f"only through {shown(callee)}() in {g.name}(), a call by pointer "
                        "that the struct type resolves to several functions: which one "
                        "runs is not followed"
                    )
                ev.append(Evidence(g.path, line, g.name, f"calls {prog.fns[cur].name}()"))
                cur = up[0]
            note = f"reclaim sleeps in {sleeper.facts.calls[sci][0]}() on {hit}"
            path = reclaimpath.path_to(prog, m, node, sci, note)
            both = [e.function for e in ev if any(e.function == r.function for r in path)]
            if both and not through:
                if not ambiguous:
                    continue
                through = (
                    f"the wake is reached through {both[-1]}(), which reclaim's way to "
                    f"the wait runs too: the tasks that wait on {c} there also wake it, "
                    "and that this work is the one reclaim waits for is not shown"
                )
            return path + ev, len(path) - 2, through
        for ci, targets in enumerate(fn.callees):
            if not ambiguous and _by_type(fn, ci):
                continue
            for t in targets:
                if t not in parent:
                    parent[t] = (fid, ci)
                    todo.append(t)
    return None


def _by_type(fn: Fn, ci: int) -> bool:
    """Call CI of FN goes through a struct field that several functions are
    stored in: which one runs depends on the object, which is not followed."""
    return fn.facts.calls[ci][0].startswith(INDIRECT) and len(fn.callees[ci]) > 1


def work_wait(prog: Program, rwaited: dict[int, Waited], fn: Fn, event: int) -> WorkWait | None:
    """The reclaim-waited work the site at EVENT in FN runs in, outside a scope;
    its evidence also names a call that reaches the site from outside the
    work, which the scope from the work's top leaves as it is."""
    w = rwaited.get(fn.id)
    if w is None or fn.in_own_scope(event):
        return None
    evidence = w.evidence
    outside = _outside_work(prog, rwaited, fn, w.worker)
    if outside:
        (g, ci), more = outside[0], len(outside) - 1
        callee = g.facts.calls[ci][0]
        to = "" if callee == fn.name else f", which reaches {fn.name}()"
        others = f" (and {more} more such calls)" if more else ""
        note = (
            f"calls {callee}() outside {prog.fns[w.worker].name}(){to}{others}: the scope "
            "from the work's top does not cover that, and no path to the site holds a lock "
            "reclaim takes outside a scope"
        )
        evidence += (Evidence(g.path, g.facts.calls[ci][1], g.name, note),)
    return WorkWait(w.boundary, evidence, w.calls, w.through, w.operation, bool(outside))


def _outside_work(
    prog: Program, rwaited: dict[int, Waited], fn: Fn, worker: int
) -> list[tuple[Fn, int]]:
    """The calls from functions the work WORKER does not reach into ones it
    reaches on the way up from FN (xlog_cil_init() at mount calls
    xlog_cil_ctx_alloc(), which the CIL push work calls too)."""
    out: list[tuple[Fn, int]] = []
    seen = {fn.id}
    todo = deque([fn])
    while todo:
        g = todo.popleft()
        if g.id == worker:
            continue
        for cid, ci in g.callers:
            w = rwaited.get(cid)
            if w is None or w.worker != worker:
                out.append((prog.fns[cid], ci))
            elif cid not in seen:
                seen.add(cid)
                todo.append(prog.fns[cid])
    # a call outside any scope first: the one the scope leaves to the mask
    return sorted(
        out,
        key=lambda c: (
            prog.elems(c[0], c[0].state_at(c[1])) == {IN},
            c[0].path,
            c[0].facts.calls[c[1]][1],
        ),
    )


def flushed_work(prog: Program) -> dict[int, Evidence]:
    """Functions that run in work some code waits for (flush_work() on its
    work item, flush_workqueue() on the workqueue it is queued on), and what
    they call: FS reclaim entered there may deadlock if a reclaim path
    waits for that work, or for the task that waits for it, which waits.py
    does not follow (only waits made on a reclaim path itself)."""
    workers = workitems.queued_work(prog)
    queues = workitems.work_queues(prog)
    waiting: dict[str, tuple[Fn, int]] = {}
    for fn in prog.fns:
        for ci, target in fn.facts.waits:
            cls = workitems.normal(target, prog.structs)
            if cls:
                waiting.setdefault(cls, (fn, ci))
    out: dict[int, Evidence] = {}
    todo: deque[int] = deque()
    for target, fns in sorted(workers.items()):
        found = workitems.waited(target, queues)
        wait = next((waiting[k] for f in found for k in workitems.matching(waiting, f)), None)
        if wait is None:
            continue
        waiter, ci = wait
        call, line = waiter.facts.calls[ci]
        for w in fns:
            if w.id not in out:
                note = f"{call}() waits for the work {w.name}() runs in"
                out[w.id] = Evidence(waiter.path, line, waiter.name, note)
                todo.append(w.id)
    while todo:
        fid = todo.popleft()
        fn = prog.fns[fid]
        for ci, targets in enumerate(fn.callees):
            if fn.in_own_scope(ci):
                continue  # inside a scope the work opened: it cannot enter FS reclaim
            for t in targets:
                if t not in out:
                    out[t] = out[fid]
                    todo.append(t)
    return out


def _threads(prog: Program) -> list[Fn]:
    """Functions run as kthreads (a work role with no work item field)."""
    out: dict[int, Fn] = {}
    for f in prog.files.values():
        for r in f.refs:
            if r.role == "work" and not r.target and r.detail.startswith("kthread"):
                for t in prog.resolve(f.path, r.name, 1):
                    out[t] = prog.fns[t]
    return [out[k] for k in sorted(out)]


def mark(
    prog: Program,
    w: Fn,
    found: tuple[list[Evidence], int, str],
    out: dict[int, Waited],
    operation: tuple[str, str] | None = None,
) -> None:
    """W and what it calls outside a scope of its own run in that work (or
    in that OPERATION: drained.py)."""
    how, calls, through = found
    if w.facts.ir is None:
        return
    thread = operation is None and w.thread
    if thread:
        note = "runs as a kernel thread: it starts with no scope"
        why = "a kernel thread reclaim waits for"
    elif operation is None:
        note, why = "runs as work: it starts with no scope", "work reclaim waits for"
    else:
        note = f"an operation of {operation[0]}: it starts with no scope"
        why = f"an operation {operation[1]}() waits for"
    top = Evidence(w.path, w.facts.line, w.name, note)
    boundary = whole(w, f"{why} ({how[0].note})", thread)
    waited = Waited(w.id, boundary, (*how, top), calls, through, operation)
    todo = deque([w.id])
    seen = {w.id}
    while todo:
        fid = todo.popleft()
        if fid not in out or (out[fid].through and not through):
            out[fid] = waited
        fn = prog.fns[fid]
        for ci, targets in enumerate(fn.callees):
            if fn.in_own_scope(ci):
                continue  # inside a scope this work opened
            for t in targets:
                if t not in seen:
                    seen.add(t)
                    todo.append(t)


def whole(w: Fn, why: str, thread: bool = False) -> Boundary:
    """A scope over all of W: from its top to each return, and after its
    last statement unless that returns. THREAD: W is a kernel thread's
    function, not work."""
    assert w.facts.ir is not None
    walk = ir.Walk(lambda _ci, s: s)
    walk.run(w.facts.ir)
    return Boundary(
        w.path,
        w.name,
        w.facts.line,
        why,
        tuple(sorted(walk.returns)),
        top=True,
        tail=w.facts.last_statement,
        thread=thread,
    )


def unrescued(prog: Program, m: reclaim.Model) -> list[Hazard]:
    """Reclaim flushes work that runs on a workqueue without a rescuer
    (no WQ_MEM_RECLAIM: a system workqueue, or flags without it). Under
    memory pressure such a queue may get no new worker, as making one
    allocates, while reclaim waits for its work: check_flush_dependency()
    warns when a PF_MEMALLOC task flushes one. Queues whose flags are not
    known (a variable, a macro) are not reported."""
    wq = prog.cfg.roots.workqueue
    flushes = set(wq.flush)
    made = workitems.workqueues(prog)
    queues = workitems.work_queues(prog)
    out: list[Hazard] = []
    seen: set[tuple[int, int]] = set()
    for node, ci, cls in _reclaim_work_waits(prog, m):
        fn = prog.fns[node[0]]
        call, line = fn.facts.calls[ci]
        if call not in flushes or (fn.id, ci) in seen:
            continue
        seen.add((fn.id, ci))
        for queue, how in _queues_of(prog, cls, queues, made):
            note = f"reclaim waits in {call}() for work on {queue}"
            path = reclaimpath.path_to(prog, m, node, ci, note)
            out.append(
                Hazard(
                    "reclaim-flushes-unrescued-work",
                    fn.path,
                    line,
                    fn.name,
                    f"{call}() on a reclaim path waits for work on {queue}, a workqueue "
                    "without WQ_MEM_RECLAIM: under memory pressure it may get no worker "
                    "to run the work, and reclaim waits for it",
                    (*path, *how),
                )
            )
    return out


def _queues_of(
    prog: Program,
    cls: str,
    queues: dict[str, list[workitems.Queued]],
    made: dict[str, list[workitems.Made]],
) -> list[tuple[str, tuple[Evidence, ...]]]:
    """The workqueues without a rescuer that a wait on CLS (a work item or a
    workqueue) waits for, each with where its work is queued and where it
    is made without WQ_MEM_RECLAIM."""
    system = set(prog.cfg.roots.workqueue.system)
    found: list[tuple[str, workitems.Queued | None, str]] = [(cls, None, "")]
    for k in workitems.matching(queues, cls):
        found += [(q.queue, q, k) for q in queues[k]]
    out: list[tuple[str, tuple[Evidence, ...]]] = []
    done: set[str] = set()
    for queue, q, work in found:
        if queue in done:
            continue
        done.add(queue)
        ev: list[Evidence] = []
        if q is not None:
            line = q.fn.facts.calls[q.call][1]
            system_wq = ", a system workqueue: no rescuer" if queue in system else ""
            note = f"queues {work} on {queue}{system_wq}"
            ev.append(Evidence(q.fn.path, line, q.fn.name, note))
        if queue not in system:
            makers = [mk for k in workitems.matching(made, queue) for mk in made[k]]
            if not makers or any(mk.rescued != 0 for mk in makers):
                continue
            mk = makers[0]
            call, line = mk.fn.facts.calls[mk.call]
            note = f"{call}() makes {queue} without WQ_MEM_RECLAIM"
            ev.append(Evidence(mk.fn.path, line, mk.fn.name, note))
        out.append((queue, tuple(ev)))
    return out
