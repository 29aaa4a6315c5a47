"""Kernel helpers that call a filesystem's ops back (config/entries.toml
`via`): `iput(inode)` calls `->evict_inode`, `iomap_file_buffered_write(iocb,
from, &xfs_buffered_write_iomap_ops)` calls that object's `->iomap_begin`.
A helper given an ops object by name calls only that object's functions;
one that is not may call any function stored in its entries' fields."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nofsbot.entries import OpsEntry

if TYPE_CHECKING:
    from nofsbot.analyse.program import Program

# ops object name -> (struct, field, function) it is initialised with
Objects = dict[str, list[tuple[str, str, int]]]
# struct -> (field, functions stored in it)
ByStruct = dict[str, list[tuple[str, list[int]]]]


def _covers(e: OpsEntry, fld: str) -> bool:
    return fld in e.fields or "*" in e.fields


def stored_callees(entries: list[OpsEntry], by_struct: ByStruct) -> tuple[int, ...]:
    """The functions stored in the fields of ENTRIES."""
    out = [
        fid
        for e in entries
        for fld, ids in by_struct.get(e.struct, ())
        if _covers(e, fld)
        for fid in ids
    ]
    return tuple(dict.fromkeys(out))


def object_callees(
    entries: list[OpsEntry], objects: Objects, named: tuple[str, ...]
) -> tuple[int, ...]:
    """The functions that the ops objects NAMED hold in the fields of ENTRIES."""
    out = [
        fid
        for e in entries
        for obj in named
        for st, fld, fid in objects.get(obj, ())
        if st == e.struct and _covers(e, fld)
    ]
    return tuple(dict.fromkeys(out))


def ops_objects(prog: Program) -> Objects:
    """Each ops object's functions, from its designated initialiser."""
    out: Objects = {}
    for f in prog.files.values():
        for r in f.refs:
            if r.obj and r.role in ("ops", "scoped-ops"):
                sf = prog.slot(r.detail)
                if sf is not None:
                    for t in prog.resolve(f.path, r.name, 1):
                        out.setdefault(r.obj, []).append((*sf, t))
    return out


def given(prog: Program) -> dict[tuple[str, str, int, str], tuple[str, ...]]:
    """(path, function, line, helper) -> the names a call to a helper that
    calls ops back is given."""
    out: dict[tuple[str, str, int, str], tuple[str, ...]] = {}
    for f in prog.files.values():
        for r in f.refs:
            if r.role == "via" and r.function:
                k = (f.path, r.function, r.line, r.detail.partition("#")[0])
                out[k] = (*out.get(k, ()), r.name)
    return out
