"""git for the linux-next bot: its clone of a remote, tags, history and
who introduced a line (tools.git has the rest)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nofsbot.tools.proc import run


def clone(remote: str, dest: Path) -> None:
    """Clone REMOTE into DEST without a checkout (the caller picks what to
    check out: see sparse_checkout)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    run(["git", "clone", "-q", "--no-checkout", remote, str(dest)], cwd=dest.parent, timeout=7200)


def sparse_checkout(repo: Path, patterns: list[str]) -> None:
    """Check out only what PATTERNS (gitignore syntax) match, from now on."""
    run(
        ["git", "sparse-checkout", "set", "--no-cone", "--stdin"],
        cwd=repo,
        timeout=1800,
        input="".join(f"{p}\n" for p in patterns),
    )


def fetch_tags(repo: Path, remote: str = "origin") -> None:
    run(["git", "fetch", "-q", "--tags", "--force", remote], cwd=repo, timeout=7200)


def tags(repo: Path) -> list[str]:
    out = run(["git", "tag", "--list"], cwd=repo, timeout=600).stdout
    return out.split()


def changed_files(repo: Path, old: str, new: str) -> list[str]:
    """Paths that differ between the trees of OLD and NEW, sorted."""
    out = run(["git", "diff", "--name-only", "-z", old, new], cwd=repo, timeout=1800).stdout
    return sorted(p for p in out.split("\0") if p)


@dataclass(frozen=True)
class Blame:
    sha: str
    author: str  # "Name <mail>"
    summary: str


def blame_line(repo: Path, rev: str, path: str, line: int) -> Blame | None:
    """The commit that last changed LINE of PATH as of REV (None if unknown)."""
    res = run(
        ["git", "blame", "--porcelain", "-L", f"{line},{line}", rev, "--", path],
        cwd=repo,
        timeout=600,
        check=False,
    )
    if res.returncode != 0 or not res.stdout:
        return None
    lines = res.stdout.splitlines()
    fields = dict(ln.split(" ", 1) for ln in lines[1:] if " " in ln and not ln.startswith("\t"))
    return Blame(
        lines[0].split()[0],
        f"{fields.get('author', '?')} {fields.get('author-mail', '')}".strip(),
        fields.get("summary", ""),
    )


def patch_ids_in(repo: Path, rev_range: str, paths: Iterable[str]) -> dict[str, str]:
    """Stable patch-id -> commit for the non-merge commits of REV_RANGE that
    touch PATHS."""
    log = run(
        ["git", "log", "-p", "--no-merges", "--format=commit %H", rev_range, "--", *paths],
        cwd=repo,
        timeout=1800,
    ).stdout
    if not log.strip():
        return {}
    out = run(["git", "patch-id", "--stable"], cwd=repo, timeout=1800, input=log).stdout
    return {p: c for p, c in (ln.split() for ln in out.splitlines() if len(ln.split()) == 2)}


def diff_hunks(repo: Path, old: str, new: str, path: str) -> list[tuple[int, int, int, int]]:
    """The hunks of PATH from OLD to NEW as (old start, old count, new start, new count)."""
    out = run(["git", "diff", "-U0", old, new, "--", path], cwd=repo, timeout=600).stdout
    hunks = []
    for m in _HUNK_RE.finditer(out):
        a, b, c, d = m.groups()
        hunks.append((int(a), int(b) if b is not None else 1, int(c), int(d) if d else 1))
    return hunks


_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", re.M)


# -- the bot's clone after a run died: what is left, and where it points ------


def has_head(repo: Path) -> bool:
    """REPO is a repository whose HEAD names a commit (a clone that finished)."""
    res = run(
        ["git", "rev-parse", "--verify", "-q", "HEAD^{commit}"], cwd=repo, timeout=60, check=False
    )
    return res.returncode == 0


def remote_url(repo: Path, remote: str = "origin") -> str | None:
    res = run(["git", "remote", "get-url", remote], cwd=repo, timeout=60, check=False)
    return res.stdout.strip() if res.returncode == 0 else None


def set_remote_url(repo: Path, url: str, remote: str = "origin") -> None:
    run(["git", "remote", "set-url", remote, url], cwd=repo, timeout=60)


def remote_tag(repo: Path, url: str, tag: str) -> str | None:
    """The commit TAG names in the repository at URL, None when it has no
    such tag (a URL that cannot be read raises ToolError)."""
    out = run(
        ["git", "ls-remote", "--tags", url, f"refs/tags/{tag}", f"refs/tags/{tag}^{{}}"],
        cwd=repo,
        timeout=600,
    ).stdout
    refs = {name: sha for sha, _, name in (ln.partition("\t") for ln in out.splitlines())}
    return refs.get(f"refs/tags/{tag}^{{}}") or refs.get(f"refs/tags/{tag}")


def prune_worktrees(repo: Path) -> None:
    run(["git", "worktree", "prune"], cwd=repo, timeout=600)


def branches(repo: Path, pattern: str) -> list[str]:
    out = run(
        ["git", "for-each-ref", "--format=%(refname:short)", f"refs/heads/{pattern}"],
        cwd=repo,
        timeout=60,
    ).stdout
    return out.split()


def delete_branch(repo: Path, name: str) -> None:
    run(["git", "branch", "-q", "-D", name], cwd=repo, timeout=60)


def refs(repo: Path, prefix: str) -> list[str]:
    """The full names of the refs under PREFIX (refs/...), sorted."""
    out = run(["git", "for-each-ref", "--format=%(refname)", prefix], cwd=repo, timeout=60).stdout
    return sorted(out.split())
