"""A lock taken inside a transaction the holder's own reclaim would join.

btrfs keeps a task's transaction handle in `current->journal_info`, and
start_transaction() (config/reclaim.toml [context] nests) hands that very
handle back, a reference more, where the task has one. Eviction starts
one through it (btrfs_evict_inode() -> evict_refill_and_join() ->
btrfs_join_transaction()). So where the holder of a lock reclaim takes
took it inside a transaction it started through such a start, left set
on the way to the take, and reclaim's path reaches the same start before
its way on to the take, reclaim in the holder's own task joins that
transaction: the take reclaim reaches is other tasks', kswapd's among
them, which a __GFP_FS allocation may wait for. (nilfs's own case, the
taking function reading journal_info itself, is witnesses.joined().)"""

from __future__ import annotations

from nofsbot.analyse import ir
from nofsbot.analyse.program import Fn, Program
from nofsbot.model import Evidence

# how deep calls are followed from a function on a path to the start:
# transaction_kthread() -> btrfs_attach_transaction() -> start_transaction()
DEPTH = 3


def nested(
    prog: Program,
    owner: Fn,
    ci: int,
    cls: str,
    path: list[Evidence],
    thread: bool,
    entered: list[Evidence],
) -> str:
    """Where OWNER's call CI takes CLS inside a transaction a nesting start
    began on ENTERED (the path into OWNER, each step a call of the one
    before it, from OWNER up) or in OWNER before CI, and reclaim's PATH
    reaches that start again before the take: PATH's first step says
    whose the take is. The function called to start the transaction, or
    "". THREAD: the holder is a kernel thread, which kswapd never
    throttles."""
    starts = prog.cfg.reclaim.nests
    if not starts or not path or not path[0].note.startswith(f"reclaim takes {cls} here"):
        return ""
    began = _began(prog, owner, ci, entered, starts)
    if began is None:
        return ""
    name, where, start = began
    again = _again(prog, path, start)
    if not again:
        return ""
    take = path[0]
    others = (
        ""
        if thread
        else ", kswapd's among them, which this allocation may wait for "
        "(throttle_direct_reclaim(), mm/vmscan.c)"
    )
    path[0] = Evidence(
        take.path,
        take.line,
        take.function,
        f"reclaim takes {cls} here in other tasks{others}; in this task reclaim joins the "
        f"transaction {name}() began ({where}), which current->journal_info holds: {again} "
        f"reaches {start}() first, which hands that handle back instead of starting another",
    )
    return name


def _began(
    prog: Program, owner: Fn, ci: int, entered: list[Evidence], starts: frozenset[str]
) -> tuple[str, str, str] | None:
    """The call that began a transaction through one of STARTS on the way
    into OWNER's call CI and left `current->journal_info` set: a call made
    on every path to the call on (ir.before_on_every_path()); the callee
    named, where it is called, and the start."""
    steps: list[tuple[Fn, int]] = [(owner, owner.facts.calls[ci][1])]
    for e in entered:
        g = prog.function_at(e.path, e.function, e.line)
        if g is None or not e.note.startswith("calls "):
            break
        steps.append((g, e.line))
    for n, (g, line) in enumerate(steps):
        on = _call_at(g, line)
        first = ir.before_on_every_path(g.facts.ir, on) if on is not None else frozenset()
        for c in sorted(first, reverse=True):
            callee, at = g.facts.calls[c]
            start = _reaches(prog, g, c, starts, DEPTH)
            if not start:
                continue
            # a start fails without setting it: only past the test that
            # leaves on its failure is the transaction the task's
            if not ir.leaves_on_failure(g.facts.ir, c):
                return None
            # nothing on the way on clears journal_info: not G after the
            # start, nor the functions below it before their calls on
            if _clears_between(prog, g, at, line) or any(
                0 < h.facts.journal[2] < hline for h, hline in steps[:n]
            ):
                return None
            where = f"{g.path.rsplit('/', 1)[-1]}:{at}, in {g.name}()"
            return callee, where, start
    return None


def _call_at(g: Fn, line: int) -> int | None:
    """G's call on the path at LINE (its last call there)."""
    at = [c for c, (_, ln) in enumerate(g.facts.calls) if ln == line]
    return at[-1] if at else None


def _reaches(prog: Program, g: Fn, c: int, starts: frozenset[str], depth: int) -> str:
    """The start of STARTS that call C of G is or reaches, DEPTH deep,
    through functions that clear `current->journal_info` nowhere, nor
    call one that does: one that commits what it started
    (ensure_commit_roots_uptodate()) hands nothing back."""
    name = g.facts.calls[c][0]
    if name in starts:
        return name
    if depth <= 1 or c >= len(g.callees):
        return ""
    for t in g.callees[c]:
        h = prog.fns[t]
        if _clears(prog, h, 1):
            continue
        for d in range(len(h.facts.calls)):
            got = _reaches(prog, h, d, starts, depth - 1)
            if got:
                return got
    return ""


def _clears(prog: Program, h: Fn, depth: int) -> bool:
    """H sets `current->journal_info` to NULL, itself or in a call, DEPTH deep."""
    if h.facts.journal[2]:
        return True
    return depth > 0 and any(_clears(prog, prog.fns[t], depth - 1) for ts in h.callees for t in ts)


def _clears_between(prog: Program, g: Fn, start: int, end: int) -> bool:
    """G sets `current->journal_info` to NULL after line START and before
    END, itself or in a call (btrfs_end_transaction() ->
    __btrfs_end_transaction())."""
    if start < g.facts.journal[2] < end:
        return True
    return any(
        _clears(prog, prog.fns[t], 1)
        for c, (_, at) in enumerate(g.facts.calls)
        if start < at < end and c < len(g.callees)
        for t in g.callees[c]
    )


def _again(prog: Program, path: list[Evidence], start: str) -> str:
    """The first function on reclaim's PATH, from the take up, that reaches
    START on every path to its call on, the nearest such call: "f() (line
    N, through g())"."""
    for e in path[1:]:
        if not e.note.startswith("calls "):
            break
        f = prog.function_at(e.path, e.function, e.line)
        on = _call_at(f, e.line) if f is not None else None
        if f is None or on is None:
            break
        for c in sorted(ir.before_on_every_path(f.facts.ir, on), reverse=True):
            callee, at = f.facts.calls[c]
            if _reaches(prog, f, c, frozenset((start,)), DEPTH):
                via = "" if callee == start else f", through {callee}()"
                return f"{f.name}() (line {at}{via})"
    return ""
