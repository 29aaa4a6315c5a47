"""The bot's clone: made once (a sparse checkout of what the analysis
reads), fetched every run; which tags are new, in which order; whether
mainline is in a merge window.

Order: tags are compared by name with digit runs as numbers, which is
their date order for linux-next's next-YYYYMMDD. The first run (no tag
processed yet) takes only the newest matching tag as its baseline: there is
no earlier state to compare older tags with. Later runs take every tag newer
than the last one processed, oldest first, so each regression is attributed
to the day it appeared and the burndown gets a point per tag; at most
policy.tags_per_run of them a run, the rest on the next runs.
"""

from __future__ import annotations

import datetime
import logging
import re

import nofsbot.tools.githistory as githistory
from nofsbot import discover
from nofsbot.bot.config import BotConfig, Limits, Tree
from nofsbot.errors import ConfigError, ToolError

log = logging.getLogger(__name__)

_RELEASE_RE = re.compile(r"^v(\d+)\.(\d+)$")
_RC_RE = re.compile(r"^v(\d+)\.(\d+)-rc\d+$")


def natural(tag: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in re.split(r"(\d+)", tag) if p)


def sparse_patterns(paths: tuple[str, ...]) -> list[str]:
    """What the analysis and the rewrite read (gitignore syntax): the
    subsystems of PATHS, the headers of their parent directories, include/,
    arch/*/include/, scripts/ and the top-level files of a kernel tree."""
    out = {"/MAINTAINERS", "/Makefile", "/Kconfig", "/scripts/", "/include/", "/arch/*/include/"}
    for p in paths:
        root, recursive = discover.analysis_root(p)
        if not root:
            return ["/*"]
        out.add(f"/{root}/" if recursive else f"/{root}/*.[ch]")
        parts = root.split("/")
        out.update("/" + "/".join(parts[:i]) + "/*.h" for i in range(1, len(parts)))
    return sorted(out)


def update(cfg: BotConfig, last: tuple[str, str] | None) -> list[str]:
    """Clone the remote on the first run, fetch its tags on every run. A
    tree.remote that changed since the clone was made is applied when the
    new remote has LAST (the last tag processed, with its commit) at the
    same commit, and refused otherwise; what was done, as notes."""
    clone = cfg.tree.clone
    notes = []
    if not (clone / ".git").exists():
        log.info("cloning %s into %s", cfg.tree.remote, clone)
        githistory.clone(cfg.tree.remote, clone)
    else:
        old = githistory.remote_url(clone)
        if old != cfg.tree.remote:
            _check_remote(cfg, old, last)
            githistory.set_remote_url(clone, cfg.tree.remote)
            notes.append(f"tree.remote changed from {old} to {cfg.tree.remote}: now fetching it")
    githistory.sparse_checkout(clone, sparse_patterns(cfg.tree.paths))
    githistory.fetch_tags(clone)
    return notes


def _check_remote(cfg: BotConfig, old: str | None, last: tuple[str, str] | None) -> None:
    if last is None:
        return
    tag, sha = last
    try:
        there = githistory.remote_tag(cfg.tree.clone, cfg.tree.remote, tag)
    except ToolError as e:
        raise ConfigError(
            str(cfg.path),
            "tree.remote",
            f"changed from {old}, and {cfg.tree.remote} cannot be read: {str(e).splitlines()[-1]}",
        ) from e
    if there != sha:
        has = f"has {tag} at {there[:12]}" if there else f"has no tag {tag}"
        raise ConfigError(
            str(cfg.path),
            "tree.remote",
            f"changed from {old}, but {cfg.tree.remote} {has} "
            f"(the last tag processed, at {sha[:12]}): not the same history; point "
            "tree.clone and state.database somewhere new to follow it",
        )


def new_tags(
    tree: Tree, all_tags: list[str], done: set[str], last: str | None, limit: int
) -> list[str]:
    matching = sorted((t for t in all_tags if tree.matches(t)), key=natural)
    if last is None:
        return matching[-1:]
    return [t for t in matching if natural(t) > natural(last) and t not in done][:limit]


def merge_window(all_tags: list[str]) -> str | None:
    """'v6.8 is out and v6.9-rc1 is not' while mainline's merge window is
    open, else None. Needs mainline's v* tags in the clone (linux-next
    carries them); without any, there is never a merge window."""
    releases = [tuple(map(int, m.groups())) for t in all_tags if (m := _RELEASE_RE.match(t))]
    if not releases:
        return None
    last = max(releases)
    rcs = [tuple(map(int, m.groups())) for t in all_tags if (m := _RC_RE.match(t))]
    if any(rc > last for rc in rcs):
        return None
    nxt = f"v{last[0]}.{last[1] + 1}-rc1"
    return f"v{last[0]}.{last[1]} is out and {nxt} is not: mainline's merge window is open"


def paused(limits: Limits, all_tags: list[str], today: datetime.date) -> str | None:
    """Why no series may go out today, or None."""
    for first, last in limits.pause:
        if first <= today <= last:
            return f"paused from {first} to {last} (limits.pause)"
    if limits.merge_window == "auto":
        return merge_window(all_tags)
    return None
