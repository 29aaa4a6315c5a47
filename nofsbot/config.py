"""config/*.toml loaded into frozen dataclasses; unknown keys are errors."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from nofsbot import entries as _entries
from nofsbot.errors import ConfigError


def default_dir() -> Path:
    env = os.environ.get("NOFSBOT_CONFIG")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent.parent / "config"
    if here.is_dir():
        return here
    return Path(sys.prefix) / "share" / "nofsbot" / "config"


@dataclass(frozen=True)
class Pair:
    name: str
    begin: tuple[str, ...]
    end: tuple[str, ...]
    handover: tuple[str, ...] = ()
    conditional: bool = False
    note: str = ""


@dataclass(frozen=True)
class ScopedFunctions:
    name: str
    functions: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class ScopedOps:
    name: str
    struct: str
    fields: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Explicit:
    save: tuple[str, ...]
    restore: tuple[str, ...]
    flags_save: tuple[str, ...]
    flags_restore: tuple[str, ...]
    flag_bits: tuple[str, ...]


@dataclass(frozen=True)
class Providers:
    explicit: Explicit
    pairs: tuple[Pair, ...]
    functions: tuple[ScopedFunctions, ...]
    ops: tuple[ScopedOps, ...]
    not_providers: tuple[ScopedFunctions, ...]


@dataclass(frozen=True)
class Apis:
    alloc: dict[str, int]
    store: dict[str, int]
    store_users: dict[str, int]
    signal: dict[str, int]
    mapping: dict[str, int]
    kmem: dict[str, int]
    lookup: dict[str, int] = field(default_factory=dict)
    retry: dict[str, int] = field(default_factory=dict)
    creating: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Macros:
    blank: tuple[str, ...]
    blank_call: tuple[str, ...]
    zero_call: tuple[str, ...]
    rename: dict[str, str]
    iterator_pattern: str


@dataclass(frozen=True)
class Workqueues:
    """How workqueues are made (config/roots.toml [workqueue])."""

    alloc: dict[str, int] = field(default_factory=dict)  # call -> flags argument
    flags: tuple[str, ...] = ()  # flags whose work runs without a new worker
    rescued: tuple[str, ...] = ()
    system: tuple[str, ...] = ()
    schedule: dict[str, int] = field(default_factory=dict)  # call -> work argument
    flush: tuple[str, ...] = ()


@dataclass(frozen=True)
class Roots:
    work: dict[str, int]
    wait: tuple[str, ...]
    ignore_callee: str = "$^"
    queue: dict[str, int] = field(default_factory=dict)
    workqueue: Workqueues = field(default_factory=Workqueues)
    # calls that sleep until an event on the object in an argument, and the
    # calls that produce that event: call -> argument index
    sleep: dict[str, int] = field(default_factory=dict)
    wake: dict[str, int] = field(default_factory=dict)
    # the calls of `work` whose function runs in a kernel thread
    threads: tuple[str, ...] = ()


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
    fs_masks: frozenset[str]
    pagecache: dict[str, int]
    pagecache_gfp: dict[str, int]
    # conversions that give the same object (XFS_I(inode), container_of())
    same_object: frozenset[str] = frozenset()
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

    def entry_for(self, struct: str, field: str) -> ReclaimEntry | None:
        """The reclaim entry a function stored in STRUCT.FIELD is (STRUCT may be '')."""
        for e in self.entries:
            if field in e.fields and (not struct or struct == e.struct):
                return e
        return None


# What a call does to the NOFS scope.
BEGIN, END, COND_BEGIN, COND_END, NEUTRAL = "begin", "end", "cond-begin", "cond-end", "neutral"
HANDOVER = "handover"  # ends one scope and opens the next: neutral for its caller


@dataclass(frozen=True)
class Config:
    providers: Providers
    apis: Apis
    macros: Macros
    roots: Roots
    reclaim: Reclaim
    entries: _entries.Entries = field(default_factory=_entries.Entries)
    digest: str = field(default="", compare=False)

    @cached_property
    def _pair_patterns(self) -> list[tuple[str, str, Pair]]:
        out: list[tuple[str, str, Pair]] = []
        for p in self.providers.pairs:
            b, e = (COND_BEGIN, COND_END) if p.conditional else (BEGIN, END)
            out += [(pat, b, p) for pat in p.begin]
            out += [(pat, e, p) for pat in p.end]
            out += [(pat, HANDOVER, p) for pat in p.handover]
        return out

    @cached_property
    def _effects(self) -> dict[str, tuple[str, Pair | None]]:
        return {}

    def scope_effect(self, name: str) -> tuple[str, Pair | None]:
        """What calling NAME does to the scope, and the provider responsible."""
        got = self._effects.get(name)
        if got is None:
            got = self._effects[name] = self._scope_effect(name)
        return got

    def _scope_effect(self, name: str) -> tuple[str, Pair | None]:
        ex = self.providers.explicit
        if name in ex.save:
            return BEGIN, None
        if name in ex.restore:
            return END, None
        for pat, effect, pair in self._pair_patterns:
            if name == pat or ("*" in pat and fnmatch.fnmatchcase(name, pat)):
                return effect, pair
        return NEUTRAL, None

    @cached_property
    def scope_names(self) -> frozenset[str]:
        """Exact names with a scope effect (patterns are matched separately)."""
        ex = self.providers.explicit
        names = set(ex.save) | set(ex.restore) | set(ex.flags_save) | set(ex.flags_restore)
        for pat, _, _ in self._pair_patterns:
            names.add(pat)
        return frozenset(names)

    @cached_property
    def scope_pattern(self) -> re.Pattern[str]:
        """One regular expression matching every name with a scope effect."""
        parts = [fnmatch.translate(p)[4:-3] for p in sorted(self.scope_names)]
        return re.compile("|".join(f"(?:{p})" for p in parts))

    def provider_note(self, name: str) -> str:
        _, pair = self.scope_effect(name)
        return pair.note if pair else ""

    def not_provider(self, name: str) -> ScopedFunctions | None:
        for np in self.providers.not_providers:
            if any(fnmatch.fnmatchcase(name, pat) for pat in np.functions):
                return np
        return None


def _take(
    data: dict[str, Any], path: Path, section: str, keys: Mapping[str, type]
) -> dict[str, Any]:
    for key in data:
        if key not in keys:
            raise ConfigError(str(path), f"{section}.{key}" if section else key, "unknown key")
    out: dict[str, Any] = {}
    for key, typ in keys.items():
        if key not in data:
            continue
        value = data[key]
        if typ is tuple:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(str(path), f"{section}.{key}", "expected a list of strings")
            value = tuple(value)
        elif not isinstance(value, typ):
            raise ConfigError(str(path), f"{section}.{key}", f"expected {typ.__name__}")
        out[key] = value
    return out


def _int_table(data: Any, path: Path, section: str) -> dict[str, int]:
    if not isinstance(data, dict):
        raise ConfigError(str(path), section, "expected a table")
    for k, v in data.items():
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise ConfigError(str(path), f"{section}.{k}", "expected an argument index >= 0")
    return dict(data)


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError as e:
        raise ConfigError(str(path), "-", "file not found") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(str(path), "-", str(e)) from e


def _providers(path: Path) -> Providers:
    data = _read(path)
    _take(
        data,
        path,
        "",
        {"explicit": dict, "pair": list, "function": list, "ops": list, "not_provider": list},
    )
    ex = _take(
        data.get("explicit", {}),
        path,
        "explicit",
        {
            "save": tuple,
            "restore": tuple,
            "flags_save": tuple,
            "flags_restore": tuple,
            "flag_bits": tuple,
        },
    )
    pair_keys = {
        "name": str,
        "begin": tuple,
        "end": tuple,
        "handover": tuple,
        "conditional": bool,
        "note": str,
    }
    fn_keys = {"name": str, "functions": tuple, "note": str}
    ops_keys = {"name": str, "struct": str, "fields": tuple, "note": str}
    return Providers(
        explicit=Explicit(
            **{
                k: ex.get(k, ())
                for k in ("save", "restore", "flags_save", "flags_restore", "flag_bits")
            }
        ),
        pairs=tuple(Pair(**_take(p, path, "pair", pair_keys)) for p in data.get("pair", [])),
        functions=tuple(
            ScopedFunctions(**_take(p, path, "function", fn_keys)) for p in data.get("function", [])
        ),
        ops=tuple(ScopedOps(**_take(p, path, "ops", ops_keys)) for p in data.get("ops", [])),
        not_providers=tuple(
            ScopedFunctions(**_take(p, path, "not_provider", fn_keys))
            for p in data.get("not_provider", [])
        ),
    )


def load(directory: Path | None = None) -> Config:
    d = directory or default_dir()
    names = ("providers", "alloc", "macros", "roots", "reclaim", "entries")
    files = {n: d / f"{n}.toml" for n in names}
    digest = hashlib.blake2b(digest_size=8)
    for p in files.values():
        if p.is_file():
            digest.update(p.read_bytes())
    alloc = _read(files["alloc"])
    tables = ("alloc", "store", "store_users", "signal", "mapping", "kmem", "lookup", "retry")
    _take(alloc, files["alloc"], "", {**dict.fromkeys(tables, dict), "creating": tuple})
    apis = Apis(
        **{k: _int_table(alloc.get(k, {}), files["alloc"], k) for k in tables},
        creating=frozenset(alloc.get("creating", ())),
    )
    mac = _read(files["macros"])
    m = _take(
        mac,
        files["macros"],
        "",
        {
            "blank": tuple,
            "blank_call": tuple,
            "zero_call": tuple,
            "rename": dict,
            "iterators": dict,
        },
    )
    it = _take(mac.get("iterators", {}), files["macros"], "iterators", {"pattern": str})
    for k, v in m.get("rename", {}).items():
        if not isinstance(v, str) or len(v) > len(k):
            raise ConfigError(
                str(files["macros"]), f"rename.{k}", "expected a string no longer than the name"
            )
    macros = Macros(
        blank=m.get("blank", ()),
        blank_call=m.get("blank_call", ()),
        zero_call=m.get("zero_call", ()),
        rename=m.get("rename", {}),
        iterator_pattern=it.get("pattern", "for_each"),
    )
    ro = _read(files["roots"])
    _take(
        ro,
        files["roots"],
        "",
        {
            "work": dict,
            "wait": dict,
            "ignore": dict,
            "queue": dict,
            "workqueue": dict,
            "sleep": dict,
            "wake": dict,
            "threads": dict,
        },
    )
    wq = _take(
        ro.get("workqueue", {}),
        files["roots"],
        "workqueue",
        {
            "alloc": dict,
            "flags": tuple,
            "rescued": tuple,
            "system": tuple,
            "schedule": dict,
            "flush": tuple,
        },
    )
    wait = _take(ro.get("wait", {}), files["roots"], "wait", {"names": tuple})
    ignore = _take(ro.get("ignore", {}), files["roots"], "ignore", {"callee_pattern": str})
    try:
        re.compile(ignore.get("callee_pattern", "$^"))
    except re.error as e:
        raise ConfigError(str(files["roots"]), "ignore.callee_pattern", str(e)) from e
    roots = Roots(
        work=_int_table(ro.get("work", {}), files["roots"], "work"),
        wait=wait.get("names", ()),
        ignore_callee=ignore.get("callee_pattern", "$^"),
        queue=_int_table(ro.get("queue", {}), files["roots"], "queue"),
        workqueue=Workqueues(
            alloc=_int_table(wq.get("alloc", {}), files["roots"], "workqueue.alloc"),
            flags=wq.get("flags", ()),
            rescued=wq.get("rescued", ()),
            system=wq.get("system", ()),
            schedule=_int_table(wq.get("schedule", {}), files["roots"], "workqueue.schedule"),
            flush=wq.get("flush", ()),
        ),
        sleep=_int_table(ro.get("sleep", {}), files["roots"], "sleep"),
        wake=_int_table(ro.get("wake", {}), files["roots"], "wake"),
        threads=_take(ro.get("threads", {}), files["roots"], "threads", {"names": tuple}).get(
            "names", ()
        ),
    )
    return Config(
        _providers(files["providers"]),
        apis,
        macros,
        roots,
        _reclaim(files["reclaim"]),
        # optional: without it every caller outside the analysed code is unknown
        _entries.load(files["entries"], _read(files["entries"]))
        if files["entries"].is_file()
        else _entries.Entries(),
        digest.hexdigest(),
    )


def _reclaim(path: Path) -> Reclaim:
    data = _read(path)
    _take(
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
        entry = ReclaimEntry(**_take(e, path, "entry", entry_keys))
        if entry.gated not in ("always", "tests-gfp", "kswapd"):
            raise ConfigError(str(path), "entry.gated", "expected always, tests-gfp or kswapd")
        entries.append(entry)
    locks = _take(
        data.get("locks", {}),
        path,
        "locks",
        {
            "acquire": tuple,
            "semaphores": tuple,
            "trylock": tuple,
            "release": tuple,
            "inode_field": dict,
        },
    )
    wrappers = []
    for w in data.get("wrapper", []):
        wr = _take(
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
        hd = _take(
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
    page = _take(
        data.get("page_locks", {}),
        path,
        "page_locks",
        {"acquire": tuple, "trylock": tuple, "release": tuple},
    )
    alloc = _take(data.get("alloc", {}), path, "alloc", {"fs_masks": tuple})
    inst = _take(
        data.get("instances", {}), path, "instances", {"same_object": tuple, "frees": dict}
    )
    ctx = _take(
        data.get("context", {}),
        path,
        "context",
        {"task_flags": tuple, "nonnegative": tuple, "carried": dict},
    )
    return Reclaim(
        entries=tuple(entries),
        lru=_int_table(data.get("lru", {}), path, "lru"),
        acquire=frozenset(locks.get("acquire", ())),
        semaphores=frozenset(locks.get("semaphores", ())),
        trylock=frozenset(locks.get("trylock", ())),
        release=frozenset(locks.get("release", ())),
        inode_field=dict(locks.get("inode_field", {})),
        wrappers=tuple(wrappers),
        handoffs=tuple(handoffs),
        page_acquire=frozenset(page.get("acquire", ())),
        page_trylock=frozenset(page.get("trylock", ())),
        page_release=frozenset(page.get("release", ())),
        fs_masks=frozenset(alloc.get("fs_masks", ())),
        pagecache=_int_table(data.get("pagecache", {}), path, "pagecache"),
        pagecache_gfp=_int_table(data.get("pagecache_gfp", {}), path, "pagecache_gfp"),
        same_object=frozenset(inst.get("same_object", ())),
        frees=_int_table(inst.get("frees", {}), path, "instances.frees"),
        task_flags=frozenset(ctx.get("task_flags", ())),
        nonnegative=frozenset(ctx.get("nonnegative", ())),
        carried={k: tuple(v) for k, v in ctx.get("carried", {}).items()},
    )
