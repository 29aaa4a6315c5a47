"""What the state says, for `nofsbot bot status` and `nofsbot report
--html`: read only, no lock needed (SQLite keeps readers consistent)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from nofsbot.bot.config import BotConfig
from nofsbot.bot.state import IN_FLIGHT, Regression, SeriesRow, State, TagRow, guarded
from nofsbot.errors import NofsbotError
from nofsbot.report.burndown import History, SeriesLine


@dataclass(frozen=True)
class Status:
    database: str
    last: TagRow | None
    tags: int
    open: tuple[tuple[str, str, int], ...]  # (subsystem, class, open sites)
    hazards: int
    series: tuple[SeriesRow, ...]
    regressions: tuple[Regression, ...]  # found in the last tag

    def with_status(self, *statuses: str) -> tuple[SeriesRow, ...]:
        return tuple(s for s in self.series if s.status in statuses)

    @property
    def in_flight(self) -> tuple[SeriesRow, ...]:
        return self.with_status(*IN_FLIGHT)


def _state(cfg: BotConfig) -> State:
    if not cfg.database.exists():
        raise NofsbotError(f"{cfg.database}: no state yet (run `nofsbot bot --once` first)")
    with guarded(cfg.database):
        return State(cfg.database)


def status(cfg: BotConfig) -> Status:
    state = _state(cfg)
    try:
        tags = state.tags()
        last = tags[-1] if tags else None
        per = Counter((s.subsystem, s.klass) for s in state.sites())
        return Status(
            str(cfg.database),
            last,
            len(tags),
            tuple((sub, k, n) for (sub, k), n in sorted(per.items())),
            len(state.hazards()),
            tuple(state.series()),
            tuple(state.regressions(last.name)) if last else (),
        )
    finally:
        state.close()


def history(cfg: BotConfig) -> History:
    state = _state(cfg)
    try:
        names = tuple(t.name for t in state.tags())
        counts = state.counts()
        return History(
            f"nofsbot burndown: {', '.join(cfg.tree.paths)}",
            names,
            tuple(
                (tag, sub, klass, n)
                for tag in names
                for (sub, klass), n in sorted(counts.get(tag, {}).items())
            ),
            tuple(
                SeriesLine(
                    s.change_id,
                    s.version,
                    s.section,
                    s.subject,
                    s.status,
                    len(s.patch_ids),
                    s.drafted_at,
                    s.sent_at or "",
                    s.note,
                )
                for s in state.series()
            ),
        )
    finally:
        state.close()
