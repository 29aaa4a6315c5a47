"""Where a function is used as a value rather than called.

A function passed to INIT_WORK runs later with an empty scope; one stored in
an ops table or passed as a callback may be called from anywhere; one stored
in a configured scoped ops field (rpc_call_ops, ->readahead) runs in a scope.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tree_sitter import Node

from nofsbot.analyse import syntax
from nofsbot.analyse.facts import Ref

# roles[callee][VIA]: the callee calls ops back (config/entries.toml via);
# every name it is given is recorded, to tell which ops object it calls
VIA = -1


def _initialised(pair: Node) -> str:
    """The variable whose initialiser holds PAIR: `xfs_read_iomap_ops` in
    `const struct iomap_ops xfs_read_iomap_ops = { .iomap_begin = .. }`."""
    n = pair.parent
    while n is not None and n.type != "init_declarator":
        n = n.parent
    d = n.child_by_field_name("declarator") if n is not None else None
    while d is not None and d.type != "identifier":
        d = d.child_by_field_name("declarator")
    return (d.text or b"").decode() if d is not None else ""


def references(
    caps: dict[str, list[Node]],
    outer: list[Node],
    func_of: Callable[[int], int],
    roles: dict[str, dict[int, str]],
    ignore_callee: re.Pattern[str],
    scoped_ops: set[tuple[str, str]],
    work_of: Callable[[Node], str],
    typed: Callable[[Node], str] = lambda _: "",
    task_of: Callable[[Node], str] = lambda _: "",
) -> tuple[Ref, ...]:
    """Functions used as values: queued as work, stored in ops tables or struct
    fields, passed to calls. CAPS are the extractor's query captures; ROLES
    name, per callee and argument index, the arguments whose every use
    matters: "work" (queued), "callback" (called back inside the call),
    "init" (run later from outside code). WORK_OF classes the work item a
    call that sets up work is given (its first argument); TYPED the struct
    chain an assignment stores into (`sx.context.put_listent` is
    xchk_xattr.context.put_listent), kept as the reference's target."""
    seen: dict[tuple[str, ...], Ref] = {}

    def fname(n: Node) -> str | None:
        fi = func_of(n.start_byte)
        return syntax.decl_name(syntax.function_declarator(outer[fi])) if fi >= 0 else None

    # Functions passed as arguments: the detail (which call, which
    # argument) of every use of a function this file defines (a callee that
    # only calls its parameter back is its caller, fnptrs.py), of the first
    # use of any other name; the calls that queue work are looked at one
    # by one.
    defined = {syntax.decl_name(syntax.function_declarator(o)) for o in outer}
    passed: list[tuple[str, Node]] = []
    first: set[str] = set()
    for n in caps.get("arg", []):
        name = (n.text or b"").decode()
        if name and not name.isupper() and (name in defined or name not in first):
            first.add(name)
            passed.append((name, n))
    for callee_node in caps.get("callee", []):
        wanted = roles.get((callee_node.text or b"").decode())
        if wanted is None or callee_node.parent is None:
            continue
        args = callee_node.parent.child_by_field_name("arguments")
        named = [a for a in args.named_children if a.type != "comment"] if args else []
        if VIA in wanted:
            # every name a helper that calls ops back is given (`&xfs_read_iomap_ops`)
            call = syntax.fold(callee_node.text)
            for i, a in enumerate(named):
                if a.type == "pointer_expression" and a.named_children:
                    a = a.named_children[-1]
                if a.type == "identifier" and a.text:
                    name = a.text.decode()
                    key = (f"{name}@{a.start_byte}", "via", f"{call}#{i}")
                    seen[key] = Ref(name, a.start_point[0] + 1, "via", f"{call}#{i}", fname(a))
        for idx, role in wanted.items():
            if idx >= len(named) or idx == VIA:
                continue
            a = named[idx]
            if a.type == "pointer_expression" and a.named_children:
                a = a.named_children[-1]
            if a.type == "identifier" and a.text:
                name = a.text.decode()
                detail = f"{syntax.fold(callee_node.text)}#{idx}"
                target = work_of(callee_node.parent) if role == "work" and idx else ""
                # a kthread's task_struct, where the call's result is kept
                # and where a registered file's dentry is kept
                kept = (role == "work" and not idx) or role == "drained"
                task = task_of(callee_node.parent) if kept else ""
                # every call back is an edge of its own; work and init once
                where = f"@{a.start_byte}" if role == "callback" else ""
                seen.setdefault(
                    (name + where, role, detail),
                    Ref(name, a.start_point[0] + 1, role, detail, fname(a), target, obj=task),
                )
    for name, n in passed:
        # `fn`, `&fn`, `(ubifs_lpt_scan_callback)fn`
        up = n.parent
        a = up if up is not None and up.type in ("pointer_expression", "cast_expression") else n
        arglist = a.parent
        if arglist is None or arglist.parent is None:
            continue
        callee = syntax.callee_name(arglist.parent)
        idx = syntax.arg_index(arglist, a)
        if idx in roles.get(callee, {}) or ignore_callee.match(callee):
            continue
        detail = f"{callee}#{idx}"
        seen.setdefault(
            (name, "arg", detail), Ref(name, n.start_point[0] + 1, "arg", detail, fname(n))
        )
    for n in caps.get("init", []):
        name = (n.text or b"").decode()
        if not name or name.isupper():
            continue
        pair = n.parent
        while pair is not None and pair.type != "initializer_pair":
            pair = pair.parent
        if pair is None:
            continue
        struct, fld = syntax.initialised_field(pair)
        role = "scoped-ops" if (struct, fld) in scoped_ops else "ops"
        obj = _initialised(pair)
        ikey = (name, role, f"{struct}.{fld}", obj)
        if ikey not in seen:
            seen[ikey] = Ref(name, n.start_point[0] + 1, role, f"{struct}.{fld}", fname(n), obj=obj)
    # `x->f = fn`, and `x->f = &table` (a table stored in another object:
    # `ls->ls_device.fops = &device_fops`, roots._tables_held())
    for n in caps.get("assign", []) + caps.get("assign_addr", []):
        name = (n.text or b"").decode()
        up = n.parent
        if up is not None and up.type == "pointer_expression":
            up = up.parent
        if not name or name.isupper() or up is None:
            continue
        left = up.child_by_field_name("left")
        if left is None or left.type != "field_expression":
            continue
        target = syntax.fold(left.text)
        field = left.child_by_field_name("field")
        key = (name, "ops", syntax.fold(field.text) if field is not None else "")
        if key not in seen:
            seen[key] = Ref(name, n.start_point[0] + 1, "ops", target, fname(n), typed(left))
    return tuple(sorted(seen.values(), key=lambda r: (r.name, r.line, r.role, r.detail)))
