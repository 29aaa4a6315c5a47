"""Frozen dataclasses passed between stages. Paths are relative to the tree root."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a NOFS token is used at a site."""

    ALLOC_ARG = "alloc-arg"  # argument of an allocation API: kmalloc(.., GFP_NOFS)
    KMEM_ARG = "kmem-arg"  # XFS 6.1 kmem_*(.., KM_NOFS)
    CALL_ARG = "call-arg"  # argument of another call, which may allocate with it
    MASK_VAR = "mask-var"  # assigned to a variable: gfp = GFP_NOFS, gfp |= GFP_NOFS
    MASK_CLEAR = "mask-clear"  # computed: gfp & ~__GFP_FS
    STORED = "stored"  # kept for later: INIT_RADIX_TREE, a struct field
    MAPPING = "mapping-mask"  # mapping_set_gfp_mask(.., ~__GFP_FS)
    SIGNAL = "signal"  # read as a signal: shrink_control, a callee testing __GFP_FS
    RETRY = "retry"  # names a failed allocation's mask: memalloc_retry_wait(GFP_NOFS)
    RETURN = "return"  # returned to the caller
    OTHER = "other"  # a use nofsbot does not recognise
    UNPARSED = "unparsed"  # in code the parser could not make sense of


class Context(StrEnum):
    ALWAYS = "always"  # inside a NOFS scope on every path
    SOMETIMES = "sometimes"  # inside on some paths, outside on others
    NEVER = "never"  # outside on every known path
    UNKNOWN = "unknown"  # reachable from callers nofsbot cannot see


class Class(StrEnum):
    REDUNDANT = "redundant"  # always scoped: GFP_KERNEL
    MIXED = (
        "mixed"  # sometimes scoped, no reclaim-shared lock outside: GFP_KERNEL | __GFP_NOLOCKDEP
    )
    UNNEEDED = "unneeded"  # never scoped, no reclaim-shared lock: GFP_KERNEL
    NEEDS_SCOPE = "needs-scope"  # NOFS really needed: a scope at the critical section
    NOOP_MASK = "noop-mask"  # GFP_KERNEL | GFP_NOFS is GFP_KERNEL
    KEEP = "keep"  # must stay; the reason says why


@dataclass(frozen=True, order=True)
class Span:
    path: str
    line: int
    function: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        return f"{where} ({self.function})" if self.function else where


@dataclass(frozen=True)
class Site:
    path: str
    line: int
    col: int
    function: str | None
    kind: Kind
    token: str  # GFP_NOFS, KM_NOFS or __GFP_FS
    expression: str  # the whole mask expression, whitespace folded
    callee: str | None = None  # the call the expression is an argument of
    arg_index: int | None = None
    variable: str | None = None  # for mask-var: the variable assigned
    uses: tuple[str, ...] = ()  # for mask-var: calls the variable flows to

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.path, self.line, self.col)


@dataclass(frozen=True)
class Evidence:
    """One step of an evidence chain a human can check in the source."""

    path: str
    line: int
    function: str | None
    note: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        if self.function:
            where += f" {self.function}()"
        return f"{where}: {self.note}"


@dataclass(frozen=True, order=True)
class Boundary:
    """Where a new NOFS scope belongs: right after the statement at LINE."""

    path: str
    function: str
    line: int
    lock: str  # the reclaim-shared lock whose critical section it covers
    exits: tuple[int, ...]  # lines where memalloc_nofs_restore() goes
    # a scope over a whole function (work reclaim waits for): LINE is where
    # the function starts, EXITS its returns, and TAIL, if it can run off
    # its end, where its last statement starts (line, column)
    top: bool = False
    tail: tuple[int, int] | None = None
    thread: bool = False  # a TOP scope over a kernel thread's function, not work


@dataclass(frozen=True)
class ChokePoint:
    """The one function that allocates page cache on a mapping whose mask
    clears __GFP_FS: the mask can become a scope around these calls."""

    path: str
    function: str
    mapping: str  # the mapping expression at the mask site
    calls: tuple[int, ...]  # lines of the page-cache allocations to wrap
    scoped: bool  # every one of them already runs inside a NOFS scope


@dataclass(frozen=True)
class Finding:
    """A site with its scope context and class: one row of `nofsbot scan`."""

    site: Site
    context: Context
    klass: Class
    reason: str
    evidence: tuple[Evidence, ...]
    suggestion: str | None = None  # the mask to use instead, when the class has one
    boundary: Boundary | None = None  # for needs-scope
    choke: ChokePoint | None = None  # for a mapping mask that can become a scope
    locks_held: tuple[str, ...] = ()  # lock classes that may be held at the site
    reclaim_shared: tuple[str, ...] = ()  # those of them that reclaim also takes

    @property
    def nolockdep(self) -> bool:
        """An unneeded site under a lock class reclaim takes only on the object
        it frees: the mask it gets says __GFP_NOLOCKDEP, since lockdep names
        the two objects' locks by one class."""
        return self.klass is Class.UNNEEDED and "__GFP_NOLOCKDEP" in (self.suggestion or "")


@dataclass(frozen=True)
class Hazard:
    """A likely bug: a reclaim deadlock, a stall, an unbalanced scope."""

    kind: str
    path: str
    line: int
    function: str | None
    message: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Occurrence:
    """A grep hit for a NOFS token that is not a site, and why."""

    path: str
    line: int
    token: str
    category: str  # comment, string, macro-body, definition, directive, disabled


@dataclass(frozen=True)
class FileProblem:
    path: str
    line: int
    message: str


@dataclass(frozen=True)
class ScanReport:
    tree: str
    paths: tuple[str, ...]
    findings: tuple[Finding, ...]
    accounted: tuple[Occurrence, ...]
    unaccounted: tuple[Occurrence, ...]
    problems: tuple[FileProblem, ...]
    files_analysed: int
    functions: int


@dataclass(frozen=True, order=True)
class FunctionSpan:
    """A function definition: where it starts and ends."""

    path: str
    line: int
    end_line: int
    name: str
