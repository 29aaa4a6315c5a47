"""The scheduled linux-next bot: `bot(cfg, rules)` is one run.

A run takes the lock, reconciles series a dead run left between intent and
result, fetches the remote's tags, and processes each new tag (tags.py says
which, in which order): check it out, analyse what changed (sites.py),
record regressions with the commit and author that introduced them, find
series whose patches (by patch-id) or whose sites' end reached the tag
(applied). Then, unless paused, it drafts series for new conversion
opportunities within the limits (series.py) and mails them per policy
(mailer.py).

Every step is committed to the state once its effect is durable and is
safe to redo: a tag with its analysis (step analysed), the series drafted
for the newest tag once their files are written (step drafted), a series'
intent to mail before git send-email and its result after. Before that,
recovery.py puts right what a dead run left in the clone, and a run first
finishes what an earlier one left half-done: a tag not yet drafted is
drafted, a draft or a failed send is mailed.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

import nofsbot.tools.git as gitcli
import nofsbot.tools.githistory as githistory
from nofsbot.bot import (
    faults,
    lock,
    mailer,
    notify,
    orphans,
    rebuild,
    recovery,
    series,
    sites,
    tags,
)
from nofsbot.bot.config import BotConfig
from nofsbot.bot.mailer import Mailed
from nofsbot.bot.state import (
    Regression,
    SeriesRow,
    SiteRow,
    State,
    TagRow,
    guarded,
    now,
    with_status,
)
from nofsbot.config import Config
from nofsbot.errors import NofsbotError

__all__ = ["RunResult", "TagReport", "bot", "reject", "retry"]

log = logging.getLogger(__name__)

ALIVE = ("drafted", "sending", "sent", "sent?")  # may still become applied


@dataclass(frozen=True)
class TagReport:
    tag: str
    previous: str | None
    changed: int  # files changed since the previous tag
    analysed: tuple[str, ...]  # paths analysed again
    seconds: float  # of the analysis
    new: tuple[SiteRow, ...]
    gone: tuple[SiteRow, ...]
    regressions: tuple[Regression, ...]
    applied: tuple[SeriesRow, ...]
    posted: str | None  # the GitHub issue or comment made for the regressions


@dataclass(frozen=True)
class RunResult:
    recovered: tuple[str, ...]  # what a dead run left, put right (lock, git locks, worktrees)
    reconciled: tuple[SeriesRow, ...]  # left 'sending' by a dead run, now 'sent?'
    tags: tuple[TagReport, ...]
    paused: str | None
    drafted: tuple[SeriesRow, ...]
    mailed: tuple[Mailed, ...]
    notes: tuple[str, ...]


def bot(cfg: BotConfig, rules: Config, today: datetime.date | None = None) -> RunResult:
    day = today or datetime.datetime.now(datetime.UTC).date()
    with guarded(cfg.database), lock.held(cfg.lock_file) as held, orphans.marked():
        recovered = [held.note] if held.note else []
        rebuild.check(cfg)
        recovered += recovery.recover(cfg)
        state = State(cfg.database)
        try:
            return _run(cfg, rules, state, day, recovered)
        finally:
            state.close()


def _run(
    cfg: BotConfig, rules: Config, state: State, day: datetime.date, recovered: list[str]
) -> RunResult:
    reconciled = mailer.reconcile(state)
    recovered += _post_pending(cfg, state)
    done = state.tags()
    recovered += tags.update(cfg, (done[-1].name, done[-1].sha) if done else None)
    clone = cfg.tree.clone
    all_tags = githistory.tags(clone)
    last = done[-1] if done else None
    todo = tags.new_tags(
        cfg.tree,
        all_tags,
        {t.name for t in done},
        last.name if last else None,
        cfg.policy.tags_per_run,
    )
    faults.at("fetched")
    reports = []
    for tag in todo:
        reports.append(_process(cfg, rules, state, tag, last))
        faults.at("analysed", tag)
        last = state.tags()[-1]
    pause = tags.paused(cfg.limits, all_tags, day)
    drafted: tuple[SeriesRow, ...] = ()
    notes: tuple[str, ...] = ()
    mailed: list[Mailed] = []
    if cfg.policy.mode != "report" and pause is None:
        if last is not None and not state.done(last.name, "drafted"):
            # also a tag whose drafting a dead run (or a full disk) cut short
            made = series.draft(cfg, rules, state, last.name, last.sha, day)
            state.mark(last.name, "drafted")
            state.commit()
            faults.at("drafted", last.name)
            drafted, notes = made.series, made.notes
        outbox = (
            drafted if cfg.policy.mode == "dry-run" else tuple(state.series(("drafted", "failed")))
        )
        for row in outbox:
            mailed.append(mailer.deliver(cfg, state, row))
    return RunResult(
        tuple(recovered), tuple(reconciled), tuple(reports), pause, drafted, tuple(mailed), notes
    )


def _process(
    cfg: BotConfig, rules: Config, state: State, tag: str, last: TagRow | None
) -> TagReport:
    clone = cfg.tree.clone
    gitcli.checkout_detached(clone, tag)
    sha = gitcli.rev_parse(clone, tag)
    changed = githistory.changed_files(clone, last.sha, sha) if last else None
    seen = sites.observe(state, clone, tag, cfg.tree.paths, changed, rules, cfg.jobs)
    applied = _applied(cfg, state, last.sha if last else None, sha) if last else []
    state.add_tag(
        TagRow(
            tag,
            sha,
            last.name if last else None,
            now(),
            len(changed) if changed is not None else -1,
            seen.analysed,
            round(seen.seconds, 3),
        )
    )
    state.snapshot_counts(tag)
    state.mark(tag, "analysed")
    state.commit()
    posted = _post(cfg, state, tag, seen.regressions)
    return TagReport(
        tag,
        last.name if last else None,
        len(changed) if changed is not None else -1,
        seen.analysed,
        seen.seconds,
        seen.new,
        seen.gone,
        seen.regressions,
        tuple(applied),
        posted,
    )


def _post(
    cfg: BotConfig, state: State, tag: str, regressions: tuple[Regression, ...]
) -> str | None:
    """Post TAG's regressions to GitHub (step posted); a failure is logged
    and the next run posts them."""
    if not regressions or cfg.github is None:
        return None
    try:
        url = notify.post(cfg.github, tag, regressions)
    except NofsbotError as e:
        log.error("could not report to GitHub (the next run tries again): %s", e)
        return None
    state.mark(tag, "posted")
    state.commit()
    return url


def _post_pending(cfg: BotConfig, state: State) -> list[str]:
    """The regressions of tags analysed by an earlier run but not posted."""
    if cfg.github is None:
        return []
    notes = []
    for t in state.tags():
        if state.done(t.name, "analysed") and not state.done(t.name, "posted"):
            url = _post(cfg, state, t.name, tuple(state.regressions(t.name)))
            if url:
                notes.append(f"reported the regressions of {t.name} at {url}")
    return notes


def _applied(cfg: BotConfig, state: State, old: str | None, new: str) -> list[SeriesRow]:
    """Series whose every patch (by patch-id) is in OLD..NEW or earlier
    tags, or whose every site is gone: applied; their gone sites too."""
    alive = state.series(ALIVE)
    if not alive or old is None:
        return []
    found = githistory.patch_ids_in(cfg.tree.clone, f"{old}..{new}", cfg.tree.paths)
    status = {s.identity: s.status for s in state.sites(None)}
    out = []
    for row in alive:
        hit = tuple(sorted({*row.applied_ids, *(p for p in row.patch_ids if p in found)}))
        ids = state.series_sites(row.change_id)
        if set(row.patch_ids) <= set(hit):
            why = "its patches are in the tree"
        elif ids and all(status.get(i) != "open" for i in ids):
            why = "its sites are gone"
        else:
            if hit != row.applied_ids:
                note = f"{len(hit)} of {len(row.patch_ids)} patches applied"
                state.put_series(with_status(row, row.status, note, applied_ids=hit))
            continue
        row = with_status(row, "applied", f"{why} as of {new[:12]}", applied_ids=hit)
        state.put_series(row)
        state.db.executemany(
            "UPDATE sites SET status = 'applied' WHERE identity = ? AND status = 'gone'",
            [(i,) for i in sorted(ids)],
        )
        out.append(row)
    return out


def _operator(
    cfg: BotConfig, change_id: str, allowed: tuple[str, ...], status: str, note: str
) -> SeriesRow:
    if not cfg.database.exists():
        raise NofsbotError(f"{cfg.database}: no state yet (run `nofsbot bot --once` first)")
    with guarded(cfg.database), lock.held(cfg.lock_file):
        state = State(cfg.database)
        try:
            rows = [r for r in state.series() if r.change_id == change_id]
            if not rows:
                raise NofsbotError(f"no series {change_id} in {cfg.database}")
            row = rows[-1]
            if row.status not in allowed:
                raise NofsbotError(f"{change_id} v{row.version} is {row.status}: not changed")
            new = with_status(row, status, note)
            state.put_series(new)
            state.commit()
            return new
        finally:
            state.close()


def reject(cfg: BotConfig, change_id: str) -> SeriesRow:
    """The operator gives a series up: its sites are not proposed again."""
    return _operator(cfg, change_id, ALIVE, "rejected", f"rejected by the operator at {now()}")


def retry(cfg: BotConfig, change_id: str) -> SeriesRow:
    """A 'sent?' series the operator found was not mailed: mail it on the next run."""
    return _operator(cfg, change_id, ("sent?",), "drafted", f"retry requested at {now()}")
