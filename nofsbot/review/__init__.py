"""The review stage: what a series does to the NOFS picture of the tree.

`review(opts, cfg)` reads the series (an mbox or .patch files, a revision
range of the tree, or a GitHub pull request), checks it (inputs.py), applies
it patch by patch with `git apply --index` to its base in a detached git
worktree of its own (the user's work tree, index and branches are never
touched; the worktree is removed afterwards), analyses the files it touches
before and after (each with its whole subsystem, so callers are seen; the
analysis is cached by content), and reports what the series changes
(findings.py), each finding laid on the patch that made it.
"""

from __future__ import annotations

import itertools
import logging
import re
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import nofsbot.tools.git as gitcli
from nofsbot import discover
from nofsbot.analyse import Options, analyse, functions
from nofsbot.config import Config
from nofsbot.errors import PatchError, ToolError, TreeError
from nofsbot.model import Finding
from nofsbot.plan import plan
from nofsbot.review import inputs
from nofsbot.review.findings import Dropped, Image, compare, dropped
from nofsbot.review.lines import changes
from nofsbot.review.render import pull_review
from nofsbot.review.series import ReviewResult, Series
from nofsbot.tools.github import DEFAULT_URL, fetch_pull, find_token, post_review

__all__ = ["ReviewOptions", "ReviewResult", "post", "review"]

log = logging.getLogger(__name__)

_PULL = re.compile(r"^([\w.-]+/[\w.-]+)#(\d+)$")
_ARCH_INCLUDE = re.compile(r"^arch/[^/]+/include/")


@dataclass(frozen=True)
class ReviewOptions:
    tree: Path
    inputs: tuple[str, ...] = ()  # an mbox, .patch files, or one revision range
    github: str | None = None  # OWNER/REPO#N
    base: str | None = None  # apply to this instead of the series' own base
    jobs: int = 1
    cache: bool = True
    github_url: str = DEFAULT_URL
    token: str | None = field(default=None, repr=False)  # default: tools.github.find_token()


def review(opts: ReviewOptions, cfg: Config) -> ReviewResult:
    tree = discover.check_tree(opts.tree)
    if not gitcli.is_repo(tree):
        raise TreeError(f"{tree} is not a git repository: nofsbot applies the series in a worktree")
    series = _read(opts, tree)
    base = _base(opts, series, tree)
    touched = {p for patch in series.patches for p in patch.paths}
    reviewed = sorted(p for p in touched if _reviewable(p))
    log.info(
        "%d patches touching %d files, on %s; reviewing %d C files",
        len(series.patches),
        len(touched),
        base[:12],
        len(reviewed),
    )
    with tempfile.TemporaryDirectory(prefix="nofsbot-review-") as tmp:
        wt = Path(tmp) / "tree"
        gitcli.worktree_add(tree, wt, None, base, only=discover.checkout_specs(reviewed))
        try:
            return _review_in(wt, series, base, reviewed, opts, cfg)
        finally:
            gitcli.worktree_remove(tree, wt)


def _review_in(
    wt: Path, series: Series, base: str, reviewed: list[str], opts: ReviewOptions, cfg: Config
) -> ReviewResult:
    # the series goes into an index of its own holding only the files it
    # touches; the analysis of the base runs on the checkout meanwhile
    index = wt.parent / "series.index"
    touched = sorted({p for patch in series.patches for p in patch.paths})
    gitcli.index_of(wt, base, touched, index)
    trees = [gitcli.write_tree(wt, index)]
    for patch in series.patches:
        try:
            gitcli.apply_cached(wt, patch.diff, index)
        except ToolError as e:
            why = "\n".join(e.output.strip().splitlines()[-6:])
            raise PatchError(
                f"patch {patch.index}/{len(series.patches)} '{patch.subject}' does not apply "
                f"to {base[:12]}:\n{why}"
            ) from e
        trees.append(gitcli.write_tree(wt, index))
    before = [p for p in reviewed if (wt / p).is_file()]
    pre = _image(wt, before, base, opts, cfg)
    pre = replace(pre, text={p: _lines(wt / p) for p in before})
    lines = changes(gitcli.diff_trees(wt, a, b) for a, b in itertools.pairwise(trees))
    kept = set(gitcli.checkout_all(wt, index))
    for gone in set(touched) - kept:
        (wt / gone).unlink(missing_ok=True)
    after = sorted(p for p in lines.paths() if _reviewable(p) and p in kept)
    stamp = f"{base}+{trees[-1]}"
    post = _image(wt, after, stamp, opts, cfg, full=True)
    restored = _restored(wt, dropped(pre, post, lines), stamp, opts, cfg)
    found = compare(pre, post, lines, cfg, restored)
    return ReviewResult(series, base, tuple(after), tuple(found), gitcli.configured_identity(wt))


def _lines(path: Path) -> list[str]:
    return path.read_text(errors="replace").splitlines()


def _restored(
    wt: Path, drops: list[Dropped], stamp: str, opts: ReviewOptions, cfg: Config
) -> dict[tuple[str, int], Finding]:
    """The plan's finding on each line of DROPS with its old text (and so its
    NOFS) put back in the tree after the series: what the plan decides for
    that allocation in the code the series leaves."""
    if not drops:
        return {}
    texts = {d.path: (wt / d.path).read_text(errors="replace") for d in drops}
    for path, text in texts.items():
        lines = text.split("\n")
        for d in drops:
            if d.path == path:
                lines[d.line - 1] = d.restored
        (wt / path).write_text("\n".join(lines))
    try:
        aopts = Options(
            jobs=opts.jobs,
            cache=opts.cache,
            every_unit=True,
            gated=True,
            stamp=f"{stamp}+restored",
        )
        a = analyse(wt, sorted(texts), cfg, aopts)
    finally:
        for path, text in texts.items():
            (wt / path).write_text(text)
    wanted = {(d.path, d.line) for d in drops}
    return {
        (f.site.path, f.site.line): f
        for f in plan(a.placed)
        if (f.site.path, f.site.line) in wanted
    }


def _image(
    wt: Path,
    paths: list[str],
    stamp: str,
    opts: ReviewOptions,
    cfg: Config,
    *,
    full: bool = False,
) -> Image:
    if not paths:
        return Image()
    aopts = Options(
        jobs=opts.jobs,
        cache=opts.cache,
        hazards=True,
        every_unit=True,
        gated=True,
        stamp=stamp,
    )
    a = analyse(wt, paths, cfg, aopts)
    if not full:
        return Image(a.placed, plan(a.placed), a.hazards)
    return Image(
        a.placed,
        plan(a.placed),
        a.hazards,
        {p: functions(wt, p, cfg, aopts) for p in paths},
        {p: _lines(wt / p) for p in paths},
    )


def _reviewable(path: str) -> bool:
    """C files the analysis places sites in (include/ headers are read by the
    analysis of the subsystems that include them, not reviewed on their own)."""
    return (
        path.endswith(discover.SOURCE_SUFFIXES)
        and not path.startswith("include/")
        and not _ARCH_INCLUDE.match(path)
    )


def _read(opts: ReviewOptions, tree: Path) -> Series:
    if opts.github:
        m = _PULL.match(opts.github)
        if m is None:
            raise PatchError(f"--github {opts.github}: expected OWNER/REPO#NUMBER")
        pull = fetch_pull(m.group(1), int(m.group(2)), base_url=opts.github_url, token=_token(opts))
        return inputs.from_pull(pull)
    files = [Path(a) for a in opts.inputs]
    if all(f.is_file() for f in files):
        return inputs.read_files(files)
    if len(opts.inputs) == 1 and not files[0].exists():
        return inputs.read_range(tree, opts.inputs[0])
    bad = next(f for f in files if not f.is_file())
    raise PatchError(f"{bad}: {'not a file' if bad.exists() else 'no such file'}")


def _base(opts: ReviewOptions, series: Series, tree: Path) -> str:
    rev = opts.base or series.base or "HEAD"
    sha = gitcli.commit_of(tree, rev)
    pull = series.pull
    if sha is not None and pull is not None and not opts.base:
        # GitHub diffs a pull request against the merge base of its branches;
        # with its head fetched, apply it there, so lines match the head's
        head = gitcli.commit_of(tree, pull.head)
        sha = (gitcli.merge_base(tree, sha, head) if head else None) or sha
    if sha is not None:
        return sha
    if opts.base:
        raise PatchError(f"--base {rev}: no such commit in {tree}")
    raise PatchError(
        f"the series' base {rev} is not in {tree}: fetch it, or pass --base REV to apply it "
        "elsewhere"
    )


def post(result: ReviewResult, opts: ReviewOptions) -> str | None:
    """Post the findings on the pull request the series came from, as one
    review with line comments; the review's URL, or None when clean."""
    pull = result.series.pull
    if pull is None or not result.findings:
        return None
    body, comments = pull_review(result)
    return post_review(
        pull.repo,
        pull.number,
        body=body,
        comments=comments,
        base_url=opts.github_url,
        token=_token(opts),
    )


def _token(opts: ReviewOptions) -> str | None:
    return opts.token if opts.token is not None else find_token()
