"""Which findings become edits, and how spatch is told about them.

The flags rule edits the classes with a mask rewrite (redundant, unneeded,
mixed, noop-mask): GFP_NOFS and ~__GFP_FS sites, and XFS's kmem_* calls with
KM_NOFS (which become kmalloc/kzalloc). The scope rule opens a
scope at each needs-scope boundary; the sites it covers are then converted
only if a new analysis proves them always scoped.
"""

from __future__ import annotations

import json

from nofsbot.model import Boundary, ChokePoint, Class, Finding, Kind

FLAG_CLASSES = {Class.REDUNDANT, Class.UNNEEDED, Class.MIXED, Class.NOOP_MASK}
FLAG_TOKENS = {"GFP_NOFS", "__GFP_FS"}


def flag_edits(findings: tuple[Finding, ...]) -> list[Finding]:
    """The findings the flags semantic patch (cocci/nofs_flags.cocci) converts:
    masks, and XFS's kmem_alloc/kmem_zalloc(.., KM_NOFS) calls."""
    return [
        f
        for f in findings
        if f.klass in FLAG_CLASSES
        and (
            f.site.token in FLAG_TOKENS
            or (f.site.token == "KM_NOFS" and f.site.kind is Kind.KMEM_ARG)
        )
    ]


def scope_edits(findings: tuple[Finding, ...]) -> dict[Boundary, list[Finding]]:
    """needs-scope findings grouped by the boundary of the scope they need."""
    out: dict[Boundary, list[Finding]] = {}
    for f in findings:
        if f.klass is Class.NEEDS_SCOPE and f.boundary is not None:
            out.setdefault(f.boundary, []).append(f)
    return dict(sorted(out.items()))


def choke_edits(findings: tuple[Finding, ...]) -> list[tuple[ChokePoint, list[Finding]]]:
    """Mapping masks that move to a scope at their choke point, by choke point
    (masks on two mappings one function allocates for share it: gfs2_getbuf)."""
    out: dict[tuple[str, str, tuple[int, ...]], list[Finding]] = {}
    for f in findings:
        if f.klass is Class.NEEDS_SCOPE and f.choke is not None:
            out.setdefault((f.choke.path, f.choke.function, f.choke.calls), []).append(f)
    return [(group[0].choke, group) for _, group in sorted(out.items()) if group[0].choke]


def scopes_json(boundaries: list[Boundary]) -> str:
    """The boundaries file cocci/nofs_scope.cocci reads through $NOFSBOT_SCOPES."""
    return (
        json.dumps(
            [
                {
                    "path": b.path,
                    "function": b.function,
                    "line": b.line,
                    "exits": list(b.exits),
                    "lock": b.lock,
                    "top": b.top,
                    "tail": list(b.tail) if b.tail else None,
                }
                for b in sorted(set(boundaries))
            ],
            indent=1,
        )
        + "\n"
    )


def _mask_class(f: Finding) -> Class:
    return Class.MIXED if f.nolockdep else f.klass


def sites_json(findings: list[Finding], as_class: Class | None = None) -> str:
    """The positions file cocci/nofs_flags.cocci reads through $NOFSBOT_SITES;
    AS_CLASS, when given, stands for every finding's own class."""
    rows = sorted(
        {
            # an instance-disjoint unneeded site takes the mixed sites' mask
            (f.site.path, f.site.line, f.site.col, str(as_class or _mask_class(f)))
            for f in findings
        }
    )
    return (
        json.dumps(
            [{"path": p, "line": line, "column": col, "class": k} for p, line, col, k in rows],
            indent=1,
        )
        + "\n"
    )
