"""config/entries.toml: how code outside the analysed subsystem calls into it.

Entry contexts replace "unknown caller" where the kernel's calling convention
is an API fact: the VFS calls `file_operations` from system calls with no
scope, `->lookup` with the parent's i_rwsem held, `fill_super` under the new
superblock's s_umount, and helpers such as `iput()` or `read_mapping_folio()`
call a filesystem's ops back in their caller's context.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nofsbot.errors import ConfigError
from nofsbot.tomlfile import int_table


@dataclass(frozen=True)
class OpsEntry:
    """Functions stored in STRUCT.FIELD (FIELD "*": any field)."""

    name: str
    struct: str
    fields: tuple[str, ...]
    outside: bool = False  # also called from outside the analysed code, with no scope
    holds: tuple[str, ...] = ()  # lock classes the kernel holds when it calls them
    via: tuple[str, ...] = ()  # helpers that call them back in their caller's context
    # via helper -> the argument that must not be NULL for it to call back
    # (`d_add(dentry, NULL)` runs no security hook)
    nonnull: tuple[tuple[str, int], ...] = ()
    # STRUCT.FIELD slots one of which must hold the table itself (the
    # file_operations of a `struct miscdevice`'s .fops); () for any table
    within: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class CallbackEntry:
    """A function passed as argument CALLS[callee] runs inside that call
    (callback) or later from outside code with no scope (init)."""

    name: str
    calls: dict[str, int]
    holds: tuple[str, ...] = ()
    note: str = ""
    # constant arguments the call passes it: parameter index -> value
    # (buffer.c's read helpers call get_block(inode, block, bh, 0))
    args: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Entries:
    ops: tuple[OpsEntry, ...] = ()
    callbacks: tuple[CallbackEntry, ...] = ()
    inits: tuple[CallbackEntry, ...] = ()

    def ops_for(
        self, struct: str, field: str, held_in: frozenset[str] = frozenset()
    ) -> OpsEntry | None:
        """The entry for a function stored in STRUCT.FIELD of a table that
        is itself held in the slots HELD_IN ("miscdevice.fops"): one whose
        `within` names such a slot first, then one naming the field, then
        one for every field of the struct."""
        named = star = None
        for e in self.ops:
            if e.struct != struct or (e.within and not held_in.intersection(e.within)):
                continue
            if e.within and (field in e.fields or "*" in e.fields):
                return e
            if field in e.fields and named is None:
                named = e
            if "*" in e.fields and star is None:
                star = e
        return named or star

    def within_slots(self) -> frozenset[str]:
        """The slots any entry's `within` names."""
        return frozenset(w for e in self.ops for w in e.within)

    def via_calls(self) -> dict[str, list[OpsEntry]]:
        """Helper name -> the ops entries it calls back."""
        out: dict[str, list[OpsEntry]] = {}
        for e in self.ops:
            for name in e.via:
                out.setdefault(name, []).append(e)
        return out

    def callback(self, callee: str, index: int) -> CallbackEntry | None:
        return next((c for c in self.callbacks if c.calls.get(callee) == index), None)

    def init(self, callee: str, index: int) -> CallbackEntry | None:
        return next((c for c in self.inits if c.calls.get(callee) == index), None)


def _strings(value: Any, path: Path, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(str(path), key, "expected a list of strings")
    return tuple(value)


def _table(item: Any, path: Path, section: str, keys: Mapping[str, type]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ConfigError(str(path), section, "expected a table")
    out: dict[str, Any] = {}
    for k, v in item.items():
        if k not in keys:
            raise ConfigError(str(path), f"{section}.{k}", "unknown key")
        typ = keys[k]
        if typ is tuple:
            out[k] = _strings(v, path, f"{section}.{k}")
        elif typ is dict:
            what = "argument index = value" if k == "args" else "callee = argument index"
            if (
                not isinstance(v, dict)
                or not all(
                    isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in v.values()
                )
                or (k == "args" and not all(str(key).isdigit() for key in v))
            ):
                raise ConfigError(str(path), f"{section}.{k}", f"expected {what}")
            out[k] = dict(v)
        elif not isinstance(v, typ):
            raise ConfigError(str(path), f"{section}.{k}", f"expected {typ.__name__}")
        else:
            out[k] = v
    for k in ("name",):
        if k not in out:
            raise ConfigError(str(path), f"{section}.{k}", "missing")
    return out


def load(path: Path, data: dict[str, Any]) -> Entries:
    for k in data:
        if k not in ("ops", "callback", "init"):
            raise ConfigError(str(path), k, "unknown key")
    ops_keys = {
        "name": str,
        "struct": str,
        "fields": tuple,
        "outside": bool,
        "holds": tuple,
        "via": tuple,
        "nonnull": dict,
        "within": tuple,
        "note": str,
    }
    cb_keys = {"name": str, "calls": dict, "holds": tuple, "note": str, "args": dict}
    ops = []
    for item in data.get("ops", []):
        t = _table(item, path, "ops", ops_keys)
        if "struct" not in t or "fields" not in t:
            raise ConfigError(str(path), "ops", f"{t['name']}: struct and fields are required")
        for w in t.get("within", ()):
            if len(w.split(".")) != 2 or not all(p.isidentifier() for p in w.split(".")):
                raise ConfigError(str(path), "ops.within", f"{w!r}: expected STRUCT.FIELD")
        if "nonnull" in t:
            t["nonnull"] = tuple(sorted(int_table(t["nonnull"], path, "ops.nonnull").items()))
        ops.append(OpsEntry(**t))
    callbacks = tuple(
        CallbackEntry(**_table(i, path, "callback", cb_keys)) for i in data.get("callback", [])
    )
    inits = tuple(CallbackEntry(**_table(i, path, "init", cb_keys)) for i in data.get("init", []))
    return Entries(tuple(ops), callbacks, inits)
