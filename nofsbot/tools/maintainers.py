"""scripts/get_maintainer.pl of the kernel tree, with its roles parsed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from nofsbot.tools.proc import run

# "Name <addr> (maintainer:XFS FILESYSTEM)", "list@host (open list:XFS FILESYSTEM)"
_LINE_RE = re.compile(r"^(?P<who>.+?) \((?P<role>[^():]+)(?::(?P<section>[^()]*))?\)$")


@dataclass(frozen=True, order=True)
class Recipient:
    address: str  # as get_maintainer.pl prints it: "Name <mail>" or "list@host"
    role: str  # maintainer, supporter, odd fixer, reviewer, open list, moderated list, ...
    section: str  # the MAINTAINERS section, '' for a catch-all list

    @property
    def is_list(self) -> bool:
        return self.role.endswith("list")


def recipients(tree: Path, files: list[str]) -> list[Recipient]:
    """Who get_maintainer.pl names for FILES (paths relative to TREE), from
    MAINTAINERS only: no git history, which a bot's tree may not have."""
    argv = [
        "perl",
        "scripts/get_maintainer.pl",
        "--no-git",
        "--no-git-fallback",
        "--m",
        "--r",
        "--l",
        "--no-s",
        "--roles",
        "--no-rolestats",
        "--no-tree",
        "-f",
        *files,
    ]
    out = run(argv, cwd=tree, timeout=300).stdout
    found: list[Recipient] = []
    for line in out.splitlines():
        m = _LINE_RE.match(line.strip())
        if m:
            found.append(
                Recipient(m["who"].strip(), m["role"].strip(), (m["section"] or "").strip())
            )
    return found
