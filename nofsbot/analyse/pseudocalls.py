"""Calls that are no plain call of a name: through a struct field
(`e->ops->fn(..)`, resolved by type once every file's structs are known),
and writes of the task's flags that set or clear PF_MEMALLOC_NOFS; and the
object a call acts on, classed like a lock."""

from __future__ import annotations

from collections.abc import Callable

from tree_sitter import Node

from nofsbot.analyse import syntax
from nofsbot.analyse.facts import FLAGS_CLEAR, FLAGS_SET, INDIRECT
from nofsbot.analyse.locks import LockReader


def indirect(
    locks: LockReader,
    fields: list[Node],
    types_of: Callable[[int], dict[str, str]],
    func_of: Callable[[int], int],
    fcalls: list[list[tuple[int, int, str, int, Node]]],
    root: Node,
) -> None:
    """Calls through a struct field, `e->ops->fn(..)`, as the pseudo-callee
    `*TYPE.ops.fn EXPR`: the type chain is resolved to the struct that
    holds the field once every file's struct definitions are known. E
    is a local, a parameter or a variable of the file
    (`active_stack->sp_ops->dlm_lock(..)` in ocfs2's stackglue.c)."""
    types: dict[int, dict[str, str]] = {}
    globals_: dict[str, str] | None = None
    for f in fields:
        call = f.parent
        assert call is not None
        fi = func_of(call.start_byte)
        if fi < 0:
            continue
        if fi not in types:
            if globals_ is None:
                globals_ = {}
                for d in root.named_children:
                    if d.type == "declaration":
                        globals_.update(locks.var_types(d))
            types[fi] = {**globals_, **types_of(fi)}
        chain = locks.chain(f, types[fi])
        name = f"{INDIRECT}{chain} {syntax.fold(f.text)}"
        fcalls[fi].append((call.start_byte, call.end_byte, name, call.start_point[0] + 1, call))


def flag_write(node: Node, fi: int, fcalls: list[list[tuple[int, int, str, int, Node]]]) -> None:
    """current->flags |= PF_MEMALLOC_NOFS (or &= ~...) as a pseudo-call."""
    if fi < 0:
        return
    p = node.parent
    while p is not None and p.type in syntax.EXPR_PARENTS:
        p = p.parent
    if p is None or p.type != "assignment_expression":
        return
    left = p.child_by_field_name("left")
    op = p.child_by_field_name("operator")
    if left is None or op is None or b"flags" not in (left.text or b""):
        return
    if op.type == "|=":
        name = FLAGS_SET
    elif op.type == "&=":
        name = FLAGS_CLEAR
    else:
        return
    fcalls[fi].append((p.start_byte, p.end_byte, name, p.start_point[0] + 1, p))


def call_object(locks: LockReader, call: Node, index: int, types: dict[str, str]) -> str:
    """The object argument INDEX of CALL acts on, classed like a lock
    (`&ctx->push_work` -> xfs_cil_ctx.push_work, `system_wq`), or ""."""
    arg = syntax.nth_arg(call, index) if index >= 0 else None
    return locks.chain(arg, types) if arg is not None else ""
