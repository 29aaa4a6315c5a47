"""A revision range BASE..TIP given on the command line, resolved once for
every command that takes one (series, verify)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nofsbot.tools.git as gitcli
from nofsbot.errors import NofsbotError, TreeError


class RangeError(Exception):
    """Text that is not a range BASE..TIP, or one that holds no commit."""


@dataclass(frozen=True)
class Range:
    base: str  # the commit BASE names
    tip: str  # TIP as given
    branch: bool  # TIP names a branch
    commits: tuple[str, ...]  # oldest first, merges excluded


def resolve(tree: Path, text: str) -> Range:
    base, sep, tip = text.partition("..")
    if not sep or not base or not tip or tip.startswith("."):
        raise RangeError(f"REV-RANGE must look like BASE..TIP, not {text!r}")
    if not tree.is_dir():
        raise TreeError(f"{tree}: no such directory")
    if not gitcli.is_repo(tree):
        raise TreeError(f"{tree} is not a git repository (the top of one): {text} names commits")
    base_commit = gitcli.commit_of(tree, base)
    if base_commit is None or gitcli.commit_of(tree, tip) is None:
        bad = base if base_commit is None else tip
        raise NofsbotError(f"{text}: {bad} names no commit in {tree}")
    commits = gitcli.range_commits(tree, text)
    if commits is None:
        raise NofsbotError(f"{text}: git does not take it as a range in {tree}")
    if not commits:
        raise RangeError(f"{text} holds no commit")
    return Range(base_commit, tip, gitcli.branch_exists(tree, tip), tuple(commits))
