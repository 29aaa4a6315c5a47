"""The verify stage: every prefix of a series builds, each patch checkpatch-clean.

`verify(opts, cfg)` takes a base commit and a series of commits on it (oldest
first). It derives a config that builds every object the series touches
(defconfig plus the CONFIG symbols the Kbuild Makefiles up each path need,
then olddefconfig), builds those objects at the base with W=1 (the baseline
warnings), then checks out each patch in turn and builds the objects touched
so far: make recompiles what the patch changed, and any warning not in the
baseline (compared without line numbers) or any error fails the patch. Each
patch also goes through checkpatch --strict, findings already present in
the files it touches before it not counted. A failing patch is dropped: the
patches after it are cherry-picked onto the last good one (one that no longer
applies is dropped too) and verification goes on from there, so every prefix
of the series that is kept has been built. The kept commits get the ref
refs/nofsbot/verified/<name>.

Consecutive patches that touch only .c files, none touched twice among
them, are built together in one make at the last of them (a round): each
object's source is there what it is at its own patch, and every other input
(headers, Makefiles, the other sources) what it is at the round's start, so
the one build compiles each prefix's objects as the prefix has them, with
make's parallelism across the objects. Checkpatch looks at each patch with
the worktree at the round's start, which holds each touched file as the
patch's parent has it. A round ends before a patch checkpatch fails, which
is then verified alone. A round whose build fails (an error or a new
warning) is verified again patch by patch until one is dropped; the
patches after it form rounds again.

Builds happen in a full worktree of nofsbot's own and a cached build
directory (see workspace.py); the user's work tree is never touched.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nofsbot.tools.git as gitcli
from nofsbot.config import Config
from nofsbot.errors import NofsbotError
from nofsbot.runner import Steps
from nofsbot.tools import checkpatch, kbuild
from nofsbot.tools.checkpatch import Finding
from nofsbot.verify import checks, makefiles, workspace

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerifyOptions:
    tree: Path
    base: str
    commits: tuple[str, ...]  # the series, oldest first
    name: str  # the kept series goes to refs/nofsbot/verified/<name>
    sparse: bool = False
    checkpatch: bool = True
    codespell: bool = True
    messages: bool = False  # commit message findings fail a patch too
    jobs: int = 2
    progress: bool | None = False  # a line per step on stderr (None: on a terminal)


@dataclass(frozen=True)
class Verdict:
    commit: str  # as verified (a cherry-pick after a drop has a new sha)
    original: str  # as given
    subject: str
    files: tuple[str, ...]
    objects: tuple[str, ...]  # objects of the .c/.S files it touches
    headers: tuple[str, ...]  # headers it touches (their users are built when touched)
    built: tuple[str, ...]  # objects make compiled at this patch
    unbuildable: tuple[tuple[str, str], ...]  # (object, why)
    new_warnings: tuple[str, ...]
    errors: tuple[str, ...]
    checkpatch: tuple[Finding, ...]  # findings the pre-image does not have
    ok: bool
    reason: str  # why it was dropped; "" when ok


@dataclass(frozen=True)
class Dropped:
    commit: str  # the original commit
    subject: str
    reason: str


@dataclass(frozen=True)
class Timings:
    worktree: float = 0.0
    config: float = 0.0
    prepare: float = 0.0
    baseline: float = 0.0
    builds: float = 0.0
    checkpatch: float = 0.0


@dataclass(frozen=True)
class VerifyResult:
    base: str
    symbols: tuple[str, ...]  # CONFIG symbols turned on, without CONFIG_
    build_dir: str
    source: str  # the full worktree builds ran in
    cached: bool  # the build directory was configured and prepared already
    verdicts: tuple[Verdict, ...]  # in the order verified; dropped ones included
    kept: tuple[str, ...]  # the final series, oldest first
    ref: str | None  # the ref holding the kept series
    dropped: tuple[Dropped, ...]
    timings: Timings


@dataclass
class _Clock:
    spent: dict[str, float] = field(default_factory=dict)

    def add(self, step: str, started: float) -> None:
        self.spent[step] = self.spent.get(step, 0.0) + time.monotonic() - started


@dataclass(frozen=True)
class _Patch:
    commit: str
    original: str
    subject: str
    files: tuple[str, ...]
    objects: tuple[str, ...]
    headers: tuple[str, ...]


def verify(opts: VerifyOptions, cfg: Config) -> VerifyResult:
    tree = opts.tree
    ref = f"refs/nofsbot/verified/{_refname(opts.name)}"
    patches = [_patch(tree, c) for c in opts.commits]
    tip = opts.commits[-1] if opts.commits else opts.base
    objects = sorted({o for p in patches for o in p.objects})
    read = functools.cache(lambda path: gitcli.show_file(tree, tip, path))
    reqs = {o: makefiles.requirement(o, read) for o in objects}
    symbols = tuple(sorted({s for r in reqs.values() for s in r.symbols}))
    clock = _Clock()
    step = Steps("verify", opts.progress)
    with workspace.locked(tree, lambda: step("waiting for another verify of this repository")):
        started = time.monotonic()
        step(f"worktree at {opts.base[:12]}")
        src = workspace.source_worktree(tree, opts.base)
        clock.add("worktree", started)
        build = workspace.build_dir(tree, symbols)
        step(f"config: defconfig + {' '.join('CONFIG_' + s for s in symbols) or 'nothing'}")
        conf = workspace.configure(src, build, symbols, opts.jobs)
        clock.spent["config"] = conf.config_seconds
        clock.spent["prepare"] = conf.prepare_seconds
        unbuildable = {o: r.problem for o, r in reqs.items() if r.problem}
        for o, r in reqs.items():
            off = [f"CONFIG_{s}={conf.missing[s] or 'n'}" for s in r.symbols if s in conf.missing]
            if off and o not in unbuildable:
                unbuildable[o] = f"needs {', '.join(off)} after olddefconfig: a dependency is off"
        step(f"baseline: {len(objects)} objects at the base")
        baseline = _baseline(src, build, objects, unbuildable, opts, clock)
        run = _Run(opts, src, build, baseline, unbuildable, clock, step)
        kept, verdicts, dropped = run.series(patches)
    if kept:
        gitcli.update_ref(tree, ref, kept[-1])
    t = clock.spent
    return VerifyResult(
        opts.base,
        symbols,
        str(build),
        str(src),
        conf.cached,
        tuple(verdicts),
        tuple(kept),
        ref if kept else None,
        tuple(dropped),
        Timings(
            t.get("worktree", 0.0),
            t.get("config", 0.0),
            t.get("prepare", 0.0),
            t.get("baseline", 0.0),
            t.get("builds", 0.0),
            t.get("checkpatch", 0.0),
        ),
    )


def _patch(repo: Path, commit: str) -> _Patch:
    files = tuple(gitcli.commit_files(repo, commit))
    kept = gitcli.commit_files(repo, commit, deleted=False)
    objects = tuple(sorted({o for f in kept if (o := makefiles.object_of(f))}))
    headers = tuple(f for f in files if f.endswith(".h"))
    return _Patch(commit, commit, gitcli.subject(repo, commit), files, objects, headers)


def _baseline(
    src: Path,
    build: Path,
    objects: list[str],
    unbuildable: dict[str, str],
    opts: VerifyOptions,
    clock: _Clock,
) -> set[str]:
    """The warnings of every buildable touched object at the base, compiled
    afresh; an object that does not build at the base is marked unbuildable."""
    started = time.monotonic()
    todo = [o for o in objects if o not in unbuildable]
    workspace.forget(build, todo)
    res = kbuild.build_objects(src, build, todo, jobs=opts.jobs, sparse=opts.sparse)
    clock.add("baseline", started)
    if not res.ok:
        for o in todo:
            if not (build / o).is_file():
                unbuildable[o] = "does not build at the base commit"
    return checks.warnings(res.diagnostics)


class _Run:
    """Verifying a series patch by patch, dropping the ones that fail."""

    def __init__(
        self,
        opts: VerifyOptions,
        src: Path,
        build: Path,
        baseline: set[str],
        unbuildable: dict[str, str],
        clock: _Clock,
        step: Steps,
    ) -> None:
        self.opts, self.src, self.build = opts, src, build
        self.baseline, self.unbuildable, self.clock = baseline, unbuildable, clock
        self.step = step

    def series(self, patches: list[_Patch]) -> tuple[list[str], list[Verdict], list[Dropped]]:
        kept: list[_Patch] = []
        verdicts: list[Verdict] = []
        dropped: list[Dropped] = []
        todo = list(patches)
        alone = 0  # patches to verify one by one: a round of them failed
        while todo:
            run = [] if alone else _round(todo)
            if len(run) > 1:
                n = len(verdicts)
                self.step(f"patches {n + 1}-{n + len(run)}/{n + len(todo)} in one build")
                together = self._check_round(run, kept)
                if together is not None:
                    verdicts += together
                    kept += run[: len(together)]
                    del todo[: len(together)]
                    # the patch checkpatch fails goes alone, to be dropped
                    alone = int(len(together) < len(run))
                    continue
                alone = len(run)
            alone = max(0, alone - 1)
            p = todo.pop(0)
            self.step(f"patch {len(verdicts) + 1}/{len(verdicts) + 1 + len(todo)}: {p.subject}")
            v = self._check(p, kept)
            verdicts.append(v)
            if v.ok:
                kept.append(p)
                continue
            dropped.append(Dropped(p.original, p.subject, v.reason))
            todo = self._repick(kept[-1].commit if kept else self.opts.base, todo, dropped)
            alone = 0  # what failed the round is found: rounds again
        return [p.commit for p in kept], verdicts, dropped

    def _repick(self, onto: str, rest: list[_Patch], dropped: list[Dropped]) -> list[_Patch]:
        """REST cherry-picked onto ONTO; one that does not apply is dropped."""
        started = time.monotonic()
        gitcli.checkout_detached(self.src, onto)
        picked: list[_Patch] = []
        for p in rest:
            new = gitcli.cherry_pick(self.src, p.commit)
            if new is None:
                why = "does not apply without the dropped patches: " + "; ".join(
                    d.subject for d in dropped
                )
                dropped.append(Dropped(p.original, p.subject, why))
                continue
            picked.append(_Patch(new, p.original, p.subject, p.files, p.objects, p.headers))
        self.clock.add("worktree", started)
        return picked

    def _checkout(self, commit: str) -> None:
        started = time.monotonic()
        gitcli.checkout_detached(self.src, commit)
        self.clock.add("worktree", started)

    def _build(self, patches: list[_Patch]) -> kbuild.Build:
        """The objects PATCHES touch, those that can be built, at the
        worktree's commit."""
        wanted = sorted({o for q in patches for o in q.objects} - set(self.unbuildable))
        started = time.monotonic()
        res = kbuild.build_objects(
            self.src, self.build, wanted, jobs=self.opts.jobs, sparse=self.opts.sparse
        )
        self.clock.add("builds", started)
        return res

    def _check_round(self, run: list[_Patch], kept: list[_Patch]) -> list[Verdict] | None:
        """The verdicts of RUN's patches (see _round) before the first that
        checkpatch fails, built at the last of them; None when that build
        fails, to be told patch by patch."""
        self._checkout(kept[-1].commit if kept else self.opts.base)
        findings: dict[str, list[Finding]] = {}
        every: list[list[Finding]] = [[] for _ in run]
        if self.opts.checkpatch:
            started = time.monotonic()
            with ThreadPoolExecutor(max(1, self.opts.jobs)) as pool:
                # one checkpatch per core: each is a perl process
                every = list(pool.map(self._findings, run))
            self.clock.add("checkpatch", started)
        for i, (p, found) in enumerate(zip(run, every, strict=True)):
            if checks.blamed(found, messages=self.opts.messages):
                run = run[:i]
                break
            findings[p.commit] = found
        if not run:
            return []
        self._checkout(run[-1].commit)
        res = self._build([*kept, *run])
        if res.returncode != 0 or checks.errors(res.diagnostics):
            return None
        if checks.new_warnings(res.diagnostics, self.baseline):
            return None
        # an object compiled again that no patch of the run touches (its
        # last build failed) counts for the first patch, as it would alone
        owner = {o: p.commit for p in reversed(run) for o in p.objects}
        built: dict[str, list[str]] = {p.commit: [] for p in run}
        for o in res.compiled:
            built[owner.get(o, run[0].commit)].append(o)
        return [self._verdict(p, built[p.commit], [], [], findings[p.commit], []) for p in run]

    def _check(self, p: _Patch, kept: list[_Patch]) -> Verdict:
        self._checkout(kept[-1].commit if kept else self.opts.base)
        findings: list[Finding] = []
        if self.opts.checkpatch:
            findings = self._checkpatch(p)
        self._checkout(p.commit)
        res = self._build([*kept, p])
        warnings = checks.new_warnings(res.diagnostics, self.baseline)
        errors = checks.errors(res.diagnostics)
        if res.returncode != 0 and not errors:
            errors = [f"make exited with {res.returncode}: {res.output[-300:]}".strip()]
        fatal = checks.blamed(findings, messages=self.opts.messages)
        reasons = []
        if errors:
            reasons.append(f"does not build: {errors[0]}")
        if warnings:
            reasons.append(f"new warning: {warnings[0]}")
        if fatal:
            reasons.append(f"checkpatch: {checks.describe(fatal[0])}")
        return self._verdict(p, res.compiled, warnings, errors, findings, reasons)

    def _verdict(
        self,
        p: _Patch,
        built: Sequence[str],
        warnings: list[str],
        errors: list[str],
        findings: list[Finding],
        reasons: list[str],
    ) -> Verdict:
        return Verdict(
            p.commit,
            p.original,
            p.subject,
            p.files,
            p.objects,
            p.headers,
            tuple(built),
            tuple((o, self.unbuildable[o]) for o in p.objects if o in self.unbuildable),
            tuple(warnings),
            tuple(errors),
            tuple(findings),
            not reasons,
            "; ".join(reasons),
        )

    def _checkpatch(self, p: _Patch) -> list[Finding]:
        started = time.monotonic()
        found = self._findings(p)
        self.clock.add("checkpatch", started)
        return found

    def _findings(self, p: _Patch) -> list[Finding]:
        """New findings on P; the worktree holds P's parent. The pre-image is
        checked (whole files, slow on big ones) only for files with findings."""
        text = gitcli.format_one(self.src, p.commit)
        found = checkpatch.check_patch(
            self.src, text, codespell=self.opts.codespell, signoff=self.opts.messages
        )
        paths = sorted({f.path for f in found if f.path and (self.src / f.path).is_file()})
        # the pre-image is asked only about the findings' types: codespell,
        # seconds on a big file, only when one of them is a misspelling
        typos = any(f.type == checkpatch.TYPO for f in found if f.path)
        pre = checkpatch.check_files(self.src, paths, codespell=self.opts.codespell and typos)
        return checks.new_findings(found, pre)


def _round(todo: list[_Patch]) -> list[_Patch]:
    """The longest prefix of TODO that can be built in one make: patches
    that touch only .c files, each its own object, none of them twice."""
    run: list[_Patch] = []
    seen: set[str] = set()
    for p in todo:
        only_sources = all(f.endswith(".c") for f in p.files) and len(p.objects) == len(p.files)
        if not p.files or not only_sources or seen & set(p.files):
            break
        seen.update(p.files)
        run.append(p)
    return run


def _refname(name: str) -> str:
    clean = re.sub(r"[^A-Za-z0-9._/-]+", "-", name).strip("/.-")
    if not clean:
        raise NofsbotError(f"{name!r} makes no ref name")
    return clean
