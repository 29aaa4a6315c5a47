"""Which patch of a series changed which line of the tree after the series.

Input: the diff each patch made as it applied (`git diff-tree -U0`, so
offsets and fuzz are already resolved). Every added line, and every place
where lines were removed (the line that follows them, its "anchor"), is
carried forward through the later patches to the tree after the series: a
line a later patch replaces belongs to that patch. Lines of the tree before
the series can be carried forward the same way, to say which patch removed
them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet

from nofsbot.errors import PatchError

_Hunk = tuple[int, int, int, int]  # source start, source length, target start, target length


@dataclass(frozen=True)
class Touch:
    patch: int  # 1-based index of the patch
    path: str  # after the series
    line: int  # after the series
    own: int  # the same line in the patch's own post-image
    added: bool  # an added line; False: lines were removed right before it


@dataclass(frozen=True)
class _FileDiff:
    old: str | None  # None: the patch creates the file
    new: str | None  # None: the patch deletes it
    hunks: tuple[_Hunk, ...]
    added: tuple[int, ...]  # lines added (post-image numbering)
    anchors: tuple[int, ...]  # lines right after removed ones (post-image numbering)


def strip_prefix(name: str) -> str | None:
    """A diff's file name without its a/ or b/ prefix; None for /dev/null."""
    if name == "/dev/null":
        return None
    return name.split("/", 1)[1] if "/" in name else name


def _parse(diff: str) -> dict[str, _FileDiff]:
    """The files of one -U0 diff, by the name they had before it."""
    try:
        patch = PatchSet(diff)
    except UnidiffParseError as e:
        raise PatchError(f"git produced a diff nofsbot cannot read: {e}") from e
    out: dict[str, _FileDiff] = {}
    for pf in patch:
        old = None if pf.is_added_file else strip_prefix(pf.source_file)
        new = None if pf.is_removed_file else strip_prefix(pf.target_file)
        hunks = tuple(
            (h.source_start, h.source_length, h.target_start, h.target_length) for h in pf
        )
        added = tuple(
            n for h in pf for ln in h if ln.is_added and (n := ln.target_line_no) is not None
        )
        anchors = tuple(t0 + 1 for s0, sl, t0, tl in hunks if sl and not tl)
        fd = _FileDiff(old, new, hunks, added, anchors)
        out[old if old is not None else f"\0new:{new}"] = fd
    return out


def _shift(hunks: tuple[_Hunk, ...], line: int) -> tuple[int, bool]:
    """LINE of the pre-image in the post-image, and whether it was removed
    (then the line is its anchor: where the removed lines were)."""
    delta = 0
    for s0, sl, t0, tl in hunks:
        if sl == 0:  # lines inserted after line s0
            if line > s0:
                delta += tl
                continue
            break
        if line < s0:
            break
        if line < s0 + sl:
            return (t0 if tl else t0 + 1), True
        delta += tl - sl
    return line + delta, False


@dataclass(frozen=True)
class Changes:
    diffs: tuple[dict[str, _FileDiff], ...]
    added: dict[tuple[str, int], Touch] = field(default_factory=dict)
    anchors: dict[tuple[str, int], Touch] = field(default_factory=dict)

    def carry(self, path: str, line: int, after: int = 0) -> tuple[str, int, int] | None:
        """PATH:LINE as it is after patch AFTER (0: the base), carried to the
        tree after the series: (path, line, the first patch that removed the
        line or 0); None when a patch deletes the file."""
        removed_by = 0
        for j in range(after, len(self.diffs)):
            fd = self.diffs[j].get(path)
            if fd is None:
                continue
            if fd.new is None:
                return None
            line, removed = _shift(fd.hunks, line)
            if removed and not removed_by:
                removed_by = j + 1
            path = fd.new
        return path, line, removed_by

    def back(self, path: str, line: int, patch: int) -> int | None:
        """PATH:LINE of the tree after the series, in the post-image of PATCH
        (1-based); None when a later patch added it."""
        for j in range(len(self.diffs) - 1, patch - 1, -1):
            fd = next((f for f in self.diffs[j].values() if f.new == path), None)
            if fd is None:
                continue
            if fd.old is None:
                return None
            line, added = _shift(tuple((t0, tl, s0, sl) for s0, sl, t0, tl in fd.hunks), line)
            if added:
                return None
            path = fd.old
        return line

    def touch(self, path: str, line: int) -> Touch | None:
        """The patch that added PATH:LINE, or removed lines right before it."""
        return self.added.get((path, line)) or self.anchors.get((path, line))

    def within(self, path: str, first: int, last: int) -> list[Touch]:
        """Every touch of PATH between FIRST and LAST, inclusive."""
        return [
            t
            for d in (self.added, self.anchors)
            for (p, n), t in d.items()
            if p == path and first <= n <= last
        ]

    def paths(self) -> set[str]:
        """The files the series leaves changed (their names after it)."""
        return {t.path for d in (self.added, self.anchors) for t in d.values()}


def changes(diffs: Iterable[str]) -> Changes:
    """The touches of each patch, given the diff each one made, in order."""
    c = Changes(tuple(_parse(d) for d in diffs))
    for i, files in enumerate(c.diffs, 1):
        for fd in files.values():
            if fd.new is None:
                continue
            for own, is_added in [(n, True) for n in fd.added] + [(n, False) for n in fd.anchors]:
                carried = c.carry(fd.new, own, after=i)
                if carried is None:
                    continue
                path, line, removed_by = carried
                if removed_by and is_added:
                    continue  # a later patch replaced it
                target = c.added if is_added else c.anchors
                target[(path, line)] = Touch(i, path, line, own, is_added)
    return c
