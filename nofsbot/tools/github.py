"""GitHub pull requests through PyGithub: read one, post one review on it.

The token is handed to PyGithub and nowhere else: it is never printed or
logged (PyGithub masks it in its own debug log). BASE_URL points at the API
(https://api.github.com, GitHub Enterprise's https://HOST/api/v3, or a test
server). PyGithub is imported when first used: it takes a fifth of a second.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nofsbot.errors import NofsbotError, PublishError

if TYPE_CHECKING:
    from github import Github, GithubException

log = logging.getLogger(__name__)

DEFAULT_URL = "https://api.github.com"


@dataclass(frozen=True)
class PullFile:
    path: str
    status: str  # added, removed, modified, renamed, ...
    patch: str | None  # the hunks; None for a binary or too large diff
    previous_path: str | None = None


@dataclass(frozen=True)
class Pull:
    repo: str  # owner/name
    number: int
    title: str
    url: str
    author: str | None
    base: str  # base commit
    head: str  # head commit
    files: tuple[PullFile, ...]


@dataclass(frozen=True)
class LineComment:
    """A comment on one line of the file after the pull request (RIGHT side)."""

    path: str
    line: int
    body: str


def _client(base_url: str, token: str | None) -> Github:
    from github import Auth, Github

    auth = Auth.Token(token) if token else None
    return Github(auth=auth, base_url=base_url.rstrip("/"), retry=None, timeout=60)


def fetch_pull(repo: str, number: int, *, base_url: str, token: str | None) -> Pull:
    """The pull request NUMBER of REPO with its changed files."""
    from github import GithubException

    try:
        gh = _client(base_url, token)
        pull = gh.get_repo(repo).get_pull(number)
        files = tuple(
            PullFile(
                f.filename,
                f.status,
                f.patch,
                f.previous_filename if f.status == "renamed" else None,
            )
            for f in pull.get_files()
        )
        return Pull(
            repo,
            number,
            pull.title,
            pull.html_url,
            pull.user.login if pull.user else None,
            pull.base.sha,
            pull.head.sha,
            files,
        )
    except GithubException as e:
        raise NofsbotError(f"GitHub: {repo}#{number}: {e.status} {_message(e)}") from e


def post_review(
    repo: str,
    number: int,
    *,
    body: str,
    comments: list[LineComment],
    base_url: str,
    token: str | None,
) -> str:
    """Post one review (event COMMENT) with line COMMENTS; return its URL."""
    if not token:
        raise PublishError(
            "posting a review needs a GitHub token: set GITHUB_TOKEN or write it to "
            "~/.config/nofsbot/github-token"
        )
    from github import GithubException

    try:
        pull = _client(base_url, token).get_repo(repo).get_pull(number)
        review = pull.create_review(
            body=body,
            event="COMMENT",
            comments=[
                {"path": c.path, "line": c.line, "side": "RIGHT", "body": c.body} for c in comments
            ],
        )
    except GithubException as e:
        raise PublishError(f"GitHub: {repo}#{number}: {e.status} {_message(e)}") from e
    log.info("posted review %s on %s#%d", review.id, repo, number)
    return str(review.html_url or review.id)


def _message(e: GithubException) -> str:
    data = e.data
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return "request failed"


def find_token() -> str | None:
    """$GITHUB_TOKEN, else the first line of $XDG_CONFIG_HOME/nofsbot/github-token."""
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    if token:
        return token
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    path = Path(base) / "nofsbot" / "github-token"
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return None
    return lines[0].strip() or None if lines else None
