"""A lock taken inside a transaction the holder's own reclaim would join.

btrfs keeps a task's transaction handle in `current->journal_info`;
start_transaction() hands that very handle back, a reference more, where
the task has one, and __btrfs_end_transaction() returns at once for such
a nested handle (config/reclaim.toml [context] nests, start -> end).
Eviction starts one (btrfs_evict_inode() -> evict_refill_and_join()) and
ends it, and some of what it takes is taken past that end's return
(btrfs_create_pending_block_groups()). So where the holder of such a lock
took it inside a transaction it got through the start, left set on the
way to the take, and reclaim's path reaches the same start on every path
before the end it runs the take behind, reclaim in the holder's own task
returns before the take: the take reclaim reaches is other tasks'.
(nilfs's own case, the taking function reading journal_info itself, is
witnesses.joined().)"""

from __future__ import annotations

from nofsbot.analyse import skeleton
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
    """Where OWNER's call CI takes CLS inside a transaction got through a
    nesting start on ENTERED (the path into OWNER, each step a call of the
    one before it, from OWNER up) or in OWNER before CI, and reclaim's
    PATH runs its take behind that start's nested end, which a function
    further up reaches the start before on every path: PATH's first step
    says whose the take is. The function called to get the transaction,
    or "". THREAD: the holder is a kernel thread, which kswapd never
    throttles."""
    nests = prog.cfg.reclaim.nests
    if not nests or not path or not path[0].note.startswith(f"reclaim takes {cls} here"):
        return ""
    got = _got(prog, owner, ci, entered, frozenset(nests))
    if got is None:
        return ""
    name, where, start = got
    end = nests[start]
    again = _again(prog, path, start, end)
    if not again:
        return ""
    others = (
        "; this task is a kernel thread, which throttle_direct_reclaim() never stops behind them"
        if thread
        else ", kswapd's among them, which this allocation may wait for "
        "(throttle_direct_reclaim(), mm/vmscan.c)"
    )
    take = path[0]
    path[0] = Evidence(
        take.path,
        take.line,
        take.function,
        f"reclaim takes {cls} here in other tasks{others}. In this task reclaim joins the "
        f"handle {name}() set in current->journal_info ({where}): {again} reaches "
        f"{start}() first, which hands that handle back, nested, and {end}() returns for a "
        "nested handle before it gets here",
    )
    return name


def _got(
    prog: Program, owner: Fn, ci: int, entered: list[Evidence], starts: frozenset[str]
) -> tuple[str, str, str] | None:
    """The call that got a transaction through one of STARTS on the way
    into OWNER's call CI and left `current->journal_info` set: a call made
    on every path to the call on (skeleton.before_on_every_path()), past
    the test that leaves on its failure; the callee named, where it is
    called, and the start."""
    steps: list[tuple[Fn, int]] = [(owner, ci)]
    for e in entered:
        g = prog.function_at(e.path, e.function, e.line)
        on = _call_at(g, e.line) if g is not None and e.note.startswith("calls ") else None
        if g is None or on is None:
            break
        steps.append((g, on))
    for n, (g, on) in enumerate(steps):
        for c in sorted(skeleton.before_on_every_path(g.facts.ir, on), reverse=True):
            callee, at = g.facts.calls[c]
            start = _reaches(prog, g, c, starts, DEPTH)
            if not start:
                continue
            # a failed start sets nothing; and nothing on the way on may
            # clear journal_info: not G after the start, nor the functions
            # below it before their calls on
            if (
                not skeleton.leaves_on_failure(g.facts.ir, c)
                or _clears_between(prog, g, c, on)
                or any(_clears_between(prog, h, -1, hc) for h, hc in steps[:n])
            ):
                return None
            return callee, f"{g.path.rsplit('/', 1)[-1]}:{at}, in {g.name}()", start
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
    if h.facts.journal_clears:
        return True
    return depth > 0 and any(_clears(prog, prog.fns[t], depth - 1) for ts in h.callees for t in ts)


def _clears_between(prog: Program, g: Fn, after: int, on: int) -> bool:
    """G may set `current->journal_info` to NULL after its call AFTER (-1:
    its entry) and before its call ON, itself or in a call it may make
    on the way (btrfs_end_transaction() -> __btrfs_end_transaction()),
    leaving out branches that return; so it may where no statement list
    holds both calls."""
    lo, hi = (g.facts.calls[after][1] if after >= 0 else 0), g.facts.calls[on][1]
    if any(lo < line < hi for line in g.facts.journal_clears):
        return True
    way = (
        skeleton.between(g.facts.ir, after, on)
        if after >= 0
        else skeleton.before_on_some_path(g.facts.ir, on)
    )
    return way is None or any(
        _clears(prog, prog.fns[t], 1) for c in way if c < len(g.callees) for t in g.callees[c]
    )


def _again(prog: Program, path: list[Evidence], start: str, end: str) -> str:
    """Where reclaim's PATH, from the take up, first runs through END, and
    then a function further up reaches START on every path to its call
    on, the nearest such call: "f() (line N, through g())"; "" where the
    path does not run through END, or nothing above it reaches START."""
    behind = path[0].function == end
    for e in path[1:]:
        if not e.note.startswith("calls "):
            break
        f = prog.function_at(e.path, e.function, e.line)
        on = _call_at(f, e.line) if f is not None else None
        if f is None or on is None:
            break
        if not behind:
            behind = f.name == end
            continue
        for c in sorted(skeleton.before_on_every_path(f.facts.ir, on), reverse=True):
            callee, at = f.facts.calls[c]
            if _reaches(prog, f, c, frozenset((start,)), DEPTH):
                via = "" if callee == start else f", through {callee}()"
                return f"{f.name}() (line {at}{via})"
    return ""
