"""Pieces of one function's facts that need nothing of the extractor's
state: its gfp parameters and those the body never names, the object a
stored-mask call uses, and the conditions its lock calls hold under."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from tree_sitter import Node

from nofsbot.analyse import callresult, syntax
from nofsbot.analyse.guards import Params
from nofsbot.analyse.locks import ACQUIRE, TRYLOCK, LockReader
from nofsbot.analyse.pointees import DEREF


def gfp_params(decl: Node | None) -> tuple[str, ...]:
    """The names of the gfp_t (and xfs_km_flags_t) parameters, by position
    ("" for the others), or () if there are none."""
    if decl is None:
        return ()
    plist = decl.child_by_field_name("parameters")
    if plist is None:
        return ()
    out = []
    for p in plist.named_children:
        if p.type != "parameter_declaration":
            continue
        t = p.child_by_field_name("type")
        is_gfp = t is not None and t.text in (b"gfp_t", b"xfs_km_flags_t")
        out.append(syntax.decl_name(p.child_by_field_name("declarator")) or "" if is_gfp else "")
    return tuple(out) if any(out) else ()


def stored_object(
    text: str, params: Params | None, inits: dict[str, str], writes: dict[str, list[int]]
) -> str:
    """How a call names the object whose stored mask it uses: a field name
    (`&mru->store`), "#k" for the function's parameter k, or "=g" for a
    local set from g()."""
    k = params.index.get(text, DEREF) if params is not None else DEREF
    if params is not None and k < DEREF and text not in params.assigns:
        return f"#{k}"
    if text in inits:
        return "=" + inits[text]
    if re.fullmatch(r"&?\s*\w+(\s*(->|\.)\s*\w+)+", text):
        return syntax.last_name(text)  # &mru->store
    if re.fullmatch(r"\w+", text) and text not in writes:
        return text  # a global
    return ""  # a local set elsewhere, an array element: not followed


_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


_SETS_FLAG = re.compile(rb"\b\w+\s*=\s*(?:true|1|false|0)\s*;")


def lock_condition(call: Node, trylock: bool, before: bool = True) -> tuple[str, bool] | None:
    """The condition under which what a call locks is held afterwards: a
    flag set right after it (flag_set_after()); or, for a TRYLOCK, the
    variable its result goes to (`bool locked = mutex_trylock(..);`) or the
    call itself when it is the whole test of an `if` (`if
    (!xfs_ilock_nowait(ip, ..)) goto out;` holds the lock only where it
    returned true). A flag set true before it that nothing resets
    (flag_set_before()) comes first: code that unlocks where the flag is
    true took the lock wherever it is. The key is the condition's text as
    ir.condition_key() gives it."""
    flag = flag_set_after(call)
    if flag is not None:
        return flag, True
    set_before = flag_set_before(call) if before else None
    if set_before is not None:
        return set_before
    return _trylock_condition(call) if trylock else None


def _trylock_condition(call: Node) -> tuple[str, bool] | None:
    # `bool locked = mutex_trylock(..);` .. `if (locked) mutex_unlock(..);`
    up = call.parent
    if up is not None and up.type in ("init_declarator", "assignment_expression"):
        left = up.child_by_field_name("declarator" if up.type == "init_declarator" else "left")
        if left is not None and left.type == "identifier":
            return syntax.fold(left.text), True
    node = call
    while node.parent is not None and (
        node.parent.type == "parenthesized_expression"
        or (
            node.parent.type == "unary_expression"
            and syntax.fold(node.parent.children[0].text) == "!"
        )
    ):
        node = node.parent
    up = node.parent
    if up is not None and up.type == "if_statement" and up.child_by_field_name("condition") == node:
        return syntax.fold(call.text), True
    return None


def flag_set_after(call: Node) -> str | None:
    """The flag a lock call's statement is followed by: `xfs_dqlock(dqp);
    locked = true;` -> "locked". The lock is then held only where the flag
    is true, so `if (locked) xfs_dqunlock(dqp);` releases it on every path
    that took it (xfs_trans_unreserve_and_mod_dquots())."""
    stmt = call.parent
    if stmt is None or stmt.type != "expression_statement":
        return None
    nxt = stmt.next_named_sibling
    while nxt is not None and nxt.type == "comment":
        nxt = nxt.next_named_sibling
    got = syntax.simple_assignment(nxt)
    if got is None or syntax.fold(got[1].text) not in _TRUE:
        return None
    return syntax.fold(got[0].text)


def flag_set_before(call: Node) -> tuple[str, bool] | None:
    """The flag set true (or false) before a lock call, in its block or an
    enclosing one, that nothing in the function sets to anything else but
    its declaration: `lock_snap_rwsem = true; if (!down_read_trylock(
    &mdsc->snap_rwsem)) { ..; down_read(&mdsc->snap_rwsem); .. }`
    (__ceph_setxattr()); `allocated = 0; mutex_lock(&c->write_reserve_mutex);`
    after `int allocated = 1;` (ubifs_jnl_write_data()). The lock is then
    held only where the flag has that value, and `if (lock_snap_rwsem)
    up_read(..)`, `if (!allocated) mutex_unlock(..)` release it on every
    path that took it."""
    node: Node | None = call
    while node is not None and node.type != "function_definition":
        up = node.parent
        if up is not None and up.type == "compound_statement":
            sib = node.prev_named_sibling
            while sib is not None:
                got = syntax.simple_assignment(sib)
                value = syntax.fold(got[1].text) if got is not None else ""
                if got is not None and value in _TRUE | _FALSE:
                    flag = syntax.fold(got[0].text)
                    holds = value in _TRUE
                    return (flag, holds) if _only_set(up, flag, holds) else None
                sib = sib.prev_named_sibling
        node = up
    return None


def _only_set(inner: Node, flag: str, value: bool) -> bool:
    """Every assignment to FLAG in the function around INNER sets it to
    VALUE; its declaration, if any, is the only other write."""
    fn = inner
    while fn.parent is not None and fn.type != "function_definition":
        fn = fn.parent
    text = syntax.fold(fn.text)
    writes = re.findall(rf"\b{re.escape(flag)}\s*(=(?!=)|\+\+|--|[-+|&^]=)\s*([^;,)]*)", text)
    values = [v.strip() for op, v in writes if op == "="]
    if not values or len(values) != len(writes):
        return False
    same = _TRUE if value else _FALSE
    return values[0] in _TRUE | _FALSE and all(v in same for v in values[1:])


def lock_conds(
    calls: list[tuple[int, int, str, int, Node]],
    results: tuple[tuple[int, str, bool], ...],
    locks: LockReader,
    body: Node | None,
) -> tuple[tuple[int, str, bool], ...]:
    """The condition under which each lock call's lock is held after it
    (lock_condition()). A trylock's result variable tested right
    after is keyed as that test is (scopes.begin_results() marks it)."""
    tested = {ci: (var, pointer) for ci, var, pointer in results}
    # a flag set before a lock needs `x = true;`, `x = 0;` .. somewhere
    before = body is not None and _SETS_FLAG.search(body.text or b"") is not None
    out = []
    for ci, c in enumerate(calls):
        op = locks.op(c[2])
        # before: only for the lock calls themselves (a helper's take is
        # keyed by a flag set after it)
        k = lock_condition(c[4], op == TRYLOCK, before and op in (ACQUIRE, TRYLOCK))
        if k is None:
            continue
        key, holds = k
        if ci in tested and tested[ci][0] == key:
            key = callresult.failed_mark(ci, key, tested[ci][1]) + key
        out.append((ci, key, holds))
    return tuple(out)


# `current->journal_info`: written (`= x`, not `==`), or read
_JOURNAL = re.compile(rb"\bcurrent\s*->\s*journal_info\b(\s*=(?!=))?")


def journal_info(body: Node | None) -> tuple[tuple[int, int], tuple[int, ...]]:
    """The first line of BODY that sets `current->journal_info` to something
    other than NULL and the first that reads it (0 for none), and every
    line that sets it to NULL."""
    if body is None or b"journal_info" not in (body.text or b""):
        return (0, 0), ()
    text = body.text or b""
    sets = reads = 0
    clears: list[int] = []
    for m in _JOURNAL.finditer(text):
        line = body.start_point[0] + 1 + text.count(b"\n", 0, m.start())
        if not m.group(1):
            reads = reads or line
        elif re.match(rb"\s*(?:NULL|0)\s*;", text[m.end() :]):
            clears.append(line)
        else:
            sets = sets or line
    return (sets, reads), tuple(clears)


def unread(params: tuple[str, ...], body: Node | None, macros: bytes) -> tuple[int, ...]:
    """The gfp parameters BODY never names (nor a macro of the file)."""
    if body is None or not params:
        return ()
    text = body.text or b""
    return tuple(
        i
        for i, p in enumerate(params)
        if p
        and not re.search(rb"\b" + re.escape(p.encode()) + rb"\b", text)
        and not re.search(rb"\b" + re.escape(p.encode()) + rb"\b", macros)
    )


Writes = list[dict[str, list[int]]]
Stores = list[list[tuple[str, Callable[[], str]]]]
Assigns = list[list[tuple[str, Node]]]


def by_function(
    caps: dict[str, list[Node]],
    nfuncs: int,
    func_of: Callable[[int], int],
    typed: Callable[[Node, int], str],
) -> tuple[Writes, Stores, Assigns]:
    """From the query's captures CAPS, per function (FUNC_OF a byte offset):
    where each name is written or has its address taken (guards.Params);
    the names stored into a struct field, each with what gives the typed
    field (`iwag->iwalk_fn = iwalk_fn`, `.iwalk_fn = iwalk_fn`; TYPED(node,
    fi) types a chain, only when asked); and its `x = f(..);` statements
    (fresh.made_locals)."""
    writes: Writes = [{} for _ in range(nfuncs)]
    stores: Stores = [[] for _ in range(nfuncs)]
    assigns: Assigns = [[] for _ in range(nfuncs)]
    for n in caps.get("assign", []):
        fi = func_of(n.start_byte)
        left = n.parent.child_by_field_name("left") if n.parent is not None else None
        if fi >= 0 and left is not None and left.type == "field_expression":
            stores[fi].append((syntax.fold(n.text), partial(typed, left, fi)))
    for n in caps.get("init", []):
        fi = func_of(n.start_byte)
        pair = n.parent
        if fi < 0 or pair is None or pair.type != "initializer_pair":
            continue
        struct, fld = syntax.initialised_field(pair)
        if fld and struct.isidentifier():
            stores[fi].append((syntax.fold(n.text), partial(str, f"{struct}.{fld}")))
    for n in caps.get("write", []):
        got = syntax.call_assignment(n)
        if got is not None:
            fi = func_of(n.start_byte)
            if fi >= 0:
                assigns[fi].append(got)
    for n in caps.get("write", []) + [
        a for a in caps.get("address", []) if a.prev_sibling and a.prev_sibling.type == "&"
    ]:
        fi = func_of(n.start_byte)
        if fi >= 0:
            writes[fi].setdefault((n.text or b"").decode(), []).append(n.start_byte)
    return writes, stores, assigns
