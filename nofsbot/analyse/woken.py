"""Sites that run before their task wakes a kernel thread that may sleep
holding a lock reclaim takes: reclaim waiting for that lock waits for the
thread, and the thread for this task (dlm_recoverd() between a
lockspace's stop and its start)."""

from __future__ import annotations

from collections import deque

from nofsbot.analyse import reclaim, reclaimpath
from nofsbot.analyse.facts import TASK_SLEEP
from nofsbot.analyse.held import MAYBE
from nofsbot.analyse.locks import resolve_class
from nofsbot.analyse.placed import WokenLater
from nofsbot.analyse.program import Fn, Program
from nofsbot.model import Evidence


def woken_later(prog: Program, m: reclaim.Model, depth: int = 4) -> dict[int, WokenLater]:
    """Sites that run before their task wakes a kthread that may sleep
    (config/roots.toml [task_sleep]) holding a lock reclaim takes: reclaim
    waiting for that lock waits for the thread, and the thread for this
    task (dlm_recoverd() holds ls_in_recovery between a lockspace's stop
    and the start dlm_ls_start() wakes it for). The sites before the wake
    in the waking function, in what it calls before, and in its callers
    before they call it, up to DEPTH callers."""
    sleepers: dict[str, tuple[Fn, int, str]] = {}
    for f in prog.files.values():
        for r in f.refs:
            if r.role != "work" or not r.obj or not r.detail.startswith("kthread"):
                continue
            for t in prog.resolve(f.path, r.name, 1):
                k = prog.fns[t]
                for ci, cls in k.facts.sleeps:
                    # held for certain: a lock a call before may return
                    # holding is too weak a reason to keep every waker's code
                    held = {c for c in m.held(k.id, ci) if not c.startswith(MAYBE)}
                    shared = sorted(c for c in held if c in m.shared) if cls == TASK_SLEEP else []
                    if shared:
                        sleepers.setdefault(resolve_class(r.obj, prog.structs), (k, ci, shared[0]))
    out: dict[int, WokenLater] = {}
    if not sleepers:
        return out
    for fn in prog.fns:
        for ci, cls in fn.facts.wakes:
            hit = sleepers.get(resolve_class(cls, prog.structs))
            if hit is None:
                continue
            k, kci, lock = hit
            call, line = fn.facts.calls[ci]
            ev = (
                Evidence(fn.path, line, fn.name, f"wakes {k.name}() ({call}())"),
                Evidence(
                    k.path,
                    k.facts.calls[kci][1],
                    k.name,
                    f"sleeps in {k.facts.calls[kci][0]}() with {lock} held, until it is woken",
                ),
                *reclaimpath.reclaim_path(prog, m, lock),
            )
            _before(prog, fn, line, WokenLater(line, k.name, lock, ev), out, depth)
    return out


def _before(
    prog: Program, fn: Fn, line: int, w: WokenLater, out: dict[int, WokenLater], depth: int
) -> None:
    """Mark FN's sites before LINE, all of what FN calls before it, and
    FN's callers' sites before their call to FN."""
    mine = out.get(fn.id)
    if mine is None or (mine.line and mine.line < line):
        out[fn.id] = WokenLater(line, w.thread, w.lock, w.evidence)
    todo = deque(t for ci, ts in enumerate(fn.callees) for t in ts if fn.facts.calls[ci][1] < line)
    while todo:
        t = todo.popleft()
        if out.get(t) is not None and out[t].line == 0:
            continue
        out[t] = WokenLater(0, w.thread, w.lock, w.evidence)
        todo.extend(x for ts in prog.fns[t].callees for x in ts)
    if depth > 0:
        for caller, ci in fn.callers:
            g = prog.fns[caller]
            _before(prog, g, g.facts.calls[ci][1], w, out, depth - 1)


def woken_at(woken: dict[int, WokenLater], fn: Fn | None, line: int) -> WokenLater | None:
    """What the site at LINE of FN runs before: a wake of a kthread that
    may sleep holding a lock reclaim takes."""
    w = woken.get(fn.id) if fn is not None else None
    return w if w is not None and (not w.line or line < w.line) else None
