"""Regressions as text: printed by the CLI and, with [github] configured,
posted as one issue per tag (mode issue) or one comment on a fixed issue
or pull request (mode comment)."""

from __future__ import annotations

from nofsbot.bot.config import GitHub
from nofsbot.bot.state import Regression
from nofsbot.tools import github_issues

WHAT = {
    "new-site": "new NOFS site",
    "new-mapping-mask": "new mapping mask",
    "new-hazard": "new hazard",
}


def line(r: Regression) -> str:
    where = f"{r.path}:{r.line}" + (f" {r.function}()" if r.function else "")
    who = f'{r.sha[:12]} ("{r.summary}") by {r.author}' if r.sha else "an unknown commit"
    return f"{WHAT.get(r.what, r.what)} at {where}: {r.detail}; introduced by {who}"


def text(tag: str, regressions: tuple[Regression, ...]) -> str:
    n = len(regressions)
    head = f"nofsbot found {n} regression{'s' if n != 1 else ''} in {tag}:\n\n"
    return head + "".join(f"- {line(r)}\n" for r in regressions)


def post(gh: GitHub, tag: str, regressions: tuple[Regression, ...]) -> str:
    n = len(regressions)
    return github_issues.post(
        gh.repo,
        title=f"nofsbot: {n} new NOFS regression{'s' if n != 1 else ''} in {tag}",
        body=text(tag, regressions),
        number=gh.number if gh.mode == "comment" else None,
        base_url=gh.base_url,
    )
