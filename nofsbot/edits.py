"""Which findings become edits, and how spatch is told about them.

Only the classes with a mask rewrite are edited (redundant, unneeded, mixed,
noop-mask) and only GFP_NOFS and ~__GFP_FS sites; XFS's KM_NOFS wrappers and
scope insertion (needs-scope) have semantic patches of their own.
"""

from __future__ import annotations

import json

from nofsbot.model import Class, Finding

FLAG_CLASSES = {Class.REDUNDANT, Class.UNNEEDED, Class.MIXED, Class.NOOP_MASK}
FLAG_TOKENS = {"GFP_NOFS", "__GFP_FS"}


def flag_edits(findings: tuple[Finding, ...]) -> list[Finding]:
    """The findings the flags semantic patch (cocci/nofs_flags.cocci) converts."""
    return [f for f in findings if f.klass in FLAG_CLASSES and f.site.token in FLAG_TOKENS]


def sites_json(findings: list[Finding]) -> str:
    """The positions file cocci/nofs_flags.cocci reads through $NOFSBOT_SITES."""
    rows = sorted({(f.site.path, f.site.line, f.site.col, str(f.klass)) for f in findings})
    return (
        json.dumps(
            [{"path": p, "line": line, "column": col, "class": k} for p, line, col, k in rows],
            indent=1,
        )
        + "\n"
    )
