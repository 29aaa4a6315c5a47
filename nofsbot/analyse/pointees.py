"""What a pointer parameter points to, as a binding (guards.py): `cur =
*curp` stands for *curp from that statement on, and a caller that passes
`&dummy_cur` (a local holding NULL) binds it to NULL. Also the parameters a
function dereferences before it can branch: a call passing NULL for one
cannot run."""

from __future__ import annotations

import re

from tree_sitter import Node

from nofsbot.analyse import syntax

# the binding key of what parameter k points to (`cur = *curp`): DEREF + k
DEREF = 100
# statements whose operands may not be evaluated (compiled out, unevaluated)
_NO_EVAL = re.compile(
    r"\b(ASSERT|\w*assert\w*|sizeof|typeof|__typeof__|offsetof|BUILD_BUG_ON\w*)\s*\("
)
# a name dereferenced with `->` (not `&p->f`, `a.p->f`, `a->p->f`): one
# pattern for every name, since a pattern per name overflows re's cache
_ARROW = re.compile(r"(?<![\w&.>])([A-Za-z_]\w*)\s*->")


def _text(n: Node | None) -> str:
    return syntax.fold(n.text) if n is not None else ""


def _strip(n: Node) -> Node:
    while n.type == "parenthesized_expression" and n.named_child_count == 1:
        n = n.named_children[0]
    return n


class Pointees:
    """The pointer-parameter side of guards.Params, which sets these."""

    index: dict[str, int]
    assigns: dict[str, list[int]]
    deref: dict[str, tuple[int, int]]
    null_locals: set[str]

    def _constant_param(self, name: str) -> int | None:
        raise NotImplementedError

    def _pointees(self, body: Node | None, writes: dict[str, list[int]]) -> None:
        # locals that hold NULL wherever their address is passed: declared
        # `= NULL`, and written nowhere else than by one `&x` argument
        self.null_locals = {
            name
            for d in (body.named_children if body is not None else ())
            if d.type == "declaration"
            for name in _null_inits(d)
            if len(writes.get(name, ())) == 2
        }
        # `cur = *curp;` among the body's statements: cur stands for what the
        # stable parameter curp points to, from that statement on (key DEREF
        # + index); its later writes end that, as for a parameter
        for st in body.named_children if body is not None else ():
            got = self._deref_of(st)
            if got is not None and got[0] not in self.index and got[0] not in self.deref:
                name, i, left = got
                self.deref[name] = (i, st.end_byte)
                self.index[name] = DEREF + i
                later = [o for o in writes.get(name, ()) if o > left]
                if later:
                    self.assigns[name] = later

    def _deref_of(self, st: Node) -> tuple[str, int, int] | None:
        """`x = *p;` with p a parameter the body never assigns: (x, p's
        index, where x is written)."""
        got = syntax.simple_assignment(st)
        if got is None:
            return None
        left, right = got[0], _strip(got[1])
        if right.type != "pointer_expression" or not _text(right).startswith("*"):
            return None
        arg = right.child_by_field_name("argument")
        i = (
            self._constant_param(_text(arg))
            if arg is not None and arg.type == "identifier"
            else None
        )
        return (_text(left), i, left.start_byte) if i is not None else None

    def keeps(self, body: Node, calls: list[Node]) -> tuple[tuple[int, tuple[int, ...]], ...]:
        """For each `cur = *curp` local: the calls that must not run for
        *curp to hold on return what it held on entry. The body may store
        only cur itself or NULL through curp, use curp only through `*curp`,
        and write cur only by passing `&cur` to those calls."""
        out = []
        at = {(c.start_byte, c.end_byte): ci for ci, c in enumerate(calls)}
        for name, (i, start) in sorted(self.deref.items()):
            pname = next(n for n, k in self.index.items() if k == i)
            must: list[int] = []
            ok = True
            for n in _identifiers(body, {pname, name}):
                p = n.parent
                if _text(n) == pname:
                    if p is None or p.type != "pointer_expression" or not _text(p).startswith("*"):
                        ok = False  # curp itself escapes or is compared
                    elif (
                        p.parent is not None
                        and p.parent.type == "assignment_expression"
                        and (p.parent.child_by_field_name("left") == p)
                    ):
                        v = _text(_strip(p.parent.child_by_field_name("right") or p))
                        ok = ok and v in (name, "NULL")
                    continue
                if n.start_byte < start:
                    continue  # the defining statement, or before it
                if p is not None and p.type == "pointer_expression" and _text(p).startswith("&"):
                    call = p.parent.parent if p.parent is not None else None
                    if (
                        p.parent is not None
                        and p.parent.type == "argument_list"
                        and call is not None
                        and (call.start_byte, call.end_byte) in at
                    ):
                        must.append(at[(call.start_byte, call.end_byte)])
                        continue
                    ok = False
                elif p is not None and (
                    (p.type == "assignment_expression" and p.child_by_field_name("left") == n)
                    or p.type == "update_expression"
                ):
                    ok = False
            if ok:
                out.append((i, tuple(must)))
        return tuple(out)

    def derefs(self, body: Node) -> tuple[int, ...]:
        """Pointer parameters the body dereferences before anything can
        branch or return: a call passing NULL for one of them cannot run
        (it would crash first). `&p->f`, ASSERT() and sizeof do not count."""
        names = {n: i for n, i in self.index.items() if i < DEREF and n not in self.assigns}
        if not names:
            return ()
        out: set[int] = set()
        for st in body.named_children:
            if st.type == "comment":
                continue
            if st.type not in ("declaration", "expression_statement"):
                break
            text = (st.text or b"").decode("latin-1")
            if _NO_EVAL.search(text):
                continue
            out |= {names[m.group(1)] for m in _ARROW.finditer(text) if m.group(1) in names}
        return tuple(sorted(out))


def _null_inits(decl: Node) -> list[str]:
    """Pointer locals DECL initialises to NULL."""
    out = []
    for init in decl.named_children:
        if init.type == "init_declarator":
            value = init.child_by_field_name("value")
            d = init.child_by_field_name("declarator")
            if (
                value is not None
                and _text(value) == "NULL"
                and d is not None
                and d.type == "pointer_declarator"
            ):
                out.append(syntax.decl_name(d) or "")
    return [n for n in out if n]


def _identifiers(n: Node, names: set[str]) -> list[Node]:
    out = []
    stack = [n]
    while stack:
        x = stack.pop()
        if x.type == "identifier":
            if _text(x) in names:
                out.append(x)
            continue
        stack.extend(x.children)
    return out
