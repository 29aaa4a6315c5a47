"""Pieces of one function's facts that need nothing of the extractor's
state: its gfp parameters and those the body never names, the object a
stored-mask call uses, and the conditions its lock calls hold under."""

from __future__ import annotations

import re

from tree_sitter import Node

from nofsbot.analyse import syntax
from nofsbot.analyse.guards import Params
from nofsbot.analyse.locks import TRYLOCK, LockReader
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


def lock_conds(
    calls: list[tuple[int, int, str, int, Node]],
    results: tuple[tuple[int, str, bool], ...],
    locks: LockReader,
) -> tuple[tuple[int, str, bool], ...]:
    """The condition under which each lock call's lock is held after it
    (syntax.lock_condition()). A trylock's result variable tested right
    after is keyed as that test is (scopes.begin_results() marks it)."""
    tested = {ci: (var, pointer) for ci, var, pointer in results}
    out = []
    for ci, c in enumerate(calls):
        k = syntax.lock_condition(c[4], locks.op(c[2]) == TRYLOCK)
        if k is None:
            continue
        key, holds = k
        if ci in tested and tested[ci][0] == key:
            key = syntax.failed_mark(ci, key, tested[ci][1]) + key
        out.append((ci, key, holds))
    return tuple(out)


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
