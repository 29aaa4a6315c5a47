"""A function of the analysed program: its facts, its place in the call
graph, its entry contexts, and how its calls carry constant arguments
(step(), enter(), admit(): guards.py, bindings.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from nofsbot.analyse import bindings, fnptrs, guards, ir
from nofsbot.analyse.facts import INDIRECT, FuncFacts
from nofsbot.analyse.pointees import DEREF

# the tasks a function may run in (Fn.runs_in)
KTHREAD = "kthread"
TASK = "task"


@dataclass(frozen=True)
class RootWitness:
    """Where an entry context comes from outside the call graph."""

    path: str
    line: int
    note: str


@dataclass(frozen=True)
class CallWitness:
    """A call that brings an entry context into its callee: the caller, the
    call, and the constant arguments the caller ran with (guards.py)."""

    caller: int
    call: int
    binding: guards.Binding = ()


@dataclass
class Fn:
    id: int
    path: str
    facts: FuncFacts
    callees: list[tuple[int, ...]] = field(default_factory=list)  # per call index
    callers: list[tuple[int, int]] = field(default_factory=list)  # (caller id, call index)
    at: dict[int, frozenset[int]] | None = None  # walk states per event
    summary: frozenset[int] = frozenset({0})
    on_success: bool = False  # the scope it opens is there only if it succeeds (scopes.py)
    entry: set[str] = field(default_factory=set)
    # the first witness for each entry element
    why: dict[str, RootWitness | CallWitness] = field(default_factory=dict)
    # the tasks it is entered in from outside the call graph: KTHREAD (a
    # work item, a kthread) or TASK (any, a system call's too) (roots.py)
    runs_in: set[str] = field(default_factory=set)
    # started as a thread of its own (kthread_run(fn, ..)), not as work
    thread: bool = False
    # guards whose calls (`if (xfs_bmap_needs_btree(ip, whichfork))`) were
    # turned into conditions on this function's parameters (Program)
    call_guards: dict[int, tuple[guards.Guard, ...]] = field(default_factory=dict)
    # (call index, callback) -> the constant arguments that call passes the
    # function it calls back (get_block's create = 0 from the readers)
    callback_args: dict[tuple[int, int], guards.Binding] = field(default_factory=dict)
    # call index -> the parameter it calls through (fnptrs.py)
    param_call: dict[int, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.facts.name

    @cached_property
    def _guards(self) -> dict[int, tuple[guards.Guard, ...]]:
        return {**dict(self.facts.guards), **self.call_guards}

    # call index -> its arguments with the fields of an `&local` checked
    # against the functions given it before (Program._record_args)
    record_args: dict[int, tuple[guards.Arg | None, ...]] = field(default_factory=dict)

    def call_args(self) -> dict[int, tuple[guards.Arg | None, ...]]:
        """Per call index, its arguments as they stand (record_args over the
        extracted ones); fnptrs.py reads them while it still edits them."""
        return {**dict(self.facts.cargs), **self.record_args}

    @cached_property
    def _args(self) -> dict[int, tuple[guards.Arg | None, ...]]:
        return self.call_args()

    def step(self, ci: int, binding: guards.Binding) -> guards.Binding | None:
        """The callee's binding for call CI made under BINDING, or None when
        the binding rules the call out (its guards cannot hold)."""
        if binding and not bindings.allowed(self._guards.get(ci, ()), binding):
            return None
        out = bindings.bind(self._args.get(ci, ()), binding)
        carries = self._carries.get(ci)
        if carries:
            out = bindings.carry(out, carries)
        k = self.param_call.get(ci)
        if k is not None and (f := dict(binding).get(k)) is not None and f[0] == "a":
            out = (*out, (guards.FNPTR, f))  # the one function called here (enter())
        elif (name := fnptrs.field_function(self, ci, binding)) is not None:
            out = (*out, (guards.FNPTR, ("a", name)))  # wc->process_func, from `&wc`
        return out

    def guarded(self, ci: int) -> tuple[guards.Guard, ...]:
        """The conditions call CI runs under (guards.py)."""
        return self._guards.get(ci, ())

    def site_calls(self, line: int, callee: str | None) -> list[int]:
        """The calls of CALLEE that a site whose mask is on LINE is: those
        starting on the nearest line at or above it (`read_cache_page_gfp(
        mapping,` on one line, `GFP_NOFS)` on the next)."""
        lines = [at for c, at in self.facts.calls if c == callee and at <= line]
        if not lines:
            return []
        start = max(lines)
        return [ci for ci, (c, at) in enumerate(self.facts.calls) if c == callee and at == start]

    def reaching(self, cis: list[int]) -> Callable[[guards.Binding], bool] | None:
        """For a site that is the calls CIS (site_calls()): whether entered
        with a binding this function can get to it (`if (zeroout)
        sb_issue_zeroout(..)` with zeroout false cannot); None when every
        binding can."""
        if not cis or not all(self._guards.get(ci) for ci in cis):
            return None
        return lambda b: any(self.step(ci, b) is not None for ci in cis)

    @cached_property
    def _carries(self) -> dict[int, list[tuple[int, str]]]:
        out: dict[int, list[tuple[int, str]]] = {}
        for ci, j, spec in self.facts.carries:
            out.setdefault(ci, []).append((j, spec))
        return out

    def takes_freed(self, ci: int, binding: guards.Binding) -> bool:
        """Call CI, made under BINDING, is given the object a reclaim entry
        point frees as its first argument (xfs_ilock(ip, ..) with the ip of
        ->destroy_inode): the lock it takes is that object's."""
        args = self._args.get(ci, ())
        if not args or args[0] is None or args[0][0] not in ("p", "s"):
            return False
        return dict(binding).get(int(args[0][1])) == guards.FREED

    def enter(self, ci: int, t: Fn, binding: guards.Binding) -> guards.Binding | None:
        """T's binding for call CI of this function, made with BINDING (what
        step() gives): a callback gets the arguments its caller passes it;
        through a function pointer, only the function passed runs."""
        if binding and binding[-1][0] == guards.FNPTR:
            if binding[-1][1][1] != t.name:
                return None
            binding = binding[:-1]
        return t.admit(self.callback_args.get((ci, t.id), binding))

    def crashes(self, binding: guards.Binding) -> bool:
        """Entered with BINDING, the function would dereference NULL first."""
        return bool(binding) and bindings.crashes(self.facts.derefs, binding)

    def admit(self, binding: guards.Binding) -> guards.Binding | None:
        """The binding this function is entered with for a call under
        BINDING: None if it would crash, and without what a pointer
        parameter points to unless the function keeps that."""
        if self.crashes(binding):
            return None
        if not binding or binding[-1][0] < DEREF:
            return binding
        return bindings.kept(
            dict(self.facts.keeps), binding, lambda ci: self.step(ci, binding) is not None
        )

    def by_type(self, ci: int) -> int:
        """How many functions call CI may reach through a struct field, the
        struct type resolving it (which one runs depends on the object); 0
        for a call that is not one, or goes through a parameter."""
        if not self.facts.calls[ci][0].startswith(INDIRECT) or ci in self.param_call:
            return 0
        return len(self.callees[ci])

    def in_own_scope(self, event: int) -> bool:
        """A scope this function opened covers EVENT on every path."""
        return all(s >= 1 for s in self.state_at(event))

    def state_at(self, event: int) -> frozenset[int]:
        if self.at is None:
            return frozenset({ir.ENTRY})
        return self.at.get(event, frozenset({ir.ENTRY}))
