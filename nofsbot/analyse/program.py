"""Whole-program scope analysis over the facts of many files.

1. Resolve calls: a static function in the same file (or a header it
   includes) first, then a global one, then through function-like macros.
2. Scope summaries: a function that opens or closes a scope without the
   other (say, commits a transaction its caller started) changes the state of
   its callers; computed to a fixpoint together with the walks (ir.py).
3. Entry contexts: for each function, whether it can be entered inside a
   scope ("in"), outside one ("out"), or from somewhere nofsbot cannot see
   ("unk"): callers' states at their call sites, work functions (a fresh,
   empty scope), ops tables and exports (unknown), configured scoped
   functions and scoped ops fields (in). A fixpoint over the call graph.
4. Per site: the set of contexts it can run in, and a witness for each.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from nofsbot.analyse import fnptrs, guards, includes, ir, records, scopes, via
from nofsbot.analyse.facts import INDIRECT, FileFacts, Ref

# Fn and its witnesses live in fn.py; the rest of the analysis names them here
from nofsbot.analyse.fn import KTHREAD as KTHREAD
from nofsbot.analyse.fn import TASK as TASK
from nofsbot.analyse.fn import CallWitness as CallWitness
from nofsbot.analyse.fn import Fn as Fn
from nofsbot.analyse.fn import RootWitness as RootWitness
from nofsbot.analyse.locks import resolve_class
from nofsbot.config import Config
from nofsbot.entries import OpsEntry

log = logging.getLogger(__name__)

IN, OUT, UNK = "in", "out", "unk"

DESIGNATOR = re.compile(r"^\w+(?:\.\w+)+$")


@dataclass(frozen=True)
class Roots:
    """Knowledge from outside the analysed files."""

    # global function name -> a path outside the analysed set that mentions it
    external: dict[str, str]


class Program:
    def __init__(self, files: list[FileFacts], cfg: Config, roots: Roots | None = None) -> None:
        self.cfg = cfg
        # in path order: the first witness of a context must not depend on
        # the order the facts came in (from the cache or from workers)
        self.files = {f.path: f for f in sorted(files, key=lambda f: f.path)}
        self.fns: list[Fn] = []
        self.static: dict[tuple[str, str], list[int]] = {}
        self.globals: dict[str, list[int]] = {}
        self.macros: dict[str, tuple[str, ...]] = {}
        self.roots = roots or Roots({})
        for f in sorted(files, key=lambda f: f.path):
            for name, called in f.macro_calls.items():
                self.macros.setdefault(name, called)  # the first definition, as a last resort
            for ff in f.functions:
                if not ff.name:
                    continue
                fn = Fn(len(self.fns), f.path, ff)
                self.fns.append(fn)
                if ff.static:
                    self.static.setdefault((f.path, ff.name), []).append(fn.id)
                else:
                    self.globals.setdefault(ff.name, []).append(fn.id)
        self.by_file: dict[str, list[int]] = {}
        for fn in self.fns:
            self.by_file.setdefault(fn.path, []).append(fn.id)
        self._headers = includes.headers(self.files)
        self._static_names: dict[str, list[str]] = {}
        for p, n in self.static:
            self._static_names.setdefault(p, []).append(n)
        self._in_headers: dict[str, dict[str, str]] = {}
        self.header_inlines: dict[str, list[int]] = {}
        for (path, name), ids in self.static.items():
            if path.startswith("include/"):
                self.header_inlines.setdefault(name, []).extend(ids)
        # struct -> field -> type, and where each struct is defined
        self.structs: dict[str, dict[str, str]] = {}
        self.struct_home: dict[str, str] = {}
        for f in self.files.values():
            for st, fields in f.structs.items():
                self.structs.setdefault(st, {}).update(fields)
                self.struct_home.setdefault(st, f.path)
        # locks the kernel holds around a call it makes back into the
        # analysed code (fill_super under s_umount): (caller, call) -> classes
        self.call_holds: dict[tuple[int, int], tuple[tuple[str, ...], str]] = {}
        # locks held when code outside calls a function (->lookup under the
        # parent's i_rwsem): function -> class -> why
        self.entry_holds: dict[int, dict[str, RootWitness]] = {}
        self.indirect: set[tuple[str, str]] = set()  # S.F called through in this code
        self.uncalled: set[int] = set()  # global functions nothing calls (contexts())
        # (function, binding) -> element -> how it got there (flow.py)
        self.node_why: dict[tuple[int, guards.Binding], dict[str, RootWitness | CallWitness]] = {}
        # function -> the bindings it is entered with (flow.entered())
        self.node_index: dict[int, list[guards.Binding]] = {}
        self.live: set[tuple[int, int]] = set()  # (caller, call) that can run with a context
        self._resolve()
        self._record_args()
        # function -> parameters only called or handed on (fnptrs.py)
        self.contained: dict[int, frozenset[int]] = {}
        # (caller, call) -> functions it passes to parameters the callee
        # calls; function -> the callers passing it so
        self.passed_at: dict[tuple[int, int], tuple[int, ...]] = {}
        self.passers: dict[int, set[int]] = {}
        fnptrs.link(self)
        self._call_guards()

    def _record_args(self) -> None:
        """An `&local` argument ("f": records.py) keeps only the fields that
        no function given the address before could have written; a function
        that is not in the analysed code, or hands the pointer on, leaves
        none known."""
        for fn in self.fns:
            for ci, args in fn.facts.cargs:
                if not any(a is not None and a[0] == "f" for a in args):
                    continue
                fixed: list[guards.Arg | None] = []
                for a in args:
                    if a is None or a[0] != "f":
                        fixed.append(a)
                        continue
                    spec, _, before = a[1].partition("\x00")
                    fields: dict[str, str] | None = records.parse(spec)
                    for taker in filter(None, before.split(",")):
                        callee, _, pos = taker.rpartition("@")
                        targets = self.resolve(fn.path, callee)
                        writes = {
                            f
                            for t in targets
                            for k, f in self.fns[t].facts.field_writes
                            if k == int(pos)
                        }
                        if fields is None or not targets or "*" in writes:
                            fields = None
                            break
                        fields.update({f: records.UNKNOWN for f in writes})
                    fixed.append(("f", records.spec(fields)) if fields is not None else None)
                fn.record_args[ci] = tuple(fixed)

    # -- resolution --------------------------------------------------------

    def resolve(self, path: str, name: str, depth: int = 0) -> tuple[int, ...]:
        hit = self.static.get((path, name))
        if hit:
            return tuple(hit)
        h = self._header_defining(path).get(name)
        if h is not None:
            hit = self.static[(h, name)]
            if hit:
                # a static inline stub in a header (`#else static inline int
                # xrep_attempt(..) { return -EOPNOTSUPP; }`) stands for the
                # real function in the other configuration: both can run
                return tuple(dict.fromkeys([*hit, *self.globals.get(name, ())]))
        hit = self.globals.get(name)
        if hit:
            return tuple(hit)
        # an inline of the kernel's headers reached through another header
        # (xfs_dir2_readdir.c gets dir_emit() from <linux/fs.h> by way of
        # xfs_linux.h): the kernel has one definition of it
        hit = self.header_inlines.get(name)
        if hit:
            return tuple(hit)
        if depth == 0:
            called = self._macro(path, name)
            if called is None:
                return ()
            out: list[int] = []
            for c in called:
                if c != name:
                    out += self.resolve(path, c, 1)
            return tuple(dict.fromkeys(out))
        return ()

    def _header_defining(self, path: str) -> dict[str, str]:
        """Static name -> the first header PATH includes that defines it."""
        got = self._in_headers.get(path)
        if got is None:
            got = {}
            for h in self._headers.get(path, ()):
                for name in self._static_names.get(h, ()):
                    got.setdefault(name, h)
            self._in_headers[path] = got
        return got

    def _macro(self, path: str, name: str) -> tuple[str, ...] | None:
        """What the function-like macro NAME calls, as PATH sees it: its own
        definition first, then one in a header it includes, then any (five
        filesystems define test_opt)."""
        own = self.files.get(path)
        if own is not None and name in own.macro_calls:
            return own.macro_calls[name]
        for h in self._headers.get(path, ()):
            if name in self.files[h].macro_calls:
                return self.files[h].macro_calls[name]
        return self.macros.get(name)

    def field_of(self, callee: str) -> tuple[str, str] | None:
        """The struct and field a call through a pointer goes to:
        `*afs_operation.ops.issue_afs_rpc ..` -> (afs_operation_ops, issue_afs_rpc)."""
        return self._struct_field(callee[len(INDIRECT) :].partition(" ")[0])

    def _struct_field(self, chain: str) -> tuple[str, str] | None:
        """TYPE.field.field resolved through the struct field types to the
        struct and field it ends in, or None where a type is not known."""
        parts = resolve_class(chain, self.structs).split(".")
        if len(parts) != 2 or parts[0].startswith("?") or parts[1] == "?":
            return None
        return parts[0], parts[1]

    def slot(self, detail: str) -> tuple[str, str] | None:
        """The struct and field a designated initialiser stores into:
        `xchk_dir_ctx.dir_iter.actor` is dir_context.actor (its field types)."""
        if not DESIGNATOR.match(detail):
            return None
        parts = resolve_class(detail, self.structs).split(".")
        return (parts[0], parts[1]) if len(parts) == 2 else None

    def slot_of(self, r: Ref) -> tuple[str, str] | None:
        """The struct and field reference R stores its function into: a
        designated initialiser's, or an assignment's typed target."""
        if not r.target or r.role not in ("ops", "scoped-ops"):
            return self.slot(r.detail)
        return self._struct_field(r.target)

    def _stored(self) -> dict[tuple[str, str], list[int]]:
        """Functions stored in each STRUCT.FIELD by a designated initialiser
        or an assignment (slot_of())."""
        out: dict[tuple[str, str], list[int]] = {}
        for f in self.files.values():
            for r in f.refs:
                if r.role not in ("ops", "scoped-ops"):
                    continue
                sf = self.slot_of(r)
                if sf is None:
                    continue
                for t in self.resolve(f.path, r.name, 1):
                    out.setdefault(sf, []).append(t)
        return out

    @cached_property
    def _lock_ops(self) -> frozenset[str]:
        """Calls config/reclaim.toml says take or release a lock: their bodies,
        where a header defines them (f2fs_down_write()), are not followed."""
        r = self.cfg.reclaim
        wrappers = {n for w in r.wrappers for n in (w.name, w.trylock, w.release) if n}
        return frozenset(r.acquire | r.trylock | r.release | wrappers)

    def _resolve(self) -> None:
        stored = self._stored()
        self.stored = stored
        by_struct: dict[str, list[tuple[str, list[int]]]] = {}
        for (st, fld), ids in stored.items():
            by_struct.setdefault(st, []).append((fld, ids))
        helpers = self.cfg.entries.via_calls()
        objects = via.ops_objects(self)
        given = via.given(self)
        memo: dict[tuple[str, str], tuple[int, ...]] = {}
        for fn in self.fns:
            fn.callees = []
            args = dict(fn.facts.cargs)
            for ci, (callee, line) in enumerate(fn.facts.calls):
                k = (fn.path, callee)
                targets = memo.get(k)
                named = given.get((fn.path, fn.name, line, callee), ())
                by_object: tuple[int, ...] = ()
                # `d_add(dentry, NULL)` calls no hook back: the entries whose
                # argument is NULL at this call are not its callees
                per_call = callee in helpers and any(
                    callee in dict(e.nonnull) for e in helpers[callee]
                )
                if per_call and not self.resolve(fn.path, callee):
                    live = [e for e in helpers[callee] if not _null(args.get(ci, ()), e, callee)]
                    targets = via.stored_callees(live, by_struct)
                    named = ()
                if callee in helpers and named and not self.resolve(fn.path, callee):
                    # the ops objects this call is given, if it is given one
                    by_object = via.object_callees(helpers[callee], objects, named)
                    targets = by_object or None
                if targets is None:
                    if callee.startswith(INDIRECT):
                        sf = self.field_of(callee)
                        targets = tuple(dict.fromkeys(stored.get(sf, ()))) if sf else ()
                        if sf and targets:
                            self.indirect.add(sf)
                    elif callee in self._lock_ops:
                        targets = ()  # what a configured lock call does is data
                    else:
                        targets = self.resolve(fn.path, callee)
                        if not targets and callee in helpers:
                            targets = via.stored_callees(helpers[callee], by_struct)
                    if not named and not per_call:
                        memo[k] = targets
                if targets and callee in helpers and not callee.startswith(INDIRECT):
                    holds = tuple(dict.fromkeys(h for e in helpers[callee] for h in e.holds))
                    if holds and not self.resolve(fn.path, callee):
                        self.call_holds[(fn.id, ci)] = (holds, f"{callee}() calls back")
                for t in by_object:
                    # a helper given its ops object (iomap_file_buffered_write(
                    # iocb, from, &ops)) passes the op arguments of its own;
                    # one that is not passes on its object (iput(inode) ->
                    # ->evict_inode(inode)), and the binding with it
                    fn.callback_args[(ci, t)] = ()
                fn.callees.append(targets)
                for t in targets:
                    self.fns[t].callers.append((fn.id, ci))
        self._callbacks()

    def _call_guards(self) -> None:
        """A guard that a call returned true becomes the conditions the
        callee's `return A && B;` puts on the parameters passed to it."""
        for fn in self.fns:
            for ci, gs in fn.facts.guards:
                if not any(g[1] == "call" for g in gs):
                    continue
                out: list[guards.Guard] = []
                for g in gs:
                    if g[1] != "call":
                        out.append(g)
                        continue
                    name, _, spec = g[2].partition("\x00")
                    targets = self.resolve(fn.path, name)
                    if len(targets) != 1:
                        continue
                    passed = dict(kv.split("=") for kv in spec.split(";") if kv)
                    for k, op, value in self.fns[targets[0]].facts.result_terms:
                        if str(k) in passed:
                            out.append((int(passed[str(k)]), op, value))
                fn.call_guards[ci] = tuple(out)

    def _callbacks(self) -> None:
        """A function passed to a call that calls it back (fill_super to
        get_tree_bdev) is a callee of that call."""
        for f in self.files.values():
            for r in f.refs:
                if r.role != "callback":
                    continue
                caller = self.function_at(f.path, r.function, r.line)
                call, _, idx = r.detail.partition("#")
                cb = self.cfg.entries.callback(call, int(idx))
                if caller is None or cb is None:
                    continue
                # the call the argument belongs to: the last one before it
                calls = caller.facts.calls
                ci = max(
                    (i for i, (c, ln) in enumerate(calls) if c == call and ln <= r.line), default=-1
                )
                if ci < 0:
                    continue
                targets = self.resolve(f.path, r.name, 1)
                new = tuple(t for t in targets if t not in caller.callees[ci])
                caller.callees[ci] = caller.callees[ci] + new
                for t in new:
                    self.fns[t].callers.append((caller.id, ci))
                if cb.holds:
                    self.call_holds[(caller.id, ci)] = (cb.holds, f"{call}(): {cb.note}")
                if cb.args:
                    fixed = tuple(sorted((int(k), ("c", str(v))) for k, v in cb.args.items()))
                    for t in targets:
                        caller.callback_args[(ci, t)] = fixed

    # -- scope summaries (scopes.py) -----------------------------------------

    def effect(self, fn: Fn, ci: int) -> tuple[str, frozenset[int] | None]:
        return scopes.effect(self, fn, ci)

    def walk_all(self) -> None:
        scopes.walk_all(self)

    # -- entry contexts ----------------------------------------------------

    def contexts(self) -> None:
        """Entry contexts of every function (roots.py)."""
        from nofsbot.analyse import roots

        roots.contexts(self)

    def next_why(self, w: CallWitness, elem: str) -> RootWitness | CallWitness | None:
        """How the caller of W got ELEM, along the calls that ran with W's binding."""
        got = self.node_why.get((w.caller, w.binding), {}).get(elem)
        return got if got is not None else self.fns[w.caller].why.get(elem)

    def _call_context(self, g: Fn, event: int) -> set[str]:
        return self.elems(g, g.state_at(event))

    def elems(self, g: Fn, states: frozenset[int], entry: set[str] | None = None) -> set[str]:
        """The contexts (IN, OUT, UNK) a point of G with STATES runs in;
        ENTRY: the ones G is entered with, if not all of G.entry."""
        out: set[str] = set()
        for s in states:
            if s >= 1:
                out.add(IN)
            elif s == ir.OUT:
                out.add(OUT)
            else:
                out |= g.entry if entry is None else entry
        return out

    def analyse(self) -> None:
        self.walk_all()
        self.contexts()

    # -- queries -----------------------------------------------------------

    def function_at(self, path: str, name: str | None, line: int) -> Fn | None:
        for fid in self.by_file.get(path, ()):
            fn = self.fns[fid]
            if fn.name == name and fn.facts.line <= line <= fn.facts.end_line:
                return fn
        return None

    def mask_flow(
        self, path: str, callee: str, index: int, depth: int | None = None
    ) -> Iterator[tuple[Fn, int]]:
        """Where a mask passed as argument INDEX of CALLEE (called in PATH)
        goes: each function with the parameter it arrives in, then the ones
        that parameter is passed on to (gfp forwarded as is), depth first, at
        most DEPTH calls deeper."""
        seen: set[tuple[int, int]] = set()
        stack = [(t, index, 0) for t in self.resolve(path, callee)]
        while stack:
            fid, idx, d = stack.pop()
            if (fid, idx) in seen or (depth is not None and d > depth):
                continue
            seen.add((fid, idx))
            f = self.fns[fid]
            yield f, idx
            for p, c, j in f.facts.forwards:
                if p == idx:
                    stack += [(t, j, d + 1) for t in self.resolve(f.path, c)]

    def ignores_gfp(self, path: str, callee: str, index: int) -> str | None:
        """If CALLEE, wherever it resolves, never reads its gfp argument
        INDEX, say where it is defined."""
        targets = [self.fns[t] for t in self.resolve(path, callee)]
        # a header's inline may be the stub of a configuration that
        # compiles the real function out (fscrypt_encrypt_block_inplace())
        if not targets or any(
            index not in f.facts.unread_gfp or f.path.startswith("include/") for f in targets
        ):
            return None
        f = targets[0]
        return f"{f.name}() ({f.path}:{f.facts.line}) never reads its gfp argument"

    def tests_gfp(self, path: str, callee: str, index: int) -> str | None:
        """If CALLEE reads its argument INDEX as a signal, say where."""
        if self.cfg.apis.signal.get(callee) == index:
            return f"{callee}() tests __GFP_FS in its gfp argument"
        for f, idx in self.mask_flow(path, callee, index):
            if idx in f.facts.tested_params:
                return f"{f.name}() ({f.path}:{f.facts.line}) tests __GFP_FS in that argument"
            for p, c, j in f.facts.forwards:
                if p == idx and self.cfg.apis.signal.get(c) == j:
                    return f"{f.name}() passes it to {c}(), which tests __GFP_FS"
        return None


def _null(args: tuple[Any, ...], e: OpsEntry, callee: str) -> bool:
    """Argument E.nonnull[CALLEE] of a call with ARGS is the NULL constant."""
    k = dict(e.nonnull).get(callee)
    return k is not None and k < len(args) and args[k] == ("c", "NULL")
