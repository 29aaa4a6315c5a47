"""Branches the real-tree tests make in the provisioned kernel trees."""

from __future__ import annotations

import subprocess
from pathlib import Path


def drop_branch(repo: Path, branch: str) -> None:
    """Delete BRANCH in REPO, and first the worktree it is checked out in:
    a run that was killed midway leaves its worktree (under pytest's kept
    temporary directories) with the branch checked out, and git will not
    delete a branch a worktree has."""
    subprocess.run(["git", "worktree", "prune"], cwd=repo, check=False)
    listed = subprocess.run(
        ["git", "worktree", "list", "--porcelain"], cwd=repo, capture_output=True, text=True
    ).stdout
    for entry in listed.split("\n\n"):
        lines = entry.splitlines()
        if f"branch refs/heads/{branch}" in lines and lines[0].startswith("worktree "):
            wt = lines[0].removeprefix("worktree ")
            subprocess.run(["git", "worktree", "remove", "--force", wt], cwd=repo, check=False)
    subprocess.run(["git", "branch", "-D", branch], cwd=repo, check=False, capture_output=True)
