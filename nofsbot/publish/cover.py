"""The cover letter of a series and the changelog of a new version."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from nofsbot.publish.messages import WIDTH, fill

_CLASSES = {
    "redundant": "already inside a NOFS scope on every path: GFP_KERNEL",
    "mixed": "scoped on some paths, no reclaim lock on the others: __GFP_NOLOCKDEP",
    "unneeded": "never scoped, no lock reclaim takes: GFP_KERNEL",
    "needs-scope": "a new scope where reclaim could deadlock, instead of per-call flags",
    "noop-mask": "GFP_KERNEL | GFP_NOFS is GFP_KERNEL",
}


@dataclass(frozen=True)
class PatchRecord:
    """What a later version compares against: one patch of a series."""

    subject: str
    patch_id: str


def subject(prefix: str) -> str:
    return f"{prefix}: use the scoped NOFS API instead of GFP_NOFS"


def blurb(
    section: str,
    classes: list[str],
    verified: str,
    generated: str,
    changelog: str,
    local_base: str = "",
) -> str:
    """The cover letter's text: why, a per-class summary, how it was made
    and checked, and for a new version what changed."""
    paras = [
        fill(
            "GFP_NOFS keeps one allocation out of filesystem reclaim; the scoped API "
            "(memalloc_nofs_save() and memalloc_nofs_restore(), see "
            "Documentation/core-api/gfp_mask-from-fs-io.rst) says it once, for the "
            "section of code that needs it. This series moves "
            f"{section or 'this code'} that way where the change can be shown to be right:",
            WIDTH,
        )
    ]
    counts = Counter(c or "other" for c in classes)
    rows = []
    for klass, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        what = _CLASSES.get(klass, "changes made by hand")
        rows.append(
            fill(
                f"{klass} ({n} {'patch' if n == 1 else 'patches'}): {what}",
                WIDTH,
                initial_indent="  - ",
                subsequent_indent="    ",
            )
        )
    paras.append("\n".join(rows))
    paras.append(
        fill(
            "Each patch says which scope covers its sites and through which callers, "
            "or which lock makes a new scope necessary.",
            WIDTH,
        )
    )
    if verified:
        paras.append(fill(verified, WIDTH))
    paras.append(fill(generated, WIDTH))
    if local_base:
        paras.append(
            fill(
                "Note: the base-commit below is a local git import of a released "
                f'source tree ("{local_base}"); no public tree has that commit, so b4 '
                "and git am -3 cannot find it. The patches were made against the files "
                "of that release.",
                WIDTH,
            )
        )
    if changelog:
        paras.append(changelog)
    return "\n\n".join(paras)


def changelog(
    version: int,
    since: int,
    old: list[PatchRecord],
    new: list[PatchRecord],
    old_base: str,
    new_base: str,
    link: str | None,
) -> str:
    """`Changes in vN:` as b4 writes it, from the patches of version SINCE
    (and its LINK, when it was sent)."""
    head = (
        f"Changes in v{version}:"
        if since == version - 1
        else f"Changes in v{version} (since v{since}):"
    )
    lines = [head]
    old_ids = {p.patch_id for p in old}
    new_ids = {p.patch_id for p in new}
    old_by_subject = {p.subject: p for p in old}
    new_subjects = {p.subject for p in new}
    for p in new:
        prev = old_by_subject.get(p.subject)
        if prev is None and p.patch_id not in old_ids:
            lines.append(f"- New: {p.subject}")
        elif prev is not None and prev.patch_id != p.patch_id:
            lines.append(f"- Changed: {p.subject}")
        elif prev is None:
            lines.append(f"- Retitled: {p.subject}")
    for p in old:
        if p.subject not in new_subjects and p.patch_id not in new_ids:
            lines.append(f"- Dropped: {p.subject}")
    if old_base != new_base:
        lines.append(f"- Rebased onto {new_base[:12]}.")
    if len(lines) == 1:
        lines.append("- No change to the patches.")
    text = "\n".join(fill(x, WIDTH, subsequent_indent="  ") for x in lines)
    # b4 keeps the link on one line, however long
    return f"{text}\n- Link to v{since}: {link}" if link else text
