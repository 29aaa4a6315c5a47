"""git, driven through tools.proc: grep, file lists, repository import."""

from __future__ import annotations

import logging
import tempfile
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


def restore(worktree: Path, paths: list[str]) -> None:
    """Throw away uncommitted changes to PATHS in nofsbot's own WORKTREE."""
    run(["git", "checkout", "-q", "HEAD", "--", *paths], cwd=worktree, timeout=600)


# -- series: commits, messages, patches -------------------------------------


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    parent: str
    tree: str
    subject: str
    body: str  # the message after the subject line, stripped
    files: tuple[str, ...]


def rev_parse(repo: Path, rev: str) -> str:
    return run(
        ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=repo, timeout=60
    ).stdout.strip()


def commit_info(repo: Path, sha: str) -> CommitInfo:
    fmt = "%H%x00%P%x00%T%x00%s%x00%b"
    out = run(["git", "show", "-s", f"--format={fmt}", sha], cwd=repo, timeout=60).stdout
    full, parents, tree, subject, body = out.split("\0", 4)
    files = run(
        ["git", "diff-tree", "--no-commit-id", "--name-only", "-r", "-z", sha],
        cwd=repo,
        timeout=60,
    ).stdout
    return CommitInfo(
        full.strip(),
        parents.split()[0] if parents.split() else "",
        tree,
        subject,
        body.strip(),
        tuple(sorted(p for p in files.split("\0") if p)),
    )


def config_value(repo: Path, key: str) -> str | None:
    res = run(["git", "config", "--get", key], cwd=repo, timeout=60, check=False)
    return res.stdout.strip() or None


def identity(repo: Path) -> tuple[str, str]:
    """The user's git identity (name, email), or nofsbot's when none is set."""
    name = config_value(repo, "user.name") or IDENTITY["GIT_AUTHOR_NAME"]
    email = config_value(repo, "user.email") or IDENTITY["GIT_AUTHOR_EMAIL"]
    return name, email


def commit_tree(repo: Path, tree: str, parent: str, message: str) -> str:
    """A new commit with TREE on PARENT and MESSAGE, as the user's identity
    (the tree is reused as it is: no checkout, no index)."""
    name, email = identity(repo)
    env = {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }
    argv = ["git", "commit-tree", tree, "-p", parent, "-F", "-"]
    return run(argv, cwd=repo, timeout=60, input=message, env=env).stdout.strip()


def update_ref(repo: Path, ref: str, sha: str) -> None:
    run(["git", "update-ref", ref, sha], cwd=repo, timeout=60)


def ref_exists(repo: Path, ref: str) -> bool:
    res = run(["git", "rev-parse", "--verify", "-q", ref], cwd=repo, timeout=60, check=False)
    return res.returncode == 0


def log_subjects(repo: Path, paths: Iterable[str], limit: int = 200) -> list[str]:
    """Subjects of the last LIMIT non-merge commits touching PATHS."""
    argv = ["git", "log", "--no-merges", f"-n{limit}", "--format=%s", "--", *paths]
    return run(argv, cwd=repo, timeout=600).stdout.splitlines()


def patch_id(repo: Path, sha: str) -> str:
    """The stable patch-id of one commit: the same change on another base
    or with another message has the same id."""
    diff = run(["git", "show", "--format=", "-p", sha], cwd=repo, timeout=600).stdout
    out = run(["git", "patch-id", "--stable"], cwd=repo, timeout=600, input=diff).stdout
    return out.split()[0] if out.split() else ""


def format_patch(
    repo: Path,
    base: str,
    tip: str,
    outdir: Path,
    *,
    version: int,
    to: Iterable[str],
    cc: Iterable[str],
    range_diff: str | None = None,
    start: str | None = None,
    sender: tuple[str, str] | None = None,
) -> list[Path]:
    """git format-patch START..TIP (START defaults to BASE) with a cover
    letter, shallow threading (every patch answers the cover letter),
    base-commit (and prerequisite-patch-id for BASE..START), To and Cc.
    SENDER (name, address) makes the Message-IDs (git takes them from the
    committer's address); default: git's identity."""
    argv = [
        "git",
        "format-patch",
        "--cover-letter",
        "--thread=shallow",
        "--numbered",
        "--no-signature",
        f"--base={base}",
        f"-o{outdir}",
    ]
    if version > 1:
        argv.append(f"-v{version}")
    if range_diff:
        argv.append(f"--range-diff={range_diff}")
    argv += [f"--to={a}" for a in to] + [f"--cc={a}" for a in cc]
    argv.append(f"{start or base}..{tip}")
    env = {"GIT_COMMITTER_NAME": sender[0], "GIT_COMMITTER_EMAIL": sender[1]} if sender else None
    out = run(argv, cwd=repo, timeout=600, env=env).stdout
    return [Path(p) for p in out.splitlines() if p.endswith(".patch")]


def apply_onto(repo: Path, parent: str, sha: str) -> str | None:
    """The tree of PARENT with the change of commit SHA applied, made in a
    private index (no work tree is touched); None if it does not apply."""
    diff = run(["git", "show", "--format=", "--binary", "-p", sha], cwd=repo, timeout=600).stdout
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        run(["git", "read-tree", parent], cwd=repo, timeout=600, env=env)
        res = run(
            ["git", "apply", "--cached", "-"],
            cwd=repo,
            timeout=600,
            env=env,
            input=diff,
            check=False,
        )
        if res.returncode != 0:
            return None
        return run(["git", "write-tree"], cwd=repo, timeout=600, env=env).stdout.strip()


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


def format_patch_mbox(repo: Path, rev_range: str) -> str:
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


def worktree_remove(repo: Path, dest: Path, branch: str | None = None) -> None:
    """Remove the worktree at DEST (and its BRANCH) and what git keeps about
    it in REPO (a failure is logged: this runs on the way out of other errors).
    A DEST that does not exist is only pruned; a locked one (a `worktree add`
    that was killed) is removed too."""
    if dest.exists():
        res = run(
            ["git", "worktree", "remove", "--force", "--force", str(dest)],
            cwd=repo,
            timeout=600,
            check=False,
        )
        if res.returncode:
            log.warning("could not remove the worktree %s: %s", dest, res.stderr.strip())
    run(["git", "worktree", "prune"], cwd=repo, timeout=600, check=False)
    if branch and branch_exists(repo, branch):
        run(["git", "branch", "-q", "-D", branch], cwd=repo, timeout=60, check=False)


def local_import(repo: Path, commit: str, depth: int = 100) -> str | None:
    """The subject of the commit `import_tree` made that COMMIT is on (within
    DEPTH first-parent commits), or None: such a commit exists in REPO only."""
    out = run(
        ["git", "log", "--first-parent", f"-n{depth}", "--format=%P%x00%ae%x00%s", commit],
        cwd=repo,
        timeout=60,
    ).stdout
    for line in out.splitlines():
        parents, email, subject = line.split("\0", 2)
        if not parents and email == IDENTITY["GIT_AUTHOR_EMAIL"]:
            return subject
    return None


def configured_identity(repo: Path) -> str | None:
    """The user's git identity in REPO as `Name <email>`, if configured."""
    name = run(["git", "config", "user.name"], cwd=repo, timeout=60, check=False).stdout.strip()
    email = run(["git", "config", "user.email"], cwd=repo, timeout=60, check=False).stdout.strip()
    return f"{name} <{email}>" if name and email else None


# -- verify: a full worktree of nofsbot's own, switched between commits --------


def common_dir(repo: Path) -> Path:
    """The .git directory that REPO's worktrees share: the repository's identity."""
    out = run(["git", "rev-parse", "--git-common-dir"], cwd=repo, timeout=60).stdout.strip()
    return (repo / out).resolve()


def subject(repo: Path, commit: str) -> str:
    return run(["git", "log", "-1", "--format=%s", commit], cwd=repo, timeout=60).stdout.strip()


def commit_files(repo: Path, commit: str, *, deleted: bool = True) -> list[str]:
    """Paths COMMIT adds, changes or (unless not DELETED) removes relative to
    its first parent."""
    argv = ["git", "diff-tree", "--no-commit-id", "--name-only", "-r", "-z", "--root", commit]
    argv += [] if deleted else ["--diff-filter=d"]
    return sorted(p for p in run(argv, cwd=repo, timeout=600).stdout.split("\0") if p)


def show_file(repo: Path, commit: str, path: str) -> str | None:
    """The text of PATH at COMMIT, or None when it has no such file."""
    res = run(["git", "show", f"{commit}:{path}"], cwd=repo, timeout=60, check=False)
    return res.stdout if res.returncode == 0 else None


def format_one(repo: Path, commit: str) -> str:
    """One commit as a patch, as `git format-patch -1 --stdout` writes it."""
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
