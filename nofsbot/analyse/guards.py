"""Constant arguments that decide which calls can run (design.md: "the
constant arguments and conditions under which each call happens").

`btrfs_lookup_file_extent(.., mod=0)` computes `cow = mod != 0` and passes it
to `btrfs_search_slot()`, which calls `btrfs_cow_block()` only `if (cow)`:
with a 0 there, that call cannot run. Extraction records, per call,

- its guards: the conditions on the function's own parameters that must
  hold for it to run (`if (p)`, `if (!p)`, `p == C`, `p != C`, `p > N`,
  `switch (p) case C:` without fall-through, the terms of `&&`), where
  neither the parameter nor a local derived from it is ever assigned again;
- its arguments that are constants or the caller's parameters.

The analyses then carry a binding (parameter -> value) along each call edge
and skip calls whose guards the binding contradicts. Anything not understood
is no guard and no binding, which only keeps more paths.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from nofsbot.analyse import records, syntax
from nofsbot.analyse.branches import FLIP, INT_LITERAL, Branches
from nofsbot.analyse.paramcalls import ParamCalls
from nofsbot.analyse.pointees import Pointees, _strip, _text
from nofsbot.analyse.records import Records

# a guard: (parameter index, op, value); op in truthy falsy eq ne gt lt ge le
# bit nobit (`flags & XBF_INCORE` set or clear),
# or (CALL, "call", "callee\x00k=p;..."): a call returning true, whose
# argument k is the caller's parameter p (Program turns it into guards on
# those parameters from what the callee returns, its `result_terms`)
Guard = tuple[int, str, str]
CALL = -1
# an argument: ("c", constant text) | ("p", param) | ("t", param) (its
# truth) | ("n", param) (its negated truth) | ("x", "param|op|value|C1|C2")
# (a local set to `guard ? C1 : C2`) | ("b", "C1|C2") (`C1 | p`: bits known
# to be set, the others not known) | ("s", param) (the same object as the
# param, or a member embedded in it: XFS_I(inode), &ip->i_lock) | ("r",
# "NULL") (the address of a local that holds NULL: `&dummy_cur`) | ("a",
# name) (a name that is no parameter and no local written here, `fn` or
# `&fn`: a function, where Program finds one, passed to a parameter its
# callee calls)
Arg = tuple[str, str]
# a binding: sorted (parameter index, ("c", text) | ("t", "1"/"0") |
# ("a", function) | FREED, the object a reclaim entry point frees)
Binding = tuple[tuple[int, tuple[str, str]], ...]
FREED = ("o", "freed")
# the value of a guard compared with something never negative (i_size)
NONNEG = "\x00nonnegative"

EMPTY: Binding = ()
# the key of the task state of a reclaim context (`current->flags &
# PF_MEMALLOC`, config/reclaim.toml [context]): "1" on every reclaim path,
# and handed on to every callee
TASK = -2
# the key, last in a callee's binding, of the one function a call through a
# function pointer parameter calls under the caller's binding (Fn.step())
FNPTR = -3
# calls that return the truth of their argument
_TRUTH_OF = ("WARN_ON_ONCE", "WARN_ON", "unlikely", "likely")
# distinct bindings kept per function before falling back to "any" (but
# for the functions passed to parameters it calls: widened())
MAX_BINDINGS = 8
_CONST = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_CMP = {"==": "eq", "!=": "ne", ">": "gt", "<": "lt", ">=": "ge", "<=": "le"}
# parameter types that hold data (guards._data_only())
_DATA_TYPES = frozenset(
    (
        "primitive_type",
        "sized_type_specifier",
        "struct_specifier",
        "union_specifier",
        "enum_specifier",
    )
)
_MIRROR = {"gt": "lt", "lt": "gt", "ge": "le", "le": "ge", "eq": "eq", "ne": "ne"}


def widened(binding: Binding) -> Binding:
    """What of BINDING is kept past MAX_BINDINGS: the functions passed to
    parameters the function calls, each a call path of its own (kref_put()
    calls only the release function its caller passes)."""
    return tuple(kv for kv in binding if kv[1][0] == "a")


def _data_only(t: Node | None, declarator: Node | None) -> bool:
    """Whether a parameter of type T declared by DECLARATOR holds data,
    never a function: a number, a struct or union, or a pointer to one,
    with no function declarator (`void (*fn)(..)`) and no typedef name
    (`filldir_t`) or `void *` in it."""
    if t is None or t.type not in _DATA_TYPES:
        return False
    if t.type == "primitive_type" and _text(t) == "void":
        return False
    stack = [declarator] if declarator is not None else []
    while stack:
        n = stack.pop()
        if n.type in ("function_declarator", "abstract_function_declarator"):
            return False
        stack.extend(n.named_children)
    return True


def constant(text: str) -> str | None:
    """TEXT if it is a constant: an integer literal, NULL/true/false, or an
    upper-case name (an enum or macro constant)."""
    if INT_LITERAL.match(text) or text in ("NULL", "true", "false") or _CONST.match(text):
        return text
    return None


class Params(Pointees, Records, Branches, ParamCalls):
    """The parameters of one function, and locals derived from one
    (`int cow = mod != 0;`), that the body never assigns again."""

    def __init__(
        self,
        fnode: Node,
        decl: Node | None,
        writes: dict[str, list[int]],
        same_object: frozenset[str] = frozenset(),
        task_flags: frozenset[str] = frozenset(),
        nonnegative: frozenset[str] = frozenset(),
        carried: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        """WRITES: where each name is assigned, incremented or has its
        address taken in the function (byte offsets; a declaration with an
        initialiser counts). SAME_OBJECT: accessors whose result is the
        object their argument is part of (XFS_I(), container_of())."""
        self.same_object = same_object
        self.task_flags = task_flags
        self.nonnegative = nonnegative
        self.carried = carried or {}
        names: list[str] = []
        # parameter -> its struct type, for NONNEGATIVE's fields
        self.types: dict[str, str] = {}
        plist = decl.child_by_field_name("parameters") if decl is not None else None
        # parameters no function pointer can be: a number, a struct or a
        # pointer to one (ParamCalls.contained() skips them)
        self.data_params: set[str] = set()
        for p in plist.named_children if plist is not None else ():
            if p.type == "parameter_declaration":
                pd = p.child_by_field_name("declarator")
                names.append(syntax.decl_name(pd) or "")
                t = p.child_by_field_name("type")
                if names[-1] and _data_only(t, pd):
                    self.data_params.add(names[-1])
                if t is not None and t.type == "struct_specifier":
                    tn = t.child_by_field_name("name")
                    if tn is not None and names[-1]:
                        self.types[names[-1]] = _text(tn)
        body = fnode.child_by_field_name("body")
        self._body = body
        self._writes = frozenset(writes)
        # locals with designated initialisers whose address calls get
        self.records = records.records(body)
        self.index = {n: i for i, n in enumerate(names) if n}
        # where each parameter is assigned (absolute byte offsets); a guard
        # on it is read only before the first assignment and outside loops
        # holding one (`if (ins_len > 0) { ins_len -= x; ..}` is fine)
        self.assigns = {n: writes[n] for n in self.index if n in writes}
        self._ups: dict[int, list[Guard]] = {}  # statement -> _up()
        # statement -> the guards it and the statements before it in its
        # block put on the statements after it (_after_returns)
        self._befores: dict[int, list[Guard]] = {}
        # local -> (param, negated) for `x = p`, `x = p != 0`, `x = !!p`, `x = !p`
        self.truth: dict[str, tuple[int, bool]] = {}
        # local -> the guard it is the truth of, for `x = !p->f`: a field of a
        # parameter, read where nothing has written it yet
        self.field_truth: dict[str, Guard] = {}
        # local -> a guard its truth implies, for `x = a && b` with a guard
        # in a or b (ubifs_jnl_write_inode()'s `kill_xattrs = ui->xattr_cnt
        # && last_reference`): a test that x is true needs it, one that x
        # is false says nothing
        self.implied: dict[str, Guard] = {}
        # local -> `x = <guard on a param> ? C1 : C2`, encoded as an Arg text
        self.choice: dict[str, str] = {}
        # local -> param for `ip = XFS_I(inode)`: the same object
        self.same: dict[str, int] = {}
        self.deref: dict[str, tuple[int, int]] = {}  # local -> (param, where it starts)
        for d in body.named_children if body is not None else ():
            if d.type != "declaration":
                continue
            for init in d.named_children:
                if init.type != "init_declarator":
                    continue
                name = syntax.decl_name(init.child_by_field_name("declarator")) or ""
                value = init.child_by_field_name("value")
                if not name or value is None or len(writes.get(name, ())) > 1:
                    continue
                derived = self._truth_of(value)
                if derived:
                    self.truth[name] = derived
                elif (fg := self._field_truth_of(value)) is not None:
                    self.field_truth[name] = fg
                elif (choice := self._choice_of(value)) is not None:
                    self.choice[name] = choice
                elif _operands(_strip(value), "&&") and (both := self.conjunction(value, False)):
                    self.implied[name] = both[0]
                elif (same := self._same_of(value)) is not None:
                    self.same[name] = same
        # `iinfo = UDF_I(inode);` as a statement of the body, the local's
        # only write: the same object from there on (nothing reads an
        # unset local before)
        for st in body.named_children if body is not None else ():
            if (got := syntax.simple_assignment(st)) is None:
                continue
            name = _text(got[0])
            if (
                name not in self.index
                and name not in self.same
                and len(writes.get(name, ())) == 1
                and (same := self._same_of(got[1])) is not None
            ):
                self.same[name] = same
        self._pointees(body, writes)

    def _truth_of(self, n: Node) -> tuple[int, bool] | None:
        n, neg = _unnegated(n)
        if n.type == "identifier":
            i = self._constant_param(_text(n))
            return (i, neg) if i is not None else None
        if n.type == "binary_expression":
            op = _text(n.child_by_field_name("operator"))
            left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            if op in ("!=", "==") and left is not None and _text(right) == "0":
                i = self._constant_param(_text(_strip(left)))
                return (i, neg != (op == "==")) if i is not None else None
        return None

    def _field_truth_of(self, n: Node) -> Guard | None:
        """`!p->f`, `p->f`: the guard on the field of parameter p."""
        n, neg = _unnegated(n)
        g = self._field_atom(n) if n.type == "field_expression" else None
        if g is None:
            return None
        return (g[0], FLIP[g[1]], g[2]) if neg else g

    def _same_of(self, n: Node) -> int | None:
        """The parameter whose object N is: `XFS_I(inode)`, `container_of(p,
        T, f)`, `&p->member`, or a local set to one of those."""
        n = _strip(n)
        if n.type == "identifier":
            name = _text(n)
            if name in self.same:
                return self.same[name]
            return self._constant_param(name)
        if n.type == "call_expression":
            fn = n.child_by_field_name("function")
            args = n.child_by_field_name("arguments")
            named = [a for a in args.named_children if a.type != "comment"] if args else []
            if fn is not None and _text(fn) in self.same_object and named:
                return self._same_of(named[0])
            return None
        if n.type == "pointer_expression" and _text(n).startswith("&"):
            arg = n.child_by_field_name("argument")
            # &p->member: a member embedded in *p, not one it points to
            if arg is not None and arg.type == "field_expression" and _text(arg).count("->") == 1:
                if "." in _text(arg).split("->", 1)[1]:
                    return None
                base = arg.child_by_field_name("argument")
                if base is not None and _strip(base).type in ("identifier", "call_expression"):
                    return self._same_of(base)
        return None

    def _constant_param(self, name: str) -> int | None:
        """The index of parameter NAME if the body never assigns it."""
        if name in self.assigns or name in self.deref:
            return None
        return self.index.get(name)

    def _stable(self, name: str, at: Node) -> bool:
        """Parameter NAME still holds its argument where AT is evaluated."""
        if name in self.deref and at.start_byte < self.deref[name][1]:
            return False  # before `cur = *curp`
        offsets = self.assigns.get(name)
        if not offsets:
            return True
        if min(offsets) < at.end_byte:
            return False
        p = at.parent
        while p is not None:
            if p.type in ("for_statement", "while_statement", "do_statement") and any(
                p.start_byte <= o < p.end_byte for o in offsets
            ):
                return False
            p = p.parent
        return True

    def _choice_of(self, n: Node) -> str | None:
        """`p < 0 ? -1 : 0` as "idx|op|value|-1|0"."""
        n = _strip(n)
        if n.type != "conditional_expression":
            return None
        cond = n.child_by_field_name("condition")
        a, b = n.child_by_field_name("consequence"), n.child_by_field_name("alternative")
        g = self.atom(cond) if cond is not None else None
        ta, tb = _text(_strip(a)) if a else "", _text(_strip(b)) if b else ""
        if g is None or not constant(ta) or not constant(tb):
            return None
        return "|".join((str(g[0]), g[1], g[2], ta, tb))

    def atom(self, n: Node) -> Guard | None:
        """A condition on one parameter, or on the reclaim task state, or None."""
        n = _strip(n)
        neg = False
        while True:
            if n.type == "unary_expression" and _text(n.child_by_field_name("operator")) == "!":
                neg = not neg
                n = _strip(n.child_by_field_name("argument") or n)
            elif (inner := _truth_arg(n)) is not None:
                n = inner
            else:
                break
        g: Guard | None = None
        if self._task_flag(n):
            g = (TASK, "truthy", "")
        elif n.type == "field_expression":
            g = self._field_atom(n)
        elif n.type == "identifier":
            name = _text(n)
            if name in self.index and self._stable(name, n):
                g = (self.index[name], "truthy", "")
            elif name in self.truth:
                i, flip = self.truth[name]
                g = (i, "falsy" if flip else "truthy", "")
            elif name in self.field_truth:
                g = self.field_truth[name]
            elif name in self.implied and not neg:
                g = self.implied[name]
        elif n.type == "binary_expression":
            op = _CMP.get(_text(n.child_by_field_name("operator")))
            left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            if op and left is not None and right is not None:
                lt, rt = _text(_strip(left)), _text(_strip(right))
                if lt in self.index and constant(rt) and self._stable(lt, n):
                    g = (self.index[lt], op, rt)
                elif rt in self.index and constant(lt) and self._stable(rt, n):
                    g = (self.index[rt], _MIRROR[op], lt)
                elif lt in self.index and self._nonneg(_strip(right)) and self._stable(lt, n):
                    g = (self.index[lt], op, NONNEG)
                elif rt in self.index and self._nonneg(_strip(left)) and self._stable(rt, n):
                    g = (self.index[rt], _MIRROR[op], NONNEG)
                elif rt == "0" and _strip(left).type == "field_expression":
                    g = self._field_vs_zero(_strip(left), op)
                elif lt == "0" and _strip(right).type == "field_expression":
                    g = self._field_vs_zero(_strip(right), _MIRROR[op])
            elif (
                _text(n.child_by_field_name("operator")) == "&"
                and left is not None
                and right is not None
            ):
                lt, rt = _text(_strip(left)), _text(_strip(right))
                if lt in self.index and _CONST.match(rt) and self._stable(lt, n):
                    g = (self.index[lt], "bit", rt)
                elif rt in self.index and _CONST.match(lt) and self._stable(rt, n):
                    g = (self.index[rt], "bit", lt)
        if g is not None and neg:
            if g[1] not in FLIP:
                return None
            g = (g[0], FLIP[g[1]], g[2])
        return g

    def conjunction(self, cond: Node, calls: bool = True) -> list[Guard]:
        """The guards that hold when COND is true (the terms of a && chain;
        with CALLS, also calls that must have returned true)."""
        cond = _strip(cond)
        if (sides := _operands(cond, "&&")) is not None:
            return [g for sub in sides for g in self.conjunction(sub, calls)]
        a = self.atom(cond)
        if a is None and calls:
            a = self._call(cond)
        return [a] if a is not None else []

    def _call(self, n: Node) -> Guard | None:
        """`f(ip, whichfork)` as a guard that f returned true, with the
        arguments that are this function's stable parameters."""
        n = _strip(n)
        if n.type != "call_expression":
            return None
        fn = n.child_by_field_name("function")
        args = n.child_by_field_name("arguments")
        if fn is None or fn.type != "identifier" or args is None:
            return None
        spec = []
        for k, a in enumerate(c for c in args.named_children if c.type != "comment"):
            a = _strip(a)
            name = _text(a)
            if a.type == "identifier" and name in self.index and self._stable(name, n):
                spec.append(f"{k}={self.index[name]}")
        return (CALL, "call", _text(fn) + "\x00" + ";".join(spec)) if spec else None

    def _field_vs_zero(self, n: Node, op: str) -> Guard | None:
        """`p->f OP 0` as the truth of field f of parameter p: `!= 0` is
        true, `== 0` false, and `> 0` true where f is never negative
        (btrfs_evict_inode()'s `if (inode->i_nlink > 0) goto no_delete;`)."""
        if op not in ("ne", "eq") and not (op == "gt" and self._nonneg(n)):
            return None
        g = self._field_atom(n)
        if g is None or op != "eq":
            return g
        return (g[0], FLIP[g[1]], g[2])

    def _nonneg(self, n: Node) -> bool:
        """N is never negative: `inode->i_size` with inode a parameter of a
        struct type whose field is configured so, or a configured call
        (`i_size_read(inode)`)."""
        if n.type == "call_expression":
            fn = n.child_by_field_name("function")
            return fn is not None and _text(fn) in self.nonnegative
        if n.type != "field_expression":
            return False
        obj, field = n.child_by_field_name("argument"), n.child_by_field_name("field")
        if obj is None or field is None or obj.type != "identifier":
            return False
        t = self.types.get(_text(obj))
        return t is not None and f"{t}.{_text(field)}" in self.nonnegative

    def _task_flag(self, n: Node) -> bool:
        """N is `current->flags & F` for a flag F every reclaim context has."""
        if n.type != "binary_expression" or _text(n.child_by_field_name("operator")) != "&":
            return False
        left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
        sides = {_text(_strip(left)) if left else "", _text(_strip(right)) if right else ""}
        return "current->flags" in sides and bool(sides & self.task_flags)

    def _false(self, cond: Node) -> list[Guard]:
        """The guards that hold when COND is false: a flipped comparison, or
        `!f(..)`, `!p` turned round; both sides of `a || b`."""
        cond = _strip(cond)
        if (sides := _operands(cond, "||")) is not None:
            return [g for sub in sides for g in self._false(sub)]
        if cond.type == "unary_expression" and _text(cond.child_by_field_name("operator")) == "!":
            inner = cond.child_by_field_name("argument")
            return self.conjunction(inner) if inner is not None else []
        a = self.atom(cond)
        if a is not None and a[1] in FLIP:
            return [(a[0], FLIP[a[1]], a[2])]
        return []

    def arg(self, n: Node) -> Arg | None:
        n = _strip(n)
        if n.type == "cast_expression":  # `(ubifs_lpt_scan_callback)fn`
            inner = n.child_by_field_name("value")
            if inner is not None and inner.type == "identifier" and self._named(_text(inner)):
                return ("a", _text(inner))
            return None
        if n.type == "pointer_expression" and _text(n).startswith("&"):
            inner = n.child_by_field_name("argument")
            # `&sx`, or `&sx.context`: a record, or a member of one
            got = records.address_of(n)
            if got is not None and got[0] in self.records:
                assert self._body is not None
                return records.record_arg(self.records[got[0]], n, self._body, got[1])
            if (
                inner is not None
                and inner.type == "identifier"
                and _text(inner) in self.null_locals
            ):
                return ("r", "NULL")
            if inner is not None and inner.type == "identifier" and self._named(_text(inner)):
                return ("a", _text(inner))
        if n.type in ("call_expression", "pointer_expression"):
            same = self._same_of(n)
            return ("s", str(same)) if same is not None else None
        if n.type == "binary_expression" and (bits := _bits(n)):
            return ("b", "|".join(bits))
        if n.type not in (
            "number_literal",
            "null",
            "true",
            "false",
            "identifier",
            "unary_expression",
        ):
            return None
        text = (n.text or b"").decode("latin-1")
        if constant(text):
            return ("c", text)
        if n.type == "identifier":
            if (i := self._constant_param(text)) is not None:
                return ("p", str(i))
            if text in self.deref and text not in self.assigns and self._stable(text, n):
                return ("p", str(self.index[text]))
            if text in self.truth:
                i, flip = self.truth[text]
                return ("n" if flip else "t", str(i))
            if text in self.choice:
                return ("x", self.choice[text])
            if text in self.same:
                return ("s", str(self.same[text]))
            if self._named(text):
                return ("a", text)
        return None

    def _named(self, name: str) -> bool:
        """NAME is no parameter and nothing here writes it: a function or a
        global (Program keeps only the functions)."""
        return name not in self.index and name not in self._writes


def _bits(n: Node) -> list[str]:
    """The constants of an `|` chain (`XBF_INCORE | flags`): bits it sets."""
    if n.type == "parenthesized_expression":
        return _bits(_strip(n))
    if n.type == "identifier":
        return [_text(n)] if _CONST.match(_text(n)) else []
    if (sides := _operands(n, "|")) is None:
        return []
    return sorted({b for side in sides for b in _bits(side)})


def _unnegated(n: Node) -> tuple[Node, bool]:
    """N without its parentheses and `!`s, and whether they negate it."""
    n = _strip(n)
    neg = False
    while n.type == "unary_expression" and _text(n.child_by_field_name("operator")) == "!":
        neg = not neg
        n = _strip(n.child_by_field_name("argument") or n)
    return n, neg


def _operands(n: Node, op: str) -> list[Node] | None:
    """Both sides of N if N is `a OP b`, else None."""
    if n.type != "binary_expression" or _text(n.child_by_field_name("operator")) != op:
        return None
    sides = (n.child_by_field_name("left"), n.child_by_field_name("right"))
    return [x for x in sides if x is not None]


def _truth_arg(n: Node) -> Node | None:
    """X of `WARN_ON_ONCE(X)`, `unlikely(X)` and the like."""
    if n.type != "call_expression":
        return None
    fn = n.child_by_field_name("function")
    args = n.child_by_field_name("arguments")
    named = [a for a in args.named_children if a.type != "comment"] if args else []
    if fn is None or _text(fn) not in _TRUTH_OF or len(named) != 1:
        return None
    return _strip(named[0])
