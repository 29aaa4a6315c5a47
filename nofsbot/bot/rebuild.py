"""A lost state must never become a fresh start that mails again.

`check` refuses a run whose database is missing or empty (no bytes, or no
tag and no series) while the bot's clone or series show earlier runs; a
corrupt one is refused when it is opened. `rebuild` (`nofsbot bot
rebuild-state`) makes a new database from what the bot records outside it
(sent.py): every series.json under the work directory gives a series with
its Message-IDs, patch-ids and sites, 'sent' when its result was recorded,
'sent?' when only the intent was (the mails may have left), 'superseded'
when it never went out. The processed tags, sites and regressions are not
recorded elsewhere: the next run takes the newest tag as a new baseline,
and what the rebuilt series hold (their sites and patch-ids) is not
proposed again.
"""

from __future__ import annotations

import datetime
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from nofsbot.bot import lock, sent
from nofsbot.bot.config import BotConfig
from nofsbot.bot.series import message_id
from nofsbot.bot.state import SeriesRow, State, StateError, guarded, now

REBUILD = "`nofsbot bot rebuild-state`"


@dataclass(frozen=True)
class Rebuilt:
    database: str
    moved: str | None  # where a corrupt database went
    series: tuple[SeriesRow, ...]
    unmatched: tuple[str, ...]  # sent refs in the clone without a series.json


def _earlier_runs(cfg: BotConfig, clone_counts: bool) -> str | None:
    found = sorted((cfg.work_dir / "series").glob("*/*/series.json"))
    if found:
        return f"{cfg.work_dir / 'series'} holds {len(found)} series of earlier runs"
    if (cfg.tree.clone / ".git").exists():
        sent_refs = sent.refs(cfg.tree.clone)
        if sent_refs:
            return f"the bot's clone {cfg.tree.clone} records {len(sent_refs)} series sent"
        if clone_counts:
            return f"the bot's clone {cfg.tree.clone} exists"
    return None


def _problem(db: Path) -> str | None:
    """missing, empty (no bytes), blank (no tag and no series), corrupt, or None."""
    if not db.exists():
        return "missing"
    if db.stat().st_size == 0:
        return "empty"
    try:
        with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as c:
            q = "SELECT (SELECT count(*) FROM tags) + (SELECT count(*) FROM series)"
            held = c.execute(q).fetchone()[0]
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):
            return "blank"
        return None  # locked, unreadable: opening it says so
    except sqlite3.DatabaseError:
        return "corrupt"
    return None if held else "blank"


def check(cfg: BotConfig) -> None:
    """Refuse to start from a missing or empty database after earlier runs."""
    what = _problem(cfg.database)
    if what in (None, "corrupt"):  # opening a corrupt one says so
        return
    # a database with its tables but no tag yet is a first run cut short,
    # unless series went out
    earlier = _earlier_runs(cfg, clone_counts=what != "blank")
    if earlier:
        said = "holds no tag and no series" if what == "blank" else what
        raise StateError(
            f"{cfg.database}: {said}, but {earlier}: a fresh start could mail a series "
            f"again; restore the database or run {REBUILD}"
        )


def _subject(cover: Path) -> str:
    m = re.search(r"^Subject: (?:\[[^\]]*\] )?(.*)$", cover.read_text(errors="replace"), re.M)
    return m.group(1) if m else ""


def _row(directory: Path) -> tuple[SeriesRow, list[str]]:
    doc = sent.load(directory)
    version = int(doc["version"])
    files = tuple(str(directory / f) for f in doc["files"])
    results = [s for s in doc.get("sent", []) if int(s["version"]) == version]
    intent = doc.get("intent") or {}
    when = results[-1]["date"] if results else None
    if results:
        status = results[-1].get("status", "sent")
        note = f"rebuilt from {directory}/series.json: {status} at {when}"
    elif int(intent.get("version", 0)) == version:
        status = "sent?"
        note = (
            f"rebuilt from {directory}/series.json: the intent to send at {intent['date']} "
            "has no recorded result; check the list archive, then `retry` or `reject`"
        )
    else:
        status = "superseded"
        note = f"rebuilt from {directory}/series.json: never mailed"
    row = SeriesRow(
        doc["change_id"], version, doc["section"], str(directory), directory.parent.name,
        doc["base"], _subject(Path(files[0])), files,
        tuple(p["patch_id"] for p in doc["patches"]), (), (*doc["to"], *doc["cc"]),
        tuple(message_id(Path(f)) for f in files), status, doc["date"],
        intent.get("date"), when, now(), note,
    )  # fmt: skip
    return row, list(doc.get("sites", []))


def rebuild(cfg: BotConfig) -> Rebuilt:
    db = cfg.database
    with guarded(db), lock.held(cfg.lock_file):
        moved = None
        what = _problem(db)
        if what is None:
            raise StateError(f"{db}: a working database; not rebuilding it")
        if what == "corrupt":
            stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S")
            aside = db.with_name(f"{db.name}.corrupt-{stamp}")
            db.rename(aside)
            moved = str(aside)
        db.unlink(missing_ok=True)
        state = State(db)
        rows = []
        try:
            for f in sorted((cfg.work_dir / "series").glob("*/*/series.json")):
                row, sites = _row(f.parent)
                state.put_series(row, sites)
                rows.append(row)
            state.commit()
        finally:
            state.close()
        names = {f"{r.change_id}/v{r.version}" for r in rows}
        refs = sent.refs(cfg.tree.clone) if (cfg.tree.clone / ".git").exists() else []
        return Rebuilt(str(db), moved, tuple(rows), tuple(r for r in refs if r not in names))
