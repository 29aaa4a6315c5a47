"""What the analysis says about one site: its scope context, locks, evidence."""

from __future__ import annotations

from dataclasses import dataclass

from nofsbot.analyse.mapping import MappingVerdict
from nofsbot.model import Boundary, Context, Evidence, Site


@dataclass(frozen=True)
class Reclaim:
    """What reclaim can do to a site: the locks it shares with the site."""

    shared: tuple[str, ...] = ()  # reclaim-shared lock classes possibly held here
    # held locks that may be shared, where one side's struct type is unknown
    unresolved: tuple[str, ...] = ()
    on_reclaim_path: str | None = None  # how reclaim itself reaches this function
    boundary: Boundary | None = None  # where a scope would cover the critical section
    evidence: tuple[Evidence, ...] = ()
    unproven: str = ""  # why no boundary could be proposed although a shared lock is held
    held: tuple[str, ...] = ()  # every lock class that may be held at the site
    # reclaim-shared classes a call before the site may have returned holding
    maybe: tuple[str, ...] = ()
    # held classes reclaim takes only on the object it frees: never this
    # task's (lockdep conflates the two: __GFP_NOLOCKDEP)
    instance: tuple[str, ...] = ()
    # where nothing reclaim takes is held: the function's call sites, each
    # holding nothing reclaim takes (the evidence of an unneeded site)
    callers: tuple[Evidence, ...] = ()
    # held classes taken on an object this function has just made and given
    # to no one (fresh.py): reclaim cannot reach it, lockdep names it alike
    made: tuple[str, ...] = ()
    # the lock taken in the site's function whose critical section no scope
    # fits (one allocation alone; a release that ends a reopened section)
    section_lock: str = ""
    # with a boundary: how the function that takes its lock is entered
    # outside any scope (its chain of callers up to an entry point), the
    # path the needs-scope claim runs on together with the held chain
    owner_context: tuple[Evidence, ...] = ()
    # the function that set current->journal_info before the boundary's
    # lock was taken, where reclaim's take reads it first: this task's
    # reclaim joins that transaction (witnesses.joined())
    joins: str = ""


@dataclass(frozen=True)
class WokenLater:
    """A function whose code, up to LINE, runs before its task wakes a
    kthread that may sleep holding a lock reclaim takes."""

    line: int  # sites before this line (0: all of the function)
    thread: str  # the kthread
    lock: str  # the lock it may hold while it sleeps
    evidence: tuple[Evidence, ...]  # the wake, the thread's sleep, reclaim's take


@dataclass(frozen=True)
class WorkWait:
    """A site that runs, outside any scope, in work (or a kthread) whose
    progress a reclaim path waits for (waits.py)."""

    boundary: Boundary  # a scope from the top of the work function
    evidence: tuple[Evidence, ...]  # reclaim's path to the wait, then the wake
    calls: int  # calls between the reclaim entry point and the wait
    # why the path to the wake is not shown ("" if it is)
    through: str = ""
    # for an operation whose removal reclaim waits for (drained.py): the
    # object it belongs to and the removal (`format1_fops`, debugfs_remove)
    operation: tuple[str, str] | None = None
    # a call from outside the work reaches the site: the scope from the
    # work's top does not cover every path to it
    outside: bool = False


@dataclass(frozen=True)
class Later:
    """The allocations a stored mask is used for later (radix_tree_insert)."""

    uses: tuple[Evidence, ...]  # each use, with its context
    all_scoped: bool  # every use runs inside a scope
    boundary: Boundary | None  # a use under a reclaim-shared lock outside any scope


@dataclass(frozen=True)
class Placed:
    """A site placed in its scope context, with the evidence for it."""

    site: Site
    context: Context
    evidence: tuple[Evidence, ...]
    signal: str | None  # why the mask is read as a signal, if it is
    reclaim: Reclaim = Reclaim()
    mapping: MappingVerdict | None = None  # for mapping masks: the choke point, or why not
    later: Later | None = None  # for stored masks: where they are used
    waited: Boundary | None = None  # in work a scoped caller waits for: its own scope
    flushed: Evidence | None = None  # in (or called from) work some code waits for
    used_under: Evidence | None = None  # a callee uses the mask under a lock reclaim takes
    unknown: str | None = None  # for an unknown context: what nofsbot cannot see
    work_wait: WorkWait | None = None  # runs in work whose progress reclaim waits for
    ignored: str | None = None  # the callee never reads the mask passed to it
    # runs before its task wakes a kthread that may sleep holding a lock
    # reclaim takes (woken.woken_later())
    woken: WokenLater | None = None
