"""Parse one C file with tree-sitter and extract its FileFacts."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable

import tree_sitter_c
from tree_sitter import Language, Node, Parser, Query, QueryCursor

from nofsbot.analyse import (
    callresult,
    fnfacts,
    fresh,
    ir,
    pseudocalls,
    scopes,
    syntax,
    workitems,
)
from nofsbot.analyse.branches import carried, conditions
from nofsbot.analyse.facts import (
    FLAGS_CLEAR,
    FLAGS_SET,
    TASK_SLEEP,
    Alloc,
    FileFacts,
    FuncFacts,
)
from nofsbot.analyse.guards import Params
from nofsbot.analyse.locks import ACQUIRE, RELEASE, LockReader
from nofsbot.analyse.preprocess import MACRO_BODY, Preprocessor, line_start_matches
from nofsbot.analyse.refs import VIA, references
from nofsbot.analyse.sites import SiteReader
from nofsbot.config import Config
from nofsbot.model import FileProblem, Kind, Occurrence, Site

NOFS_TOKENS = ("GFP_NOFS", "KM_NOFS")
_STRUCT_DEF_RE = re.compile(rb"\bstruct\s+\w+\s*\{")
_TOKENS = ("GFP_NOFS", "KM_NOFS", "__GFP_FS", "PF_MEMALLOC_NOFS", "PF_MEMALLOC_NOIO")
_EXPORT_RE = re.compile(rb"\b(EXPORT_SYMBOL(?:_GPL)?(?:_NS|_NS_GPL)?)\s*\(\s*(\w+)")
_INCLUDE_RE = re.compile(rb"#[ \t]*include[ \t]*[<\"]([^>\"]+)[>\"]")
_QUERIES = """
(function_definition) @func
(call_expression function: (identifier) @callee) @call
(call_expression function: (field_expression) @fcallee)
(call_expression
  function: (parenthesized_expression (pointer_expression argument: (identifier) @dcallee)))
(argument_list (identifier) @arg)
(argument_list (pointer_expression argument: (identifier) @arg))
(argument_list (cast_expression value: (identifier) @arg))
(initializer_pair value: (identifier) @init)
(initializer_pair value: (pointer_expression argument: (identifier) @init))
(assignment_expression right: (identifier) @assign)
(assignment_expression
  left: (field_expression)
  right: (pointer_expression operator: "&" argument: (identifier) @assign_addr))
(assignment_expression left: (identifier) @write)
(update_expression argument: (identifier) @write)
(pointer_expression argument: (identifier) @address)
(init_declarator declarator: (identifier) @write)
(init_declarator declarator: (pointer_declarator declarator: (identifier) @write))
"""


class Extractor:
    """One per worker process: owns the parser, queries and compiled macros."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.lang = Language(tree_sitter_c.language())
        self.parser = Parser(self.lang)
        self.query = Query(self.lang, _QUERIES)
        self.pp = Preprocessor(cfg.macros)
        self.apis = cfg.apis
        self.sites = SiteReader(cfg.apis)
        self.roles: dict[str, dict[int, str]] = {}
        for callee, idx in cfg.roots.work.items():
            self.roles.setdefault(callee, {})[idx] = "work"
        for cb in cfg.entries.callbacks:
            for callee, idx in cb.calls.items():
                self.roles.setdefault(callee, {})[idx] = "callback"
        for cb in cfg.entries.inits:
            for callee, idx in cb.calls.items():
                self.roles.setdefault(callee, {})[idx] = "init"
        for callee in cfg.entries.via_calls():
            self.roles.setdefault(callee, {})[VIA] = "via"
        for callee, idx in cfg.roots.drained.register.items():
            self.roles.setdefault(callee, {})[idx] = "drained"
        for callee, idx in cfg.roots.drained.within.items():
            self.roles.setdefault(callee, {})[idx] = "within"
        self.ignore_callee = re.compile(cfg.roots.ignore_callee)
        self.scoped_ops = {(o.struct, f) for o in cfg.providers.ops for f in o.fields}
        self.flags_save = set(cfg.providers.explicit.flags_save)
        self.flags_restore = set(cfg.providers.explicit.flags_restore)
        self.flag_bits = set(cfg.providers.explicit.flag_bits)
        self.locks = LockReader(cfg.reclaim)
        self.wait_names = set(cfg.roots.wait)
        # a removal that waits for the operations running on its argument
        # sleeps on that object until they end ([drained])
        self.sleep_calls = {**{r: 0 for r in cfg.roots.drained.remove}, **cfg.roots.sleep}
        self.wake_calls = cfg.roots.wake
        self.task_sleep = frozenset(cfg.roots.task_sleep)
        self.queue_calls = cfg.roots.queue
        self.wq = cfg.roots.workqueue
        self.fs_masks = cfg.reclaim.fs_masks
        self.pagecache = cfg.reclaim.pagecache
        self.same_object = cfg.reclaim.same_object
        self.task_flags = cfg.reclaim.task_flags
        self.nonnegative = cfg.reclaim.nonnegative
        self.carried = cfg.reclaim.carried
        self.pagecache_gfp = cfg.reclaim.pagecache_gfp
        words = sorted({*_TOKENS, *self.fs_masks}, key=len, reverse=True)
        self.token_re = re.compile(rb"\b(" + b"|".join(w.encode() for w in words) + rb")\b")
        # the conditional directives of the file being read (ir.build)
        self._conds: tuple[ir.Directive, ...] = ()
        self._macro_text = b""

    def extract(self, path: str, src: bytes) -> FileFacts:
        prepared = self.pp.prepare(src)
        self._conds = prepared.conds
        # the file's #define bodies: a macro may name a caller's gfp variable
        self._macro_text = b"\n".join(
            src[r.start : r.end] for r in prepared.regions if r.category == MACRO_BODY
        )
        root = self.parser.parse(prepared.text).root_node
        caps = QueryCursor(self.query).captures(root)
        # the order of captures depends on what the parser parsed before;
        # sort them so the facts depend on this file alone
        for nodes in caps.values():
            nodes.sort(key=lambda n: (n.start_byte, -n.end_byte))

        funcs = sorted(caps.get("func", []), key=lambda n: n.start_byte)
        # keep the outermost definitions (error recovery can nest them)
        outer: list[Node] = []
        for f in funcs:
            if outer and f.start_byte < outer[-1].end_byte:
                continue
            outer.append(f)
        fstarts = [f.start_byte for f in outer]

        def func_of(offset: int) -> int:
            i = bisect.bisect_right(fstarts, offset) - 1
            if i >= 0 and offset < outer[i].end_byte:
                return i
            return -1

        fn_types: dict[int, dict[str, str]] = {}

        def types_of(fi: int) -> dict[str, str]:
            """The declared types of function FI's variables, read once."""
            if fi not in fn_types:
                fn_types[fi] = self.locks.var_types(outer[fi]) if fi >= 0 else {}
            return fn_types[fi]

        # calls, per function, as (start, end, callee, line, node)
        fcalls: list[list[tuple[int, int, str, int, Node]]] = [[] for _ in outer]
        # `(*fn)(x)`: a call through the pointer fn, named "(*fn)"
        named = [(c.parent, (c.text or b"").decode()) for c in caps.get("callee", [])]
        for c in caps.get("dcallee", []):
            # identifier < pointer_expression < parenthesized_expression < call
            p = c.parent.parent if c.parent is not None else None
            named.append((p.parent if p is not None else None, f"(*{(c.text or b'').decode()})"))
        for call, name in named:
            assert call is not None
            fi = func_of(call.start_byte)
            if fi < 0:
                continue
            if self.ignore_callee.match(name):
                continue  # container_of(), tracepoint definitions: no call
            if name in self.flags_save or name in self.flags_restore:
                arglist = call.child_by_field_name("arguments")
                args = syntax.fold(arglist.text if arglist is not None else b"")
                if name in self.flags_restore or any(b in args for b in self.flag_bits):
                    name = FLAGS_SET if name in self.flags_save else FLAGS_CLEAR
            fcalls[fi].append((call.start_byte, call.end_byte, name, call.start_point[0] + 1, call))

        pseudocalls.indirect(self.locks, caps.get("fcallee", []), types_of, func_of, fcalls, root)
        # per function: where each name is written, the names stored into a
        # struct field, and its `x = f(..);` statements
        fwrites, fstores, fassigns = fnfacts.by_function(
            caps, len(outer), func_of, lambda n, fi: self.locks.chain(n, types_of(fi))
        )

        sites: list[Site] = []
        site_funcs: list[int] = []
        site_offsets: list[tuple[int, int]] = []
        occurrences: list[Occurrence] = []
        problems: list[FileProblem] = []
        tested: dict[int, set[str]] = {}
        regions = prepared.regions

        allocs: list[Alloc] = []
        alloc_funcs: list[int] = []
        alloc_offsets: list[tuple[int, int]] = []
        for m in self.token_re.finditer(src):
            token = m.group(1).decode()
            start, end = m.start(1), m.end(1)
            line = src.count(b"\n", 0, start) + 1
            category = syntax.region_category(regions, start, token)
            if category is not None:
                if token in NOFS_TOKENS:
                    occurrences.append(Occurrence(path, line, token, category))
                continue
            node = root.descendant_for_byte_range(start, end)
            if node is None:
                continue
            if node.type == "comment":
                if token in NOFS_TOKENS:
                    occurrences.append(Occurrence(path, line, token, "comment"))
                continue
            if syntax.inside(node, ("string_literal", "char_literal", "string_content")):
                if token in NOFS_TOKENS:
                    occurrences.append(Occurrence(path, line, token, "string"))
                continue
            fi = func_of(start)
            if token in self.fs_masks:
                alloc = syntax.fs_alloc(src, node, token, line, start)
                if alloc is not None and fi >= 0:
                    allocs.append(alloc)
                    alloc_funcs.append(fi)
                    alloc_offsets.append((start, end))
                continue
            if token.startswith("PF_MEMALLOC"):
                pseudocalls.flag_write(node, fi, fcalls)
                continue
            if token == "__GFP_FS" and not syntax.under_complement(node):
                if fi >= 0:
                    test = syntax.tested_operand(node)
                    if test:
                        tested.setdefault(fi, set()).add(test)
                continue
            site = self.sites.site(path, src, node, token, line, start, fi, outer, fcalls)
            sites.append(site)
            site_funcs.append(fi)
            site_offsets.append((start, end))
            if site.kind is Kind.UNPARSED:
                problems.append(FileProblem(path, line, f"{token} in code that does not parse"))

        # allocations are events after the sites in the skeletons
        ev_funcs = site_funcs + alloc_funcs
        ev_offsets = site_offsets + alloc_offsets
        functions = []
        for fi, fnode in enumerate(outer):
            functions.append(
                self._function(
                    fnode,
                    fi,
                    types_of,
                    fcalls[fi],
                    ev_funcs,
                    ev_offsets,
                    tested.get(fi, set()),
                    fwrites[fi],
                    fassigns[fi],
                    fstores[fi],
                )
            )

        mappings = tuple(
            (si, *syntax.mapping_keys(outer[fi], site_offsets[si][0]))
            for si, (site, fi) in enumerate(zip(sites, site_funcs, strict=True))
            if site.kind is Kind.MAPPING and fi >= 0
        )

        def work_of(call: Node) -> str:
            return pseudocalls.call_object(self.locks, call, 0, types_of(func_of(call.start_byte)))

        def typed(node: Node) -> str:
            return self.locks.chain(node, types_of(func_of(node.start_byte)))

        def task_of(call: Node) -> str:
            fi = func_of(call.start_byte)
            body = outer[fi].child_by_field_name("body") if fi >= 0 else None
            kept = syntax.result_kept_in(call, body)
            return typed(kept) if kept is not None else ""

        refs = references(
            caps,
            outer,
            func_of,
            self.roles,
            self.ignore_callee,
            self.scoped_ops,
            work_of,
            typed,
            task_of,
        )
        exports = tuple(
            sorted(
                {
                    (m.group(2).decode(), src.count(b"\n", 0, m.start()) + 1, m.group(1).decode())
                    for m in _EXPORT_RE.finditer(src)
                }
            )
        )
        includes = tuple(
            sorted({m.group(1).decode() for _, m in line_start_matches(_INCLUDE_RE, src)})
        )
        return FileFacts(
            path=path,
            functions=tuple(functions),
            sites=tuple(sites),
            site_funcs=tuple(site_funcs),
            occurrences=tuple(occurrences),
            refs=refs,
            exports=exports,
            includes=includes,
            macro_calls=prepared.macro_calls,
            problems=tuple(problems),
            allocs=tuple(allocs),
            alloc_funcs=tuple(alloc_funcs),
            structs=self.locks.struct_fields(root) if _STRUCT_DEF_RE.search(src) else {},
            mappings=mappings,
            stores=self.sites.stores(sites, allocs, site_offsets, alloc_offsets, root),
            lookups=self.sites.lookups(sites, site_offsets, root),
        )

    # -- functions ---------------------------------------------------------

    def _function(
        self,
        fnode: Node,
        fi: int,
        types_of: Callable[[int], dict[str, str]],
        calls: list[tuple[int, int, str, int, Node]],
        ev_funcs: list[int],
        ev_offsets: list[tuple[int, int]],
        tested_names: set[str],
        writes: dict[str, list[int]],
        assigns: list[tuple[str, Node]],
        stores: list[tuple[str, Callable[[], str]]],
    ) -> FuncFacts:
        decl = syntax.function_declarator(fnode)
        name = syntax.decl_name(decl) or ""
        static = any(
            c.type == "storage_class_specifier" and c.text == b"static" for c in fnode.children
        )
        # evaluation order: a call's arguments before the call
        calls.sort(key=lambda c: (c[1], -c[0]))
        params = fnfacts.gfp_params(decl)
        tested = tuple(i for i, p in enumerate(params) if p and p in tested_names)
        forwards: list[tuple[int, str, int]] = []
        if any(params):
            for _, _, callee, _, cnode in calls:
                args = cnode.child_by_field_name("arguments")
                if args is None:
                    continue
                ai = 0
                for a in args.named_children:
                    if a.type == "comment":
                        continue
                    if a.type == "identifier" and a.text:
                        t = a.text.decode()
                        if t in params:
                            forwards.append((params.index(t), callee, ai))
                    ai += 1
        skeleton = None
        body = fnode.child_by_field_name("body")
        has_site = fi in ev_funcs

        def var_types() -> dict[str, str]:
            return types_of(fi)

        results, marks = scopes.begin_results(self.cfg, var_types, [(c[2], c[4]) for c in calls])
        if body is not None and (calls or has_site):
            events = [(c[0], c[1], i) for i, c in enumerate(calls)]
            for si, sfi in enumerate(ev_funcs):
                if sfi == fi:
                    s, e = ev_offsets[si]
                    events.append((s, e, -1 - si))
            skeleton = ir.build(body, events, marks, self._conds)
        locks: list[tuple[int, str, str]] = []
        waits: list[tuple[int, str]] = []
        pagecache = tuple(
            (
                ci,
                syntax.resolve_local(fnode, syntax.arg_text(c[4], self.pagecache[c[2]]), c[0]),
                syntax.arg_text(c[4], self.pagecache_gfp[c[2]])
                if c[2] in self.pagecache_gfp
                else "",
            )
            for ci, c in enumerate(calls)
            if c[2] in self.pagecache
        )
        cookies = tuple(
            ci
            for ci, c in enumerate(calls)
            if c[2] in self.cfg.providers.explicit.save and syntax.stored_in_field(c[4])
        )
        own_ends = scopes.own_ends(self.cfg, [(c[2], c[4]) for c in calls])
        text: str | None = None
        queues: list[tuple[int, str, str]] = []
        workqueues: list[tuple[int, str, int]] = []
        objs: dict[str, list[tuple[int, str]]] = {"sleep": [], "wake": []}
        # locks handed to a transaction here (call, join, class), and the
        # calls that end it: a commit or cancel releases what was joined
        joins: list[tuple[int, str, str]] = []
        commits: list[tuple[int, str]] = []
        for ci, (_, _, callee, _, cnode) in enumerate(calls):
            if callee in self.task_sleep:
                objs["sleep"].append((ci, TASK_SLEEP))
            for kind, table in (("sleep", self.sleep_calls), ("wake", self.wake_calls)):
                if callee in table:
                    types = var_types()
                    obj = syntax.nth_arg(cnode, table[callee])
                    if obj is not None:
                        objs[kind].append((ci, self.locks.chain(obj, types)))
            if callee in self.locks.joins:
                if text is None:
                    text = (fnode.text or b"").decode("latin-1")
                joins += [(ci, callee, cls) for cls in self.locks.handed(callee, cnode, text)]
            elif callee in self.locks.releases_joined:
                commits += [(ci, j) for j in self.locks.releases_joined[callee]]
            op = self.locks.op(callee)
            if op is not None:
                types = var_types()
                if text is None:
                    text = (fnode.text or b"").decode("latin-1")
                found = self.locks.classes(callee, cnode, types, text)
                locks += [(ci, op, cls) for cls in found]
            elif callee in self.wait_names:
                types = var_types()
                waits.append((ci, pseudocalls.call_object(self.locks, cnode, 0, types)))
            elif callee in self.queue_calls or callee in self.wq.schedule:
                types = var_types()
                if callee in self.queue_calls:
                    at = self.queue_calls[callee]
                    wq = pseudocalls.call_object(self.locks, cnode, at - 1, types)
                else:  # schedule_work() and the like: on system_wq
                    at, wq = self.wq.schedule[callee], self.wq.system[0]
                queues.append((ci, wq, pseudocalls.call_object(self.locks, cnode, at, types)))
            elif callee in self.wq.alloc or callee in self.wq.rescued:
                types = var_types()
                made = callresult.assigned(cnode)
                if made is not None:
                    flags_at = self.wq.alloc.get(callee, -1)
                    rescued = (
                        1 if flags_at < 0 else workitems.rescuer(cnode, flags_at, self.wq.flags)
                    )
                    workqueues.append((ci, self.locks.chain(made, types), rescued))
        for ci, join in commits:
            locks += [(ci, RELEASE, c) for c in sorted({c for _, j, c in joins if j == join})]
        scope = (
            Params(
                fnode,
                decl,
                writes,
                self.same_object,
                self.task_flags,
                self.nonnegative,
                self.carried,
            )
            if body is not None
            else None
        )
        inits = syntax.call_inits(body, writes) if body is not None else {}
        users = self.cfg.apis.store_users
        store_uses = tuple(
            (ci, fnfacts.stored_object(syntax.arg_text(c[4], users[c[2]]), scope, inits, writes))
            for ci, c in enumerate(calls)
            if c[2] in users
        )
        arg_calls = tuple(
            (ci, k, inits[a])
            for ci, c in enumerate(calls)
            if inits
            for k, a in enumerate(syntax.arg_names(c[4]))
            if a in inits
        )
        guards, cargs = conditions(scope, body, [c[4] for c in calls])
        carries = carried(guards, cargs, frozenset(self.carried))
        fails = scopes.failing_returns(fnode)
        named = [(c[2], c[4]) for c in calls]
        pcalls = scope.param_calls(named) if scope is not None else ()
        made_objs, lock_roots, uses, ret_made = fresh.facts(
            body,
            [(c[2], c[4]) for c in calls],
            [ci for ci, op, _ in locks if op == ACQUIRE],
            writes,
            assigns,
            self.same_object,
        )
        journal, journal_clears = fnfacts.journal_info(body)
        return FuncFacts(
            name=name,
            static=static,
            line=fnode.start_point[0] + 1,
            end_line=fnode.end_point[0] + 1,
            calls=tuple((c[2], c[3]) for c in calls),
            ir=skeleton,
            gfp_params=params,
            tested_params=tested,
            forwards=tuple(sorted(set(forwards))),
            error=fnode.has_error,
            locks=tuple(locks),
            tests_fs=tuple(sorted(tested_names)),
            waits=tuple(waits),
            cookie_saves=cookies,
            own_ends=own_ends,
            pagecache=pagecache,
            store_uses=store_uses,
            ret_fields=syntax.returned_fields(body) if body is not None else (),
            arg_calls=arg_calls,
            guards=guards,
            cargs=cargs,
            carries=carries,
            field_writes=scope.field_writes(body) if scope is not None and body else (),
            unread_gfp=fnfacts.unread(params, body, self._macro_text),
            results=results,
            fail_returns=fails,
            ok_returns=scopes.success_returns(fnode, fails),
            result_terms=scope.result_terms(body) if scope is not None else (),
            hands_back=syntax.handed_back(fnode, decl),
            last_statement=syntax.last_statement(body),
            sleeps=tuple(objs["sleep"]),
            wakes=tuple(objs["wake"]),
            queues=tuple(queues),
            workqueues=tuple(workqueues),
            derefs=scope.derefs(body) if scope is not None and body is not None else (),
            keeps=scope.keeps(body, [c[4] for c in calls])
            if scope is not None and body is not None
            else (),
            joins=tuple(joins),
            commits=tuple(commits),
            lock_conds=fnfacts.lock_conds(calls, results, self.locks, body),
            param_calls=pcalls,
            field_calls=scope.field_calls(named) if scope is not None else (),
            contained=scope.contained(named, [n for n, _ in stores]) if scope is not None else (),
            param_stores=scope.param_stores(stores) if scope is not None else (),
            made=made_objs,
            lock_roots=lock_roots,
            uses=uses,
            returns_made=ret_made,
            journal=journal,
            journal_clears=journal_clears,
        )

    # -- references --------------------------------------------------------
