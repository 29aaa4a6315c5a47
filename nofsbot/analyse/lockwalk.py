"""The may-held walk of one function's lock operations: facts are (lock
class, the condition it was taken under), over the function's control-flow
skeleton (ir.py). held.py runs it with the lock helpers a function calls
resolved; hazards.py with a function's own operations.
"""

from __future__ import annotations

from typing import Any

from nofsbot.analyse import callresult, ir
from nofsbot.analyse.fn import Fn
from nofsbot.analyse.locks import ACQUIRE, RELEASE, TRYLOCK

# the condition of a lock a call returned holding only if it succeeded
SUCCEEDED = "\x00succeeded\x00"
# the mark of a class held at a function's entry, which a release of the
# class ends (lock_walk(at_entry=True))
AT_ENTRY = "/\x00entry"


def ends(cls: str, released: set[str]) -> bool:
    """A release of one of RELEASED ends CLS: an unlock ends every subclass
    of its class."""
    return cls in released or any(cls.startswith(r + "/") for r in released)


def walk(
    fn: Fn,
    locks: list[tuple[int, str, str]],
    start: frozenset[Any],
    ok: dict[int, frozenset[str]] | None = None,
    at_entry: bool = False,
) -> ir.Walk:
    """Walk LOCKS (call index, op, class) over FN's skeleton from START."""
    ops: dict[int, list[tuple[str, str]]] = {}
    for ci, op, cls in locks:
        ops.setdefault(ci, []).append((op, cls))
    conds = {ci: (k, h) for ci, k, h in fn.facts.lock_conds}
    w = lock_walk(ops, start, conds, ok, at_entry)
    assert fn.facts.ir is not None
    w.run(fn.facts.ir)
    return w


def lock_walk(
    ops: dict[int, list[tuple[str, str]]],
    start: frozenset[Any] = frozenset(),
    when: dict[int, tuple[str, bool]] | None = None,
    ok: dict[int, frozenset[str]] | None = None,
    at_entry: bool = False,
) -> ir.Walk:
    """A may-held walk whose facts are (lock class, condition it was taken under).

    `if (c) down(l); ... if (c) up(l);` is common; a lock taken under c is
    not held on a branch where c is false, so the second `if` does not leak it.
    WHEN gives a call's own condition (call index -> condition key):
    a lock followed by `locked = true;` is taken under `locked`, whatever
    branch it is on, so `if (locked) up(l);` releases it; `if
    (!trylock(l)) goto out;` does not hold l at out. OK gives the classes a
    call returns holding only when it succeeds: they are not held on the
    branch of a test of its result taken when it failed (`error =
    xfs_qm_dqget_inode(..); if (error) return error;`).
    AT_ENTRY: START holds marks of locks held at the function's entry
    (class + AT_ENTRY); a release ends the function's own take of the
    class if it may hold one, and the mark only if not, so a helper that
    locks and unlocks a lock of its own class is not taken to release its
    caller's (udf_expand_file_adinicb() drops its caller's i_data_sem,
    then takes and releases one of its own).
    """
    Fact = tuple[str, tuple[str, bool] | None]
    when = when or {}
    ok = ok or {}

    def transfer(ci: int, state: frozenset[Fact]) -> frozenset[Fact]:
        for op, cls in ops.get(ci, ()):
            if op == ACQUIRE and cls in ok.get(ci, ()):
                state = state | {(cls, (f"{SUCCEEDED}{ci}", True))}
            elif op in (ACQUIRE, TRYLOCK) and ci in when:
                state = state | {(cls, when[ci])}
            elif op in (ACQUIRE, TRYLOCK):
                state = state | {(cls, w.conds[-1] if w.conds else None)}
            elif op == RELEASE:  # an unlock ends the lock whatever subclass took it
                sub = cls + "/"
                hit = {f for f in state if f[0] == cls or f[0].startswith(sub)}
                own = {f for f in hit if not f[0].endswith(AT_ENTRY)}
                state = state - (own if at_entry and own else hit)
        return state

    def branch(state: frozenset[Fact], key: tuple[str, bool]) -> frozenset[Fact]:
        cond, holds = key
        gone = {(cond, not holds)}
        if (ci := callresult.failed_call(key)) is not None:
            gone.add((f"{SUCCEEDED}{ci}", True))
        return frozenset(f for f in state if f[1] not in gone)

    w = ir.Walk(transfer, start, branch)
    return w
