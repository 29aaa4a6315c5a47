"""Per-file facts: everything the whole-program analysis needs from one file.

Facts are a pure function of (file content, path, configuration), so they are
cached by content hash and computed in parallel. They hold, per function, the
calls it makes (in evaluation order) and a control-flow skeleton (ir.py) over
those calls and the sites. Skeletons are built for every function: which helpers change the scope is
only known once all files are read, and building them all costs little.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nofsbot.model import FileProblem, Occurrence, Site

# Pseudo-callees for direct writes of PF_MEMALLOC_NOFS/NOIO to current->flags
# (and memalloc_flags_save/restore of those bits).
FLAGS_SET = "<nofs-flags-set>"
FLAGS_CLEAR = "<nofs-flags-clear>"
# Calls through a struct field: "*TYPE.field... EXPR" (the type chain as
# locks.py names lock classes, then the called expression).
INDIRECT = "*"
# the class of a sleep on the calling task itself (config/roots.toml
# [task_sleep]): a kthread's schedule(), ended by wake_up_process()
TASK_SLEEP = "<task>"


def shown(callee: str) -> str:
    """A callee as the code writes it: `op->ops->issue_afs_rpc` for a call
    through a field."""
    if callee.startswith(INDIRECT):
        return callee.partition(" ")[2]
    return callee


@dataclass(frozen=True, slots=True)
class Ref:
    """A function name used as a value: stored, passed, or queued."""

    name: str
    line: int
    role: str  # work, ops, scoped-ops, arg, callback, init, via, drained, within
    detail: str  # the call (and argument) or the struct.field it went to
    function: str | None  # where the reference is
    # for work: the work item it is set up on, classed like a lock
    # (INIT_WORK(&ctx->push_work, ..) -> xfs_cil_ctx.push_work); for an
    # assignment to a field, the struct chain it stores into
    # (`sx.context.put_listent = fn` -> xchk_xattr.context.put_listent)
    target: str = ""
    # for a designated initialiser: the variable it initialises
    # (`xfs_read_iomap_ops`); for "via": the name is an argument of a call
    # to a helper that calls ops back (config/entries.toml via); for a
    # kthread or "drained": where the call's result is kept, classed
    obj: str = ""


@dataclass(frozen=True, slots=True)
class FuncFacts:
    name: str
    static: bool
    line: int
    end_line: int
    calls: tuple[tuple[str, int], ...]  # (callee, line) in evaluation order
    ir: tuple[Any, ...] | None  # control-flow skeleton; None: no calls and no sites
    gfp_params: tuple[str, ...]  # parameter names by position ("" if not gfp_t)
    tested_params: tuple[int, ...]  # gfp parameters tested against __GFP_FS
    forwards: tuple[tuple[int, str, int], ...]  # (param, callee, argument index)
    error: bool  # the body holds a parse error
    locks: tuple[tuple[int, str, str], ...] = ()  # (call index, acquire/trylock/release, class)
    tests_fs: tuple[str, ...] = ()  # operands tested against __GFP_FS (sc->gfp_mask)
    # (call index, the work item or workqueue waited for, classed like a
    # lock: xfs_cil_ctx.push_work; a global's name; ?.field of unknown type)
    waits: tuple[tuple[int, str], ...] = ()
    # work queued on a workqueue: (call index, workqueue, work item), classed
    # like waits
    queues: tuple[tuple[int, str, str], ...] = ()
    # (call index, workqueue made, whether it has a rescuer: 1, 0, -1 unknown)
    workqueues: tuple[tuple[int, str, int], ...] = ()
    cookie_saves: tuple[int, ...] = ()  # saves whose cookie goes into a struct field
    # ends (restores, commits, stops) given the cookie or handle one of this
    # function's own begins handed out: they close only that begin's scope
    own_ends: tuple[int, ...] = ()
    # page-cache allocations: (call index, mapping, the gfp argument or '' if none)
    pagecache: tuple[tuple[int, str, str], ...] = ()
    # (call index, stored object): radix_tree_insert; the object is a field
    # name, "#k" (the function's parameter k) or "=g" (a local set from g())
    store_uses: tuple[tuple[int, str], ...] = ()
    # the fields of `return &x->f;` when every return is one or NULL
    # (xfs_dquot_tree() returns &qi->qi_uquota_tree, ..)
    ret_fields: tuple[str, ...] = ()
    # (call index, argument index, g): an argument that is a local
    # initialised from g() and never written again
    arg_calls: tuple[tuple[int, int, str], ...] = ()
    # conditions on the parameters under which a call runs (guards.py)
    guards: tuple[tuple[int, tuple[tuple[int, str, str], ...]], ...] = ()
    # arguments that are constants or parameters: (call index, per argument)
    cargs: tuple[tuple[int, tuple[tuple[str, str] | None, ...]], ...] = ()
    # (call index, argument, "field=0|1"): a carried field the call's own
    # test says the object it passes has (config/reclaim.toml [context])
    carries: tuple[tuple[int, int, str], ...] = ()
    derefs: tuple[int, ...] = ()  # parameters dereferenced before any branch
    # (param index, field) written through a pointer parameter, or
    # (index, "*") where the parameter is handed on (records.py)
    field_writes: tuple[tuple[int, str], ...] = ()
    # gfp parameters (by position) the body never names: a mask passed
    # there has no effect
    unread_gfp: tuple[int, ...] = ()
    # `cur = *curp` locals whose *curp keeps its value on return unless one
    # of these calls runs: (param index, call indices) (guards.Params.keeps)
    keeps: tuple[tuple[int, tuple[int, ...]], ...] = ()
    # scope begins whose result is kept: (call index, variable, is a pointer);
    # the scope exists only where that result says the begin succeeded
    results: tuple[tuple[int, str, bool], ...] = ()
    fail_returns: tuple[int, ...] = ()  # lines of `return ERR_PTR(..)`, NULL, -EIO
    ok_returns: tuple[int, ...] = ()  # lines of `return 0;`, and of pointers but NULL
    # for `decls; return EXPR;`: what holds on its parameters when it returns
    # true (guards.py: xfs_bmap_needs_btree() needs whichfork != XFS_COW_FORK)
    result_terms: tuple[tuple[int, str, str], ...] = ()
    hands_back: tuple[str, ...] = ()  # struct types it returns or stores through `**`
    # sleeps until an event on an object, and wakes one: (call index, class)
    # where the body's last statement starts, unless it returns (line, column)
    last_statement: tuple[int, int] | None = None
    sleeps: tuple[tuple[int, str], ...] = ()
    wakes: tuple[tuple[int, str], ...] = ()
    # lock calls whose lock is held only where a condition holds: a flag set
    # after it, a trylock that is the test of an `if` (syntax.lock_condition):
    # (call index, condition key, holds)
    lock_conds: tuple[tuple[int, str, bool], ...] = ()
    # locks handed to a transaction (call index, join, class) and the calls
    # that release what was joined (call index, join): config [[handoff]]
    joins: tuple[tuple[int, str, str], ...] = ()
    commits: tuple[tuple[int, str], ...] = ()
    # calls through a function pointer parameter: (call index, parameter
    # index); and the parameters only called or passed whole to a call
    # (guards.Params.contained())
    param_calls: tuple[tuple[int, int], ...] = ()
    contained: tuple[int, ...] = ()
    # calls through a function pointer field of a parameter: (call index,
    # parameter index, field), `wc->process_func(..)`
    field_calls: tuple[tuple[int, int, str], ...] = ()
    # a parameter stored into a struct field: (parameter index, the typed
    # field, `xfs_iwalk_ag.iwalk_fn` for `iwag->iwalk_fn = iwalk_fn` or
    # `.iwalk_fn = iwalk_fn`); calls through that field call what is passed
    param_stores: tuple[tuple[int, str], ...] = ()
    # objects it has just made (fresh.py): locals set once from a call,
    # the local each lock take is rooted at, the calls each is given to,
    # and the constructor whose object it returns
    made: tuple[tuple[str, int, str], ...] = ()
    lock_roots: tuple[tuple[int, str], ...] = ()
    uses: tuple[tuple[str, tuple[tuple[int, str], ...]], ...] = ()
    returns_made: str = ""
    # the first lines that set `current->journal_info` (not to NULL) and
    # read it; 0 for none (a transaction a task's own reclaim would join);
    # and the lines that set it to NULL
    journal: tuple[int, int] = (0, 0)
    journal_clears: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Alloc:
    """An allocation with a mask that lets reclaim enter filesystems (GFP_KERNEL)."""

    line: int
    col: int
    callee: str
    expression: str


@dataclass(frozen=True, slots=True)
class FileFacts:
    path: str
    functions: tuple[FuncFacts, ...]
    sites: tuple[Site, ...]
    site_funcs: tuple[int, ...]  # index into functions, -1 outside any
    occurrences: tuple[Occurrence, ...]  # NOFS tokens that are not sites
    refs: tuple[Ref, ...]
    exports: tuple[tuple[str, int, str], ...]  # (name, line, EXPORT_SYMBOL_GPL or the like)
    includes: tuple[str, ...]
    macro_calls: dict[str, tuple[str, ...]] = field(default_factory=dict)
    problems: tuple[FileProblem, ...] = ()
    allocs: tuple[Alloc, ...] = ()  # skeleton event of alloc j: -1 - (len(sites) + j)
    alloc_funcs: tuple[int, ...] = ()
    structs: dict[str, dict[str, str]] = field(default_factory=dict)  # struct -> field -> type
    # mapping-mask sites: (site index, mapping expression, names that identify it)
    mappings: tuple[tuple[int, str, tuple[str, ...]], ...] = ()
    # masks stored for later: (event index (sites, then allocs), the object they are stored in)
    stores: tuple[tuple[int, str], ...] = ()
    # sites passed to a page-cache lookup that does not create (no
    # FGP_CREAT): nothing is allocated there (config/alloc.toml [lookup])
    lookups: tuple[int, ...] = ()
