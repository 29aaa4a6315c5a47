"""Masks stored for later and masks passed on (design.md: "a mask stored
for later is decided on its later uses"): where INIT_RADIX_TREE()'s mask is
used (radix_tree_insert() on the same root, named by its field), and where
a mask passed to a helper is used while a lock reclaim takes is held."""

from __future__ import annotations

from nofsbot.analyse import reclaim
from nofsbot.analyse.held import MAYBE
from nofsbot.analyse.locks import PAGE_LOCK
from nofsbot.analyse.program import Fn, Program
from nofsbot.model import Evidence


def used_under_lock(
    prog: Program, model: reclaim.Model, path: str, callee: str, index: int
) -> Evidence | None:
    """A mask passed as argument INDEX of CALLEE, followed through the
    functions that pass it on: a call that uses it while a lock reclaim
    takes (or a folio, when reclaim locks folios) is held there, as in
    ext4_mb_init_group(.., GFP_NOFS) allocating with the buddy folio locked."""
    for f, idx in prog.mask_flow(path, callee, index, depth=4):
        local = model.local.get(f.id, {})
        for p, c, _ in f.facts.forwards:
            if p != idx:
                continue
            for ci, (name, line) in enumerate(f.facts.calls):
                if name != c:
                    continue
                for cls in sorted(local.get(ci, ())):
                    plain = cls.removeprefix(MAYBE)
                    if plain in model.shared or (plain == PAGE_LOCK and model.page_shared):
                        note = f"uses the mask in {c}() while {plain} may be held"
                        return Evidence(f.path, line, f.name, note)
    return None


def uses(prog: Program) -> dict[str, list[tuple[Fn, int]]]:
    """Calls using a stored mask (radix_tree_insert), by the object's name.
    An object passed in by every caller as a local set from a helper that
    returns `&qi->qi_uquota_tree` or another field counts as a use of each of
    those fields; one whose name cannot be followed is filed under UNKNOWN,
    a use of any stored object."""
    out: dict[str, list[tuple[Fn, int]]] = {}
    for fn in prog.fns:
        for ci, obj in fn.facts.store_uses:
            for name in _object_names(prog, fn, obj) or (UNKNOWN,):
                out.setdefault(name, []).append((fn, ci))
    return out


UNKNOWN = "?"


def _object_names(prog: Program, fn: Fn, obj: str) -> tuple[str, ...]:
    """The field names OBJ (a store_uses object of FN) can be, or ()."""
    if obj.startswith("="):
        return _returned(prog, fn.path, obj[1:])
    if not obj.startswith("#"):
        return (obj,) if obj else ()
    k = int(obj[1:])
    names: list[str] = []
    for caller, ci in fn.callers:
        g = prog.fns[caller]
        helper = next((h for c, i, h in g.facts.arg_calls if c == ci and i == k), None)
        got = _returned(prog, g.path, helper) if helper else ()
        if not got:
            return ()
        names += got
    return tuple(dict.fromkeys(names))


def _returned(prog: Program, path: str, helper: str) -> tuple[str, ...]:
    fields: list[str] = []
    for t in prog.resolve(path, helper):
        if not prog.fns[t].facts.ret_fields:
            return ()
        fields += prog.fns[t].facts.ret_fields
    return tuple(dict.fromkeys(fields))
