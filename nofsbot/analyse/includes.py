"""Which headers of the analysed code each file includes, as Kbuild finds them."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping

from nofsbot.analyse.facts import FileFacts


def headers(files: Mapping[str, FileFacts]) -> dict[str, list[str]]:
    """For each file, the analysed files its `#include`s name, in order."""
    by_name: dict[str, list[str]] = {}
    for p in files:
        by_name.setdefault(posixpath.basename(p), []).append(p)
    out: dict[str, list[str]] = {}
    for p, f in files.items():
        d = posixpath.dirname(p)
        found = []
        for inc in f.includes:
            for cand in (posixpath.normpath(posixpath.join(d, inc)), f"include/{inc}"):
                if cand in files:
                    found.append(cand)
                    break
            else:
                other = _search_path(p, inc, by_name)
                if other:
                    found.append(other)
        out[p] = found
    return {p: _closure(p, out) for p in out}


def _closure(path: str, direct: dict[str, list[str]]) -> list[str]:
    """Every analysed header PATH includes, directly or through another
    one (fs/xfs/*.c get xfs_buf.h's inlines by way of xfs.h and
    xfs_linux.h), nearest first."""
    seen = dict.fromkeys(direct.get(path, ()))
    todo = list(seen)
    while todo:
        nxt = []
        for h in todo:
            for g in direct.get(h, ()):
                if g not in seen and g != path:
                    seen[g] = None
                    nxt.append(g)
        todo = nxt
    return list(seen)


def _search_path(path: str, inc: str, by_name: dict[str, list[str]]) -> str | None:
    """Where a quoted include that is not next to PATH comes from: Kbuild's
    `ccflags-y += -I $(src)` and `-I $(src)/libxfs` let fs/xfs/libxfs/*.c
    include "xfs_trans.h" from fs/xfs, and fs/xfs/*.c include "xfs_format.h"
    from fs/xfs/libxfs. The nearest directory of the same subsystem holding
    the file: an ancestor first, else the only match in a subdirectory."""
    top = "/".join(path.split("/")[:2]) + "/"
    want = "/" + posixpath.normpath(inc)
    same = [
        c
        for c in by_name.get(posixpath.basename(inc), ())
        if c.startswith(top) and c.endswith(want)
    ]
    d = posixpath.dirname(path)
    while d.startswith(top) or d + "/" == top:
        for c in same:
            if c == posixpath.normpath(posixpath.join(d, inc)):
                return c
        d = posixpath.dirname(d)
    return same[0] if len(same) == 1 else None
