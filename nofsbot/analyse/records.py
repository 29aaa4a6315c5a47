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


_TRACEPOINT = re.compile(rb"\btrace_\w+\s*\(")


def _untraced(text: bytes) -> bytes:
    """TEXT with the arguments of its tracepoint calls (`trace_xfs_..(ip)`)
    blanked: a tracepoint only records what it is given."""
    if b"trace_" not in text:
        return text
    out = bytearray(text)
    for m in _TRACEPOINT.finditer(text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {40: 1, 41: -1}.get(text[i], 0)  # ( and )
            i += 1
        out[m.end() : i - 1] = b" " * (i - 1 - m.end())
    return bytes(out)


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
    for name in set(_HANDED.findall(_untraced(body))) & index.keys():
        out.add((index[name], "*"))
    return tuple(sorted(out))


def handed_before(body: Node, name: str, before: int) -> bool:
    """Parameter NAME is handed on (to a call, or to another variable)
    somewhere in BODY before byte BEFORE."""
    text = _untraced((body.text or b"")[: max(0, before - body.start_byte)])
    return any(m.group(1).decode(errors="replace") == name for m in _HANDED.finditer(text))


def _calls_before(body: Node, callees: tuple[str, ...], before: int) -> bool:
    """One of CALLEES is called in BODY before byte BEFORE."""
    text = (body.text or b"")[: max(0, before - body.start_byte)]
    return any(re.search(rb"\b" + c.encode() + rb"\s*\(", text) for c in callees)


def arrow_writes(body: bytes) -> set[tuple[bytes, bytes]]:
    """Each (pointer, field) whose `pointer->field` BODY writes."""
    return {(b1 or b2, f1 or f2) for b1, f1, b2, f2 in _ARROW_WRITE.findall(body)}


# a record: field -> value, as records() gives them (a member's own fields
# under "member.field"); the calls given its address or a member's (the
# call, its callee, the argument's position, the member or ""); the fields
# and members the function assigns
Record = tuple[dict[str, str], tuple[tuple[Node, str, int, str], ...], frozenset[str]]


def records(body: Node | None) -> dict[str, Record]:
    """Locals initialised with designated fields (or zeroed by a
    `memset(&x, 0, ..)` before anything else uses them), never assigned as
    a whole, whose address, or a member's, goes only to calls: local ->
    (field -> constant value, or UNKNOWN for one the initialiser or the
    function sets; the calls given its address)."""
    text = (body.text or b"") if body is not None else b""
    if body is None or not (_BRACED_INIT.search(text) or b"memset" in text):
        return {}
    out: dict[str, Record] = {}
    starts: list[tuple[str, Node, dict[str, str], Node | None]] = []
    for d, init in syntax.body_inits(body):
        decl = init.child_by_field_name("declarator")
        value = init.child_by_field_name("value")
        if decl is None or decl.type != "identifier" or value is None:
            continue
        if value.type != "initializer_list":
            continue
        fields = _designated(value)
        if fields is not None:
            starts.append((_t(decl), d, fields, None))
    starts += _zeroed(body)
    for name, d, fields, zeroing in starts:
        assigned: set[str] = set()
        v = re.escape(name.encode())
        after = text[d.end_byte - body.start_byte :]
        if re.search(rb"(?<![\w.>&])" + v + rb"\s*=(?!=)", after):
            continue  # assigned as a whole
        for m in re.finditer(
            rb"(?<![\w.>])" + v + rb"((?:\s*\.\s*\w+)+)\s*(?:(?:[-+*/%&|^]|<<|>>)?=(?!=)|\+\+|--)"
            rb"|(?<![&\w)\]])&(?!&)\s*" + v + rb"\s*\.\s*(\w+)\b(?!\s*\.)",
            text,
        ):
            path = re.sub(rb"\s", b"", m.group(1) or m.group(2)).lstrip(b".").decode()
            fields[path] = UNKNOWN
            if m.group(1):
                assigned.add(path)
        takers = _address_takers(body, name, zeroing)
        if takers is not None:
            out[name] = (fields, takers, frozenset(assigned))
    return out


def _zeroed(body: Node) -> list[tuple[str, Node, dict[str, str], Node | None]]:
    """Locals of BODY declared with no initialiser whose first use is a
    statement of the body `memset(&x, 0, sizeof(..))`: every field 0.
    (name, declaration, {}, the memset call)."""
    out: list[tuple[str, Node, dict[str, str], Node | None]] = []
    names: dict[str, Node] = {}
    for st in body.named_children:
        if st.type == "declaration":
            for c in st.named_children:
                if c.type == "identifier":
                    names[_t(c)] = st
            continue
        if not names:
            continue
        call = (
            st.named_children[0]
            if st.type == "expression_statement" and st.named_children
            else None
        )
        zeroed = _memset_zero(call) if call is not None else None
        if zeroed in names:
            out.append((zeroed, names.pop(zeroed), {}, call))
        # a local used any other way first is no record of this kind
        text = (st.text or b"").decode(errors="replace")
        for name in [n for n in names if re.search(r"\b" + re.escape(n) + r"\b", text)]:
            del names[name]
    return out


def _memset_zero(call: Node) -> str | None:
    """X for `memset(&x, 0, sizeof(..))`."""
    fn = call.child_by_field_name("function") if call.type == "call_expression" else None
    args = call.child_by_field_name("arguments")
    if fn is None or _t(fn) != "memset" or args is None:
        return None
    a = [c for c in args.named_children if c.type != "comment"]
    if len(a) != 3 or _t(a[1]) != "0" or a[2].type != "sizeof_expression":
        return None
    m = re.fullmatch(r"&\s*(\w+)", _t(a[0]))
    return m.group(1) if m else None


def _designated(value: Node) -> dict[str, str] | None:
    """`{ .a = 1, .b = x }` as {a: "1", b: UNKNOWN}; None if an element is
    not a designated field (its field is not known)."""
    from nofsbot.analyse.guards import constant

    fields: dict[str, str] = {}
    elements = [c for c in value.named_children if c.type != "comment"]
    if len(elements) == 1 and _t(elements[0]) == "0":
        return fields  # `= { 0 }`: every field 0
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


def _address_takers(
    body: Node, name: str, skip: Node | None = None
) -> tuple[tuple[Node, str, int, str], ...] | None:
    """The calls given `&NAME` or `&NAME.member` as an argument (the call,
    its callee, the argument's position, the member or ""), but SKIP; None
    if such an address goes anywhere else."""
    takers: list[tuple[Node, str, int, str]] = []
    stack: list[Node] = [body]
    while stack:
        n = stack.pop()
        if n.type == "pointer_expression" and n.parent is not None and n.parent.parent != skip:
            got = address_of(n)
            if got is not None and got[0] == name:
                member = got[1]
                p = n.parent
                call = p.parent if p.type == "argument_list" else None
                fn = call.child_by_field_name("function") if call is not None else None
                if call is None or fn is None or fn.type != "identifier":
                    return None
                args = [a for a in p.named_children if a.type != "comment"]
                pos = next(i for i, a in enumerate(args) if a == n)
                takers.append((call, _t(fn), pos, member))
                continue
        stack.extend(n.named_children)
    return tuple(takers)


def address_of(n: Node) -> tuple[str, str] | None:
    """For `&x` ("x", ""), for `&x.a.b` ("x", "a.b"); None for anything
    else (`&x->a`, `&x[i]`)."""
    m = _ADDRESS.fullmatch((n.text or b"").replace(b" ", b"").decode(errors="replace"))
    return (m.group(1), m.group(2) or "") if m else None


_ADDRESS = re.compile(r"&(\w+)(?:\.((?:\w+\.)*\w+))?")


_BRACED_INIT = re.compile(rb"=\s*\{")
_LOOPS = ("for_statement", "while_statement", "do_statement")


def record_arg(rec: Record, arg: Node, body: Node, member: str = "") -> tuple[str, str] | None:
    """The ("f", spec) argument for `&local` (ARG) of a call, or for
    `&local.MEMBER`: the fields known there, and the calls before it that
    were given the address too (callee@position, checked against what
    they write: Program). None inside a loop, where the call may see what
    it wrote before; for a member, None where a call before got any
    address of the local, or the member was assigned whole."""
    fields, takers, assigned = rec
    call = arg.parent.parent if arg.parent is not None else None
    if call is None:
        return None
    p = call.parent
    while p is not None and p != body:
        if p.type in _LOOPS:
            return None
        p = p.parent
    earlier = [(c, i, m) for n, c, i, m in takers if n.start_byte < call.start_byte]
    if member:
        parts = member.split(".")
        if earlier or any(".".join(parts[:k]) in assigned for k in range(1, len(parts) + 1)):
            return None
        inner = {k[len(member) + 1 :]: v for k, v in fields.items() if k.startswith(member + ".")}
        return ("f", _own_spec(inner) + "\x00")
    before = sorted({f"{c}@{i}" for c, i, m in earlier if not m})
    return ("f", _own_spec(fields) + "\x00" + ",".join(before))


def _own_spec(fields: dict[str, str]) -> str:
    """The spec of FIELDS' own fields, not those of members ("a.b")."""
    return spec({k: v for k, v in fields.items() if "." not in k})


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
