"""New conversion opportunities become series: rewrite the files that hold
them at the tag, keep the commits for sites no series has taken yet, and
publish those within the limits.

Limits, per maintainer section (MAINTAINERS): at most limits.in_flight
series sending, sent or sent? at once; none within limits.cool_down_days
of the last one sent; none at all during a pause (tags.paused). A site
some series in flight or rejected covers is never proposed again, and
neither is a patch whose patch-id such a series, or an applied one, holds. An older
draft (never mailed) of the same section is superseded by a new one.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import nofsbot.tools.git as gitcli
import nofsbot.tools.githistory as githistory
from nofsbot import pipeline
from nofsbot.analyse import Options, analyse
from nofsbot.bot import faults, sent
from nofsbot.bot.config import BotConfig
from nofsbot.bot.sites import identities
from nofsbot.bot.state import IN_FLIGHT, SETTLED, SeriesRow, State, now, with_status
from nofsbot.config import Config
from nofsbot.model import Class, Finding
from nofsbot.plan import plan
from nofsbot.publish import PublishOptions, publish
from nofsbot.publish import sections as maintainers
from nofsbot.rewrite import Commit, RewriteOptions, rewrite

log = logging.getLogger(__name__)

ACTIONABLE = {str(c) for c in Class} - {str(Class.KEEP)}


@dataclass(frozen=True)
class Drafted:
    series: tuple[SeriesRow, ...]
    notes: tuple[str, ...]  # why some or all opportunities wait


def old_line(hunks: list[tuple[int, int, int, int]], line: int) -> int | None:
    """LINE of the new side of HUNKS (git diff -U0) on the old side; None
    for a line the diff added or changed."""
    delta = 0
    for ostart, ocount, nstart, ncount in hunks:
        new_end = nstart + ncount if ncount else nstart + 1
        old_end = ostart + ocount if ocount else ostart + 1
        if line < (nstart if ncount else nstart + 1):
            break
        if ncount and line < new_end:
            return None
        delta = old_end - new_end
    return line + delta


def limited(cfg: BotConfig, state: State, section: str, today: datetime.date) -> str | None:
    """Why SECTION gets no new series today, or None."""
    mine = [s for s in state.series(IN_FLIGHT) if s.section == section]
    if len(mine) >= cfg.limits.in_flight:
        return f"{len(mine)} series in flight (limits.in_flight = {cfg.limits.in_flight})"
    sent = [s.sent_at for s in state.series() if s.section == section and s.sent_at]
    if sent and cfg.limits.cool_down_days:
        last = datetime.datetime.fromisoformat(max(sent)).date()
        until = last + datetime.timedelta(days=cfg.limits.cool_down_days)
        if today < until:
            return f"cooling down until {until} after the series of {last}"
    return None


def draft(
    cfg: BotConfig, rules: Config, state: State, tag: str, base: str, today: datetime.date
) -> Drafted:
    clone = cfg.tree.clone
    taken = state.taken()
    table = maintainers.load(clone)
    notes: list[str] = []
    allowed: dict[str, list[str]] = {}  # section -> identities
    for s in state.sites():
        if s.klass not in ACTIONABLE or s.identity in taken:
            continue
        sec = maintainers.section_for(table, s.path)
        name = sec.name if sec else ""
        why = limited(cfg, state, name, today)
        if why:
            notes.append(f"{name or s.subsystem}: {s.path}:{s.line}: {why}")
        else:
            allowed.setdefault(name, []).append(s.identity)
    if not allowed:
        return Drafted((), tuple(sorted(set(notes))))
    wanted = {i for ids in allowed.values() for i in ids}
    files = tuple(sorted({s.path for s in state.sites() if s.identity in wanted}))
    branch = f"nofsbot/bot-{tag}"
    wt = cfg.work_dir / "worktrees" / tag
    out = cfg.work_dir / "series" / tag
    _forget_unrecorded(state, out)
    try:
        # sites a series in flight or rejected holds stay out of every commit
        # (a commit per file and class would otherwise carry them along)
        def untaken(fs: tuple[Finding, ...]) -> tuple[Finding, ...]:
            keep = {f.site.key for i, f in identities(fs) if i not in taken}
            return tuple(f for f in fs if f.site.key in keep)

        r = rewrite(RewriteOptions(clone, files, branch, wt, jobs=cfg.jobs, select=untaken), rules)
        faults.at("rewritten", tag)
        found = identities(plan(analyse(clone, list(files), rules, Options(jobs=cfg.jobs)).placed))
        known = {p for s in state.series(SETTLED) for p in s.patch_ids}
        keep: list[str] = []
        ids_of: dict[str, set[str]] = {}
        parent = base
        for c in r.commits:
            ids = _commit_ids(clone, base, parent, c, found)
            parent = c.sha
            pid = gitcli.patch_id(clone, c.sha)
            sec = maintainers.section_for(table, c.files[0])
            if pid in known or (sec.name if sec else "") not in allowed or not ids & wanted:
                log.info("not proposing %s: taken, limited or not new", c.subject)
                continue
            keep.append(c.sha)
            ids_of[pid] = ids
        if not keep:
            return Drafted((), tuple(sorted(set(notes))))
        commits = tuple(keep)
        checked = (
            pipeline.check(clone, base, commits, f"bot-{tag}", rules, jobs=cfg.jobs)
            if cfg.policy.verify
            else pipeline.unverified(commits)
        )
        notes += [f"verify dropped {subj}: {why}" for _, subj, why in checked.dropped]
        if not checked.commits:
            return Drafted((), tuple(sorted(set(notes))))
        result = publish(
            PublishOptions(
                tree=clone,
                base=base,
                commits=checked.commits,
                out=out,
                verified=checked.verified,
                signoff=str(cfg.identity),
                sender=str(cfg.identity),
                max_patches=cfg.limits.max_patches,
            )
        )
        faults.at("published", tag, out)
    finally:
        gitcli.worktree_remove(clone, wt, branch)
    # older drafts of a section drafted now are replaced (not the parts of
    # this draft: a section's patches may need several series)
    newer = {m.section: m.change_id for m in result.series}
    for old in state.series(("drafted", "failed")):
        if old.section in newer:
            state.put_series(with_status(old, "superseded", f"superseded by {newer[old.section]}"))
    rows = []
    for made in result.series:
        doc = json.loads((Path(made.directory) / "series.json").read_text())
        pids = tuple(p["patch_id"] for p in doc["patches"])
        row = SeriesRow(
            made.change_id, made.version, made.section, made.directory, tag, base, made.subject,
            made.files, pids, (), (*made.to, *made.cc),
            tuple(message_id(Path(f)) for f in made.files), "drafted", now(), None, None, now(), "",
        )  # fmt: skip
        sites = {i for p in pids for i in ids_of.get(p, set())}
        sent.remember_sites(Path(made.directory), sorted(sites))
        state.put_series(row, sites)
        rows.append(row)
    return Drafted(tuple(rows), tuple(sorted(set(notes))))


def _forget_unrecorded(state: State, out: Path) -> None:
    """Series files under OUT that no series in the state names are what a
    drafting cut short left: removed, so the redo makes them v1 again."""
    if not out.is_dir():
        return
    known = {s.directory for s in state.series()}
    for d in sorted(out.iterdir()):
        if str(d) not in known:
            log.info("removing %s: a draft a dead run left half-made", d)
            if d.is_dir():
                shutil.rmtree(d)
            else:
                d.unlink()


def _commit_ids(
    clone: Path, base: str, parent: str, c: Commit, found: list[tuple[str, Finding]]
) -> set[str]:
    """The sites a rewrite commit changes: those covered by the boundary it
    opens a scope at, or those on its lines as of BASE."""
    ids: set[str] = set()
    for path, line in c.sites:
        scoped = {
            i
            for i, f in found
            if f.boundary is not None and (f.boundary.path, f.boundary.line) == (path, line)
        }
        if scoped:
            ids |= scoped
            continue
        old = old_line(githistory.diff_hunks(clone, base, parent, path), line)
        ids |= {i for i, f in found if (f.site.path, f.site.line) == (path, old)}
    return ids


_MSGID_RE = re.compile(r"^Message-I[dD]: *(<[^>]+>)", re.M)


def message_id(path: Path) -> str:
    m = _MSGID_RE.search(path.read_text(errors="replace"))
    return m.group(1) if m else ""
