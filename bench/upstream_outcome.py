"""What upstream made of a site: read from the new code at its counterpart.

  kept       the counterpart still says GFP_NOFS / KM_NOFS / ~__GFP_FS
  scope      NOFS gone, and a scope that the old tree did not have covers it:
             a memalloc_nofs/noio_save(), memalloc_flags_save(PF_MEMALLOC_NOFS),
             current->flags |= PF_MEMALLOC_NOFS or xfs_trans_set_context()
             before the counterpart in its function; before the call into it in
             a direct caller or a caller's caller (a work function that now runs
             under a scope, or calls a helper that reaches the site); in
             every caller in the subsystem up to --depth levels up (calls through
             an ops field the function is stored in included); for a stored mask
             (INIT_RADIX_TREE), before a radix_tree_insert() in a function of the
             subsystem that reaches the stored field. A function has a new scope
             when it opens more scopes than its old version.
  nolockdep  NOFS gone, __GFP_NOLOCKDEP in the mask
  kernel     NOFS gone, GFP_KERNEL (or another __GFP_FS mask) in the mask
  other      NOFS gone, some other mask (GFP_NOIO, GFP_ATOMIC, a mask passed in,
             a callee that takes no mask argument and passes none inside)
  removed    the function, or every call of that family in it, is gone
  unmatched  no counterpart could be chosen (listed with the reason)

A mask that is a variable is followed to its assignments, or for a parameter
to what the callers pass; object-like macros are expanded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from upstream_index import Assign, Call, Func, Index

OUTCOMES = ("kernel", "nolockdep", "scope", "other", "kept", "removed", "unmatched")
CONVERTED = ("kernel", "nolockdep", "scope")
SCOPE_CALLS = ("memalloc_nofs_save", "memalloc_noio_save", "xfs_trans_set_context")
_FLAGS_SAVE = "memalloc_flags_save"
_SCOPE_BITS = re.compile(r"\bPF_MEMALLOC_NO(?:FS|IO)\b")
_STORE_USERS = ("radix_tree_insert",)
_NOFS = re.compile(r"\b(?:GFP_NOFS|KM_NOFS)\b|~\s*\(?\s*__GFP_FS\b")
_NOLOCKDEP = re.compile(r"\b(?:__GFP_NOLOCKDEP|KM_NOLOCKDEP)\b")
_FS_MASK = re.compile(r"\b(?:GFP_KERNEL|GFP_USER|GFP_HIGHUSER\w*|GFP_KERNEL_ACCOUNT)\b")
_KM_ONLY = re.compile(r"^(?:\s*(?:KM_\w+|0)\s*\|?)+$")
MASK_WORD = re.compile(r"\b(?:__)?(?:GFP|KM)_\w+\b")
_IDENT = re.compile(r"^[A-Za-z_]\w*$")
_MACRO = re.compile(r"\b[A-Z][A-Z0-9_]+\b")


@dataclass(frozen=True)
class Site:
    """What matching needs of one site of the old tree's scan JSON."""

    path: str
    line: int
    function: str | None
    kind: str
    callee: str | None
    variable: str | None
    expression: str
    klass: str
    uses: tuple[str, ...] = ()
    arg_index: int | None = None

    @staticmethod
    def of(d: dict[str, object]) -> Site:
        def opt(k: str) -> str | None:
            v = d.get(k)
            return str(v) if v is not None else None

        return Site(
            str(d["path"]),
            int(str(d["line"])),
            opt("function"),
            str(d["kind"]),
            opt("callee"),
            opt("variable"),
            str(d.get("expression") or ""),
            str(d["class"]),
            tuple(str(u) for u in d.get("uses") or ()),  # type: ignore[attr-defined]
            int(str(d["arg_index"])) if d.get("arg_index") is not None else None,
        )


@dataclass(frozen=True)
class Outcome:
    outcome: str
    how: str  # how it was matched and decided, for a reader
    path: str | None = None  # the counterpart in the new tree
    line: int | None = None
    function: str | None = None
    text: str = ""  # the counterpart's mask text


@dataclass(frozen=True)
class Counterpart:
    """The new call an old one became: in the function itself, or in a new helper it calls."""

    call: Call  # the allocating call, whose mask is read
    at: int  # its line in the function (the helper's call, if via a helper)
    old: Call  # the old call it continues
    helper: Func | None = None
    same_api: bool = True  # False: a call of another function, in place of a gone one


# -- the mask and the scopes --------------------------------------------------------


def _mask_arg(s: Site, cp: Counterpart, where: Func, new: Index) -> int | None:
    """Which argument of the new call (in WHERE) holds the mask: the one naming a
    GFP_/KM_ flag (or a macro that does), else the one at the old mask's position
    when the same API kept its arity, else the one local assigned a mask. None: the
    call takes no mask any more."""
    args = cp.call.args
    named = [
        i
        for i, a in enumerate(args)
        if MASK_WORD.search(a) or MASK_WORD.search(new.macros.get(a, ""))
    ]
    if len(named) == 1:
        return named[0]
    k = s.arg_index if s.callee else None
    if k is None and s.variable in cp.old.args:
        k = cp.old.args.index(str(s.variable))
    if cp.same_api and k is not None and len(args) == len(cp.old.args) and k < len(args):
        return k
    masked = {a.variable for a in where.assigns if MASK_WORD.search(a.value)}
    held = [i for i, a in enumerate(args) if a in masked]
    return held[0] if len(held) == 1 else None


def _inside(callee: str, f2: Func, new: Index, depth: int = 3) -> tuple[str, str]:
    """The masks the new CALLEE (and what it calls, DEPTH levels down) passes to
    its own calls: for a call that takes no mask argument any more."""
    g = new.lookup(callee, f2.path)
    if g is None:
        return "", f"; {callee}() takes no mask argument and is not defined in the new tree"
    masks: set[str] = set()
    seen, level = {g.name}, [g]
    for _ in range(depth):
        nxt = []
        for f in level:
            masks |= {a.value for a in f.assigns if MASK_WORD.search(a.value)}
            for c in f.calls:
                masks |= {a for a in c.args if MASK_WORD.search(a)}
                h = new.lookup(c.callee, f.path)
                if h is not None and h.name not in seen and len(seen) < 50:
                    seen.add(h.name)
                    nxt.append(h)
        level = nxt
        if masks:
            break
    if not masks:
        return "", f"; {callee}() takes no mask argument and passes none inside"
    shown = " / ".join(sorted(masks))
    return " | ".join(sorted(masks)), f"; {callee}() takes no mask argument, inside it: {shown}"


def _resolve(mask: str, f2: Func, line: int, new: Index) -> tuple[str, str]:
    """Follow a mask that is a plain variable: its assignments before LINE in F2,
    else (a parameter) what the callers pass; and object-like macros."""
    note = ""
    if _IDENT.match(mask) and not MASK_WORD.fullmatch(mask):
        sets = [a.value for a in f2.assigns if a.variable == mask and a.line <= line]
        if sets:
            note = f" ({mask} = {' / '.join(sets)})"
            mask = " | ".join(sets)
        elif mask in f2.params:
            k = f2.params.index(mask)
            passed = sorted({c.args[k] for _, c in new.callers.get(f2.name, []) if len(c.args) > k})
            if passed:
                note = f" ({mask} from the callers: {' / '.join(passed)})"
                mask = " | ".join(passed)
    for _ in range(3):
        words = [w for w in _MACRO.findall(mask) if w in new.macros]
        if not words:
            break
        note += "".join(f" ({w} = {new.macros[w]})" for w in words)
        mask = _MACRO.sub(lambda m: f"({new.macros.get(m.group(), m.group())})", mask)
    return mask, note


def mask_kind(text: str) -> str:
    if _NOFS.search(text):
        return "kept"
    if _NOLOCKDEP.search(text):
        return "nolockdep"
    if _FS_MASK.search(text) or (text and _KM_ONLY.match(text)):
        return "kernel"
    return "other"


def scope_opens(f: Func) -> list[tuple[int, str]]:
    """(line, call) of every scope F opens."""
    out = [(c.line, f"{c.callee}()") for c in f.calls if c.callee in SCOPE_CALLS]
    out += [
        (c.line, f"{c.callee}({', '.join(c.args)})")
        for c in f.calls
        if c.callee == _FLAGS_SAVE and any(_SCOPE_BITS.search(a) for a in c.args)
    ]
    out += [
        (a.line, f"{a.variable} {a.op} {a.value}")
        for a in f.assigns
        if a.op == "|=" and _SCOPE_BITS.search(a.value)
    ]
    return sorted(out)


def new_scope_before(f2: Func, line: int, old: Index) -> str | None:
    """The scope F2 opens before LINE that its old version did not have, if any."""
    opens = [o for o in scope_opens(f2) if o[0] <= line]
    if not opens:
        return None
    f1 = old.lookup(f2.name, f2.path)
    if f1 is not None and len(scope_opens(f1)) >= len(scope_opens(f2)):
        return None
    return f"{opens[-1][1]} in {f2.name}() ({f2.path}:{opens[-1][0]})"


def covering_scope(f2: Func, line: int, new: Index, old: Index, depth: int) -> str | None:
    """A new scope that covers LINE of F2: one F2 opens before it; one a direct
    caller in its subsystem opens before its call to F2 (a work function that
    now runs under a scope); or one that every caller of F2 in its subsystem
    (direct, or through an ops field F2 is stored in) has before its call or is
    covered by, up to DEPTH levels up. A function with no caller there is not
    covered; a recursive call is neutral."""
    sub = "/".join(f2.path.split("/")[:2]) + "/"
    memo: dict[tuple[str, int, int], frozenset[str] | None] = {}
    active: set[str] = set()

    def covered(f: Func, at: int, d: int) -> frozenset[str] | None:
        key = (f.path + ":" + f.name, at, d)
        if key in memo:
            return memo[key]
        found = new_scope_before(f, at, old)
        got: frozenset[str] | None = frozenset([found]) if found else None
        if got is None and d > 0 and f.name not in active:
            active.add(f.name)
            callers = [(g, c) for g, c in new.callers_of(f) if g.path.startswith(sub)]
            acc: set[str] = set()
            for g, c in callers:
                if g.name in active:  # recursion: the way in is through another caller
                    continue
                sub_got = covered(g, c.line, d - 1)
                if sub_got is None:
                    acc = set()
                    break
                acc |= sub_got
            else:
                got = frozenset(acc) if acc else None
            active.discard(f.name)
        memo[key] = got
        return got

    here = new_scope_before(f2, line, old)
    if here:
        return f"{here}, in the function itself"
    for g, c in new.callers_of(f2):
        if not g.path.startswith(sub):
            continue
        direct = new_scope_before(g, c.line, old)
        if direct:
            return f"{direct}, opened by a direct caller before it calls {f2.name}()"
        for h, d in new.callers_of(g):
            second = new_scope_before(h, d.line, old) if h.path.startswith(sub) else None
            if second and h is not g:
                via = f"{h.name}() calls {g.name}(), which calls {f2.name}()"
                return f"{second}, opened before {via}"
    found = covered(f2, line, depth)
    if not found:
        return None
    return f"every caller in {sub} (up to {depth} levels) runs it under " + "; ".join(sorted(found))


def stored_scope(f2: Func, store: Call, new: Index, old: Index) -> str | None:
    """For a mask stored with the object in F2 (INIT_RADIX_TREE(&x->field, ..)):
    a new scope before a radix_tree_insert() in a function of the subsystem that
    names the field, calls one that does, or is called by one of those."""
    field = store.args[0].split("->")[-1].split(".")[-1].strip("&() ") if store.args else ""
    if not field:
        return None
    sub = "/".join(f2.path.split("/")[:2])
    word = re.compile(rf"\b{re.escape(field)}\b")
    funcs = [f for fs in new.by_name.values() for f in fs if f.path.startswith(sub + "/")]
    naming = {f.name for f in funcs if f is not f2 and any(word.search(t) for t in new.lines(f))}
    near = naming | {f.name for f in funcs if any(c.callee in naming for c in f.calls)}
    for f in funcs:
        inserts = [c for c in f.calls if c.callee in _STORE_USERS]
        reached = f.name in near or any(c.name in near for c, _ in new.callers_of(f))
        if not inserts or not reached:
            continue
        for c in inserts:
            found = new_scope_before(f, c.line, old)
            if found:
                return f"{found}, around {c.callee}() of the stored {field}"
    return None


# -- the outcome of one site -------------------------------------------------------


def read(
    s: Site,
    f2: Func,
    anchor: Counterpart | Assign | None,
    at: int,
    how: str,
    old: Index,
    new: Index,
    depth: int,
) -> Outcome:
    """Read the outcome at the counterpart AT (a line of F2) of site S."""
    where, line = f2, at
    if isinstance(anchor, Counterpart):
        call = anchor.call
        if anchor.helper is not None:
            where, line = anchor.helper, call.line
        k = _mask_arg(s, anchor, where, new)
        if k is not None:
            text, note = _resolve(call.args[k], where, line, new)
        else:
            text, note = _inside(call.callee, where, new)
        how += note
    elif isinstance(anchor, Assign):
        text = anchor.value
    else:
        text = new.lines(f2)[at - f2.line]
    kind = mask_kind(text)
    if kind != "kept":
        scope = None
        if s.kind == "stored" and isinstance(anchor, Counterpart):
            scope = stored_scope(where, anchor.call, new, old)
        scope = scope or covering_scope(where, line, new, old, depth)
        if scope:
            how += f"; new scope: {scope}"
            kind = "scope"
    return Outcome(kind, how, where.path, line, where.name, text)
