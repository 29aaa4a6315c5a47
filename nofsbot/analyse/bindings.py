"""Evaluating constant arguments along calls (guards.py extracts them):
whether a binding (parameter -> value) rules a call out, what the callee's
binding is, and whether the callee would dereference NULL first."""

from __future__ import annotations

from collections.abc import Callable

from nofsbot.analyse import records
from nofsbot.analyse.branches import INT_LITERAL
from nofsbot.analyse.guards import FREED, NONNEG, TASK, Arg, Binding, Guard
from nofsbot.analyse.pointees import DEREF


def _int(text: str) -> int | None:
    if text in ("NULL", "false"):
        return 0
    if text == "true":
        return 1
    m = INT_LITERAL.match(text)
    if not m:
        return None
    return int(text.rstrip("uUlL"), 0)


def holds(guard: Guard, binding: Binding) -> bool | None:
    """Whether GUARD holds under BINDING: True, False, or None (unknown)."""
    idx, op, want = guard
    if op == "call":
        return None
    value = dict(binding).get(idx)
    if value is None:
        return None
    kind, text = value
    # the fields of a struct the parameter points to: a local's initialiser
    # ("f", the others 0), or what a caller's test gave ("g", the others
    # not known)
    if kind in ("f", "g"):
        if op not in ("truthy", "falsy") or not want.startswith("."):
            return None
        fld = want[1:]
        v = records.field_value(text, fld) if kind == "f" else records.parse(text).get(fld)
        n = _int(v) if v is not None else None
        return None if n is None else (n != 0) == (op == "truthy")
    if kind == "o":
        return None  # an object, not a value a guard can test
    if op in ("bit", "nobit"):  # `flags & C`
        return _bit(kind, text, want, op == "bit")
    if kind == "b":
        return None  # some bits known, the value not
    if kind == "a":  # a function's address: never NULL, equal to no constant
        if op in ("truthy", "falsy"):
            return op == "truthy"
        if op in ("eq", "ne") and _int(want) == 0:
            return op == "ne"
        return None
    if kind == "t":
        truth = text == "1"
        if op in ("truthy", "falsy"):
            return truth == (op == "truthy")
        if op in ("eq", "ne") and _int(want) == 0:
            return (not truth) == (op == "eq")
        return None
    have = _int(text)
    if op in ("truthy", "falsy"):
        return None if have is None else (have != 0) == (op == "truthy")
    if want == NONNEG:
        return _against_nonnegative(op, have)
    w = _int(want)
    if op in ("eq", "ne"):
        if have is not None and w is not None:
            same = have == w
        elif have is None and w is None:
            same = text == want  # two different enum constants differ
        else:
            return None
        return same == (op == "eq")
    if have is None or w is None:
        return None
    return {"gt": have > w, "lt": have < w, "ge": have >= w, "le": have <= w}[op]


def _bit(kind: str, text: str, want: str, is_set: bool) -> bool | None:
    """Whether bit WANT of a value is set (IS_SET) or clear: known for a 0,
    for the same constant, and for an `|` of constants that holds it."""
    if kind == "b":
        return is_set if want in text.split("|") else None
    if kind != "c":
        return None
    have, w = _int(text), _int(want)
    if have == 0:
        return not is_set
    if text == want:
        return is_set
    if have is not None and w is not None:
        return bool(have & w) == is_set
    return None


def _against_nonnegative(op: str, have: int | None) -> bool | None:
    """`HAVE OP x` for an unknown x >= 0: decided only where no such x
    could change the answer (0 > i_size is false)."""
    if have is None:
        return None
    if (op == "gt" and have <= 0) or (op in ("ge", "eq") and have < 0):
        return False
    if (op == "le" and have <= 0) or (op in ("lt", "ne") and have < 0):
        return True
    return None


def crashes(derefs: tuple[int, ...], binding: Binding) -> bool:
    """BINDING passes NULL for a parameter the function dereferences first."""
    have = dict(binding)
    return any(have.get(i) in (("c", "NULL"), ("c", "0")) for i in derefs)


def allowed(guards: tuple[Guard, ...], binding: Binding) -> bool:
    """False when BINDING rules out a call with GUARDS."""
    return not binding or all(holds(g, binding) is not False for g in guards)


def bind(args: tuple[Arg | None, ...], binding: Binding) -> Binding:
    """The callee's binding for a call with ARGS made under BINDING."""
    have = dict(binding)
    # the reclaim task state goes to every callee
    out: list[tuple[int, tuple[str, str]]] = [(TASK, have[TASK])] if TASK in have else []
    if not args:
        return tuple(out)
    for k, a in enumerate(args):
        if a is None:
            continue
        kind, text = a
        if kind == "c":
            out.append((k, ("c", text)))
            continue
        if kind == "r":  # &dummy_cur, a local holding NULL: what param k points to
            out.append((DEREF + k, ("c", text)))
            continue
        if kind == "f":  # &local: the fields it was initialised with
            out.append((records.FIELD + k, ("f", text)))
            continue
        if kind in ("a", "b"):  # a function passed on; bits an `|` sets
            out.append((k, (kind, text)))
            continue
        if kind == "p" and (fields := have.get(records.FIELD + int(text))) is not None:
            out.append((records.FIELD + k, fields))  # a pointer handed on
        if kind == "x":  # p < 0 ? -1 : 0
            idx, op, want, yes, no = text.split("|")
            decided = holds((int(idx), op, want), binding)
            if decided is not None:
                out.append((k, ("c", yes if decided else no)))
            continue
        v = have.get(int(text))
        if v is None:
            continue
        if kind == "s" or v[0] == "o":
            if v == FREED:  # the freed object, or a member of it
                out.append((k, v))
            continue
        if kind == "p":
            out.append((k, v))
            continue
        truth = (v[1] == "1") if v[0] == "t" else (_int(v[1]) not in (None, 0))
        if v[0] == "c" and _int(v[1]) is None:
            continue  # the truth of an enum constant is not known
        out.append((k, ("t", "1" if truth != (kind == "n") else "0")))
    return tuple(sorted(out))


def carry(binding: Binding, carries: list[tuple[int, str]]) -> Binding:
    """BINDING with the fields a call's test gave the objects it passes:
    argument -> "field=0|1" (branches.carried())."""
    have = dict(binding)
    for j, spec in carries:
        key = records.FIELD + j
        old = have.get(key)
        if old is not None and old[0] == "f":
            continue  # a local's initialiser says more
        fields = records.parse(old[1]) if old is not None and old[0] == "g" else {}
        fields.update(records.parse(spec))
        have[key] = ("g", records.spec(fields))
    return tuple(sorted(have.items()))


def kept(
    keeps: dict[int, tuple[int, ...]], binding: Binding, runs: Callable[[int], bool]
) -> Binding:
    """BINDING without what a parameter points to (DEREF keys) where the
    callee may change it: a caller calling in a loop passes the pointer
    again, and only a pointee the callee keeps is known the next time."""
    return tuple(
        (k, v)
        for k, v in binding
        if k < DEREF or (k - DEREF in keeps and not any(map(runs, keeps[k - DEREF])))
    )
