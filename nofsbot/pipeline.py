"""The stages after rewrite, as `nofsbot rewrite` and the bot run them:
verify the series, then say in each kept patch how it was verified.

Verify may drop patches (they do not build, add a warning or a checkpatch
finding); the rest is cherry-picked again, so the series to publish is
verify's `kept`, not the rewrite's commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nofsbot.config import Config
from nofsbot.verify import Verdict, VerifyOptions, VerifyResult, verify

UNVERIFIED = "Not build-tested by nofsbot: published without its verify stage."


@dataclass(frozen=True)
class Checked:
    commits: tuple[str, ...]  # what to publish, oldest first
    verified: tuple[tuple[str, str], ...]  # (commit, how it was verified)
    dropped: tuple[tuple[str, str, str], ...]  # (original commit, subject, why)
    result: VerifyResult | None  # None when verify did not run


def unverified(commits: tuple[str, ...]) -> Checked:
    return Checked(commits, tuple((c, UNVERIFIED) for c in commits), (), None)


def check(
    tree: Path,
    base: str,
    commits: tuple[str, ...],
    name: str,
    cfg: Config,
    *,
    jobs: int = 2,
    progress: bool | None = False,
) -> Checked:
    """Verify COMMITS on BASE; the kept ones with their verification."""
    opts = VerifyOptions(
        tree=tree, base=base, commits=commits, name=name, jobs=jobs, progress=progress
    )
    r = verify(opts, cfg)
    by_commit = {v.commit: v for v in r.verdicts if v.ok}
    config = "defconfig" + "".join(f", CONFIG_{s}=y" for s in r.symbols)
    verified = tuple((c, sentence(by_commit[c], config)) for c in r.kept if c in by_commit)
    dropped = tuple((d.commit, d.subject, d.reason) for d in r.dropped)
    return Checked(r.kept, verified, dropped, r)


def sentence(v: Verdict, config: str) -> str:
    """How one patch was verified, for its commit message."""
    if v.objects:
        built = (
            f"{', '.join(v.objects)} {'builds' if len(v.objects) == 1 else 'build'} after "
            f"this patch with W=1 and no new warnings ({config})"
        )
    else:
        built = "it touches no object file that could be built"
    return f"Verified: {built}; scripts/checkpatch.pl --strict reports nothing new."
