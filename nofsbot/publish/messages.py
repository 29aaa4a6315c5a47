"""Final commit messages: the subsystem's prefix, a unique subject of at most
75 columns, a body wrapped at 75 without line numbers, how the patch was
generated and verified, and a Signed-off-by.
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from functools import partial

from nofsbot.drafts import Draft

WIDTH = 75
fill = partial(textwrap.fill, break_on_hyphens=False, break_long_words=False)

_PREFIX_RE = re.compile(r"^([A-Za-z0-9_./-]+(?:: ?[A-Za-z0-9_./-]+)?): ")
_PATH_LINE_RE = re.compile(r"(\b[\w./-]+\.[ch]):\d+")
_PAREN_LINES_RE = re.compile(r"\s*\((?:at )?lines? \d+(?:, \d+)*\)")
_LINES_RE = re.compile(r",?\s+(?:at |on )?lines? \d+(?:, \d+)*")


def strip_lines(text: str) -> str:
    """TEXT without line numbers: they go stale as soon as the file changes."""
    text = _PATH_LINE_RE.sub(r"\1", text)
    text = _PAREN_LINES_RE.sub("", text)
    return _LINES_RE.sub("", text)


def subsystem_prefix(subjects: list[str], fallback: str) -> str:
    """The prefix the subsystem's own log uses most (`xfs`, `ext4`,
    `fs/jfs`), else FALLBACK (from the path)."""
    counts = Counter(m[1] for s in subjects if (m := _PREFIX_RE.match(s)))
    if counts:
        top, n = counts.most_common(1)[0]
        if n >= 3 or n * 2 >= len(subjects):
            return top
    return fallback


def retitle(subject: str, prefix: str) -> str:
    """SUBJECT with its prefix replaced by PREFIX."""
    rest = subject.split(": ", 1)[1] if ": " in subject else subject
    return f"{prefix}: {rest}"


def unique_subjects(subjects: list[str], files: list[tuple[str, ...]]) -> list[str]:
    """SUBJECTS made unique and at most WIDTH columns: a repeated one names
    its file, then a number."""
    out: list[str] = []
    for subject, paths in zip(subjects, files, strict=True):
        s = subject if len(subject) <= WIDTH else subject[: WIDTH - 3].rstrip() + "..."
        if s in out and paths:
            name = paths[0].rsplit("/", 1)[-1]
            tag = f" ({name})"
            s = (s if len(s) + len(tag) <= WIDTH else s[: WIDTH - len(tag)].rstrip()) + tag
        n = 2
        base = s
        while s in out:
            tag = f" ({n})"
            s = (base if len(base) + len(tag) <= WIDTH else base[: WIDTH - len(tag)]) + tag
            n += 1
        out.append(s)
    return out


def _rewrap(paragraph: str) -> str:
    """A prose paragraph wrapped at WIDTH; indented lists keep their shape
    (their continuation lines are re-filled one entry at a time)."""
    lines = paragraph.splitlines()
    if lines and lines[0].startswith("  "):
        entries: list[str] = []
        for line in lines:
            if line.startswith("    ") and entries:
                entries[-1] += " " + line.strip()
            else:
                entries.append(line.strip())
        seen: list[str] = []
        for e in entries:
            if e not in seen:
                seen.append(e)
        return "\n".join(
            fill(e, WIDTH, initial_indent="  ", subsequent_indent="    ") for e in seen
        )
    return fill(" ".join(line.strip() for line in lines), WIDTH)


def final_message(subject: str, draft: Draft, verified: str, signoff: str) -> str:
    """The message of a patch in the series."""
    paras = [p for p in re.split(r"\n\s*\n", strip_lines(draft.body)) if p.strip()]
    body = [_rewrap(p) for p in paras]
    if verified:
        body.append(fill(verified, WIDTH))
    text = "\n\n".join([subject, *body])
    return f"{text}\n\nSigned-off-by: {signoff}\n"
