"""git, driven through tools.proc: grep, file lists, repository import."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nofsbot.tools.proc import run

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
    repo: Path, dest: Path, branch: str, base: str, only: list[str] | None = None
) -> None:
    """A new worktree at DEST on a new BRANCH starting at BASE; the user's own
    work tree and index are not touched. With ONLY (pathspecs), the index holds
    the whole tree but only those paths are checked out, which takes seconds
    instead of most of a minute on a kernel tree."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if only is None:
        run(["git", "worktree", "add", "-q", "-b", branch, str(dest), base], cwd=repo, timeout=1800)
        return
    run(
        ["git", "worktree", "add", "-q", "--no-checkout", "-b", branch, str(dest), base],
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


def restore(worktree: Path, paths: list[str]) -> None:
    """Throw away uncommitted changes to PATHS in nofsbot's own WORKTREE."""
    run(["git", "checkout", "-q", "HEAD", "--", *paths], cwd=worktree, timeout=600)


# -- verify: a full worktree of nofsbot's own, switched between commits --------


def common_dir(repo: Path) -> Path:
    """The .git directory that REPO's worktrees share: the repository's identity."""
    out = run(["git", "rev-parse", "--git-common-dir"], cwd=repo, timeout=60).stdout.strip()
    return (repo / out).resolve()


def rev_parse(repo: Path, rev: str) -> str:
    argv = ["git", "rev-parse", "--verify", "-q", f"{rev}^{{commit}}"]
    return run(argv, cwd=repo, timeout=60).stdout.strip()


def rev_list(repo: Path, base: str, tip: str) -> list[str]:
    """The commits in BASE..TIP, oldest first."""
    argv = ["git", "rev-list", "--reverse", "--topo-order", f"{base}..{tip}"]
    return run(argv, cwd=repo, timeout=600).stdout.split()


def subject(repo: Path, commit: str) -> str:
    return run(["git", "log", "-1", "--format=%s", commit], cwd=repo, timeout=60).stdout.strip()


def changed_files(repo: Path, commit: str, *, deleted: bool = True) -> list[str]:
    """Paths COMMIT adds, changes or (unless not DELETED) removes relative to
    its first parent."""
    argv = ["git", "diff-tree", "--no-commit-id", "--name-only", "-r", "-z", "--root", commit]
    argv += [] if deleted else ["--diff-filter=d"]
    return sorted(p for p in run(argv, cwd=repo, timeout=600).stdout.split("\0") if p)


def show_file(repo: Path, commit: str, path: str) -> str | None:
    """The text of PATH at COMMIT, or None when it has no such file."""
    res = run(["git", "show", f"{commit}:{path}"], cwd=repo, timeout=60, check=False)
    return res.stdout if res.returncode == 0 else None


def format_patch(repo: Path, commit: str) -> str:
    argv = ["git", "format-patch", "-1", "--stdout", "--no-signature", commit]
    return run(argv, cwd=repo, timeout=600).stdout


def worktree_add_detached(repo: Path, dest: Path, commit: str) -> None:
    """A full worktree at DEST with a detached HEAD at COMMIT."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    run(["git", "worktree", "prune"], cwd=repo, timeout=600)
    run(["git", "worktree", "add", "-q", "--detach", str(dest), commit], cwd=repo, timeout=1800)


def checkout_detached(worktree: Path, commit: str) -> None:
    """Switch nofsbot's own WORKTREE to COMMIT, discarding any local change;
    only files that differ get written (and a new mtime)."""
    run(["git", "checkout", "-q", "-f", "--detach", commit], cwd=worktree, timeout=1800)


def cherry_pick(worktree: Path, commit: str) -> str | None:
    """Apply COMMIT on top of WORKTREE's HEAD; the new commit, or None (and
    nothing changed) when it does not apply."""
    env = {}
    if not run(["git", "config", "user.email"], cwd=worktree, timeout=60, check=False).stdout:
        env = dict(IDENTITY)
    res = run(
        ["git", "cherry-pick", "--allow-empty", commit],
        cwd=worktree,
        timeout=600,
        env=env,
        check=False,
    )
    if res.returncode != 0:
        run(["git", "cherry-pick", "--abort"], cwd=worktree, timeout=600, check=False)
        run(["git", "reset", "-q", "--hard"], cwd=worktree, timeout=600)
        return None
    return head(worktree)


def update_ref(repo: Path, ref: str, commit: str) -> None:
    run(["git", "update-ref", ref, commit], cwd=repo, timeout=60)
