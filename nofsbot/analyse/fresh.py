"""Objects a function has just made and given to no one.

`inode = udf_new_inode(dir, mode)` returns an inode nothing else holds:
it is on no LRU list and has no page cache, so no reclaim path can reach it
until the function hands it on (d_instantiate(), a list, a call that may
keep it). A lock taken on it (`down_write(&UDF_I(inode)->i_data_sem)`) is
then not one reclaim can take, although lockdep names it by the class
reclaim takes on other inodes (__GFP_NOLOCKDEP).

Extraction records, per function: the locals set once from a call
(`made`), the local each lock it takes is rooted at (`lock_roots`), the
calls each such local is given to (`uses`), and the constructor whose
result the function returns on every path that returns an object
(`returns_made`: udf_new_inode() returns new_inode()'s). Program closes
the constructors over returns_made; unit.py applies the rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from tree_sitter import Node

from nofsbot.analyse import syntax
from nofsbot.analyse.guards import Binding
from nofsbot.analyse.locks import ACQUIRE
from nofsbot.model import Evidence

if TYPE_CHECKING:
    from nofsbot.analyse.program import Fn, Program
    from nofsbot.analyse.reclaim import Model

# calls that only look at an object: given it, they keep nothing
INSPECT = frozenset({"IS_ERR", "PTR_ERR", "IS_ERR_OR_NULL", "ERR_CAST", "unlikely", "likely"})
_NULLISH = re.compile(r"^(NULL|0|ERR_PTR\s*\(.*\)|ERR_CAST\s*\(.*\))$", re.S)


def made_locals(
    body: Node, writes: dict[str, list[int]], assigns: list[tuple[str, Node]]
) -> dict[str, Node]:
    """Locals set once, from a call: `struct inode *inode = f(..);` or
    `inode = f(..);` (ASSIGNS, syntax.call_assignment()), after at most an
    initialiser of NULL -> the call node."""
    out: dict[str, Node] = {}
    nulled: set[str] = set()  # `struct inode *inode = NULL;`: not a second value
    for _, init in syntax.body_inits(body):
        name = syntax.decl_name(init.child_by_field_name("declarator"))
        value = init.child_by_field_name("value")
        if name and value is not None and value.type == "call_expression":
            out[name] = value
        elif name and value is not None and syntax.fold(value.text) == "NULL":
            nulled.add(name)
    for name, call in assigns:
        out.setdefault(name, call)
    return {k: v for k, v in out.items() if len(writes.get(k, ())) == 1 + (k in nulled)}


def aliases(locals_: dict[str, Node], same: Iterable[str]) -> dict[str, str]:
    """Of LOCALS_ (made_locals()), those set to the same object as another
    local through an accessor (`iinfo = UDF_I(inode)`): local -> that local."""
    same = frozenset(same)
    out: dict[str, str] = {}
    for name, call in locals_.items():
        if syntax.callee_name(call) in same:
            root = root_of(call, same)
            if root:
                out[name] = root
    return out


def root_of(n: Node | None, same: frozenset[str]) -> str:
    """The local an object expression starts from: `&UDF_I(inode)->i_data_sem`
    -> inode, through `&`, fields and same-object accessors; "" if none."""
    while n is not None:
        if n.type == "identifier":
            return syntax.fold(n.text)
        if n.type in ("pointer_expression", "parenthesized_expression"):
            n = n.child_by_field_name("argument") or (
                n.named_children[0] if n.named_children else None
            )
        elif n.type == "field_expression":
            n = n.child_by_field_name("argument")
        elif n.type == "call_expression" and syntax.callee_name(n) in same:
            args = n.child_by_field_name("arguments")
            named = [a for a in args.named_children if a.type != "comment"] if args else []
            n = named[0] if named else None
        else:
            return ""
    return ""


def returns_made(body: Node, made: dict[str, Node]) -> str:
    """The callee of the local every `return` gives back, when the others
    return NULL or an error pointer; "" otherwise."""
    got: set[str] = set()
    stack = [body]
    while stack:
        n = stack.pop()
        if n.type == "return_statement":
            value = n.named_children[0] if n.named_children else None
            text = syntax.fold(value.text) if value is not None else ""
            if value is not None and value.type == "identifier" and text in made:
                got.add(text)
            elif not _NULLISH.match(text):
                return ""
            continue
        stack.extend(n.named_children)
    if len(got) != 1:
        return ""
    return syntax.callee_name(made[got.pop()])


def mentions(call: Node, names: frozenset[str]) -> set[str]:
    """Which of NAMES the arguments of CALL mention as identifiers."""
    args = call.child_by_field_name("arguments")
    out: set[str] = set()
    stack = list(args.named_children) if args is not None else []
    while stack:
        n = stack.pop()
        if n.type == "identifier" and syntax.fold(n.text) in names:
            out.add(syntax.fold(n.text))
        stack.extend(n.named_children)
    return out


Made = tuple[tuple[str, int, str], ...]  # (local, call index of its constructor, callee)
Roots = tuple[tuple[int, str], ...]  # (call index of a lock take, the local it is on)
Uses = tuple[tuple[str, tuple[tuple[int, str], ...]], ...]  # local -> calls given it


def facts(
    body: Node | None,
    calls: list[tuple[str, Node]],
    takes: list[int],
    writes: dict[str, list[int]],
    assigns: list[tuple[str, Node]],
    same: frozenset[str],
) -> tuple[Made, Roots, Uses, str]:
    """A function's made objects (module docstring): CALLS are (callee,
    call node) by call index, TAKES the call indices that acquire a lock."""
    if body is None:
        return (), (), (), ""
    set_once = made_locals(body, writes, assigns)
    made = {k: v for k, v in set_once.items() if syntax.callee_name(v) not in same}
    if not made:
        return (), (), (), ""
    index = {node.start_byte: ci for ci, (_, node) in enumerate(calls)}
    mine = tuple(
        sorted(
            (k, index[v.start_byte], syntax.callee_name(v))
            for k, v in made.items()
            if v.start_byte in index
        )
    )
    alias = {k: v for k, v in aliases(set_once, same).items() if v in made}
    roots = []
    for ci in takes:
        args = calls[ci][1].child_by_field_name("arguments")
        first = (
            next((a for a in args.named_children if a.type != "comment"), None) if args else None
        )
        root = root_of(first, same)
        root = alias.get(root, root)
        if root in made:
            roots.append((ci, root))
    names = frozenset(made) | frozenset(alias)
    given: dict[str, set[tuple[int, str]]] = {}
    for ci, (callee, node) in enumerate(calls):
        for n in mentions(node, names):
            given.setdefault(alias.get(n, n), set()).add((ci, callee))
    uses = tuple(sorted((k, tuple(sorted(v))) for k, v in given.items()))
    return mine, tuple(roots), uses, returns_made(body, made)


def made_by(fn: Fn, ci: int) -> tuple[str, tuple[str, ...]] | None:
    """For the lock FN takes at call CI on a local it set from a call
    (`inode_lock(main_bm_inode)` after `main_bm_inode =
    ocfs2_get_system_file_inode(osb, GLOBAL_BITMAP_SYSTEM_INODE,
    OCFS2_INVALID_SLOT)`): that callee and its arguments, the constants
    by their text, others as "?"; None otherwise or with no constant."""
    root = dict(fn.facts.lock_roots).get(ci)
    ctor = next((m for m in fn.facts.made if m[0] == root), None) if root else None
    if ctor is None:
        return None
    args = fn.call_args().get(ctor[1], ())
    consts = tuple(a[1] if a is not None and a[0] == "c" else "?" for a in args)
    return (ctor[2], consts) if any(c != "?" for c in consts) else None


def constructors(prog: Program) -> frozenset[str]:
    """Config's constructors ([instances] new) and the functions that
    return what one of them made (udf_new_inode() returns new_inode()'s)."""
    names = set(prog.cfg.reclaim.new)
    grew = True
    while grew:
        grew = False
        for fn in prog.fns:
            if fn.name not in names and fn.facts.returns_made in names:
                names.add(fn.name)
                grew = True
    return frozenset(names)


def unreachable(
    prog: Program,
    model: Model,
    fn: Fn,
    cls: str,
    line: int,
    allow: Callable[[Binding], bool] | None,
    ctors: frozenset[str],
) -> list[Evidence]:
    """If the lock CLS held at LINE of FN is only FN's own take on an object
    it has just made and given to no one (udf_symlink()'s new inode's
    i_data_sem), the evidence that reclaim cannot take it; else []."""
    if cls in model.entry.get(fn.id, {}) and model.first_held(fn.id, cls, allow) is not None:
        return []  # also held from a caller
    takes = [ci for ci, op, c in model.classes.get(fn.id, ()) if op == ACQUIRE and c == cls]
    roots = dict(fn.facts.lock_roots)
    on = {roots.get(ci) for ci in takes}
    if not takes or len(on) != 1 or None in on:
        return []
    x = on.pop()
    made = {k: (ci, callee) for k, ci, callee in fn.facts.made}
    if x not in made or made[x][1] not in ctors:
        return []
    ctor_ci, ctor = made[x]
    start = fn.facts.calls[ctor_ci][1]
    taken = min(fn.facts.calls[ci][1] for ci in takes)
    if not start <= taken <= line:
        return []
    inspect = INSPECT | prog.cfg.reclaim.same_object
    for ci, callee in dict(fn.facts.uses).get(x, ()):
        at = fn.facts.calls[ci][1]
        if start < at <= line and ci not in takes and callee not in inspect:
            return []  # handed on before the site: someone else may have it
    note = (
        f"takes {cls} on {x}, which {ctor}() made at line {start} and the function "
        "has given to no one yet: no reclaim path can reach it"
    )
    return [Evidence(fn.path, taken, fn.name, note)]
