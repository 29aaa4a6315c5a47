"""Likely bugs the scope and lock analysis can see statically.

- fs-reclaim-under-lock: an allocation that may enter FS reclaim (GFP_KERNEL,
  or any mask with __GFP_FS, outside any scope) while holding a lock that an
  ungated reclaim path takes: the deadlock lockdep's fs_reclaim annotation
  reports only when a test happens to hit it.
- alloc-under-folio-lock: a sleeping allocation while a page/folio lock the
  same function took is held: reclaim can stall on that folio.
- work-waited-in-scope: a scoped caller waits for work whose function
  allocates with __GFP_FS: the work does not inherit the scope.
- unbalanced-scope: an explicit memalloc_*_save() with no restore on some
  path, or a restore that some path reaches without the save.
- stored-gfp-under-lock: a mask with __GFP_FS stored for later
  (INIT_RADIX_TREE) used by radix_tree_insert() outside any scope while
  holding a lock an ungated reclaim path takes.
- fs-alloc-under-shared-lock (only with gated=True, for review): an
  allocation that may enter FS reclaim outside any scope while holding a
  lock that only gated reclaim paths take (the superblock shrinker's evict):
  the allocation needs NOFS, best as a scope where the lock is taken. scan
  reports these as sites' classes instead, so it leaves them out.
"""

from __future__ import annotations

from nofsbot.analyse import evidence, ir, lockwalk, reclaim, reclaimpath, sections, waits, workitems
from nofsbot.analyse.facts import FLAGS_CLEAR, FLAGS_SET, FileFacts
from nofsbot.analyse.locks import ACQUIRE, PAGE_LOCK, RELEASE
from nofsbot.analyse.program import IN, Fn, Program
from nofsbot.model import Evidence, Hazard

SCOPE = "<nofs scope>"


def find(prog: Program, model: reclaim.Model, *, gated: bool = False) -> list[Hazard]:
    out: list[Hazard] = []
    for f in sorted(prog.files.values(), key=lambda f: f.path):
        fns = {fid: prog.fns[fid] for fid in prog.by_file.get(f.path, ())}
        by_index = [fn for fn in fns.values()]
        named = {i: fn for i, fn in zip(_named_indexes(f), by_index, strict=False)}
        nsites = len(f.sites)
        for j, (alloc, fi) in enumerate(zip(f.allocs, f.alloc_funcs, strict=True)):
            fn = named.get(fi)
            if fn is not None:
                out += _fs_alloc(
                    prog,
                    model,
                    fn,
                    -1 - (nsites + j),
                    (alloc.line, alloc.expression, alloc.callee),
                    gated=gated,
                )
        lookups = set(f.lookups)  # a page-cache lookup that creates nothing
        for si, (site, fi) in enumerate(zip(f.sites, f.site_funcs, strict=True)):
            fn = named.get(fi)
            if fn is not None and si not in lookups:
                out += _folio(prog, model, fn, -1 - si, site.line, site.expression)
        out += _stored(prog, model, f, named, nsites)
    for fn in prog.fns:
        out += _unbalanced(prog, fn)
    out += _waits(prog, scoped_waits(prog))
    out += waits.unrescued(prog, model)
    return sorted(set(out), key=lambda h: (h.path, h.line, h.kind, h.message))


def _named_indexes(f: FileFacts) -> list[int]:
    """Indexes (into the file's functions) of the functions the program kept."""
    return [i for i, fn in enumerate(f.functions) if fn.name]


def _outside_scope(prog: Program, fn: Fn, event: int) -> bool:
    return prog.elems(fn, fn.state_at(event)) != {IN}


def _fs_alloc(
    prog: Program,
    model: reclaim.Model,
    fn: Fn,
    event: int,
    alloc: tuple[int, str, str],
    *,
    gated: bool,
) -> list[Hazard]:
    """ALLOC (line, mask, callee) may enter FS reclaim under a lock reclaim takes."""
    if not _outside_scope(prog, fn, event):
        return []
    line, expr, callee = alloc
    # a lock reclaim takes only on an object it frees is never the one held
    # here (reclaim.Model.instance): the site classes say NOLOCKDEP there
    held = model.held(fn.id, event) - set(model.instance)
    kinds = [(cls, True) for cls in sorted(held & set(model.shared_ungated))]
    if gated:
        kinds += [
            (cls, False) for cls in sorted(held & set(model.shared) - set(model.shared_ungated))
        ]
    out = []
    for cls, ungated in kinds:
        ev = [Evidence(fn.path, line, fn.name, f"{callee}(.., {expr}) may enter FS reclaim")]
        acq = sections.acquire_site(prog, model, fn.id, event, line, cls)
        if acq is not None:
            owner, aci, aline = acq
            ev.append(Evidence(owner.path, aline, owner.name, evidence.takes(owner, aci, cls)))
        ev += reclaimpath.reclaim_path(prog, model, cls, ungated=ungated)
        if ungated:
            kind = "fs-reclaim-under-lock"
            message = (
                f"{callee}() with {expr} while holding {cls}, which an ungated "
                "reclaim path also takes: a NOFS scope would not help either, "
                "reclaim must not take it"
            )
        else:
            kind = "fs-alloc-under-shared-lock"
            message = (
                f"{callee}() with {expr} outside any NOFS scope while holding {cls}, "
                "which reclaim also takes: the allocation may recurse into the "
                "filesystem and deadlock on it"
            )
        out.append(Hazard(kind, fn.path, line, fn.name, message, tuple(ev)))
    return out


def _stored(
    prog: Program, model: reclaim.Model, f: FileFacts, named: dict[int, Fn], nsites: int
) -> list[Hazard]:
    """A mask with __GFP_FS stored for later (INIT_RADIX_TREE(.., GFP_KERNEL))
    whose later use runs outside any scope under a lock ungated reclaim takes."""
    out: list[Hazard] = []
    for i, obj in f.stores:
        if i < nsites or not obj:
            continue
        alloc = f.allocs[i - nsites]
        for fn in prog.fns:
            for ci, used in fn.facts.store_uses:
                if used != obj or not _outside_scope(prog, fn, ci):
                    continue
                callee, line = fn.facts.calls[ci]
                for cls in sorted(model.held(fn.id, ci) & set(model.shared_ungated)):
                    ev = (
                        Evidence(
                            f.path,
                            alloc.line,
                            None,
                            f"{alloc.callee}(.., {alloc.expression}) stores the mask",
                        ),
                        Evidence(
                            fn.path,
                            line,
                            fn.name,
                            f"{callee}() allocates with it while holding {cls}",
                        ),
                        *reclaimpath.reclaim_path(prog, model, cls, ungated=True),
                    )
                    out.append(
                        Hazard(
                            "stored-gfp-under-lock",
                            fn.path,
                            line,
                            fn.name,
                            f"{callee}() allocates with the {alloc.expression} stored "
                            f"for .{obj} while holding {cls}, which an ungated reclaim "
                            "path also takes",
                            ev,
                        )
                    )
    return out


def _folio(
    prog: Program, model: reclaim.Model, fn: Fn, event: int, line: int, expr: str
) -> list[Hazard]:
    # only a page lock this function took: held locks inherited from callers
    # are too coarse here, and the fix (allocate before locking) is local
    if PAGE_LOCK not in model.local.get(fn.id, {}).get(event, ()):
        return []
    ev = [Evidence(fn.path, line, fn.name, f"sleeping allocation with {expr}")]
    acq = sections.acquire_site(prog, model, fn.id, event, line, PAGE_LOCK)
    if acq is not None:
        owner, _, aline = acq
        ev.append(Evidence(owner.path, aline, owner.name, "locks the page/folio"))
    return [
        Hazard(
            "alloc-under-folio-lock",
            fn.path,
            line,
            fn.name,
            f"sleeping allocation ({expr}) while a page/folio lock may be held: reclaim "
            "can stall on it; allocate before locking",
            tuple(ev),
        )
    ]


def _unbalanced(prog: Program, fn: Fn) -> list[Hazard]:
    """An explicit save that some path leaves without its restore, or a
    restore that some path reaches without the save.

    The walk treats the scope like a lock (save takes it, restore drops it),
    with the same condition correlation (`if (nofs) save ... if (nofs)
    restore`). Scopes of providers (transactions, handles) are not checked
    here, nor saves whose cookie is stored in a struct field for a restore
    elsewhere (start_this_handle, xfs_trans_set_context).
    """
    explicit = set(prog.cfg.providers.explicit.save) | {FLAGS_SET}
    restores = set(prog.cfg.providers.explicit.restore) | {FLAGS_CLEAR}
    calls = fn.facts.calls
    saves = [
        ci for ci, (c, _) in enumerate(calls) if c in explicit and ci not in fn.facts.cookie_saves
    ]
    if not saves or fn.facts.ir is None or _configured(prog, fn.name):
        return []
    ops: dict[int, list[tuple[str, str]]] = {}
    for ci in saves:
        ops[ci] = [(ACQUIRE, SCOPE)]
    for ci, (c, _) in enumerate(calls):
        if c in restores:
            ops[ci] = [(RELEASE, SCOPE)]
    w = lockwalk.lock_walk(ops)
    w.run(fn.facts.ir)
    leaked = sorted(line for line, facts in w.returns.items() if any(f[0] == SCOPE for f in facts))
    save_line = calls[saves[0]][1]
    opened = Evidence(fn.path, save_line, fn.name, "the scope is opened here")
    out = [
        Hazard(
            "unbalanced-scope",
            fn.path,
            line,
            fn.name,
            "returns with the NOFS scope still open on some path (no restore): the task "
            "keeps PF_MEMALLOC_NOFS after it returns",
            (opened, Evidence(fn.path, line, fn.name, "returns without memalloc_*_restore()")),
        )
        for line in leaked
    ]
    explicit_restores = set(prog.cfg.providers.explicit.restore)
    for line in _restored_unopened(fn, set(saves), explicit_restores):
        out.append(
            Hazard(
                "unbalanced-scope",
                fn.path,
                line,
                fn.name,
                "restores a NOFS scope that is not open on some path (no save before it): "
                "the cookie it restores was never set there",
                (opened, Evidence(fn.path, line, fn.name, "restores without a save on some path")),
            )
        )
    return out


_NO_SCOPE = "<no nofs scope>"


def _restored_unopened(fn: Fn, saves: set[int], restores: set[str]) -> list[int]:
    """Lines of explicit restores that some path reaches with no scope open.

    A may-walk with a fact for "no scope open". `if (c) save ... if (c)
    restore` is correlated: entering a branch on c where the scope was
    opened under the same c drops the "no scope" fact. Functions that nest
    their own scopes are left alone (restore closes only the inner one).
    """
    Fact = tuple[str, tuple[str, bool] | None]
    nested = False

    def transfer(ci: int, state: frozenset[Fact]) -> frozenset[Fact]:
        nonlocal nested
        callee = fn.facts.calls[ci][0]
        if ci in saves:
            nested |= any(f[0] == SCOPE for f in state)
            cond = w.conds[-1] if w.conds else None
            return frozenset(f for f in state if f[0] != _NO_SCOPE) | {(SCOPE, cond)}
        if callee in restores:
            return frozenset(f for f in state if f[0] != SCOPE) | {(_NO_SCOPE, None)}
        return state

    def branch(state: frozenset[Fact], key: tuple[str, bool]) -> frozenset[Fact]:
        cond, holds = key
        state = frozenset(f for f in state if f[1] != (cond, not holds))
        if (SCOPE, key) in state:
            state = frozenset(f for f in state if f[0] != _NO_SCOPE)
        return state

    w = ir.Walk(transfer, frozenset({(_NO_SCOPE, None)}), branch)
    assert fn.facts.ir is not None
    w.run(fn.facts.ir)
    if nested:
        return []
    calls = fn.facts.calls
    return sorted(
        {
            calls[ci][1]
            for ci in range(len(calls))
            if calls[ci][0] in restores and any(f[0] == _NO_SCOPE for f in w.at.get(ci, ()))
        }
    )


def _configured(prog: Program, name: str) -> bool:
    """Configured providers open a scope on purpose (ext4_writepages_down_read
    returns its cookie, kjournald2 keeps its scope until the thread ends)."""
    cfg = prog.cfg
    if cfg.scope_pattern.fullmatch(name):
        return True
    return any(name in f.functions for f in cfg.providers.functions)


def _waits(prog: Program, waits: list[tuple[Fn, int, str, Fn]]) -> list[Hazard]:
    out = []
    for fn, ci, field, worker in waits:
        f = prog.files[worker.path]
        named = [i for i, ff in enumerate(f.functions) if ff is worker.facts]
        if not named:
            continue
        for alloc, fi in zip(f.allocs, f.alloc_funcs, strict=True):
            if fi != named[0]:
                continue
            wait_call, line = fn.facts.calls[ci]
            out.append(
                Hazard(
                    "work-waited-in-scope",
                    fn.path,
                    line,
                    fn.name,
                    f"{wait_call}() waits inside a NOFS scope for work {worker.name}(), which "
                    f"allocates with {alloc.expression}: work does not inherit the scope; the "
                    "work function needs its own",
                    (
                        Evidence(fn.path, line, fn.name, f"waits for {field} inside a scope"),
                        Evidence(
                            worker.path,
                            alloc.line,
                            worker.name,
                            f"{alloc.callee}(.., {alloc.expression})",
                        ),
                    ),
                )
            )
    return out


def scoped_waits(prog: Program) -> list[tuple[Fn, int, str, Fn]]:
    """Each wait (flush_work, flush_workqueue, ...) made inside a scope, with
    each work function it may wait for: (waiter, call index, the object
    waited on, work function)."""
    workers = workitems.queued_work(prog)
    queues = workitems.work_queues(prog)
    # what a wait for each work item may be made on: it, or its workqueues
    on = {work: workitems.waited(work, queues) for work in sorted(workers)}
    out = []
    for fn in prog.fns:
        for ci, target in fn.facts.waits:
            cls = workitems.normal(target, prog.structs)
            if not cls or prog.elems(fn, fn.state_at(ci)) != {IN}:
                continue
            for work, objects in on.items():
                if workitems.matching(objects, cls):
                    out += [(fn, ci, cls, w) for w in workers[work]]
    return out
