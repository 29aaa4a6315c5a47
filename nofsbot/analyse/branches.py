"""Where a call sits decides what must hold for it to run: the `if`,
`else` and `case` around it, and the statements before it in its block
that leave it on a path (`if (c) return ..;`, `if (c) goto L;` to a label
further down). guards.Params finds the conditions; this part walks up
from each call to the statements that put them on it, and gives each
function's calls their guards, arguments and carried fields."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tree_sitter import Node

from nofsbot.analyse import records
from nofsbot.analyse.pointees import DEREF, _strip, _text

if TYPE_CHECKING:
    from nofsbot.analyse.guards import Arg, Guard, Params

INT_LITERAL = re.compile(r"^-?(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$")

# the guard that holds where GUARD does not
FLIP = {
    "truthy": "falsy",
    "falsy": "truthy",
    "eq": "ne",
    "ne": "eq",
    "bit": "nobit",
    "nobit": "bit",
    # integers: `if (rec_diff > 0) { ..; return; }` leaves rec_diff <= 0
    "gt": "le",
    "le": "gt",
    "lt": "ge",
    "ge": "lt",
}


class Branches:
    """The statement side of guards.Params, which sets these."""

    index: dict[str, int]
    assigns: dict[str, list[int]]
    _ups: dict[int, list[Guard]]
    _befores: dict[int, list[Guard]]

    def conjunction(self, cond: Node, calls: bool = True) -> list[Guard]:
        raise NotImplementedError

    def atom(self, n: Node) -> Guard | None:
        raise NotImplementedError

    def _false(self, cond: Node) -> list[Guard]:
        raise NotImplementedError

    def _stable(self, name: str, at: Node) -> bool:
        raise NotImplementedError

    def result_terms(self, body: Node | None) -> tuple[Guard, ...]:
        """For a function that is declarations, then `if (c) return K;`
        statements, then `return EXPR;`: what holds on its parameters when
        it returns true. That is the terms of the one path that can return
        true: the tests it passed (`if (c) return 0;` means c was false, as
        far as c is a condition on a parameter) and its own condition or
        EXPR. With two paths that can return true, nothing is known."""
        stmts = [c for c in body.named_children if c.type != "comment"] if body else []
        while stmts and stmts[0].type == "declaration":
            stmts = stmts[1:]
        if not stmts or stmts[-1].type != "return_statement" or not stmts[-1].named_children:
            return ()
        context: list[Guard] = []
        true_paths: list[list[Guard]] = []
        for st in stmts[:-1]:
            then = st.child_by_field_name("consequence") if st.type == "if_statement" else None
            while then is not None and then.type == "compound_statement":
                inner = [c for c in then.named_children if c.type != "comment"]
                then = inner[0] if len(inner) == 1 else None
            cond = st.child_by_field_name("condition") if then is not None else None
            if (
                then is None
                or cond is None
                or then.type != "return_statement"
                or st.child_by_field_name("alternative") is not None
                or not then.named_children
            ):
                return ()
            value = _int_value(_text(_strip(then.named_children[0])))
            if value is None:
                return ()
            if value:
                true_paths.append(context + self.conjunction(cond, calls=False))
            else:
                context += [g for g in self._false(cond) if g[1] != "call"]
        last = _strip(stmts[-1].named_children[0])
        value = _int_value(_text(last))
        if value is None:
            true_paths.append(context + self.conjunction(last, calls=False))
        elif value:
            true_paths.append(context)
        if len(true_paths) != 1:
            return ()
        return tuple(dict.fromkeys(true_paths[0]))

    def guards(self, node: Node, body: Node) -> tuple[Guard, ...]:
        """What must hold on the parameters for NODE (inside BODY) to run."""
        return tuple(dict.fromkeys(self._up(node, body)))

    def _up(self, child: Node, body: Node) -> list[Guard]:
        """The guards CHILD's enclosing statements put on it, innermost
        first; the calls of one function share most of them, so each
        statement's are found once."""
        p = child.parent
        if p is None or child == body:
            return []
        got = self._ups.get(child.id)
        if got is not None:
            return got
        out: list[Guard] = []
        if p.type == "compound_statement":
            out += self._after_returns(child)
        if p.type == "if_statement":
            cond = p.child_by_field_name("condition")
            if cond is not None and child == p.child_by_field_name("consequence"):
                out += self.conjunction(cond)
            elif cond is not None and child == p.child_by_field_name("alternative"):
                a = self.atom(cond)
                if a is not None and a[1] in FLIP:
                    out.append((a[0], FLIP[a[1]], a[2]))
        elif p.type == "case_statement" and p.parent is not None:
            out += self._case(p)
        out += self._up(p, body)
        self._ups[child.id] = out
        return out

    def _after_returns(self, stmt: Node) -> list[Guard]:
        """Statements before STMT in its block of the form `if (c) return ..;`
        or `if (c) { ..; return ..; }` with no goto in it (no else): STMT
        runs only where c was false (udf_get_block() returns for !create
        before it takes i_data_sem)."""
        if stmt.type == "labeled_statement":
            return []  # a goto may come to it from anywhere
        # what the statements from SIB back to the block's start (or a
        # label) put on what follows them, found once per statement
        todo: list[Node] = []
        sib = stmt.prev_named_sibling
        while sib is not None and sib.type != "labeled_statement" and sib.id not in self._befores:
            todo.append(sib)
            sib = sib.prev_named_sibling
        known = self._befores.get(sib.id, []) if sib is not None else []
        for sib in reversed(todo):
            own: list[Guard] = []
            if sib.type == "if_statement" and sib.child_by_field_name("alternative") is None:
                cond = sib.child_by_field_name("condition")
                if _leaves(sib.child_by_field_name("consequence"), sib) and cond is not None:
                    own = [g for g in self._false(cond) if not self._written(g, sib.parent)]
            known = self._befores[sib.id] = own + known
        return list(known)

    def _written(self, g: Guard, block: Node | None) -> bool:
        """A parameter of G may be assigned before the end of BLOCK, the
        block the test is in (or in a loop around it): between the test and
        a later statement of the block it may no longer hold. An assignment
        after the block (hfsplus_get_block()'s `else create = 0;`) does not
        count."""
        names = {i: n for n, i in self.index.items()}
        if g[1] == "call":
            idx = [int(kv.split("=")[1]) for kv in g[2].split("\x00", 1)[1].split(";") if kv]
        else:
            idx = [g[0]]
        return any(
            (n := names.get(i)) in self.assigns and (block is None or not self._stable(n, block))
            for i in idx
        )

    def _case(self, case: Node) -> list[Guard]:
        value = case.child_by_field_name("value")
        switch = case.parent.parent if case.parent is not None else None
        if value is None or switch is None or switch.type != "switch_statement":
            return []
        cond = switch.child_by_field_name("condition")
        from nofsbot.analyse.guards import constant  # guards imports this module

        v = constant(_text(value))
        if cond is None or v is None:
            return []
        # a case that the one before falls into runs for that value too
        prev = case.prev_named_sibling
        while prev is not None and prev.type == "comment":
            prev = prev.prev_named_sibling
        if prev is not None and prev.type == "case_statement":
            stmts = [s for s in prev.named_children if s.type != "comment"]
            last = stmts[-1] if stmts else None
            if last is None or last.type not in (
                "break_statement",
                "return_statement",
                "goto_statement",
                "continue_statement",
            ):
                return []
        name = _text(_strip(cond))
        if name in self.index and self._stable(name, cond):
            return [(self.index[name], "eq", v)]
        return []


def _leaves(then: Node | None, stmt: Node) -> bool:
    """THEN, the branch of `if` statement STMT, always leaves the statements
    that follow STMT in its block: it returns, or its one goto jumps to a
    label after them, in that block or an enclosing one (`if (inode->i_nlink)
    goto done;`; xfs_buf_get_map()'s `if (flags & XBF_INCORE) goto
    out_put_perag;` in the branch of a cache miss)."""
    if _returns(then):
        return True
    if then is None or (then.text or b"").count(b"goto") != 1:
        return False
    last = then
    if then.type == "compound_statement":
        inner = [c for c in then.named_children if c.type != "comment"]
        last = inner[-1] if inner else then
    label = last.child_by_field_name("label") if last.type == "goto_statement" else None
    if label is None:
        return False
    at: Node | None = stmt
    while at is not None and at.type != "function_definition":
        sib = at.next_named_sibling
        while sib is not None:
            if sib.type == "labeled_statement":
                own = sib.child_by_field_name("label")
                if own is not None and own.text == label.text:
                    return True
            sib = sib.next_named_sibling
        at = at.parent
    return False


def _returns(then: Node | None) -> bool:
    """THEN always ends in a return: one, or a block whose last statement
    is one and that has no goto to leave it by."""
    if then is None:
        return False
    if then.type == "return_statement":
        return True
    if then.type != "compound_statement":
        return False
    inner = [c for c in then.named_children if c.type != "comment"]
    return (
        bool(inner) and inner[-1].type == "return_statement" and b"goto" not in (then.text or b"")
    )


def carried(
    guards: tuple[tuple[int, tuple[Guard, ...]], ...],
    cargs: tuple[tuple[int, tuple[Arg | None, ...]], ...],
    fields: frozenset[str],
) -> tuple[tuple[int, int, str], ...]:
    """Per call, the FIELDS its guards test on a parameter it passes on
    (`if (inode->i_nlink) ubifs_jnl_write_inode(c, inode);`): (call index,
    argument index, "field=1" or "field=0"), which the callee's binding
    gets (Fn.step())."""
    if not fields or not guards:
        return ()
    args = dict(cargs)
    out: list[tuple[int, int, str]] = []
    for ci, gs in guards:
        for idx, op, want in gs:
            if not records.FIELD <= idx < DEREF or op not in ("truthy", "falsy"):
                continue
            if want[1:] not in fields or not want.startswith("."):
                continue
            param = ("p", str(idx - records.FIELD))
            out += [
                (ci, j, f"{want[1:]}={int(op == 'truthy')}")
                for j, a in enumerate(args.get(ci, ()))
                if a == param
            ]
    return tuple(sorted(set(out)))


def conditions(
    params: Params | None, body: Node | None, calls: list[Node]
) -> tuple[
    tuple[tuple[int, tuple[Guard, ...]], ...], tuple[tuple[int, tuple[Arg | None, ...]], ...]
]:
    """Per call (the call nodes of one function, in their order): the guards
    on the parameters, and the arguments that are constants or parameters."""
    if params is None or body is None or not calls:
        return (), ()
    guards = []
    cargs = []
    for ci, cnode in enumerate(calls):
        if params.index:
            g = params.guards(cnode, body)
            if g:
                guards.append((ci, g))
        args = cnode.child_by_field_name("arguments")
        if args is None:
            continue
        facts = tuple(params.arg(a) for a in args.named_children if a.type != "comment")
        if any(facts):
            cargs.append((ci, facts))
    return tuple(guards), tuple(cargs)


def _int_value(text: str) -> int | None:
    """The value of a constant return: 0/1, false/true, an integer."""
    if text in ("true", "false"):
        return int(text == "true")
    if INT_LITERAL.match(text):
        try:
            return int(text.rstrip("uUlL"), 0)
        except ValueError:  # 08
            return None
    return None
