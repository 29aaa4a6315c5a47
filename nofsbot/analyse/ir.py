"""A control-flow skeleton of a C function body, and the scope walk over it.

The skeleton keeps only what decides whether a point is inside a NOFS scope:
statements' control structure (if/loops/switch/goto/return/break/continue)
and, at the leaves, events: calls (index >= 0 into the function's call list)
and sites (encoded as -1 - site index). Nodes are plain tuples so they pickle
small and fast.

The walk is an abstract interpretation over sets of scope depths:
-1 means "definitely outside" (a scope from the caller was closed), 0 means
"as at function entry", 1 and 2 mean inside one or more scopes opened here.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Any

from tree_sitter import Node

SEQ, EV, IF, LOOP, DO, SWITCH, RET, GOTO, LABEL, BREAK, CONT = range(11)

OUT, ENTRY, MAXDEPTH = -1, 0, 2

State = frozenset[int]
# A skeleton node: (opcode, operands...). Internal to the analysis, hence Any.
IRNode = tuple[Any, ...]


# a conditional directive: (start byte, kind, condition), preprocess.Prepared
Directive = tuple[int, str, str]


class _Unbalanced(Exception):
    """#if/#else/#endif that do not nest within one block's statements."""


class _Builder:
    def __init__(
        self,
        starts: Sequence[int],
        ends: Sequence[int],
        ids: Sequence[int],
        marks: dict[int, str],
        conds: Sequence[Directive] = (),
    ) -> None:
        # events sorted by start byte
        self.starts = starts
        self.ends = ends
        self.ids = ids
        self.marks = marks  # condition start byte -> a prefix for its key
        self.conds = conds
        self.cstarts = [c[0] for c in conds]

    def _block(self, node: Node, kids: list[Node]) -> IRNode | None:
        """KIDS with the #if/#elif/#else groups between them as branches:
        both branches of `#ifndef CONFIG_X return -EINVAL; #else ..
        #endif` can run, so the #else code is not dead after the return.
        None when no directive sits between the statements, or they do
        not nest there (an #if that opens in one statement and closes in
        another): the statements then run in their order, as before."""
        lo = bisect.bisect_left(self.cstarts, node.start_byte)
        hi = bisect.bisect_left(self.cstarts, node.end_byte, lo)
        if lo == hi:
            return None
        items: list[Node | Directive] = []
        di = lo
        for c in kids:
            while di < hi and self.cstarts[di] < c.start_byte:
                items.append(self.conds[di])
                di += 1
            while di < hi and self.cstarts[di] < c.end_byte:
                di += 1  # inside the statement: its own blocks see it
            items.append(c)
        items += self.conds[di:hi]
        if all(not isinstance(i, tuple) for i in items):
            return None
        try:
            out = self._items(items, 0, ())[0]
        except _Unbalanced:
            return None
        return (SEQ, tuple(out))

    def _items(
        self, items: list[Node | Directive], i: int, stop: tuple[str, ...]
    ) -> tuple[list[IRNode], int]:
        out: list[IRNode] = []
        while i < len(items):
            it = items[i]
            if not isinstance(it, tuple):
                out.append(self.stmt(it))
                i += 1
            elif it[1] in ("if", "ifdef", "ifndef", "if0"):
                group, i = self._group(items, i)
                out += group
            elif it[1] in stop:
                return out, i
            else:
                raise _Unbalanced
        if stop:
            raise _Unbalanced
        return out, i

    def _group(self, items: list[Node | Directive], i: int) -> tuple[list[IRNode], int]:
        """The #if group at I, up to its #endif."""
        first = items[i]
        assert isinstance(first, tuple)
        arms: list[tuple[tuple[str, bool] | None, list[IRNode]]] = []
        key: tuple[str, bool] | None = _directive_key(first)
        i += 1
        while True:
            body, i = self._items(items, i, ("elif", "else", "endif"))
            arms.append((key, body))
            d = items[i]
            assert isinstance(d, tuple)
            i += 1
            if d[1] == "endif":
                break
            key = _directive_key(d) if d[1] == "elif" else None
        if first[1] == "if0":  # the dead branch is blanked: what is left runs
            return [n for _, body in arms for n in body], i
        alt: IRNode | None = None
        for k, body in reversed(arms):
            seq = (SEQ, tuple(body))
            alt = seq if k is None else (IF, (EV, ()), seq, alt, k)
        assert alt is not None
        return [alt], i

    def events(self, start: int, end: int) -> IRNode:
        lo = bisect.bisect_left(self.starts, start)
        hi = bisect.bisect_left(self.starts, end, lo)
        picked = [(self.ends[i], self.ids[i]) for i in range(lo, hi) if self.ends[i] <= end]
        if not picked:
            return (EV, ())
        picked.sort()
        return (EV, tuple(i for _, i in picked))

    def _key(self, cond: Node | None) -> tuple[str, bool]:
        return _marked(self.marks, cond)

    def node_events(self, node: Node | None) -> IRNode:
        if node is None:
            return (EV, ())
        return self.events(node.start_byte, node.end_byte)

    def stmt(self, node: Node) -> IRNode:
        t = node.type
        if t == "compound_statement":
            kids = [c for c in node.named_children if c.type != "comment"]
            return self._block(node, kids) or (SEQ, tuple(self.stmt(c) for c in kids))
        if t == "if_statement":
            alt = node.child_by_field_name("alternative")
            alt_stmt = None
            if alt is not None:
                inner = [c for c in alt.named_children if c.type != "comment"]
                alt_stmt = self.stmt(inner[0]) if inner else (SEQ, ())
            cons = node.child_by_field_name("consequence")
            cond = node.child_by_field_name("condition")
            return (
                IF,
                self.node_events(cond),
                self.stmt(cons) if cons is not None else (SEQ, ()),
                alt_stmt,
                self._key(cond),
            )
        if t == "while_statement":
            body = node.child_by_field_name("body")
            return (
                LOOP,
                self.node_events(node.child_by_field_name("condition")),
                self.stmt(body) if body is not None else (SEQ, ()),
                (EV, ()),
            )
        if t == "for_statement":
            body = node.child_by_field_name("body")
            init = node.child_by_field_name("initializer")
            return (
                SEQ,
                (
                    self.node_events(init),
                    (
                        LOOP,
                        self.node_events(node.child_by_field_name("condition")),
                        self.stmt(body) if body is not None else (SEQ, ()),
                        self.node_events(node.child_by_field_name("update")),
                    ),
                ),
            )
        if t == "do_statement":
            body = node.child_by_field_name("body")
            return (
                DO,
                self.stmt(body) if body is not None else (SEQ, ()),
                self.node_events(node.child_by_field_name("condition")),
            )
        if t == "switch_statement":
            body = node.child_by_field_name("body")
            cases: list[IRNode] = []
            has_default = False
            if body is not None:
                # statements before the first case label cannot run
                for c in body.named_children:
                    if c.type == "case_statement":
                        if c.child_by_field_name("value") is None:
                            has_default = True
                        stmts = [
                            self.stmt(s)
                            for s in c.named_children
                            if s.type != "comment" and s != c.child_by_field_name("value")
                        ]
                        cases.append((SEQ, tuple(stmts)))
            return (
                SWITCH,
                self.node_events(node.child_by_field_name("condition")),
                tuple(cases),
                has_default,
            )
        if t == "return_statement":
            return (RET, self.events(node.start_byte, node.end_byte), node.start_point[0] + 1)
        if t == "goto_statement":
            label = node.child_by_field_name("label")
            return (GOTO, label.text.decode() if label is not None and label.text else "")
        if t == "labeled_statement":
            label = node.child_by_field_name("label")
            inner = [c for c in node.named_children if c != label and c.type != "comment"]
            return (
                LABEL,
                label.text.decode() if label is not None and label.text else "",
                self.stmt(inner[0]) if inner else (SEQ, ()),
            )
        if t == "break_statement":
            return (BREAK,)
        if t == "continue_statement":
            return (CONT,)
        if t == "attributed_statement":
            inner = [c for c in node.named_children if c.type != "attribute_declaration"]
            return self.stmt(inner[-1]) if inner else (SEQ, ())
        # expression statements, declarations, ERROR nodes, anything else
        return self.events(node.start_byte, node.end_byte)


def _marked(marks: dict[int, str], cond: Node | None) -> tuple[str, bool]:
    key = condition_key(cond)
    if cond is not None and cond.start_byte in marks:
        return marks[cond.start_byte] + key[0], key[1]
    return key


def condition_key(cond: Node | None) -> tuple[str, bool]:
    """A condition's text with parentheses and negations taken off, and whether
    it was negated: `(!(x & F))` -> ("x & F", False). Works on the nodes, so
    the text is only folded once."""
    positive = True
    node = cond
    while node is not None:
        if node.type == "parenthesized_expression" and node.named_child_count == 1:
            node = node.named_children[0]
        elif node.type == "unary_expression" and node.children and node.children[0].type == "!":
            positive = not positive
            node = node.child_by_field_name("argument")
        else:
            break
    text = node.text if node is not None else b""
    return " ".join((text or b"").decode(errors="replace").split()), positive


def _directive_key(d: Directive) -> tuple[str, bool]:
    """The condition of #if/#ifdef/#ifndef/#elif D as a branch key:
    `#ifndef X` is the false branch of `#ifdef X`, so a lock taken under one
    and released under the other pairs like `if (c)` twice."""
    if d[1] == "ifndef":
        return f"#ifdef {d[2]}", False
    if d[1] == "ifdef":
        return f"#ifdef {d[2]}", True
    return f"#if {d[2]}", True


def build(
    body: Node,
    events: list[tuple[int, int, int]],
    marks: dict[int, str] | None = None,
    conds: Sequence[Directive] = (),
) -> IRNode:
    """Skeleton of BODY; EVENTS are (start byte, end byte, event id). MARKS
    prefix the key of the conditions starting at those bytes (the test of
    a scope begin's result). CONDS: the file's conditional directives."""
    events = sorted(events)
    b = _Builder(
        [e[0] for e in events], [e[1] for e in events], [e[2] for e in events], marks or {}, conds
    )
    return b.stmt(body)


Transfer = Callable[[int, frozenset[Any]], frozenset[Any]]


class Walk:
    """Scope states at each event of one function.

    transfer(event, state) gives the state after a call event; `at` collects
    the union of states seen before each event; `exits` the states at return.
    """

    def __init__(
        self,
        transfer: Transfer,
        start: frozenset[Any] = frozenset({ENTRY}),
        branch: Callable[[frozenset[Any], tuple[str, bool]], frozenset[Any]] | None = None,
    ) -> None:
        self.transfer = transfer
        self.start = start
        # branch(state, (condition, holds)) filters the state entering a branch;
        # conds is the stack of branch conditions around the current point
        self.branch = branch
        self.conds: list[tuple[str, bool]] = []
        self.at: dict[int, set[Any]] = {}
        self.exits: set[Any] = set()
        self.returns: dict[int, set[Any]] = {}  # line of each return -> states there
        self.labels: dict[str, set[Any]] = {}
        self._changed = False

    def run(self, ir: IRNode) -> None:
        start: State = self.start
        for _ in range(6):  # backward gotos: iterate until label states settle
            self._changed = False
            out = self._exec(ir, start, [], [])
            self.exits |= out
            if not self._changed:
                break

    def _label_in(self, name: str, state: State) -> None:
        cur = self.labels.setdefault(name, set())
        if not state <= cur:
            cur |= state
            self._changed = True

    def _exec(
        self,
        node: IRNode,
        state: State,
        breaks: list[set[int]],
        conts: list[set[int]],
    ) -> State:
        op = node[0]
        if op == EV:
            for ev in node[1]:
                self.at.setdefault(ev, set()).update(state)
                if ev >= 0:
                    state = self.transfer(ev, state)
            return state
        if op == SEQ:
            for child in node[1]:
                state = self._exec(child, state, breaks, conts)
            return state
        if op == IF:
            state = self._exec(node[1], state, breaks, conts)
            cond, positive = node[4]
            out: frozenset[Any] = frozenset()
            for taken, sub in ((True, node[2]), (False, node[3])):
                key = (cond, positive == taken)
                entry = self.branch(state, key) if self.branch and cond else state
                if sub is None:
                    out |= entry
                    continue
                self.conds.append(key)
                out |= self._exec(sub, entry, breaks, conts)
                self.conds.pop()
            return out
        if op in (LOOP, DO):
            brk: set[int] = set()
            cont: set[int] = set()
            cur = state
            seen: State = frozenset()
            for _ in range(5):
                if op == LOOP:
                    after_cond = self._exec(node[1], cur, breaks, conts)
                    brk |= after_cond
                    body_out = self._exec(node[2], after_cond, [*breaks, brk], [*conts, cont])
                    nxt = self._exec(node[3], body_out | frozenset(cont), breaks, conts)
                else:
                    body_out = self._exec(node[1], cur, [*breaks, brk], [*conts, cont])
                    nxt = self._exec(node[2], body_out | frozenset(cont), breaks, conts)
                    brk |= nxt
                merged = cur | nxt
                if merged == seen:
                    break
                seen = merged
                cur = merged
            return frozenset(brk) if brk else frozenset(cur)
        if op == SWITCH:
            state = self._exec(node[1], state, breaks, conts)
            brk = set()
            fall: State = frozenset()
            for case in node[2]:
                fall = self._exec(case, state | fall, [*breaks, brk], conts)
            exit_ = set(fall) | brk
            if not node[3]:
                exit_ |= state
            return frozenset(exit_)
        if op == RET:
            state = self._exec(node[1], state, breaks, conts)
            self.exits |= state
            self.returns.setdefault(node[2], set()).update(state)
            return frozenset()
        if op == GOTO:
            self._label_in(node[1], state)
            return frozenset()
        if op == LABEL:
            state = state | frozenset(self.labels.get(node[1], ()))
            return self._exec(node[2], state, breaks, conts)
        if op == BREAK:
            if breaks:
                breaks[-1].update(state)
            return frozenset()
        if op == CONT:
            if conts:
                conts[-1].update(state)
            return frozenset()
        raise ValueError(f"unknown skeleton node {op}")


def begin(state: State, conditional: bool = False) -> State:
    opened = frozenset(min(MAXDEPTH, max(s, 0) + 1) for s in state)
    return opened | state if conditional else opened


def end(state: State, conditional: bool = False) -> State:
    if conditional:
        return frozenset(s - 1 if s >= 1 else s for s in state)
    return frozenset(s - 1 if s >= 1 else OUT for s in state)
