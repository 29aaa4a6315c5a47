"""config/*.toml loaded into frozen dataclasses; unknown keys are errors."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from nofsbot import entries as _entries
from nofsbot.config_reclaim import Reclaim
from nofsbot.config_reclaim import load as load_reclaim
from nofsbot.errors import ConfigError
from nofsbot.tomlfile import int_table, read, take


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
class Drained:
    """Operations whose removal waits for the calls running on them
    (config/roots.toml [drained])."""

    register: dict[str, int] = field(default_factory=dict)  # call -> ops argument
    remove: tuple[str, ...] = ()
    # call -> argument: ops (or a function) an operation hands on, which
    # run within it (seq_open())
    within: dict[str, int] = field(default_factory=dict)


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
    # of those, the calls whose function is a thread's own (kthread_run())
    own_threads: tuple[str, ...] = ()
    # calls with which a kthread sleeps until its task is woken
    task_sleep: tuple[str, ...] = ()
    drained: Drained = field(default_factory=lambda: Drained())


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


def _providers(path: Path) -> Providers:
    data = read(path)
    take(
        data,
        path,
        "",
        {"explicit": dict, "pair": list, "function": list, "ops": list, "not_provider": list},
    )
    ex = take(
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
        pairs=tuple(Pair(**take(p, path, "pair", pair_keys)) for p in data.get("pair", [])),
        functions=tuple(
            ScopedFunctions(**take(p, path, "function", fn_keys)) for p in data.get("function", [])
        ),
        ops=tuple(ScopedOps(**take(p, path, "ops", ops_keys)) for p in data.get("ops", [])),
        not_providers=tuple(
            ScopedFunctions(**take(p, path, "not_provider", fn_keys))
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
    alloc = read(files["alloc"])
    tables = ("alloc", "store", "store_users", "signal", "mapping", "kmem", "lookup", "retry")
    take(alloc, files["alloc"], "", {**dict.fromkeys(tables, dict), "creating": tuple})
    apis = Apis(
        **{k: int_table(alloc.get(k, {}), files["alloc"], k) for k in tables},
        creating=frozenset(alloc.get("creating", ())),
    )
    mac = read(files["macros"])
    m = take(
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
    it = take(mac.get("iterators", {}), files["macros"], "iterators", {"pattern": str})
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
    ro = read(files["roots"])
    take(
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
            "task_sleep": dict,
            "drained": dict,
        },
    )
    dr = take(
        ro.get("drained", {}),
        files["roots"],
        "drained",
        {"register": dict, "remove": tuple, "within": dict},
    )
    wq = take(
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
    wait = take(ro.get("wait", {}), files["roots"], "wait", {"names": tuple})
    threads = take(ro.get("threads", {}), files["roots"], "threads", {"names": tuple, "own": tuple})
    ignore = take(ro.get("ignore", {}), files["roots"], "ignore", {"callee_pattern": str})
    try:
        re.compile(ignore.get("callee_pattern", "$^"))
    except re.error as e:
        raise ConfigError(str(files["roots"]), "ignore.callee_pattern", str(e)) from e
    roots = Roots(
        work=int_table(ro.get("work", {}), files["roots"], "work"),
        wait=wait.get("names", ()),
        ignore_callee=ignore.get("callee_pattern", "$^"),
        queue=int_table(ro.get("queue", {}), files["roots"], "queue"),
        workqueue=Workqueues(
            alloc=int_table(wq.get("alloc", {}), files["roots"], "workqueue.alloc"),
            flags=wq.get("flags", ()),
            rescued=wq.get("rescued", ()),
            system=wq.get("system", ()),
            schedule=int_table(wq.get("schedule", {}), files["roots"], "workqueue.schedule"),
            flush=wq.get("flush", ()),
        ),
        sleep=int_table(ro.get("sleep", {}), files["roots"], "sleep"),
        wake=int_table(ro.get("wake", {}), files["roots"], "wake"),
        threads=threads.get("names", ()),
        own_threads=threads.get("own", ()),
        task_sleep=take(
            ro.get("task_sleep", {}), files["roots"], "task_sleep", {"names": tuple}
        ).get("names", ()),
        drained=Drained(
            register=int_table(dr.get("register", {}), files["roots"], "drained.register"),
            remove=dr.get("remove", ()),
            within=int_table(dr.get("within", {}), files["roots"], "drained.within"),
        ),
    )
    return Config(
        _providers(files["providers"]),
        apis,
        macros,
        roots,
        load_reclaim(files["reclaim"]),
        # optional: without it every caller outside the analysed code is unknown
        _entries.load(files["entries"], read(files["entries"]))
        if files["entries"].is_file()
        else _entries.Entries(),
        digest.hexdigest(),
    )
