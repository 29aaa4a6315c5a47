"""What a run that died leaves in the bot's git state, put right before
the next run touches it (under the lock, so no other run is alive):

- processes still working in the clone or the work directory (git, git
  send-email, spatch a killed parent left) get GRACE seconds to finish and
  are then ended;
- with none of them alive, git's `*.lock` files in the clone (index.lock,
  HEAD.lock, ref locks, a worktree's index.lock) are stale: removed;
- the bot's worktrees and `nofsbot/bot-*` branches are half-made (a run
  removes its own on the way out): removed and pruned;
- a clone whose HEAD names no commit was cut short while cloning: removed,
  to be cloned again.

Each repair is returned as a note the run prints.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import nofsbot.tools.git as gitcli
import nofsbot.tools.githistory as githistory
from nofsbot.bot import orphans
from nofsbot.bot.config import BotConfig

log = logging.getLogger(__name__)

GRACE = 10.0  # seconds a process of a dead run gets to finish
BRANCHES = "nofsbot/bot-*"


def worktrees_dir(cfg: BotConfig) -> Path:
    return cfg.work_dir / "worktrees"


def recover(cfg: BotConfig, grace: float = GRACE) -> list[str]:
    clone = cfg.tree.clone
    notes = []
    left = orphans.working_in([clone, cfg.work_dir])
    ended = orphans.end(left, grace)
    if ended:
        notes.append(f"ended processes a dead run left in {clone}: {', '.join(ended)}")
    if not (clone / ".git").exists():
        return notes
    notes += _stale_locks(clone / ".git")
    if not githistory.has_head(clone):
        shutil.rmtree(clone)
        return [*notes, f"removed {clone}: its clone was cut short; cloning again"]
    notes += _worktrees(cfg)
    return notes


def _stale_locks(git_dir: Path) -> list[str]:
    found = []
    for root, dirs, files in os.walk(git_dir):
        if Path(root) == git_dir and "objects" in dirs:
            dirs.remove("objects")
        found += [Path(root) / f for f in files if f.endswith(".lock")]
    for f in sorted(found):
        f.unlink(missing_ok=True)
    if not found:
        return []
    names = ", ".join(str(f.relative_to(git_dir.parent)) for f in sorted(found))
    return [f"removed git lock files a dead run left: {names}"]


def _worktrees(cfg: BotConfig) -> list[str]:
    clone = cfg.tree.clone
    where = worktrees_dir(cfg)
    left = sorted(where.iterdir()) if where.is_dir() else []
    for wt in left:
        gitcli.worktree_remove(clone, wt)
        if wt.exists():  # never registered with git: a half-made directory
            shutil.rmtree(wt)
    githistory.prune_worktrees(clone)
    branches = githistory.branches(clone, BRANCHES)
    for b in branches:
        githistory.delete_branch(clone, b)
    what = [str(wt) for wt in left] + [f"branch {b}" for b in branches]
    return [f"removed what a dead run left half-made: {', '.join(what)}"] if what else []
