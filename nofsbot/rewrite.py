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
one commit each; then a new analysis sees which sites those scopes cover on
every path, and the flags rule (cocci/nofs_flags.cocci) converts redundant,
unneeded, mixed and no-op sites, XFS's kmem_*(.., KM_NOFS) calls included.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import re
import tempfile
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import nofsbot.tools.git as gitcli
import nofsbot.tools.spatch as coccinelle
from nofsbot import __version__, discover, kernels
from nofsbot.analyse import Options, analyse
from nofsbot.config import Config
from nofsbot.edits import flag_edits, scope_edits, scopes_json, sites_json
from nofsbot.errors import NofsbotError, TreeError
from nofsbot.model import Boundary, Class, Evidence, Finding
from nofsbot.plan import plan

log = logging.getLogger(__name__)

RULES = Path(__file__).resolve().parent.parent / "cocci"
FLAGS_RULE = "nofs_flags.cocci"
BALANCE_RULE = "nofs_scope_balance.cocci"
SCOPE_RULE = "nofs_scope.cocci"

_SUBJECTS = {
    Class.REDUNDANT: "use GFP_KERNEL in {where}, already in a NOFS scope",
    Class.UNNEEDED: "use GFP_KERNEL in {where}",
    Class.MIXED: "use __GFP_NOLOCKDEP instead of GFP_NOFS in {where}",
    Class.NOOP_MASK: "drop the no-op GFP_NOFS in {where}",
}

_WHY = {
    Class.REDUNDANT: "Every path to {it} already runs inside a NOFS scope, so GFP_NOFS adds "
    "nothing; use GFP_KERNEL and keep the other flags.",
    Class.UNNEEDED: "{It} never runs inside a NOFS scope and no lock that memory reclaim also "
    "takes can be held there, so it does not need GFP_NOFS; use GFP_KERNEL.",
    Class.MIXED: "{It} runs inside a NOFS scope on some paths; on the others no lock that "
    "memory reclaim also takes is held, so GFP_NOFS only keeps lockdep quiet. Say that with "
    "__GFP_NOLOCKDEP instead.",
    Class.NOOP_MASK: "GFP_NOFS has no flag that GFP_KERNEL lacks, so GFP_KERNEL | GFP_NOFS is "
    "GFP_KERNEL.",
}


@dataclass(frozen=True)
class RewriteOptions:
    tree: Path
    paths: tuple[str, ...]
    branch: str | None = None
    worktree: Path | None = None
    group: str = "file"  # one commit per file and class, or per function and class
    jobs: int = 1
    import_tree: bool = False


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
    branch = opts.branch or f"nofsbot/nofs-{_slug(paths)}-{base[:8]}"
    if gitcli.branch_exists(tree, branch):
        raise NofsbotError(f"branch {branch} exists already; pass --branch NAME")
    worktree = opts.worktree or _worktree_dir(tree, branch)
    if worktree.exists():
        raise NofsbotError(f"{worktree} exists already; pass --worktree DIR")
    gitcli.worktree_add(tree, worktree, branch, base, only=discover.checkout_specs(paths))
    log.info("worktree %s on branch %s from %s", worktree, branch, base[:12])

    findings = plan(analyse(worktree, list(paths), cfg, Options(jobs=opts.jobs)).placed)
    commits: list[Commit] = []
    missed: list[tuple[str, int, str]] = []
    # 1. scopes at the planned critical sections; adding a scope only adds NOFS
    scopes = scope_edits(findings)
    for boundary, covered in scopes.items():
        if _apply_scope(worktree, boundary):
            subject, body = _scope_message(boundary, covered)
            sha = gitcli.commit_all(worktree, [boundary.path], f"{subject}\n\n{body}")
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
    # 2. a new plan: sites the new scopes cover on every path are now redundant
    if commits:
        findings = plan(analyse(worktree, list(paths), cfg, Options(jobs=opts.jobs)).placed)
    edits = flag_edits(findings)
    for key, group in _groups(edits, opts.group):
        done, skipped = _apply(worktree, group)
        missed += skipped
        if not done:
            continue
        subject, body = _message(key[0], group)
        sha = gitcli.commit_all(worktree, [key[0]], f"{subject}\n\n{body}")
        commits.append(
            Commit(sha, subject, (key[0],), tuple((f.site.path, f.site.line) for f in done))
        )
    inserted = {c.sites[0] for c in commits if "open a NOFS scope" in c.subject}
    for f in findings:
        if (
            f.klass is Class.NEEDS_SCOPE
            and f.boundary is not None
            and ((f.boundary.path, f.boundary.line) not in inserted)
        ):
            missed.append(
                (
                    f.site.path,
                    f.site.line,
                    "needs-scope: another critical section "
                    f"({f.boundary.function}()) needs a scope; run rewrite again",
                )
            )
    touched = sorted({p for c in commits for p in c.files})
    unbalanced = coccinelle.report(RULES / BALANCE_RULE, touched, cwd=worktree)
    return RewriteResult(
        base,
        branch,
        str(worktree),
        len(edits) + len(scopes),
        tuple(commits),
        tuple(sorted(set(missed))),
        tuple(unbalanced),
    )


def _slug(paths: Iterable[str]) -> str:
    s = "-".join(p.replace("/", "_") for p in paths) or "tree"
    return re.sub(r"[^A-Za-z0-9_.-]", "", s)[:40]


def _worktree_dir(tree: Path, branch: str) -> Path:
    tag = hashlib.blake2b(str(tree).encode(), digest_size=6).hexdigest()
    return kernels.cache_root() / "worktrees" / f"{tag}-{branch.replace('/', '-')}"


def _groups(edits: list[Finding], how: str) -> list[tuple[tuple[str, str, str], list[Finding]]]:
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for f in edits:
        fn = f.site.function or "" if how == "function" else ""
        groups.setdefault((f.site.path, fn, str(f.klass)), []).append(f)
    return sorted(groups.items())


def _apply(
    worktree: Path, group: list[Finding]
) -> tuple[list[Finding], list[tuple[str, int, str]]]:
    """Run the flags rule on one group; return the sites rewritten and the others."""
    path = group[0].site.path
    before = (worktree / path).read_text(errors="surrogateescape").splitlines()
    with tempfile.NamedTemporaryFile("w", suffix=".json") as tf:
        tf.write(sites_json(group))
        tf.flush()
        coccinelle.patch(
            RULES / FLAGS_RULE, [path], cwd=worktree, sites=Path(tf.name), in_place=True
        )
    after = (worktree / path).read_text(errors="surrogateescape").splitlines()
    changed: set[int] = set()
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(
        a=before, b=after, autojunk=False
    ).get_opcodes():
        if tag != "equal":
            changed.update(range(i1 + 1, i2 + 1))
    done = [f for f in group if f.site.line in changed]
    skipped = [
        (f.site.path, f.site.line, "spatch did not rewrite it (it could not parse the function)")
        for f in group
        if f.site.line not in changed
    ]
    return done, skipped


def _apply_scope(worktree: Path, boundary: Boundary) -> bool:
    """Open the scope of one boundary; whether the rule matched."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as tf:
        tf.write(scopes_json([boundary]))
        tf.flush()
        diff = coccinelle.patch(
            RULES / SCOPE_RULE,
            [boundary.path],
            cwd=worktree,
            sites=Path(tf.name),
            in_place=True,
            env_name="NOFSBOT_SCOPES",
        )
    return "memalloc_nofs_save" in diff


def _scope_message(b: Boundary, covered: list[Finding]) -> tuple[str, str]:
    subject = f"{_prefix(b.path)}: open a NOFS scope in {b.function}() while {b.lock} is held"
    if len(subject) > 75:
        subject = f"{_prefix(b.path)}: open a NOFS scope in {b.function}()"
    sites = sorted({f"{f.site.function or '?'}()" for f in covered})
    paras = [
        _wrap(
            f"{b.function}() takes {b.lock} and allocates with GFP_NOFS under it, in "
            f"{', '.join(sites)}. Memory reclaim takes the same lock:"
        ),
        "\n".join(
            textwrap.fill(
                f"{e.function or '?'}(): {e.note}",
                75,
                initial_indent="  ",
                subsequent_indent="    ",
            )
            for e in _reclaim_steps(covered)
        ),
        _wrap(
            "so the allocations under it must not enter filesystem reclaim. Say so once, "
            "with a NOFS scope from where the lock is taken to where it is released, "
            "instead of relying on each allocation's flags."
        ),
        _wrap(
            f"Generated by nofsbot {__version__} with cocci/{SCOPE_RULE} "
            f"(spatch {coccinelle.version()})."
        ),
    ]
    return subject, "\n\n".join(p for p in paras if p)


def _reclaim_steps(covered: list[Finding]) -> list[Evidence]:
    """The evidence from where the lock is taken to the reclaim entry point."""
    for f in covered:
        start = next(
            (i for i, e in enumerate(f.evidence) if e.note.endswith("which reclaim also takes")),
            None,
        )
        if start is not None:
            return list(f.evidence[start : start + 10])
    return []


def _prefix(path: str) -> str:
    parts = path.split("/")
    return parts[1] if len(parts) > 2 and parts[0] in ("fs", "mm", "net", "drivers") else parts[0]


def _message(path: str, group: list[Finding]) -> tuple[str, str]:
    klass = group[0].klass
    funcs = sorted({f.site.function or "?" for f in group})
    where = f"{funcs[0]}()" if len(funcs) == 1 else f"{len(funcs)} functions"
    subject = f"{_prefix(path)}: {_SUBJECTS[klass].format(where=where)}"
    if len(subject) > 75:
        subject = f"{_prefix(path)}: {_SUBJECTS[klass].format(where=path.rsplit('/', 1)[-1])}"
    paras = []
    for fn in funcs:
        sites = [f for f in group if (f.site.function or "?") == fn]
        it = f"the allocation in {fn}()" if len(sites) == 1 else f"the allocations in {fn}()"
        paras.append(_wrap(_WHY[klass].format(it=it, It=it[0].upper() + it[1:])))
        steps = [e for f in sites for e in f.evidence][:8]
        if steps:
            paras.append(
                "\n".join(
                    textwrap.fill(
                        f"{e.function or '?'}(): {e.note}",
                        75,
                        initial_indent="  ",
                        subsequent_indent="    ",
                    )
                    for e in steps
                )
            )
    if any(f.site.token == "KM_NOFS" for f in group):
        paras.append(
            _wrap(
                "kmem_alloc()/kmem_zalloc() become kmalloc()/kzalloc() with the "
                "flags kmem_flags_convert() gives them: without KM_MAYFAIL they never "
                "fail (__GFP_NOFAIL), with it __GFP_RETRY_MAYFAIL."
            )
        )
    paras.append(
        _wrap(
            f"Generated by nofsbot {__version__} with cocci/{FLAGS_RULE} "
            f"(spatch {coccinelle.version()})."
        )
    )
    return subject, "\n\n".join(paras)


def _wrap(text: str) -> str:
    return textwrap.fill(text, 75)
