"""Helpers over tree-sitter nodes of kernel C: names, operands, masks, mappings."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from nofsbot.analyse.facts import Alloc, shown
from nofsbot.analyse.preprocess import DEFINITION, DIRECTIVE, DISABLED, MACRO_BODY, Region

EXPR_PARENTS = {
    "binary_expression",
    "parenthesized_expression",
    "unary_expression",
    "cast_expression",
    "conditional_expression",
}
COMPARISONS = {"==", "!=", "<", ">", "<=", ">="}


def fold(text: bytes | None) -> str:
    """TEXT with every run of white space one blank, and none at the ends
    (str.split() splits on what the regex \\s matches)."""
    return " ".join((text or b"").decode(errors="replace").split())


def decl_name(node: Node | None) -> str | None:
    while node is not None:
        if node.type in ("identifier", "field_identifier"):
            return (node.text or b"").decode()
        nxt = node.child_by_field_name("declarator")
        if nxt is None:
            for c in node.named_children:
                if c.type in (
                    "identifier",
                    "function_declarator",
                    "pointer_declarator",
                    "parenthesized_declarator",
                ):
                    nxt = c
                    break
        node = nxt
    return None


def function_declarator(node: Node) -> Node | None:
    d = node.child_by_field_name("declarator")
    while d is not None and d.type != "function_declarator":
        d = d.child_by_field_name("declarator")
    return d


_STRUCT = re.compile(r"\bstruct\s+(\w+)\s*\*")


def handed_back(fnode: Node, decl: Node | None) -> tuple[str, ...]:
    """The struct types of objects a function shares with its caller: a
    pointer it returns (`struct xfs_buf *xfs_buf_get(..)`), one it stores
    through a `**` parameter (`struct xfs_buf **bpp`), or one it is given
    (`xfs_buf_find_lock(struct xfs_buf *bp, ..)` locks its caller's buffer)."""
    out: set[str] = set()
    t = fnode.child_by_field_name("type")
    d = fnode.child_by_field_name("declarator")
    if t is not None and d is not None and d.type == "pointer_declarator":
        m = re.search(r"\bstruct\s+(\w+)", fold(t.text))
        if m:
            out.add(m.group(1))
    params = decl.child_by_field_name("parameters") if decl is not None else None
    if params is not None:
        out.update(m.group(1) for m in _STRUCT.finditer(fold(params.text)))
    return tuple(sorted(out))


def simple_assignment(stmt: Node | None) -> tuple[Node, Node] | None:
    """STMT as `x = value;` with x a plain name: (x, value)."""
    if stmt is None or stmt.type != "expression_statement" or stmt.named_child_count != 1:
        return None
    e = stmt.named_children[0]
    op = e.child_by_field_name("operator")
    left, right = e.child_by_field_name("left"), e.child_by_field_name("right")
    if (
        e.type != "assignment_expression"
        or op is None
        or fold(op.text) != "="
        or left is None
        or right is None
        or left.type != "identifier"
    ):
        return None
    return left, right


def call_assignment(left: Node) -> tuple[str, Node] | None:
    """For the name LEFT written by `x = f(..);`, a statement of its own
    (simple_assignment()): (x, the call); else None."""
    e = left.parent
    if e is None or e.type != "assignment_expression" or e.child_by_field_name("left") != left:
        return None
    stmt = e.parent
    if stmt is None or stmt.type != "expression_statement" or stmt.named_child_count != 1:
        return None
    right = e.child_by_field_name("right")
    op = e.child_by_field_name("operator")
    if right is None or right.type != "call_expression" or op is None or fold(op.text) != "=":
        return None
    return fold(left.text), right


def in_error(node: Node) -> bool:
    p = node.parent
    while p is not None:
        if p.type == "ERROR":
            return True
        p = p.parent
    return False


def initialised_field(pair: Node) -> tuple[str, str]:
    """The struct a designated initialiser PAIR is in, and the field it
    sets, every designator outermost first: `struct xchk_dir_ctx c = {
    .dir_iter.actor = fn }` -> ("xchk_dir_ctx", "dir_iter.actor")."""
    fld = ".".join(
        fold(d.text).lstrip(".") for d in pair.named_children if d.type == "field_designator"
    )
    struct = declaration_type(pair).replace("const ", "").replace("struct ", "").strip()
    return struct, fld


def declaration_type(node: Node) -> str:
    p = node.parent
    while p is not None and p.type not in ("declaration", "function_definition"):
        p = p.parent
    if p is None or p.type != "declaration":
        return ""
    t = p.child_by_field_name("type")
    return fold(t.text) if t is not None else ""


def last_statement(body: Node | None) -> tuple[int, int] | None:
    """Where the last statement of a function BODY starts (line, column),
    through the labels in front of it; None if it returns (the function
    never runs off its end) or there is none."""
    stmts = [c for c in body.named_children if c.type != "comment"] if body is not None else []
    if not stmts:
        return None
    last = stmts[-1]
    while last.type == "labeled_statement":
        inner = [
            c for c in last.named_children if c.type not in ("statement_identifier", "comment")
        ]
        if not inner:
            return None
        last = inner[-1]
    if last.type == "return_statement":
        return None
    return (last.start_point[0] + 1, last.start_point[1])


def nth_arg(call: Node, index: int) -> Node | None:
    """Argument INDEX of CALL, if it has one."""
    args = call.child_by_field_name("arguments")
    named = [a for a in args.named_children if a.type != "comment"] if args else []
    return named[index] if index < len(named) else None


def arg_index(arglist: Node, child: Node) -> int:
    i = 0
    for c in arglist.named_children:
        if c.type == "comment":
            continue
        if c.id == child.id:
            return i
        i += 1
    return -1


def callee_name(call: Node) -> str:
    fn = call.child_by_field_name("function")
    return fold(fn.text) if fn is not None else ""


def region_category(regions: tuple[Region, ...], offset: int, token: str) -> str | None:
    """The blanked region (directive, macro body, #if 0) OFFSET lies in, if any;
    the definition of TOKEN itself is reported as such."""
    best = None
    for r in regions:
        if r.start > offset:
            break
        if r.start <= offset < r.end:
            if r.category == DISABLED:
                return DISABLED
            if r.category == MACRO_BODY:
                best = DEFINITION if r.name == token else MACRO_BODY
            elif r.category == DIRECTIVE and best is None:
                best = DIRECTIVE
    return best


IDENT_RE = re.compile(r"[A-Za-z_]\w*")


def last_name(text: str) -> str:
    """The last identifier in TEXT: &qi->qi_uquota_tree -> qi_uquota_tree."""
    names = IDENT_RE.findall(text)
    return names[-1] if names else ""


def arg_text(call: Node, index: int) -> str:
    args = call.child_by_field_name("arguments")
    named = [a for a in args.named_children if a.type != "comment"] if args else []
    return fold(named[index].text) if index < len(named) else ""


def resolve_local(fnode: Node, expr: str, before: int) -> str:
    """EXPR, or what the local variable EXPR was assigned before BEFORE (every
    assignment, joined by ' | ': `mapping` may come from either branch)."""
    if not re.fullmatch(r"[A-Za-z_]\w*", expr):
        return expr
    text = (fnode.text or b"")[: max(0, before - fnode.start_byte)].decode(errors="replace")
    found = re.findall(rf"\b{expr}\s*=(?!=)\s*([^;]+);", text)
    return " | ".join(dict.fromkeys(" ".join(f.split()) for f in found)) if found else expr


def mapping_keys(fnode: Node, offset: int) -> tuple[str, tuple[str, ...]]:
    """The mapping a mapping_set_gfp_mask() site sets, and the names that
    identify that mapping elsewhere: the inode owning it, and the struct
    fields that inode is stored in (sbi->direct_inode = inode)."""
    node = fnode.descendant_for_byte_range(offset, offset + 1)
    while node is not None and node.type != "call_expression":
        node = node.parent
    if node is None:
        return "", ()
    mapping = resolve_local(fnode, arg_text(node, 0), node.start_byte)
    names = IDENT_RE.findall(mapping)
    if not names:
        return mapping, ()
    owner = names[-2] if names[-1] in ("i_mapping", "i_data") and len(names) > 1 else names[-1]
    text = (fnode.text or b"").decode(errors="replace")
    stored = re.findall(rf"([\w\.\->]+)\s*=\s*{owner}\s*;", text)
    aliases = [IDENT_RE.findall(left)[-1] for left in stored if "->" in left or "." in left]
    # the field a private inode is kept in names its mapping; a bare local
    # name like `inode` would match every data mapping too
    return mapping, tuple(dict.fromkeys(aliases)) if aliases else (owner,)


def stored_in_field(call: Node) -> bool:
    """`tp->t_pflags = memalloc_nofs_save()`: the cookie outlives the function."""
    p = call.parent
    while p is not None and p.type == "parenthesized_expression":
        p = p.parent
    if p is None or p.type != "assignment_expression":
        return False
    left = p.child_by_field_name("left")
    return left is not None and left.type == "field_expression"


def fs_alloc(src: bytes, node: Node, token: str, line: int, start: int) -> Alloc | None:
    """GFP_KERNEL (or another mask with __GFP_FS) passed to a call."""
    expr = node
    while expr.parent is not None and expr.parent.type in EXPR_PARENTS:
        expr = expr.parent
    p = expr.parent
    if p is None or p.type != "argument_list" or p.parent is None:
        return None
    col = start - (src.rfind(b"\n", 0, start) + 1) + 1
    return Alloc(line, col, callee_name(p.parent), fold(expr.text))


def is_condition(node: Node) -> bool:
    """Is NODE (up through parentheses and !) the condition of an if/loop/?:."""
    n = node
    while n.parent is not None and (
        n.parent.type == "parenthesized_expression"
        or (n.parent.type == "unary_expression" and operator(n.parent) == "!")
    ):
        n = n.parent
    p = n.parent
    if p is None:
        return False
    if p.type in ("if_statement", "while_statement", "do_statement"):
        return True
    if p.type == "conditional_expression":
        return p.child_by_field_name("condition") == n
    return p.type == "binary_expression" and operator(p) in ("&&", "||")


def operator(node: Node) -> str | None:
    op = node.child_by_field_name("operator")
    return op.type if op is not None else None


def inside(node: Node, types: tuple[str, ...]) -> bool:
    n: Node | None = node
    for _ in range(4):
        if n is None:
            return False
        if n.type in types:
            return True
        n = n.parent
    return False


def under_complement(node: Node) -> bool:
    p = node.parent
    while p is not None and p.type in EXPR_PARENTS:
        if p.type == "unary_expression":
            op = p.child_by_field_name("operator")
            if op is not None and op.type == "~":
                return True
        p = p.parent
    return False


def tested_operand(node: Node) -> str | None:
    """For `gfp & __GFP_FS` (also `gfp & (__GFP_FS | __GFP_IO)`), what is tested."""
    p = node.parent
    while p is not None and (
        p.type == "parenthesized_expression"
        or (p.type == "binary_expression" and operator(p) == "|")
    ):
        p = p.parent
    if p is None or p.type != "binary_expression" or operator(p) != "&":
        return None
    for side in ("left", "right"):
        s = p.child_by_field_name(side)
        while s is not None and s.type == "parenthesized_expression" and s.named_children:
            s = s.named_children[0]
        if (
            s is not None
            and s.type in ("identifier", "field_expression")
            and b"__GFP" not in (s.text or b"")
        ):
            return fold(s.text)
    return None


def uses_of(
    variable: str, after: int, calls: list[tuple[int, int, str, int, Node]]
) -> tuple[str, ...]:
    out: list[str] = []
    for start, _, callee, _, cnode in calls:
        if start < after:
            continue
        args = cnode.child_by_field_name("arguments")
        if args is None:
            continue
        for a in args.named_children:
            if a.type == "identifier" and a.text and a.text.decode() == variable:
                out.append(shown(callee))
    return tuple(dict.fromkeys(out))


def body_inits(body: Node) -> Iterator[tuple[Node, Node]]:
    """(declaration, init_declarator) for each declarator with an
    initialiser among BODY's own declarations."""
    for d in body.named_children:
        if d.type != "declaration":
            continue
        for init in d.named_children:
            if init.type == "init_declarator":
                yield d, init


def call_inits(body: Node, writes: dict[str, list[int]]) -> dict[str, str]:
    """Locals the body's declarations initialise from a call and nothing
    writes again: `struct radix_tree_root *tree = xfs_dquot_tree(qi, type);`
    -> {"tree": "xfs_dquot_tree"}."""
    out: dict[str, str] = {}
    for _, init in body_inits(body):
        value = init.child_by_field_name("value")
        name = decl_name(init.child_by_field_name("declarator"))
        if value is None or not name or len(writes.get(name, ())) != 1:
            continue
        fn = value.child_by_field_name("function") if value.type == "call_expression" else None
        if fn is not None and fn.type == "identifier":
            out[name] = fold(fn.text)
    return out


def arg_names(call: Node) -> list[str]:
    """Each argument of CALL that is a bare identifier, else ""."""
    args = call.child_by_field_name("arguments")
    named = [a for a in args.named_children if a.type != "comment"] if args else []
    return [fold(a.text) if a.type == "identifier" else "" for a in named]


def returned_fields(body: Node) -> tuple[str, ...]:
    """The fields of `return &x->f;` (or `&x.f`) when every return of the
    body is one of those or NULL; () otherwise."""
    if b"return &" not in (body.text or b""):
        return ()
    out: list[str] = []
    stack = [body]
    while stack:
        n = stack.pop()
        if n.type == "return_statement":
            value = n.named_children[0] if n.named_children else None
            text = fold(value.text) if value is not None else ""
            if text == "NULL":
                continue
            if value is None or value.type != "pointer_expression" or not text.startswith("&"):
                return ()
            arg = value.child_by_field_name("argument")
            if arg is None or arg.type != "field_expression":
                return ()
            out.append(last_name(text))
            continue
        stack.extend(n.named_children)
    return tuple(dict.fromkeys(sorted(out)))


def result_kept_in(call: Node, body: Node | None) -> Node | None:
    """The struct field a call's result is stored in: `x->f = call(..)`, or
    `p = call(..)` (or `T *p = call(..)`) and later `x->f = p;` in BODY."""
    up = call.parent
    if up is not None and up.type == "assignment_expression":
        left = up.child_by_field_name("left")
        if left is not None and left.type == "field_expression":
            return left
        var = fold(left.text) if left is not None and left.type == "identifier" else ""
    elif up is not None and up.type == "init_declarator":
        d = up.child_by_field_name("declarator")
        while d is not None and d.type == "pointer_declarator":
            d = d.child_by_field_name("declarator")
        var = fold(d.text) if d is not None and d.type == "identifier" else ""
    else:
        return None
    if not var or body is None:
        return None
    stack = [body]
    while stack:
        n = stack.pop()
        if n.type == "assignment_expression":
            left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            if (
                left is not None
                and right is not None
                and left.type == "field_expression"
                and right.type == "identifier"
                and fold(right.text) == var
            ):
                return left
        stack.extend(n.named_children)
    return None
