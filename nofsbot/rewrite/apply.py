"""The semantic patches applied to planned positions in the worktree.

Each function runs one rule of cocci/ on one file with the positions it is
to edit, and tells which of them it actually changed: spatch silently skips
functions it cannot parse, and `when strict` makes the scope rule refuse a
section a path leaves without a planned exit.
"""

from __future__ import annotations

import difflib
import tempfile
from pathlib import Path

import nofsbot.tools.spatch as coccinelle
from nofsbot.edits import scopes_json, sites_json
from nofsbot.model import Boundary, ChokePoint, Class, Finding

RULES = Path(__file__).resolve().parent.parent.parent / "cocci"
FLAGS_RULE = "nofs_flags.cocci"
BALANCE_RULE = "nofs_scope_balance.cocci"
SCOPE_RULE = "nofs_scope.cocci"
TOP_RULE = "nofs_scope_top.cocci"
CHOKE_RULE = "nofs_choke.cocci"

Missed = tuple[str, int, str]  # (path, line, why it was not rewritten)


def _changed_lines(before: list[str], after: list[str]) -> set[int]:
    changed: set[int] = set()
    ops = difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes()
    for tag, i1, i2, _, _ in ops:
        if tag != "equal":
            changed.update(range(i1 + 1, i2 + 1))
    return changed


def moved_lines(before: list[str], after: list[str]) -> dict[int, int]:
    """Where each line BEFORE a change that the change kept is AFTER it."""
    out: dict[int, int] = {}
    ops = difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, _ in ops:
        if tag == "equal":
            for k in range(i2 - i1):
                out[i1 + k + 1] = j1 + k + 1
    return out


def flags(
    worktree: Path, group: list[Finding], as_class: Class | None = None
) -> tuple[list[Finding], list[Missed]]:
    """Run the flags rule on one file's GROUP; return the sites rewritten and
    the others. AS_CLASS makes the rule treat every site as that class (a
    mapping mask moving to its choke point becomes GFP_KERNEL)."""
    path = group[0].site.path
    before = (worktree / path).read_text(errors="surrogateescape").splitlines()
    with tempfile.NamedTemporaryFile("w", suffix=".json") as tf:
        tf.write(sites_json(group, as_class))
        tf.flush()
        coccinelle.patch(
            RULES / FLAGS_RULE, [path], cwd=worktree, sites=Path(tf.name), in_place=True
        )
    after = (worktree / path).read_text(errors="surrogateescape").splitlines()
    changed = _changed_lines(before, after)
    done = [f for f in group if f.site.line in changed]
    skipped = [
        (f.site.path, f.site.line, "spatch did not rewrite it (it could not parse the function)")
        for f in group
        if f.site.line not in changed
    ]
    return done, skipped


def _scopes(worktree: Path, rule: str, boundaries: list[Boundary]) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".json") as tf:
        tf.write(scopes_json(boundaries))
        tf.flush()
        return coccinelle.patch(
            RULES / rule,
            [boundaries[0].path],
            cwd=worktree,
            sites=Path(tf.name),
            in_place=True,
            env_name="NOFSBOT_SCOPES",
        )


def scope(worktree: Path, boundary: Boundary) -> bool:
    """Open the scope of one boundary; whether the rule matched."""
    rule = TOP_RULE if boundary.top else SCOPE_RULE
    return "memalloc_nofs_save" in _scopes(worktree, rule, [boundary])


def choke(worktree: Path, c: ChokePoint) -> bool:
    """Wrap every page-cache call of a choke point in a scope; whether all were."""
    calls = [Boundary(c.path, c.function, line, c.mapping, ()) for line in c.calls]
    diff = _scopes(worktree, CHOKE_RULE, calls)
    added = [ln for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    saves = sum("memalloc_nofs_save()" in ln for ln in added)
    restores = sum("memalloc_nofs_restore(" in ln for ln in added)
    return saves == restores == len(c.calls)
