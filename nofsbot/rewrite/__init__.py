"""The rewrite stage: carry out the plan with spatch, in nofsbot's own worktree.

`rewrite(opts, cfg)` makes a git worktree on a new branch from the tree's
HEAD (the user's work tree and index are never touched; only what the
analysis reads is checked out, the index holds the whole tree), analyses the
committed code there, applies the semantic patches to the planned
positions, checks that every planned site was rewritten (spatch silently
skips functions it cannot parse), commits one logical change at a time
with a message draft stating the class and the evidence, and runs the scope
balance checker (cocci/nofs_scope_balance.cocci) on every file it touched.

First each needs-scope boundary gets its scope (cocci/nofs_scope.cocci),
one commit each; a mapping mask with a choke point moves to a scope around
the page-cache calls there (cocci/nofs_choke.cocci, the mask becoming
GFP_KERNEL in the same commit); then a new analysis sees which sites those scopes cover on
every path, and the flags rule (cocci/nofs_flags.cocci) converts redundant,
unneeded, mixed and no-op sites, XFS's kmem_*(.., KM_NOFS) calls included.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import nofsbot.tools.git as gitcli
import nofsbot.tools.spatch as coccinelle
from nofsbot import discover, kernels
from nofsbot.analyse import Options, analyse
from nofsbot.config import Config
from nofsbot.drafts import draft_message
from nofsbot.edits import choke_edits, flag_edits, scope_edits
from nofsbot.errors import Interrupted, NofsbotError, TreeError
from nofsbot.model import Boundary, ChokePoint, Class, Finding
from nofsbot.plan import plan
from nofsbot.rewrite import apply, messages
from nofsbot.rewrite.apply import Missed
from nofsbot.runner import Steps

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RewriteOptions:
    tree: Path
    paths: tuple[str, ...]
    branch: str | None = None
    worktree: Path | None = None
    group: str = "file"  # one commit per file and class, or per function and class
    jobs: int = 1
    import_tree: bool = False
    # which of the planned findings to rewrite (default: all), applied to
    # every plan: a caller's way to leave sites out of every commit
    select: Callable[[tuple[Finding, ...]], tuple[Finding, ...]] | None = None
    progress: bool | None = False  # a line per step on stderr (None: on a terminal)


@dataclass(frozen=True)
class Commit:
    sha: str
    subject: str
    files: tuple[str, ...]
    sites: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class RewriteResult:
    base: str
    branch: str
    worktree: str
    planned: int
    commits: tuple[Commit, ...]
    not_rewritten: tuple[tuple[str, int, str], ...]  # (path, line, why)
    unbalanced: tuple[tuple[str, int, str], ...]  # scope balance checker findings
    kept: bool = True  # the branch and worktree are there (False: no commit, removed)


def rewrite(opts: RewriteOptions, cfg: Config) -> RewriteResult:
    tree = discover.check_tree(opts.tree)
    if not gitcli.is_repo(tree):
        if not opts.import_tree:
            raise TreeError(
                f"{tree} is not a git repository: nofsbot commits its changes on a "
                "branch of its own; pass --import to commit the tree as it is first"
            )
        gitcli.import_tree(tree, "Baseline for nofsbot")
    base = gitcli.head(tree)
    if base is None:
        raise TreeError(f"{tree} has no commit to start from")
    paths = tuple(sorted({discover.normalise(tree, p) for p in opts.paths}))
    branch = opts.branch or _free_branch(tree, f"nofsbot/nofs-{_slug(paths)}-{base[:8]}")
    if gitcli.branch_exists(tree, branch):
        raise NofsbotError(f"branch {branch} exists already; pass --branch NAME")
    worktree = opts.worktree or _worktree_dir(tree, branch)
    if worktree.exists():
        raise NofsbotError(f"{worktree} exists already; pass --worktree DIR")
    try:
        gitcli.worktree_add(tree, worktree, branch, base, only=discover.checkout_specs(paths))
        log.info("worktree %s on branch %s from %s", worktree, branch, base[:12])
        result = _carry_out(opts, cfg, paths, worktree, Steps("rewrite", opts.progress))
    except KeyboardInterrupt:
        raise Interrupted(leftovers(tree, branch, worktree)) from None
    except BaseException:
        gitcli.worktree_remove(tree, worktree, branch)
        raise
    commits, planned, missed, unbalanced = result
    if not commits:
        # nothing to review: a branch and a worktree would only be in the way
        gitcli.worktree_remove(tree, worktree, branch)
    return RewriteResult(
        base,
        branch,
        str(worktree),
        planned,
        tuple(commits),
        tuple(sorted(set(missed))),
        tuple(unbalanced),
        kept=bool(commits),
    )


def leftovers(tree: Path, branch: str, worktree: Path) -> str:
    """What an interrupted run leaves in TREE, and how to remove it."""
    return (
        f"left branch {branch} and worktree {worktree}; remove them with: "
        f"git -C {tree} worktree remove --force {worktree} && git -C {tree} branch -D {branch}"
    )


def _carry_out(
    opts: RewriteOptions, cfg: Config, paths: tuple[str, ...], worktree: Path, step: Steps
) -> tuple[list[Commit], int, list[Missed], list[tuple[str, int, str]]]:
    scan = Options(jobs=opts.jobs, progress=opts.progress)
    step(f"analysing {' '.join(paths)}")
    findings = _planned(worktree, paths, cfg, opts, scan)
    commits: list[Commit] = []
    missed: list[Missed] = []
    # 1. scopes at the planned critical sections; adding a scope only adds NOFS
    scopes = scope_edits(findings)
    inserted: set[Boundary] = set()
    for i, (boundary, covered) in enumerate(scopes.items(), 1):
        step(f"scope {i}/{len(scopes)}: {boundary.function}() in {boundary.path}")
        if apply.scope(worktree, boundary):
            inserted.add(boundary)
            subject, body = messages.scope_message(boundary, covered)
            rule = apply.TOP_RULE if boundary.top else apply.SCOPE_RULE
            msg = draft_message(subject, body, str(Class.NEEDS_SCOPE), rule)
            sha = gitcli.commit_all(worktree, [boundary.path], msg)
            commits.append(
                Commit(sha, subject, (boundary.path,), ((boundary.path, boundary.line),))
            )
        else:
            missed += [
                (
                    f.site.path,
                    f.site.line,
                    "needs-scope: the scope rule did not match "
                    "(a path leaves the critical section without a planned exit)",
                )
                for f in covered
            ]
    # 2. mapping masks that move to a scope at their choke point
    chokes = choke_edits(findings)
    for i, (c, masks) in enumerate(chokes, 1):
        step(f"mapping mask {i}/{len(chokes)}: choke point {c.function}() in {c.path}")
        commit, skipped = _move_mask(worktree, c, masks)
        missed += skipped
        commits += [commit] if commit else []
    # 3. a new plan: sites the new scopes cover on every path are now redundant
    if commits:
        step("analysing again: what the new scopes cover")
        findings = _planned(worktree, paths, cfg, opts, scan)
    edits = flag_edits(findings)
    groups = _groups(edits, opts.group)
    # where the lines of the plan are now, in files an earlier group changed
    # (a kmem_zalloc() losing its dead NULL check moves what follows)
    moved: dict[str, list[dict[int, int]]] = {}
    for i, (key, group) in enumerate(groups, 1):
        step(f"flags {i}/{len(groups)}: {len(group)} sites in {key[0]}")
        before = (worktree / key[0]).read_text(errors="surrogateescape").splitlines()
        now = [(f, _moved(f, moved.get(key[0], []))) for f in group]
        live = [m for _, m in now if m is not None]
        done_now, skipped_now = apply.flags(worktree, live)
        planned_at = {m.site.line: f.site.line for f, m in now if m is not None}
        done = [f for f, m in now if m is not None and m in done_now]
        missed += [(p, planned_at.get(line, line), why) for p, line, why in skipped_now]
        missed += [
            (f.site.path, f.site.line, "an earlier change in this file rewrote its line")
            for f, m in now
            if m is None
        ]
        after = (worktree / key[0]).read_text(errors="surrogateescape").splitlines()
        moved.setdefault(key[0], []).append(apply.moved_lines(before, after))
        if not done:
            continue
        subject, body = messages.message(key[0], group)
        msg = draft_message(subject, body, str(group[0].klass), apply.FLAGS_RULE)
        sha = gitcli.commit_all(worktree, [key[0]], msg)
        commits.append(
            # the lines as of the commit's parent, where its diff finds them
            Commit(sha, subject, (key[0],), tuple((m.site.path, m.site.line) for m in done_now))
        )
    for f in findings:
        # a boundary the scope rule refused is reported above already
        if f.klass is Class.NEEDS_SCOPE and f.boundary is not None and f.boundary not in scopes:
            missed.append(
                (
                    f.site.path,
                    f.site.line,
                    "needs-scope: another critical section "
                    f"({f.boundary.function}()) needs a scope; run rewrite again",
                )
            )
    touched = sorted({p for c in commits for p in c.files})
    step(f"scope balance check of {len(touched)} touched files")
    unbalanced = coccinelle.report(apply.RULES / apply.BALANCE_RULE, touched, cwd=worktree)
    planned = len(edits) + len(scopes) + sum(len(masks) for _, masks in chokes)
    return commits, planned, missed, list(unbalanced)


def _planned(
    worktree: Path, paths: tuple[str, ...], cfg: Config, opts: RewriteOptions, scan: Options
) -> tuple[Finding, ...]:
    findings = plan(analyse(worktree, list(paths), cfg, scan).placed)
    return opts.select(findings) if opts.select else findings


def _move_mask(
    worktree: Path, c: ChokePoint, masks: list[Finding]
) -> tuple[Commit | None, list[Missed]]:
    """One commit: every mask on the mapping becomes GFP_KERNEL and the choke
    point's page-cache calls get a scope, or nothing changes at all."""
    files = sorted({c.path, *(f.site.path for f in masks)})
    by_file: dict[str, list[Finding]] = {}
    for f in masks:
        by_file.setdefault(f.site.path, []).append(f)
    done: list[Finding] = []
    skipped: list[Missed] = []
    # the masks first: the flags rule changes no line count, the choke rule does
    for group in by_file.values():
        d, s = apply.flags(worktree, group, Class.UNNEEDED)
        done += d
        skipped += s
    if skipped or not apply.choke(worktree, c):
        gitcli.restore(worktree, files)
        why = f"mapping mask: the choke point {c.function}() could not be rewritten as planned"
        return None, [(f.site.path, f.site.line, why) for f in masks]
    subject, body = messages.choke_message(c, masks)
    rules = f"{apply.CHOKE_RULE} {apply.FLAGS_RULE}"
    sha = gitcli.commit_all(
        worktree, files, draft_message(subject, body, str(Class.NEEDS_SCOPE), rules)
    )
    sites = tuple(sorted((f.site.path, f.site.line) for f in done))
    return Commit(sha, subject, tuple(files), sites), []


def _free_branch(tree: Path, name: str) -> str:
    """NAME, or NAME-2, NAME-3, ... when an earlier run's branch is still there
    (and its worktree: the default worktree directory follows the branch)."""
    candidate, n = name, 1
    while gitcli.branch_exists(tree, candidate) or _worktree_dir(tree, candidate).exists():
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def _slug(paths: Iterable[str]) -> str:
    s = "-".join(p.replace("/", "_") for p in paths) or "tree"
    return re.sub(r"[^A-Za-z0-9_.-]", "", s)[:40]


def _worktree_dir(tree: Path, branch: str) -> Path:
    tag = hashlib.blake2b(str(tree).encode(), digest_size=6).hexdigest()
    return kernels.cache_root() / "worktrees" / f"{tag}-{branch.replace('/', '-')}"


def _moved(f: Finding, maps: list[dict[int, int]]) -> Finding | None:
    """F with its site at the line it has after the changes MAPS made to its
    file; None if a change touched that line."""
    line = f.site.line
    for m in maps:
        if line not in m:
            return None
        line = m[line]
    return (
        f
        if line == f.site.line
        else dataclasses.replace(f, site=dataclasses.replace(f.site, line=line))
    )


def _groups(edits: list[Finding], how: str) -> list[tuple[tuple[str, str, str], list[Finding]]]:
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for f in edits:
        fn = f.site.function or "" if how == "function" else ""
        # instance-disjoint unneeded sites get their own commit: their mask
        # and their reason differ
        kind = str(f.klass) + (" nolockdep" if f.nolockdep else "")
        groups.setdefault((f.site.path, fn, kind), []).append(f)
    return sorted(groups.items())
