"""git, driven through tools.proc: grep, file lists, repository import."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nofsbot.tools.proc import run

log = logging.getLogger(__name__)

IDENTITY = {
    "GIT_AUTHOR_NAME": "nofsbot",
    "GIT_AUTHOR_EMAIL": "nofsbot@localhost",
    "GIT_COMMITTER_NAME": "nofsbot",
    "GIT_COMMITTER_EMAIL": "nofsbot@localhost",
}


@dataclass(frozen=True)
class GrepHit:
    path: str
    line: int
    text: str


def is_repo(path: Path) -> bool:
    res = run(["git", "rev-parse", "--show-toplevel"], cwd=path, timeout=30, check=False)
    return res.returncode == 0 and Path(res.stdout.strip()).resolve() == path.resolve()


def head(path: Path) -> str | None:
    res = run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=path, timeout=30, check=False)
    return res.stdout.strip() or None


def grep_words(
    tree: Path, words: Iterable[str], pathspecs: Iterable[str], *, untracked: bool = False
) -> list[GrepHit]:
    """Lines matching any of WORDS as whole words (git grep -w), sorted."""
    argv = ["git", "grep", "-n", "-I", "--no-color", "-w"]
    if untracked:
        argv.append("--untracked")
    if not is_repo(tree):
        argv.append("--no-index")
    for w in sorted(set(words)):
        argv += ["-e", w]
    argv += ["--", *pathspecs]
    res = run(argv, cwd=tree, timeout=600, ok_codes=(0, 1))
    hits = []
    for raw in res.stdout.splitlines():
        path, _, rest = raw.partition(":")
        line, _, text = rest.partition(":")
        if line.isdigit():
            hits.append(GrepHit(path, int(line), text))
    return sorted(hits, key=lambda h: (h.path, h.line))


def import_tree(path: Path, message: str) -> str:
    """Make PATH a git repository with one commit holding every file in it.

    Kernel source packages ship a .gitignore that ignores everything, so the
    files are added with --force.
    """
    run(["git", "init", "-q", "-b", "master"], cwd=path, timeout=60)
    run(["git", "add", "-f", "-A", "."], cwd=path, timeout=1800)
    run(
        ["git", "-c", "gc.auto=0", "commit", "-q", "--no-verify", "-m", message],
        cwd=path,
        timeout=1800,
        env=IDENTITY,
    )
    sha = head(path)
    assert sha is not None
    return sha


def branch_exists(repo: Path, name: str) -> bool:
    res = run(
        ["git", "rev-parse", "--verify", "-q", f"refs/heads/{name}"],
        cwd=repo,
        timeout=60,
        check=False,
    )
    return res.returncode == 0


def worktree_add(
    repo: Path, dest: Path, branch: str | None, base: str, only: list[str] | None = None
) -> None:
    """A new worktree at DEST on a new BRANCH (detached at BASE without one)
    starting at BASE; the user's own work tree and index are not touched. With
    ONLY (pathspecs), the index holds the whole tree but only those paths are
    checked out, which takes seconds instead of most of a minute on a kernel
    tree."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    on = ["-b", branch] if branch else ["--detach"]
    if only is None:
        run(["git", "worktree", "add", "-q", *on, str(dest), base], cwd=repo, timeout=1800)
        return
    run(
        ["git", "worktree", "add", "-q", "--no-checkout", *on, str(dest), base],
        cwd=repo,
        timeout=1800,
    )
    run(["git", "read-tree", "HEAD"], cwd=dest, timeout=600)
    # ls-files takes pathspecs that match nothing (no arch/ in a small tree)
    files = run(["git", "ls-files", "-z", "--", *only], cwd=dest, timeout=600).stdout
    run(["git", "checkout-index", "-f", "-z", "--stdin"], cwd=dest, timeout=1800, input=files)


def commit_all(worktree: Path, paths: list[str], message: str) -> str:
    """Commit PATHS in WORKTREE with MESSAGE, as the user's git identity (or
    nofsbot's when none is configured); return the new commit."""
    run(["git", "add", "-f", "--", *paths], cwd=worktree, timeout=600)
    env = {}
    for var, key in (("GIT_AUTHOR_NAME", "user.name"), ("GIT_AUTHOR_EMAIL", "user.email")):
        if not run(["git", "config", key], cwd=worktree, timeout=60, check=False).stdout.strip():
            env[var] = IDENTITY[var]
            env[var.replace("AUTHOR", "COMMITTER")] = IDENTITY[var]
    run(
        ["git", "commit", "-q", "--no-verify", "-F", "-"],
        cwd=worktree,
        timeout=600,
        input=message,
        env=env,
    )
    sha = head(worktree)
    assert sha is not None
    return sha


# -- review: a series applied in a worktree of its own -------------------------


def commit_of(repo: Path, rev: str) -> str | None:
    """The commit REV names in REPO, or None."""
    res = run(
        ["git", "rev-parse", "--verify", "-q", "--end-of-options", f"{rev}^{{commit}}"],
        cwd=repo,
        timeout=60,
        check=False,
    )
    return res.stdout.strip() if res.returncode == 0 else None


def merge_base(repo: Path, a: str, b: str) -> str | None:
    res = run(["git", "merge-base", a, b], cwd=repo, timeout=60, check=False)
    return res.stdout.strip() or None


def range_commits(repo: Path, rev_range: str) -> list[str] | None:
    """The non-merge commits of REV_RANGE, oldest first; None if git does not
    take it as a range."""
    res = run(
        ["git", "rev-list", "--reverse", "--topo-order", "--no-merges", rev_range, "--"],
        cwd=repo,
        timeout=600,
        check=False,
    )
    return res.stdout.split() if res.returncode == 0 else None


def format_patch(repo: Path, rev_range: str) -> str:
    """The commits of REV_RANGE as an mbox, as `git format-patch --stdout` writes it."""
    return run(
        ["git", "format-patch", "--stdout", "--numbered", "--no-signature", rev_range, "--"],
        cwd=repo,
        timeout=600,
    ).stdout


def index_of(worktree: Path, rev: str, paths: list[str], index: Path) -> None:
    """A separate index file INDEX holding only PATHS as they are at REV: a
    series applied there costs little (the tree's index has ~75,000 entries)."""
    listed = run(["git", "ls-tree", "-r", "-z", rev, "--", *paths], cwd=worktree, timeout=600)
    env = {"GIT_INDEX_FILE": str(index)}
    run(
        ["git", "update-index", "-z", "--index-info"],
        cwd=worktree,
        timeout=600,
        input=listed.stdout,
        env=env,
    )


def apply_cached(worktree: Path, diff: str, index: Path) -> None:
    """Apply DIFF to the index file INDEX only (git apply --cached); ToolError
    when it does not apply."""
    run(
        ["git", "apply", "--cached", "--whitespace=nowarn", "-"],
        cwd=worktree,
        timeout=600,
        input=diff,
        env={"GIT_INDEX_FILE": str(index)},
    )


def write_tree(worktree: Path, index: Path) -> str:
    env = {"GIT_INDEX_FILE": str(index)}
    return run(["git", "write-tree"], cwd=worktree, timeout=600, env=env).stdout.strip()


def checkout_all(worktree: Path, index: Path) -> list[str]:
    """Write every file of the index file INDEX into WORKTREE; its paths."""
    env = {"GIT_INDEX_FILE": str(index)}
    run(["git", "checkout-index", "-f", "-a"], cwd=worktree, timeout=600, env=env)
    listed = run(["git", "ls-files", "-z"], cwd=worktree, timeout=600, env=env).stdout
    return [p for p in listed.split("\0") if p]


def diff_trees(worktree: Path, old: str, new: str) -> str:
    """The diff from tree OLD to tree NEW without context lines, renames found."""
    return run(
        ["git", "diff-tree", "-p", "-U0", "-M", "--no-color", "--no-ext-diff", old, new],
        cwd=worktree,
        timeout=600,
    ).stdout


def worktree_remove(repo: Path, dest: Path) -> None:
    """Remove the worktree at DEST and what git keeps about it in REPO
    (a failure is logged: this runs on the way out of other errors)."""
    res = run(
        ["git", "worktree", "remove", "--force", str(dest)], cwd=repo, timeout=600, check=False
    )
    if res.returncode:
        log.warning("could not remove the worktree %s: %s", dest, res.stderr.strip())


def identity(repo: Path) -> str | None:
    """The user's git identity in REPO as `Name <email>`, if configured."""
    name = run(["git", "config", "user.name"], cwd=repo, timeout=60, check=False).stdout.strip()
    email = run(["git", "config", "user.email"], cwd=repo, timeout=60, check=False).stdout.strip()
    return f"{name} <{email}>" if name and email else None
