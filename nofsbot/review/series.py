"""What a review reads and what it says: the patches of a series, findings."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from nofsbot.model import Evidence


class Severity(StrEnum):
    ERROR = "error"  # likely a bug: a deadlock, a scope left open
    WARNING = "warning"  # not wrong, but not what maintainers take


@dataclass(frozen=True)
class Patch:
    """One patch of a series, as it came (mail headers, when there were any)."""

    index: int  # 1-based position in the series
    subject: str  # the whole subject line, [PATCH ...] prefix included
    diff: str  # the unified diff
    paths: tuple[str, ...]  # the files it touches (old and new names), relative to the tree
    message_id: str | None = None
    author: str | None = None
    date: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    references: tuple[str, ...] = ()  # the thread it is in (References, In-Reply-To)


@dataclass(frozen=True)
class PullRef:
    """The GitHub pull request a series came from."""

    repo: str  # owner/name
    number: int
    head: str  # the head commit the review is about
    url: str


@dataclass(frozen=True)
class Series:
    patches: tuple[Patch, ...]
    base: str | None  # base-commit: of the mail, the range's start, the pull request's base
    source: str  # what was read, for the report
    pull: PullRef | None = None


@dataclass(frozen=True, order=True)
class ReviewFinding:
    """Something the series changes that a reviewer should say."""

    patch: int  # index of the patch that makes the change
    path: str  # in the tree after the series
    line: int  # in that file after the series
    kind: str
    severity: Severity
    function: str | None
    message: str
    suggestion: str | None = None
    evidence: tuple[Evidence, ...] = ()
    # the same line in the post-image of the patch (its own numbering, to
    # quote its hunk or comment on it), None when a later patch added it
    own_line: int | None = None


@dataclass(frozen=True)
class ReviewResult:
    series: Series
    base: str  # the commit the series was applied to
    analysed: tuple[str, ...]  # the files reviewed, after the series
    findings: tuple[ReviewFinding, ...]
    reviewer: str | None = None  # the user's git identity, for the From: of replies

    @property
    def errors(self) -> int:
        return sum(f.severity is Severity.ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity is Severity.WARNING for f in self.findings)
