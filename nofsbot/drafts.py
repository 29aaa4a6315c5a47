"""Commit message drafts between the rewrite and publish stages.

The rewrite stage commits each change with a draft message and two
trailers, `Nofsbot-Class:` and `Nofsbot-Rule:`, which tell the publish
stage what the commit is (they survive cherry-picks and rebases, unlike
notes); the publish stage removes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TRAILER_CLASS = "Nofsbot-Class"
TRAILER_RULE = "Nofsbot-Rule"
_TRAILER_RE = re.compile(rf"^({TRAILER_CLASS}|{TRAILER_RULE}): *(.*)$\n?", re.M)


@dataclass(frozen=True)
class Draft:
    subject: str
    body: str  # without the nofsbot trailers
    klass: str  # '' for a commit nofsbot did not make
    rule: str


def draft_message(subject: str, body: str, klass: str, rule: str) -> str:
    """The message the rewrite stage commits: the draft and its trailers."""
    return f"{subject}\n\n{body}\n\n{TRAILER_CLASS}: {klass}\n{TRAILER_RULE}: {rule}\n"


def parse_draft(subject: str, body: str) -> Draft:
    found = dict(_TRAILER_RE.findall(body))
    rest = _TRAILER_RE.sub("", body).strip()
    return Draft(subject, rest, found.get(TRAILER_CLASS, ""), found.get(TRAILER_RULE, ""))


def path_prefix(path: str) -> str:
    """The subject prefix a path gives when the subsystem's log gives none:
    `fs/xfs/xfs_qm.c` -> `xfs`, `mm/filemap.c` -> `mm`."""
    parts = path.split("/")
    if len(parts) > 2 and parts[0] in ("fs", "mm", "net", "drivers", "block"):
        return parts[1]
    return parts[0] if len(parts) > 1 else path
