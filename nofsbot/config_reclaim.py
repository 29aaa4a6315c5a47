"""config/reclaim.toml: where memory reclaim re-enters filesystem code, the
locks it can take there, and the calls that take and release locks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nofsbot.errors import ConfigError
from nofsbot.tomlfile import int_table, read, take


@dataclass(frozen=True)
class ReclaimEntry:
    name: str
    struct: str
    fields: tuple[str, ...]
    gated: str  # always, tests-gfp, kswapd
    note: str = ""
    # the argument holding the object being freed (the inode ->destroy_inode
    # gets, its last reference gone), or -1
    freed: int = -1


@dataclass(frozen=True)
class LockWrapper:
    name: str
    trylock: str
    release: str
    arg: int
    classes: dict[str, str]
    # flags naming a lockdep subclass: token -> "base class/subclass"
    subclasses: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Handoff:
    """A call that hands locks its caller holds to an object that releases
    them later: xfs_trans_ijoin(tp, ip, XFS_ILOCK_EXCL) gives the ILOCK to
    the transaction, and xfs_trans_commit()/xfs_trans_cancel() unlock it."""

    join: str
    release: tuple[str, ...]
    wrapper: str = ""  # the lock wrapper whose flags name the locks (xfs_ilock)
    arg: int = -1  # the argument holding those flags
    lock: str = ""  # or the one class it hands over (xfs_trans_dqjoin: q_qlock)


@dataclass(frozen=True)
class Reclaim:
    entries: tuple[ReclaimEntry, ...]
    lru: dict[str, int]
    acquire: frozenset[str]
    semaphores: frozenset[str]
    trylock: frozenset[str]
    release: frozenset[str]
    inode_field: dict[str, str]
    wrappers: tuple[LockWrapper, ...]
    page_acquire: frozenset[str]
    page_trylock: frozenset[str]
    page_release: frozenset[str]
    writeback_start: frozenset[str]
    writeback_end: frozenset[str]
    fs_masks: frozenset[str]
    pagecache: dict[str, int]
    pagecache_gfp: dict[str, int]
    # conversions that give the same object (XFS_I(inode), container_of())
    same_object: frozenset[str] = frozenset()
    # calls that return an object nothing else holds yet (new_inode())
    new: frozenset[str] = frozenset()
    # functions only given an object nobody holds a reference to, which they
    # free: function -> its argument index (xfs_reclaim_inode)
    frees: dict[str, int] = field(default_factory=dict)
    handoffs: tuple[Handoff, ...] = ()
    # current->flags bits set in every reclaim context (PF_MEMALLOC)
    task_flags: frozenset[str] = frozenset()
    # values that are never negative: struct fields (inode.i_size) and
    # calls that return one (i_size_read)
    nonnegative: frozenset[str] = frozenset()
    # fields whose truth a caller's test hands on to a callee given the
    # same object (ubifs_write_inode() calls ubifs_jnl_write_inode() only
    # `if (inode->i_nlink)`)
    carried: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # predicates true only while a debugging knob is set (ubifs's
    # dbg_is_chk_gen()): code under them runs on a reclaim path, but a
    # path without them is the one evidence shows
    debug: frozenset[str] = frozenset()
    # calls that meet a folio from reclaim only while evicting an unlinked
    # inode (truncate_inode_pages_final()): the inode shrinker evicts only
    # inodes whose mapping is empty; a rare path, like an i_nlink of 0
    evicting: frozenset[str] = frozenset()
    # transaction starts that return the handle `current->journal_info`
    # holds, a reference more, where the task has one, each with the end
    # that returns at once for such a nested handle (btrfs's
    # start_transaction() and __btrfs_end_transaction())
    nests: dict[str, str] = field(default_factory=dict)
    # of acquire and trylock, the calls that take a lock shared (down_read())
    shared: frozenset[str] = frozenset()

    def entry_for(self, struct: str, field: str) -> ReclaimEntry | None:
        """The reclaim entry a function stored in STRUCT.FIELD is (STRUCT may be '')."""
        for e in self.entries:
            if field in e.fields and (not struct or struct == e.struct):
                return e
        return None


def load(path: Path) -> Reclaim:
    data = read(path)
    take(
        data,
        path,
        "",
        {
            "entry": list,
            "lru": dict,
            "locks": dict,
            "wrapper": list,
            "handoff": list,
            "page_locks": dict,
            "alloc": dict,
            "pagecache": dict,
            "pagecache_gfp": dict,
            "instances": dict,
            "context": dict,
        },
    )
    entry_keys = {
        "name": str,
        "struct": str,
        "fields": tuple,
        "gated": str,
        "note": str,
        "freed": int,
    }
    entries = []
    for e in data.get("entry", []):
        entry = ReclaimEntry(**take(e, path, "entry", entry_keys))
        if entry.gated not in ("always", "tests-gfp", "kswapd"):
            raise ConfigError(str(path), "entry.gated", "expected always, tests-gfp or kswapd")
        entries.append(entry)
    locks = take(
        data.get("locks", {}),
        path,
        "locks",
        {
            "acquire": tuple,
            "shared": tuple,
            "semaphores": tuple,
            "trylock": tuple,
            "release": tuple,
            "inode_field": dict,
        },
    )
    wrappers = []
    for w in data.get("wrapper", []):
        wr = take(
            w,
            path,
            "wrapper",
            {
                "name": str,
                "trylock": str,
                "release": str,
                "arg": int,
                "classes": dict,
                "subclasses": dict,
            },
        )
        wrappers.append(LockWrapper(**wr))
    handoffs = []
    names = {w.name for w in wrappers}
    for h in data.get("handoff", []):
        hd = take(
            h,
            path,
            "handoff",
            {"join": str, "wrapper": str, "arg": int, "lock": str, "release": tuple},
        )
        for key in ("join", "release"):
            if key not in hd:
                raise ConfigError(str(path), f"handoff.{key}", "missing")
        if ("lock" in hd) == ("wrapper" in hd or "arg" in hd):
            raise ConfigError(
                str(path), f"handoff {hd['join']}", "needs either lock or wrapper and arg"
            )
        if "lock" not in hd:
            for key in ("wrapper", "arg"):
                if key not in hd:
                    raise ConfigError(str(path), f"handoff.{key}", "missing")
            if hd["wrapper"] not in names:
                raise ConfigError(
                    str(path), "handoff.wrapper", f"no [[wrapper]] named {hd['wrapper']}"
                )
        handoffs.append(Handoff(**hd))
    page = take(
        data.get("page_locks", {}),
        path,
        "page_locks",
        {
            "acquire": tuple,
            "trylock": tuple,
            "release": tuple,
            "writeback": tuple,
            "writeback_end": tuple,
        },
    )
    alloc = take(data.get("alloc", {}), path, "alloc", {"fs_masks": tuple})
    inst = take(
        data.get("instances", {}),
        path,
        "instances",
        {"same_object": tuple, "frees": dict, "new": tuple},
    )
    ctx = take(
        data.get("context", {}),
        path,
        "context",
        {
            "task_flags": tuple,
            "nonnegative": tuple,
            "carried": dict,
            "debug": tuple,
            "evicting": tuple,
            "nests": dict,
        },
    )
    return Reclaim(
        entries=tuple(entries),
        lru=int_table(data.get("lru", {}), path, "lru"),
        acquire=frozenset(locks.get("acquire", ())),
        shared=frozenset(locks.get("shared", ())),
        semaphores=frozenset(locks.get("semaphores", ())),
        trylock=frozenset(locks.get("trylock", ())),
        release=frozenset(locks.get("release", ())),
        inode_field=dict(locks.get("inode_field", {})),
        wrappers=tuple(wrappers),
        handoffs=tuple(handoffs),
        page_acquire=frozenset(page.get("acquire", ())),
        page_trylock=frozenset(page.get("trylock", ())),
        page_release=frozenset(page.get("release", ())),
        writeback_start=frozenset(page.get("writeback", ())),
        writeback_end=frozenset(page.get("writeback_end", ())),
        fs_masks=frozenset(alloc.get("fs_masks", ())),
        pagecache=int_table(data.get("pagecache", {}), path, "pagecache"),
        pagecache_gfp=int_table(data.get("pagecache_gfp", {}), path, "pagecache_gfp"),
        same_object=frozenset(inst.get("same_object", ())),
        new=frozenset(inst.get("new", ())),
        frees=int_table(inst.get("frees", {}), path, "instances.frees"),
        task_flags=frozenset(ctx.get("task_flags", ())),
        nonnegative=frozenset(ctx.get("nonnegative", ())),
        carried={k: tuple(v) for k, v in ctx.get("carried", {}).items()},
        debug=frozenset(ctx.get("debug", ())),
        evicting=frozenset(ctx.get("evicting", ())),
        nests={str(k): str(v) for k, v in ctx.get("nests", {}).items()},
    )
