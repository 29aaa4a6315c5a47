"""The analysis of one subsystem (fs/xfs, fs/ext4, ...) with the include/
headers it uses: call graph, scope walks, entry contexts, reclaim model,
and every site of the scanned paths placed in its context.

Subsystems are analysed apart: a call into another subsystem goes to a
function that a header declares for outside use, so its callers are unknown
anyway, and lock classes of VFS types (inode.i_rwsem) belong to each
filesystem type in lockdep, not to all of them. So scanning fs/ gives the
same answer as scanning each subsystem on its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

from nofsbot import discover
from nofsbot.analyse import (
    blocking,
    drained,
    evidence,
    fits,
    fresh,
    hazards,
    nesting,
    reclaim,
    reclaimpath,
    roots,
    sections,
    stored,
    waits,
    witnesses,
    woken,
)
from nofsbot.analyse.facts import FileFacts
from nofsbot.analyse.guards import Binding
from nofsbot.analyse.held import MAYBE
from nofsbot.analyse.locks import PAGE_LOCK, WRITEBACK
from nofsbot.analyse.mapping import MappingVerdict, choke_point, pagecache_calls
from nofsbot.analyse.placed import Later, Placed, Reclaim
from nofsbot.analyse.program import IN, OUT, Fn, Program, Roots
from nofsbot.config import Config
from nofsbot.model import Boundary, Evidence, FileProblem, Hazard


@dataclass(frozen=True)
class UnitResult:
    placed: tuple[Placed, ...]
    hazards: tuple[Hazard, ...]
    problems: tuple[FileProblem, ...]
    functions: int
    # calls reclaim makes here to functions defined elsewhere, by name
    outcalls: dict[str, reclaim.Incoming] = field(default_factory=dict)
    # global functions defined here (another subsystem's reclaim may call them)
    globals: frozenset[str] = frozenset()


def prepare_unit(facts: list[FileFacts], cfg: Config) -> Program:
    """The call graph and scope walks: what needs no knowledge from outside."""
    prog = Program(facts, cfg)
    prog.walk_all()
    return prog


def analyse_unit(
    prog: Program,
    external: dict[str, str],
    rel: tuple[str, ...],
    *,
    with_hazards: bool,
    gated: bool = False,
    incoming: dict[str, reclaim.Incoming] | None = None,
) -> UnitResult:
    """Entry contexts (with the outside callers), reclaim, hazards and sites."""
    facts = list(prog.files.values())
    prog.roots = Roots(external)
    prog.contexts()
    model = reclaim.build(prog, incoming)
    found = (
        tuple(h for h in hazards.find(prog, model, gated=gated) if discover.in_paths(h.path, rel))
        if with_hazards
        else ()
    )
    index = pagecache_calls(prog)
    waited = _waited_work(prog)
    flushed = waits.flushed_work(prog)
    uses = stored.uses(prog)
    # a kernel thread's allocation never waits for kswapd: what only
    # kswapd's ->writepage takes is no reclaim lock for it
    threads = roots.kernel_threads(prog)
    in_thread = model.in_kernel_thread()
    # work and kthreads are kernel threads: the reclaim that waits for them
    # and that their allocations enter is direct reclaim's
    rwaited = {
        **drained.reclaim_drained(prog, in_thread),
        **waits.reclaim_waited(prog, in_thread),
    }
    woken_by = woken.woken_later(prog, model)
    ctors = fresh.constructors(prog)
    placed: list[Placed] = []
    problems: list[FileProblem] = []
    for f in sorted(facts, key=lambda f: f.path):
        if not discover.in_paths(f.path, rel) or f.path.startswith("include/"):
            continue
        problems += f.problems
        for si, (site, fi) in enumerate(zip(f.sites, f.site_funcs, strict=True)):
            fn = prog.function_at(f.path, site.function, site.line) if fi >= 0 else None
            states = fn.state_at(-1 - si) if fn is not None else frozenset({0})
            # callers whose constants rule the site out bring it nothing
            calls = fn.site_calls(site.line, site.callee) if fn is not None else []
            allow = fn.reaching(calls) if fn is not None else None
            ctx, ev = evidence.for_site(prog, fn, states, site.line, allow)
            signal = None
            if site.callee and site.arg_index is not None:
                signal = prog.tests_gfp(f.path, site.callee, site.arg_index)
            for use in site.uses:
                signal = signal or next(
                    (s for i in range(6) if (s := prog.tests_gfp(f.path, use, i))), None
                )
            rec = (
                _reclaim(
                    prog,
                    in_thread if fn.id in threads else model,
                    fn,
                    -1 - si,
                    site.line,
                    allow,
                    calls,
                    ctors,
                )
                if fn is not None
                else Reclaim()
            )
            mapping = next(
                (
                    choke_point(index, expr, keys, site.expression)
                    for i, expr, keys in f.mappings
                    if i == si
                ),
                None,
            )
            if mapping is not None and mapping.choke is not None and not mapping.choke.scoped:
                mapping = _at_choke(prog, model, in_thread, threads, mapping, ctors)
            later = next(
                (
                    _later(prog, model, uses.get(obj, []) + uses.get(stored.UNKNOWN, []))
                    for i, obj in f.stores
                    if i == si and obj
                ),
                None,
            )
            wait = waited.get(fn.id) if fn is not None else None
            work_wait = waits.work_wait(prog, rwaited, fn, -1 - si) if fn is not None else None
            flush = flushed.get(fn.id) if fn is not None else None
            unseen = evidence.unknown_root(prog, fn) if fn is not None else None
            under = (
                stored.used_under_lock(prog, model, f.path, site.callee, site.arg_index)
                if site.callee and site.arg_index is not None
                else None
            )
            placed.append(
                Placed(
                    site,
                    ctx,
                    tuple(ev),
                    signal,
                    rec,
                    mapping,
                    later,
                    wait,
                    flush,
                    under,
                    unseen,
                    work_wait,
                    prog.ignores_gfp(f.path, site.callee, site.arg_index)
                    if site.callee and site.arg_index is not None
                    else None,
                    woken.woken_at(woken_by, fn, site.line),
                )
            )
    nfunctions = sum(len(f.functions) for f in facts if not f.path.startswith("include/"))
    return UnitResult(
        tuple(placed),
        found,
        tuple(problems),
        nfunctions,
        reclaim.outcalls(prog, model),
        frozenset(
            name
            for name, ids in prog.globals.items()
            if any(not prog.fns[i].path.startswith("include/") for i in ids)
        ),
    )


def _at_choke(
    prog: Program,
    model: reclaim.Model,
    in_thread: reclaim.Model,
    threads: frozenset[int],
    verdict: MappingVerdict,
    ctors: frozenset[str],
) -> MappingVerdict:
    """VERDICT with what reclaim shares with the page-cache allocations
    at its choke point, where the mask's __GFP_FS matters: the locks
    reclaim takes that may be held at any of them, and the chain of the
    first that holds one. A lock a call before may return holding
    (Reclaim.maybe) is not counted."""
    c = verdict.choke
    assert c is not None
    fn = prog.function_at(c.path, c.function, c.calls[0])
    if fn is None:
        return verdict
    m = in_thread if fn.id in threads else model
    shared: set[str] = set()
    shown: tuple[Evidence, ...] = ()
    for ci, _, _ in fn.facts.pagecache:
        line = fn.facts.calls[ci][1]
        if line not in c.calls:
            continue
        rec = _reclaim(prog, m, fn, ci, line, None, [ci], ctors)
        shared.update(rec.shared)
        shown = shown or (rec.evidence if rec.shared else ())
    if not shared:
        return verdict
    return dataclasses.replace(verdict, shared=tuple(sorted(shared)), evidence=shown)


def _reclaim(
    prog: Program,
    model: reclaim.Model,
    fn: Fn,
    event: int,
    line: int,
    allow: Callable[[Binding], bool] | None = None,
    site_calls: list[int] | None = None,
    ctors: frozenset[str] = frozenset(),
) -> Reclaim:
    """What reclaim shares with the point EVENT (a site: -1 - its index,
    whose calls are SITE_CALLS; or a call) on LINE of FN."""
    site_calls = site_calls or []
    held = model.held(fn.id, event, allow)
    # of unknown type, held or maybe held: matched by field below
    untyped = {c.removeprefix(MAYBE) for c in held if c.removeprefix(MAYBE).startswith("?")}
    maybe = tuple(
        sorted(
            c.removeprefix(MAYBE)
            for c in held
            if c.startswith(MAYBE) and c.removeprefix(MAYBE) in model.shared
        )
    )
    locked = PAGE_LOCK in held or MAYBE + PAGE_LOCK in held
    if model.page_shared is not None and locked:
        maybe += (PAGE_LOCK,)  # some folio is (maybe) locked here, and reclaim locks folios
    # reclaim waits on folios under writeback (config/reclaim.toml), but
    # first trylocks them: a folio this task also holds locked it skips.
    # With a folio locked here, which folio is under writeback is not
    # followed.
    if MAYBE + WRITEBACK in held or (WRITEBACK in held and locked):
        maybe += (WRITEBACK,)
    held = frozenset(c for c in held if not c.startswith(MAYBE))
    # a class reclaim takes only on the object it frees cannot be the one
    # this task holds (it holds a reference to its object)
    instance = tuple(
        sorted(c for c in held | set(maybe) if c in model.shared and c in model.instance)
    )
    maybe = tuple(c for c in maybe if c not in model.instance)
    shared = tuple(
        sorted(
            c
            for c in held
            if (c in model.shared and c not in model.instance) or (c == WRITEBACK and not locked)
        )
    )
    # a lock this function took on an object it has just made and given to
    # no one: reclaim cannot reach it, though lockdep names it by a class
    # reclaim takes (fresh.py)
    made_ev: list[Evidence] = []
    fresh_locks: list[str] = []
    for cls in shared:
        if got := fresh.unreachable(prog, model, fn, cls, line, allow, ctors):
            path = reclaimpath.reclaim_path(prog, model, cls)
            if path:  # the other side: where reclaim takes the class
                e = path[0]
                note = f"reclaim takes {cls} here, on objects it can reach"
                path[0] = Evidence(e.path, e.line, e.function, note)
            made_ev += got + path
            fresh_locks.append(cls)
    shared = tuple(c for c in shared if c not in fresh_locks)
    # a lock of unknown type held here may be one reclaim takes: the same
    # field as a shared class, or as a lock of unknown type reclaim takes
    fields = {reclaim.field_of(c) for c in model.shared} | model.unknown_fields
    unresolved = tuple(
        sorted(
            c
            for c in held | untyped
            if c not in model.shared
            and (
                (c.startswith("?") and reclaim.field_of(c) in fields)
                or reclaim.field_of(c) in model.unknown_fields
            )
        )
    )
    on_path = None
    if fn.id in model.reach:
        entry = prog.fns[model.reach.entry(fn.id)]
        on_path = f"reached by reclaim from {entry.name}()"
    boundary = None
    owner_context: list[Evidence] = []
    unproven = ""
    ev: list[Evidence] = []
    found: list[tuple[int, str, tuple[Fn, int, int], list[tuple[Fn, int]]]] = []
    # the lock whose critical section has a shape no scope fits: the one
    # the keep names, the others held only maybe and not shown
    section_lock = ""
    joins = ""  # witnesses.joined(): the transaction this task's reclaim would join
    for cls in shared:
        chain: list[tuple[Fn, int]] = []
        acq = sections.acquire_site(prog, model, fn.id, event, line, cls, chain, allow)
        if acq is None:
            outside = sections.held_outside(prog, model, fn.id, event, cls, allow)
            if outside and not unproven:
                unproven = (
                    f"{cls} is taken before the analysed code is called ({outside}): "
                    "the critical section starts outside it"
                )
            continue
        found.append((len(chain), cls, acq, chain))
    # the innermost lock first: a scope must start inside every critical
    # section the site is in, so only the lock taken nearest the site can
    # give the boundary (a scope after an outer lock misses the paths that
    # take the inner one without it). But where reclaim's shown path takes
    # the inner lock only after one held on every path here, that path is
    # no claim: reclaim blocks on the other one first (dlm_lock() takes
    # ls_in_recovery, then an rsb's res_mutex; dlm_recoverd holds the first)
    everywhere = blocking.held_everywhere(prog, model, fn, event) if len(found) > 1 else set()
    always = {
        f[1]: blocking.exclusive(prog, model, f[2][0], f[2][1], f[1])
        for f in found
        if f[1] in everywhere or fits.on_every_path(prog, fn, f[3])
    }

    # per lock: the call that made its object (fresh.made_by()), how its
    # taker is entered outside a scope, and whether that starts in a kernel
    # thread (witnesses.entered_outside()), asked once
    taken = {
        f[1]: (
            fresh.made_by(f[2][0], f[2][1]),
            *witnesses.entered_outside(prog, fn, f[2][0], f[2][1], allow),
        )
        for f in found
    }

    def after_held(f: tuple[int, str, tuple[Fn, int, int], list[tuple[Fn, int]]]) -> bool:
        if len(found) < 2:
            return False
        made, _, thread = taken[f[1]]
        return blocking.held_before(prog, model, f[1], always, made=made, direct=thread) is not None

    order = sorted(found, key=lambda f: (after_held(f), f[0], f[1]))
    rl = prog.cfg.reclaim
    locking = rl.acquire | rl.trylock | rl.release
    for n, (_, cls, acq, chain) in enumerate(order):
        owner, ci, aline = acq
        note = f"{evidence.takes(owner, ci, cls)}, which reclaim also takes"
        if cls == WRITEBACK:
            note = (
                f"{owner.facts.calls[ci][0]}() sets a folio under writeback, and FS reclaim "
                "waits on such a folio (shrink_folio_list(), with __GFP_FS) until its "
                "I/O, submitted later, completes"
            )
        if n == 0:
            # where the innermost lock is taken, the path from there to the
            # site, then reclaim's path to the lock: the claim the class and
            # the boundary rest on. The others held on some path (locks_held,
            # reclaim_shared) are not shown: each would be a second claim,
            # with a path of its own a reader must check, that changes
            # neither the class nor where the scope goes
            # a provider before the site that opens a scope only sometimes:
            # the path shown is the one where it opens none
            ev += [
                op
                for g, at in ((owner, aline), (fn, line))
                if (op := evidence.conditional_opener(prog, g, at)) is not None
            ][:1]
            ev.append(Evidence(owner.path, aline, owner.name, note))
            ev += witnesses.held_down(fn, chain, cls)
            made, entered, in_thread = taken[cls]
            if cls != WRITEBACK:
                path = reclaimpath.reclaim_path(prog, model, cls, made=made, direct=in_thread)
                joins = witnesses.joined(prog, owner, ci, cls, path, in_thread) or nesting.nested(
                    prog, owner, ci, cls, path, in_thread, entered
                )
                witnesses.read_behind_writer(prog, model, owner, ci, cls, path)
                ev += path
        if boundary is not None or n > 0:
            continue
        releases, held_at_return, retaken = sections.exits(model, owner, ci, cls)
        by_type = blocking.by_type_on_path(prog, model, cls, made=made, direct=in_thread)
        stray = fits.other_caller(prog, [fn, *(g for g, _ in chain)], [c for _, c in chain])
        if by_type:
            unproven = (
                f"reclaim reaches {cls} only through {by_type}: which one runs is not followed"
            )
        elif len(chain) > fits.MAX_HELD_CALLS:
            unproven = (
                f"{owner.name}() takes {cls} {len(chain)} calls away from this site: "
                "too long a path to propose a scope from it"
            )
        elif OUT not in prog.elems(owner, owner.state_at(ci)):
            unproven = (
                f"{owner.name}() takes {cls} at line {aline}, but no known path "
                "reaches it outside a scope (its callers cannot all be seen)"
            )
        elif stray:
            unproven = (
                f"{stray}: a scope after {owner.name}() takes {cls} would not cover every "
                "path to this site"
            )
        elif retaken:
            section_lock = cls
            unproven = (
                f"{owner.name}() releases {cls} at line {retaken[0]} both after its take at "
                f"line {aline} and after taking it again: a restore there would also end a "
                "section no save opened"
            )
        elif held_at_return or not releases:
            unproven = (
                f"{cls} taken by {owner.name}() is still held when it returns on some "
                "path: the critical section does not end in that function"
            )
        elif why := fits.partial(model, owner, ci, fits.toward(owner, chain, event), cls):
            unproven = why
        elif (
            event < 0
            and not chain
            and fits.only_call_between(owner, aline, releases, site_calls, locking)
        ):
            # a site, not a later use of a stored mask: a scope around
            # radix_tree_insert() replaces the mask INIT_RADIX_TREE() stored
            section_lock = cls
            unproven = (
                f"the critical section {owner.name}() opens at line {aline} holds this "
                "allocation and no other call: a scope there would only move the flag"
            )
        else:
            boundary = Boundary(owner.path, owner.name, aline, cls, releases)
            owner_context = entered
    if not found:
        # with a shared lock's chain shown, the decision rests on it: a
        # lock of unknown type, one reclaim takes only on what it frees
        # and one on a new object would each be a claim beside it
        for cls in unresolved[:1]:
            ev += witnesses.unresolved_evidence(prog, model, fn, event, line, cls)
        for cls in instance:
            ev += witnesses.instance_evidence(prog, model, fn, event, line, cls)
        ev += made_ev
    quiet = not (shared or unresolved or maybe or on_path)
    return Reclaim(
        shared,
        unresolved,
        on_path,
        boundary,
        tuple(ev),
        unproven,
        tuple(sorted(held)),
        maybe,
        instance,
        witnesses.call_sites(prog, model, fn, event, allow) if quiet else (),
        tuple(fresh_locks),
        section_lock,
        tuple(owner_context),
        joins if boundary is not None else "",
    )


def _waited_work(prog: Program) -> dict[int, Boundary]:
    """Work functions that a caller waits for inside a scope: the work runs
    in another task without that scope, so it needs its own, from its top."""
    out: dict[int, Boundary] = {}
    for fn, ci, _, worker in hazards.scoped_waits(prog):
        if worker.id in out or worker.facts.ir is None:
            continue
        wait_call, line = fn.facts.calls[ci]
        out[worker.id] = waits.whole(
            worker,
            f"work waited for by {fn.name}() ({fn.path}:{line}, {wait_call}) inside a scope",
        )
    return out


def _later(prog: Program, model: reclaim.Model, uses: list[tuple[Fn, int]]) -> Later:
    """Where a stored mask is used: whether every use is scoped, or one holds a
    reclaim-shared lock outside any scope (then that lock's critical section
    needs a scope)."""
    evidence: list[Evidence] = []
    all_scoped = bool(uses)
    boundary = None
    for fn, ci in uses:
        callee, line = fn.facts.calls[ci]
        scoped = prog.elems(fn, fn.state_at(ci)) == {IN}
        all_scoped &= scoped
        evidence.append(
            Evidence(
                fn.path,
                line,
                fn.name,
                f"{callee}() uses the stored mask "
                + ("inside a scope" if scoped else "not always inside a scope"),
            )
        )
        if not scoped and boundary is None:
            rec = _reclaim(prog, model, fn, ci, line)
            boundary = rec.boundary
            evidence += rec.evidence
    return Later(tuple(evidence), all_scoped, boundary)
