"""What a NOFS token in the code is: the kind of site (an allocation's
argument, a mask variable, a stored mask, a signal, ...), the call and
argument it is in, and the object a stored mask goes to."""

from __future__ import annotations

import re

from tree_sitter import Node

from nofsbot.analyse import syntax
from nofsbot.analyse.facts import Alloc
from nofsbot.config import Apis
from nofsbot.model import Kind, Site

# the names of an FGP_* flags argument: `FGP_LOCK | FGP_ACCESSED`
_FLAG_WORDS = re.compile(r"\s*\|\s*")


class SiteReader:
    """Per worker: the configured allocation APIs."""

    def __init__(self, apis: Apis) -> None:
        self.apis = apis

    def site(
        self,
        path: str,
        src: bytes,
        node: Node,
        token: str,
        line: int,
        start: int,
        fi: int,
        outer: list[Node],
        fcalls: list[list[tuple[int, int, str, int, Node]]],
    ) -> Site:
        col = start - (src.rfind(b"\n", 0, start) + 1) + 1
        fname = syntax.decl_name(syntax.function_declarator(outer[fi])) if fi >= 0 else None
        expr = node
        kind: Kind | None = None
        while expr.parent is not None:
            p = expr.parent
            if p.type in syntax.EXPR_PARENTS:
                op = p.child_by_field_name("operator")
                if (
                    p.type == "binary_expression"
                    and op is not None
                    and (
                        op.type in syntax.COMPARISONS or (op.type == "&" and syntax.is_condition(p))
                    )
                ):
                    kind = Kind.SIGNAL  # compared, or tested: `if (flags & KM_NOFS)`
                    expr = p
                    break
                expr = p
                continue
            if p.type == "argument_list" and p.parent is not None:
                call = p.parent
                # a mask derived from a mapping is part of the expression
                if syntax.callee_name(call) == "mapping_gfp_constraint":
                    expr = call
                    continue
            break
        parent = expr.parent
        callee = None
        arg_index = None
        variable = None
        uses: tuple[str, ...] = ()
        if kind is None and parent is not None:
            pt = parent.type
            if pt == "argument_list" and parent.parent is not None:
                callee = syntax.callee_name(parent.parent)
                arg_index = syntax.arg_index(parent, expr)
                kind = self.call_kind(callee, arg_index, token)
            elif pt == "init_declarator":
                variable = syntax.decl_name(parent.child_by_field_name("declarator"))
                kind = Kind.MASK_VAR
            elif pt == "assignment_expression":
                left = parent.child_by_field_name("left")
                if left is not None and left.type == "identifier":
                    variable = syntax.fold(left.text)
                    kind = Kind.MASK_VAR
                else:
                    variable = syntax.fold(left.text) if left is not None else None
                    kind = Kind.STORED
            elif pt == "initializer_pair":
                des = parent.named_children[0] if parent.named_children else None
                variable = syntax.fold(des.text) if des is not None else None
                kind = (
                    Kind.SIGNAL
                    if "shrink_control" in syntax.declaration_type(parent)
                    else Kind.STORED
                )
            elif pt == "initializer_list":
                kind = Kind.STORED
            elif pt == "return_statement":
                kind = Kind.RETURN
        if kind is None:
            kind = Kind.UNPARSED if (node.type == "ERROR" or syntax.in_error(node)) else Kind.OTHER
        if kind is Kind.MASK_VAR and variable and fi >= 0:
            uses = syntax.uses_of(variable, expr.end_byte, fcalls[fi])
        if token == "__GFP_FS" and kind is Kind.ALLOC_ARG and callee == "mapping_gfp_constraint":
            kind = Kind.MASK_CLEAR
        return Site(
            path=path,
            line=line,
            col=col,
            function=fname,
            kind=kind,
            token=token,
            expression=syntax.fold(expr.text),
            callee=callee,
            arg_index=arg_index,
            variable=variable,
            uses=uses,
        )

    def stores(
        self,
        sites: list[Site],
        allocs: list[Alloc],
        site_offsets: list[tuple[int, int]],
        alloc_offsets: list[tuple[int, int]],
        root: Node,
    ) -> tuple[tuple[int, str], ...]:
        """Masks given to a [store] call, with the object they are stored in
        (INIT_RADIX_TREE(&qi->qi_uquota_tree, GFP_NOFS) -> qi_uquota_tree)."""
        store = self.apis.store
        out = []
        callees = [s.callee for s in sites] + [a.callee for a in allocs]
        offsets = site_offsets + alloc_offsets
        for i, (callee, (start, end)) in enumerate(zip(callees, offsets, strict=True)):
            if callee not in store:
                continue
            node = _call_at(root, start, end)
            if node is not None:
                out.append((i, syntax.last_name(syntax.arg_text(node, 0))))
        return tuple(out)

    def lookups(
        self, sites: list[Site], offsets: list[tuple[int, int]], root: Node
    ) -> tuple[int, ...]:
        """The sites whose call is a page-cache lookup given FGP_* flags
        none of which creates a folio (`__filemap_get_folio(mapping, index,
        FGP_LOCK, GFP_NOFS)`): it allocates nothing."""
        table = self.apis.lookup
        out = []
        for si, site in enumerate(sites):
            if site.callee not in table:
                continue
            node = _call_at(root, *offsets[si])
            flags = syntax.nth_arg(node, table[site.callee]) if node is not None else None
            text = syntax.fold(flags.text).replace("(", "").replace(")", "") if flags else ""
            names = _FLAG_WORDS.split(text) if text else []
            if names and all(n.startswith("FGP_") and n not in self.apis.creating for n in names):
                out.append(si)
        return tuple(out)

    def call_kind(self, callee: str, index: int, token: str) -> Kind:
        a = self.apis
        if token == "KM_NOFS":
            return Kind.KMEM_ARG if a.kmem.get(callee) == index else Kind.CALL_ARG
        if a.mapping.get(callee) == index:
            return Kind.MAPPING if callee == "mapping_set_gfp_mask" else Kind.MASK_CLEAR
        if a.store.get(callee) == index:
            return Kind.STORED
        if a.signal.get(callee) == index:
            return Kind.SIGNAL
        if a.retry.get(callee) == index:
            return Kind.RETRY
        if a.alloc.get(callee) == index:
            return Kind.ALLOC_ARG if token != "__GFP_FS" else Kind.MASK_CLEAR
        return Kind.CALL_ARG if token != "__GFP_FS" else Kind.MASK_CLEAR


def _call_at(root: Node, start: int, end: int) -> Node | None:
    """The call a mask at START..END is an argument of."""
    node = root.descendant_for_byte_range(start, end)
    while node is not None and node.type != "call_expression":
        node = node.parent
    return node
