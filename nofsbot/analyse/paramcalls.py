"""Calls through function pointer parameters, as extraction sees them
(the parameter side of guards.Params, which sets `index`, `assigns` and
`_body`): which calls go through a parameter (`execute(dqp, data)`,
`(*fn)(x)`) or a parameter's field (`wc->process_func(..)`), which
parameters are stored into a struct field (`iwag->iwalk_fn = iwalk_fn`),
and which are contained: used only to be called, passed whole, stored, or
tested for NULL. fnptrs.py links them over the program."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from tree_sitter import Node

from nofsbot.analyse.pointees import DEREF, _text

# comments and string literals: a name in them is no use of it
_COMMENT_OR_STRING = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"', re.S)
_WORD = re.compile(r"\b[A-Za-z_]\w*")
# a name, and a field name after `->` or `.` (not a use of a local of that name)
_NAME = re.compile(r"(->|\.)?\s*\b([A-Za-z_]\w*)")


class ParamCalls:
    """The function-pointer side of guards.Params."""

    index: dict[str, int]
    data_params: set[str]
    assigns: dict[str, list[int]]
    _body: Node | None

    def _stable(self, name: str, at: Node) -> bool:
        raise NotImplementedError

    def param_calls(self, calls: list[tuple[str, Node]]) -> tuple[tuple[int, int], ...]:
        """(call index, parameter index) of the calls through a function
        pointer parameter the body never assigns: `execute(dqp, data)`,
        `(*fn)(x)`."""
        out = []
        for ci, (callee, cnode) in enumerate(calls):
            name = _called_name(callee)
            if name in self.index and self._stable(name, cnode):
                out.append((ci, self.index[name]))
        return tuple(out)

    def field_calls(self, calls: list[tuple[str, Node]]) -> tuple[tuple[int, int, str], ...]:
        """(call index, parameter index, field) of the calls through a
        function pointer field of a parameter: `wc->process_func(..)`."""
        out = []
        for ci, (callee, cnode) in enumerate(calls):
            if not callee.startswith("*"):
                continue
            m = re.fullmatch(r"(\w+)\s*->\s*(\w+)", callee.partition(" ")[2])
            if m and m.group(1) in self.index and self._stable(m.group(1), cnode):
                out.append((ci, self.index[m.group(1)], m.group(2)))
        return tuple(out)

    def param_stores(
        self, stores: list[tuple[str, Callable[[], str]]]
    ) -> tuple[tuple[int, str], ...]:
        """(parameter index, typed field) for each parameter the body stores
        into a struct field (STORES: name, and what gives the field's type,
        asked only of parameters), never assigned itself."""
        return tuple(
            sorted(
                {
                    (self.index[name], fld())
                    for name, fld in stores
                    if 0 <= self.index.get(name, -1) < DEREF and name not in self.assigns
                }
            )
        )

    def contained(
        self, calls: list[tuple[str, Node]], stored: list[str] | None = None
    ) -> tuple[int, ...]:
        """The parameters the body uses only to call them, to pass them
        whole to a call, or to store them into a struct field (STORED: the
        names stored): function pointers nothing but those calls, and the
        calls through that field, can reach."""
        if self._body is None or not self.index:
            return ()
        counts = dict.fromkeys((n for n in self.index if n not in self.data_params), 0)
        if not counts:
            return ()
        text = (self._body.text or b"").decode("latin-1")
        for name in stored or ():
            if name in counts:
                counts[name] += 1
        for callee, cnode in calls:
            name = _called_name(callee)
            if name in counts:
                counts[name] += 1
            args = cnode.child_by_field_name("arguments")
            for a in args.named_children if args is not None else ():
                if a.type == "identifier" and (n := _text(a)) in counts:
                    counts[n] += 1
        if not any(counts.values()):
            return ()
        uses = Counter(_WORD.findall(text))
        if any(k and uses[name] > k for name, k in counts.items()):
            # some name has other occurrences: those in comments, strings
            # and field names do not count
            code = _COMMENT_OR_STRING.sub(" ", text)
            uses = Counter(name for field, name in _NAME.findall(code) if not field)
        short = {name for name, k in counts.items() if k and uses[name] > k}
        if short:
            # `if (!fn)`, `fn == NULL`, `if (fn)`: a test lets no one call it
            for name, k in _null_tests(self._body, short).items():
                counts[name] += k
        return tuple(
            sorted(self.index[name] for name, k in counts.items() if k and uses[name] == k)
        )


def _null_tests(body: Node, names: set[str]) -> Counter[str]:
    """How often each of NAMES is only tested for NULL in BODY: `!fn`,
    `fn == NULL`, `fn != NULL`, or the whole condition of an if, a loop or
    `?:`. An operand of `&&` is not counted yet: it resolved ubifs's
    dbg_walk_index(c, check_leaf, ..), a walk that runs only while the
    filesystem is mounted, on a tnc_mutex no reclaim path can reach then;
    nofsbot does not tell a mounting superblock's locks from a live one's
    (audit 36), and would call that walk's allocations needs-scope."""
    out: Counter[str] = Counter()
    stack = [body]
    while stack:
        n = stack.pop()
        stack.extend(n.named_children)
        if n.type != "identifier" or _text(n) not in names:
            continue
        c, p = n, n.parent  # C: the child of P that holds N
        while p is not None and p.type == "parenthesized_expression":
            c, p = p, p.parent
        if p is None:
            continue
        op = p.child_by_field_name("operator")
        ops = _text(op) if op is not None else ""
        if p.type == "unary_expression" and ops == "!":
            out[_text(n)] += 1
        elif p.type == "binary_expression" and ops in ("==", "!="):
            other = p.child_by_field_name("right" if p.child_by_field_name("left") == c else "left")
            if other is not None and _text(other) in ("NULL", "0"):
                out[_text(n)] += 1
        elif p.type in ("if_statement", "while_statement", "conditional_expression") and (
            p.child_by_field_name("condition") == c
        ):
            out[_text(n)] += 1
    return out


def _called_name(callee: str) -> str:
    """The name a call goes through: `fn` for `fn(..)` and `(*fn)(..)`."""
    return callee[2:-1] if callee.startswith("(*") and callee.endswith(")") else callee
