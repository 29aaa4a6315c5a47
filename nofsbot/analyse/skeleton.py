"""Questions about where a call sits in a function's control-flow
skeleton (ir.py): whether every path makes it, which calls every path
makes before another, and whether a failed call's test leaves."""

from __future__ import annotations

from nofsbot.analyse.callresult import failed_call
from nofsbot.analyse.ir import DO, EV, GOTO, IF, LABEL, LOOP, RET, SEQ, SWITCH, IRNode


def unconditional(skel: IRNode | None) -> frozenset[int]:
    """The calls in a function body's own statement list, under no if,
    loop or switch (a label's statement too): each runs whenever the body
    gets that far, though a label after a return may be reached only by
    a goto."""
    out: set[int] = set()
    todo = [skel] if skel is not None else []
    while todo:
        n = todo.pop()
        if n[0] == SEQ:
            todo.extend(n[1])
        elif n[0] == LABEL:
            todo.append(n[2])
        elif n[0] == EV:
            out.update(i for i in n[1] if i >= 0)
        elif n[0] == RET:
            todo.append(n[1])
    return frozenset(out)


def before_on_every_path(skel: IRNode | None, target: int) -> frozenset[int]:
    """The calls every path through a function's skeleton makes before its
    call TARGET: those of each statement list on the way down to it that
    come before the statement holding it, and those before it in its own
    expression. A label resets what is known, there and for what it
    labels: a goto may enter past anything before it. Empty where TARGET
    is not found."""
    return _before(skel, target, some=False)


def before_on_some_path(skel: IRNode | None, target: int) -> frozenset[int]:
    """The calls a path through a function's skeleton may make before its
    call TARGET: every call before it, an earlier round of a loop around
    it included, but those in a branch that ends in a return (an error
    path that never gets there). Empty where TARGET is not found."""
    return _before(skel, target, some=True)


def _before(skel: IRNode | None, target: int, some: bool) -> frozenset[int]:
    def down(n: IRNode, got: frozenset[int]) -> frozenset[int] | None:
        op = n[0]
        if op == EV:
            if target in n[1]:
                return got | frozenset(i for i in n[1][: n[1].index(target)] if i >= 0)
            return None
        if op == SEQ:
            mine = set(got)
            for item in n[1]:
                if item[0] == LABEL and not some:
                    mine = set()
                found = down(item, frozenset(mine))
                if found is not None:
                    return found
                if some:
                    mine |= _calls(item)
                elif item[0] == EV:
                    mine.update(i for i in item[1] if i >= 0)
            return None
        if op == LABEL and not some:
            return down(n[2], frozenset())
        if op in (LOOP, DO) and some:
            got = got | frozenset(_calls(n))
        for k in _kids(n):
            found = down(k, got)
            if found is not None:
                return found
        return None

    if skel is None:
        return frozenset()
    return down(skel, frozenset()) or frozenset()


def _kids(n: IRNode) -> list[IRNode]:
    """The nodes right under N, a statement that is not a list."""
    op = n[0]
    if op == IF:
        return [n[1], n[2]] + ([n[3]] if n[3] is not None else [])
    if op == LOOP:
        return [n[1], n[2], n[3]]
    if op == DO:
        return [n[1], n[2]]
    if op == SWITCH:
        return [n[1], *n[2]]
    if op == RET:
        return [n[1]]
    if op == LABEL:
        return [n[2]]
    return []


def between(skel: IRNode | None, first: int, then: int) -> frozenset[int] | None:
    """The calls a path may make after call FIRST and before call THEN,
    where one statement list holds both, FIRST's statement before THEN's
    (branches that end in a return left out); None where none does."""

    def holds(n: IRNode, ci: int) -> bool:
        return ci in _all(n)

    todo = [skel] if skel is not None else []
    while todo:
        n = todo.pop()
        if n[0] == EV:
            continue
        if n[0] == SEQ:
            items = n[1]
            i = next((k for k, it in enumerate(items) if holds(it, first)), None)
            j = next((k for k, it in enumerate(items) if holds(it, then)), None)
            if i is not None and j is not None and i == j:
                todo = [items[i]]
                continue
            if i is not None and j is not None:
                if i > j:
                    return None
                out: set[int] = set()
                a, b = items[i], items[j]
                out |= {c for c in a[1] if c >= 0 and c > first} if a[0] == EV else _calls(a)
                for it in items[i + 1 : j]:
                    out |= _calls(it)
                out |= before_on_some_path(b, then)
                return frozenset(out)
        todo.extend(n[1] if n[0] == SEQ else _kids(n))
    return None


def _all(n: IRNode) -> set[int]:
    """Every call of N."""
    if n[0] == EV:
        return {i for i in n[1] if i >= 0}
    out: set[int] = set()
    for k in n[1] if n[0] == SEQ else _kids(n):
        out |= _all(k)
    return out


def _calls(n: IRNode) -> set[int]:
    """N's calls, but those of its branches that end in a return."""
    if n[0] == EV:
        return {i for i in n[1] if i >= 0}
    if n[0] == SEQ and n[1] and _returns(n):
        return set()
    out: set[int] = set()
    for k in n[1] if n[0] == SEQ else ([] if n[0] == RET else _kids(n)):
        out |= _calls(k)
    return out


def _returns(seq: IRNode) -> bool:
    """SEQ, a statement list, ends in a return."""
    return bool(_last(seq)[0] == RET)


def _last(n: IRNode) -> IRNode:
    """The statement N ends with: itself, or a list's last, all the way in."""
    while n[0] == SEQ and n[1]:
        n = n[1][-1]
    return n


def leaves_on_failure(skel: IRNode | None, ci: int) -> bool:
    """Call CI's statement is followed by a test of its failure
    (callresult.failed_call(): `if (IS_ERR(trans))`) whose body ends in a
    return or a goto: past it, the call succeeded."""
    todo = [skel] if skel is not None else []
    while todo:
        n = todo.pop()
        if n[0] == SEQ:
            items = n[1]
            for i, item in enumerate(items):
                if item[0] == EV and ci in item[1] and i + 1 < len(items):
                    nxt = items[i + 1]
                    return (
                        nxt[0] == IF
                        and failed_call(nxt[4]) == ci
                        and _last(nxt[2])[0] in (RET, GOTO)
                    )
        todo.extend(n[1] if n[0] == SEQ else _kids(n))
    return False
