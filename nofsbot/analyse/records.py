"""Fields of a local struct passed by address, as a binding (guards.py).

`struct ext4_xattr_info i = { .name_index = .., .name = .. };` leaves every
field it does not name zero. A call given `&i` hands its callee those
fields: ext4_xattr_ibody_set() tests `i->value && i->in_inode` before it
creates an EA inode, which ext4_inline_data_truncate()'s `i` never asks
for. The caller's side is an argument ("f", spec); the callee's side a
guard on FIELD + k with want ".field". A field the caller assigns
(`i.value = ..`), or that a function given `&i` may write (`p->field =`,
or it passes p on), is not known.
"""

from __future__ import annotations

import re
from typing import Any

from tree_sitter import Node

from nofsbot.analyse import syntax
from nofsbot.analyse.pointees import DEREF

# the binding key of the fields of what parameter k points to: FIELD + k
FIELD = 50
UNKNOWN = "?"
# the value of a field initialised with a name that is no constant: a
# function, where Program finds one
FUNCTION = "@"
# `p->f = `, `p->f += `, `&p->f`: a field written through a pointer
_ARROW_WRITE = re.compile(
    rb"(?<![\w.>])(\w+)\s*->\s*(\w+)\s*(?:(?:[-+*/%&|^]|<<|>>)?=(?!=)|\+\+|--)"
    rb"|(?<![&\w)\]])&(?!&)\s*(\w+)\s*->\s*(\w+)"
)
# `f(.., p, ..)` or `x = p;`: p handed on, whatever it points to may change
_HANDED = re.compile(rb"[(,=]\s*(\w+)\s*(?=[,);])")


def field_writes(body: bytes, params: list[str]) -> tuple[tuple[int, str], ...]:
    """(parameter index, field) for each field written through a pointer
    parameter, or (index, "*") when the parameter is handed on."""
    index = {p.encode(): i for i, p in enumerate(params) if p}
    if not index:
        return ()
    out: set[tuple[int, str]] = set()
    for b1, f1, b2, f2 in _ARROW_WRITE.findall(body):
        base, fld = (b1, f1) if b1 else (b2, f2)
        if base in index:
            out.add((index[base], fld.decode(errors="replace")))
    for name in set(_HANDED.findall(body)) & index.keys():
        out.add((index[name], "*"))
    return tuple(sorted(out))


def handed_before(body: Node, name: str, before: int) -> bool:
    """Parameter NAME is handed on (to a call, or to another variable)
    somewhere in BODY before byte BEFORE."""
    text = (body.text or b"")[: max(0, before - body.start_byte)]
    return any(m.group(1).decode(errors="replace") == name for m in _HANDED.finditer(text))


def _calls_before(body: Node, callees: tuple[str, ...], before: int) -> bool:
    """One of CALLEES is called in BODY before byte BEFORE."""
    text = (body.text or b"")[: max(0, before - body.start_byte)]
    return any(re.search(rb"\b" + c.encode() + rb"\s*\(", text) for c in callees)


def arrow_writes(body: bytes) -> set[tuple[bytes, bytes]]:
    """Each (pointer, field) whose `pointer->field` BODY writes."""
    return {(b1 or b2, f1 or f2) for b1, f1, b2, f2 in _ARROW_WRITE.findall(body)}


Record = tuple[dict[str, str], tuple[tuple[Node, str, int], ...]]


def records(body: Node | None) -> dict[str, Record]:
    """Locals initialised with designated fields, never assigned as a
    whole, whose address goes only to calls: local -> (field -> constant
    value, or UNKNOWN for one the initialiser or the function sets; the
    calls given its address, with the callee and the argument position)."""
    text = (body.text or b"") if body is not None else b""
    if body is None or not _BRACED_INIT.search(text):
        return {}
    out: dict[str, Record] = {}
    for d, init in syntax.body_inits(body):
        decl = init.child_by_field_name("declarator")
        value = init.child_by_field_name("value")
        if decl is None or decl.type != "identifier" or value is None:
            continue
        if value.type != "initializer_list":
            continue
        fields = _designated(value)
        if fields is None:
            continue
        name = _t(decl)
        v = re.escape(name.encode())
        after = text[d.end_byte - body.start_byte :]
        if re.search(rb"(?<![\w.>&])" + v + rb"\s*=(?!=)", after):
            continue  # assigned as a whole
        for m in re.finditer(
            rb"(?<![\w.>])" + v + rb"\s*\.\s*(\w+)\s*(?:(?:[-+*/%&|^]|<<|>>)?=(?!=)|\+\+|--)"
            rb"|(?<![&\w)\]])&(?!&)\s*" + v + rb"\s*\.\s*(\w+)",
            text,
        ):
            fields[(m.group(1) or m.group(2)).decode(errors="replace")] = UNKNOWN
        takers = _address_takers(body, name)
        if takers is not None:
            out[name] = (fields, takers)
    return out


def _designated(value: Node) -> dict[str, str] | None:
    """`{ .a = 1, .b = x }` as {a: "1", b: UNKNOWN}; None if an element is
    not a designated field (its field is not known)."""
    from nofsbot.analyse.guards import constant

    fields: dict[str, str] = {}
    for c in value.named_children:
        if c.type == "comment":
            continue
        if c.type != "initializer_pair":
            return None
        des = [x for x in c.children_by_field_name("designator")]
        val = c.child_by_field_name("value")
        if len(des) != 1 or des[0].type != "field_designator" or val is None:
            return None
        fld = des[0].named_children[0] if des[0].named_children else None
        if fld is None:
            return None
        text = syntax.fold(val.text)
        # a function stored in a field (`.process_func = process_one_buffer`,
        # walk_log_tree()'s callback): FUNCTION + name, for the calls
        # through that field (Fn.step())
        named = val.type == "identifier" and not constant(text)
        fields[_t(fld)] = constant(text) or (FUNCTION + text if named else UNKNOWN)
    return fields


def _address_takers(body: Node, name: str) -> tuple[tuple[Node, str, int], ...] | None:
    """The calls given `&NAME` as an argument (the call, its callee, the
    argument's position); None if `&NAME` goes anywhere else."""
    want = f"&{name}".encode()
    takers: list[tuple[Node, str, int]] = []
    stack: list[Node] = [body]
    while stack:
        n = stack.pop()
        if n.type == "pointer_expression" and (n.text or b"").replace(b" ", b"") == want:
            p = n.parent
            call = p.parent if p is not None and p.type == "argument_list" else None
            fn = call.child_by_field_name("function") if call is not None else None
            if p is None or call is None or fn is None or fn.type != "identifier":
                return None
            args = [a for a in p.named_children if a.type != "comment"]
            takers.append((call, _t(fn), next(i for i, a in enumerate(args) if a == n)))
            continue
        stack.extend(n.named_children)
    return tuple(takers)


_BRACED_INIT = re.compile(rb"=\s*\{")
_LOOPS = ("for_statement", "while_statement", "do_statement")


def record_arg(rec: Record, arg: Node, body: Node) -> tuple[str, str] | None:
    """The ("f", spec) argument for `&local` (ARG) of a call: the fields
    known there, and the calls before it that were given the address too
    (callee@position, checked against what they write: Program). None
    inside a loop, where the call may see what it wrote before."""
    fields, takers = rec
    call = arg.parent.parent if arg.parent is not None else None
    if call is None:
        return None
    p = call.parent
    while p is not None and p != body:
        if p.type in _LOOPS:
            return None
        p = p.parent
    before = sorted({f"{c}@{i}" for n, c, i in takers if n.start_byte < call.start_byte})
    return ("f", spec(fields) + "\x00" + ",".join(before))


class Records:
    """The struct-field side of guards.Params, which sets these."""

    index: dict[str, int]
    _body: Node | None
    _arrows: set[tuple[bytes, bytes]] | None = None  # arrow_writes() of the body
    # a carried field -> the calls that change it (config/reclaim.toml [context])
    carried: dict[str, tuple[str, ...]]

    def _constant_param(self, name: str) -> int | None:
        raise NotImplementedError

    def _stable(self, name: str, at: Node) -> bool:
        raise NotImplementedError

    def field_writes(self, body: Node) -> tuple[tuple[int, str], ...]:
        """What the function writes through its pointer parameters."""
        names = [""] * (max([i + 1 for i in self.index.values() if 0 <= i < DEREF], default=0))
        for name, i in self.index.items():
            if 0 <= i < DEREF:
                names[i] = name
        return field_writes(body.text or b"", names)

    def _field_atom(self, n: Node) -> tuple[int, str, str] | None:
        """`p->f` for a pointer parameter p: a guard on the field its
        caller's struct has (py), where this function has neither
        written p->f nor handed p on before."""
        base, fld = n.child_by_field_name("argument"), n.child_by_field_name("field")
        if base is None or fld is None or base.type != "identifier" or self._body is None:
            return None
        if b"->" not in (n.text or b""):
            return None
        name = _t(base)
        k = self._constant_param(name)
        if k is None or k >= DEREF or not self._stable(name, n):
            return None
        if self._arrows is None:
            self._arrows = arrow_writes(self._body.text or b"")
        f = _t(fld)
        if (name.encode(), f.encode()) in self._arrows:
            return None
        if f in self.carried:
            # only the calls that change it count (drop_nlink(inode))
            if _calls_before(self._body, self.carried[f], n.start_byte):
                return None
        elif handed_before(self._body, name, n.start_byte):
            return None
        return (FIELD + k, "truthy", "." + f)


def spec(fields: dict[str, str]) -> str:
    return ";".join(f"{k}={v}" for k, v in sorted(fields.items()))


def parse(text: str) -> dict[str, str]:
    return dict(kv.split("=", 1) for kv in text.split(";") if "=" in kv)


def field_value(text: str, fld: str) -> str | None:
    """FLD's value in a spec: "0" if the initialiser left it out, None if
    not known."""
    v = parse(text).get(fld, "0")
    return None if v == UNKNOWN else v


def _t(n: Any) -> str:
    return (n.text or b"").decode(errors="replace")
