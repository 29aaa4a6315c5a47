"""GitHub issues and issue comments through PyGithub, for the bot's
regression reports on a mirror.

The token comes from $GITHUB_TOKEN and goes to PyGithub and nowhere else:
it is never printed or logged. BASE_URL points at the API
(https://api.github.com, GitHub Enterprise's https://HOST/api/v3, or a test
server). A comment on a pull request is an issue comment on its number.
"""

from __future__ import annotations

import logging
import os

from nofsbot.errors import PublishError

log = logging.getLogger(__name__)


def post(repo: str, *, title: str, body: str, number: int | None, base_url: str) -> str:
    """A new issue titled TITLE (NUMBER None) or a comment on issue or pull
    request NUMBER of REPO (owner/name); return its URL."""
    from github import Auth, Github, GithubException

    token = os.environ.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise PublishError("reporting to GitHub needs a token in $GITHUB_TOKEN")
    gh = Github(auth=Auth.Token(token), base_url=base_url.rstrip("/"), retry=None, timeout=60)
    try:
        target = gh.get_repo(repo)
        if number is None:
            issue = target.create_issue(title=title, body=body)
            log.info("opened %s#%d", repo, issue.number)
            return str(issue.html_url)
        comment = target.get_issue(number).create_comment(body)
        log.info("commented on %s#%d", repo, number)
        return str(comment.html_url)
    except GithubException as e:
        raise PublishError(f"GitHub: {repo}: {e.status} {_message(e.data)}") from e
    except OSError as e:  # requests' connection errors and time-outs
        raise PublishError(f"GitHub: {base_url}: cannot be reached: {type(e).__name__}") from e


def _message(data: object) -> str:
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return "request failed"
