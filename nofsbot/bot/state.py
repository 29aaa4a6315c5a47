"""The bot's memory, in SQLite: processed tags, sites and hazards with an
identity that survives line moves, regressions found, the site counts per
tag (for the burndown), the steps of each tag done, and series with their
status.

Tag steps: analysed (committed with the tag's sites, regressions and
applied series), drafted (committed with the series drafted for it, once
their files are written). A step is recorded only once its effect is
durable, so a run redoes what a dead one left half-done.

Series status: drafted (written, not mailed), sending (the intent to mail
is recorded, with every Message-ID, before git send-email runs), sent,
failed (the SMTP server accepted none of it: mailed again by the next run),
sent? (an intent without a recorded result: a run died while mailing, or
git send-email stopped part way; the bot never mails it again by itself,
see reconcile in bot/mailer.py), superseded (a newer draft for the same section replaced a draft),
applied (its patches or the end of its sites reached a processed tag),
rejected (set by the operator).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from pathlib import Path

from nofsbot.errors import NofsbotError

IN_FLIGHT = ("sending", "sent", "sent?")  # count against limits.in_flight
TAKEN = (*IN_FLIGHT, "rejected")  # their sites are not proposed again
SETTLED = (*TAKEN, "applied")  # their patches are not proposed again

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tags(
    name TEXT PRIMARY KEY, sha TEXT NOT NULL, previous TEXT, processed_at TEXT NOT NULL,
    changed INTEGER NOT NULL, analysed TEXT NOT NULL, seconds REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sites(
    identity TEXT PRIMARY KEY, subsystem TEXT NOT NULL, path TEXT NOT NULL,
    function TEXT NOT NULL, expression TEXT NOT NULL, kind TEXT NOT NULL,
    class TEXT NOT NULL, line INTEGER NOT NULL, first_tag TEXT NOT NULL,
    last_tag TEXT NOT NULL, status TEXT NOT NULL, gone_tag TEXT);
CREATE TABLE IF NOT EXISTS hazards(
    identity TEXT PRIMARY KEY, kind TEXT NOT NULL, path TEXT NOT NULL, function TEXT NOT NULL,
    line INTEGER NOT NULL, message TEXT NOT NULL, first_tag TEXT NOT NULL,
    last_tag TEXT NOT NULL, status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counts(
    tag TEXT NOT NULL, subsystem TEXT NOT NULL, class TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY(tag, subsystem, class));
CREATE TABLE IF NOT EXISTS regressions(
    id INTEGER PRIMARY KEY, tag TEXT NOT NULL, what TEXT NOT NULL, identity TEXT NOT NULL,
    path TEXT NOT NULL, line INTEGER NOT NULL, function TEXT NOT NULL, detail TEXT NOT NULL,
    sha TEXT NOT NULL, author TEXT NOT NULL, summary TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS series(
    change_id TEXT NOT NULL, version INTEGER NOT NULL, section TEXT NOT NULL,
    directory TEXT NOT NULL, tag TEXT NOT NULL, base TEXT NOT NULL, subject TEXT NOT NULL,
    files TEXT NOT NULL, patch_ids TEXT NOT NULL, applied_ids TEXT NOT NULL,
    recipients TEXT NOT NULL, message_ids TEXT NOT NULL, status TEXT NOT NULL,
    drafted_at TEXT NOT NULL, intent_at TEXT, sent_at TEXT, updated_at TEXT NOT NULL,
    note TEXT NOT NULL, PRIMARY KEY(change_id, version));
CREATE TABLE IF NOT EXISTS steps(
    tag TEXT NOT NULL, step TEXT NOT NULL, done_at TEXT NOT NULL, PRIMARY KEY(tag, step));
CREATE TABLE IF NOT EXISTS series_sites(
    change_id TEXT NOT NULL, identity TEXT NOT NULL, PRIMARY KEY(change_id, identity));
"""


_STEPS_DONE = """
INSERT OR IGNORE INTO steps SELECT name, 'analysed', processed_at FROM tags;
INSERT OR IGNORE INTO steps SELECT name, 'drafted', processed_at FROM tags;
INSERT OR IGNORE INTO steps SELECT name, 'posted', processed_at FROM tags;
"""


def now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class SiteRow:
    identity: str
    subsystem: str
    path: str
    function: str
    expression: str
    kind: str
    klass: str
    line: int
    first_tag: str
    last_tag: str
    status: str  # open, gone, applied (gone while its series was applied)
    gone_tag: str | None = None


@dataclass(frozen=True)
class HazardRow:
    identity: str
    kind: str
    path: str
    function: str
    line: int
    message: str
    first_tag: str
    last_tag: str
    status: str


@dataclass(frozen=True)
class Regression:
    tag: str
    what: str  # new-site, new-mapping-mask, new-hazard
    identity: str
    path: str
    line: int
    function: str
    detail: str
    sha: str
    author: str
    summary: str


@dataclass(frozen=True)
class SeriesRow:
    change_id: str
    version: int
    section: str
    directory: str
    tag: str
    base: str
    subject: str
    files: tuple[str, ...]
    patch_ids: tuple[str, ...]
    applied_ids: tuple[str, ...]
    recipients: tuple[str, ...]
    message_ids: tuple[str, ...]
    status: str
    drafted_at: str
    intent_at: str | None
    sent_at: str | None
    updated_at: str
    note: str


@dataclass(frozen=True)
class TagRow:
    name: str
    sha: str
    previous: str | None
    processed_at: str
    changed: int  # files changed since the previous processed tag
    analysed: tuple[str, ...]  # the paths analysed again ((): none)
    seconds: float


def with_status(
    row: SeriesRow,
    status: str,
    note: str | None = None,
    *,
    intent_at: str | None = None,
    sent_at: str | None = None,
    applied_ids: tuple[str, ...] | None = None,
) -> SeriesRow:
    """ROW with a new STATUS (and NOTE, times, applied patch-ids), updated now."""
    return dataclasses.replace(
        row,
        status=status,
        note=row.note if note is None else note,
        intent_at=intent_at or row.intent_at,
        sent_at=sent_at or row.sent_at,
        applied_ids=row.applied_ids if applied_ids is None else applied_ids,
        updated_at=now(),
    )


def _tuple(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


BUSY_SECONDS = 10.0  # how long to wait for another program's lock on the database


class StateError(NofsbotError):
    """The state database or a file next to it cannot be used."""


_WHY = (
    (
        "not a database",
        "not a SQLite database (corrupt?); restore it from a backup or run "
        "`nofsbot bot rebuild-state`",
    ),
    ("malformed", "corrupt; restore it from a backup or run `nofsbot bot rebuild-state`"),
    ("locked", "locked by another program; try again when it is done"),
    ("readonly", "read-only; the bot needs to write it"),
    ("unable to open", "cannot be opened (a missing or read-only directory?)"),
    ("disk is full", "the disk is full"),
)


@contextmanager
def guarded(path: Path) -> Iterator[None]:
    """Errors of the state store and the file system as user errors naming
    the file: PATH (the database) for SQLite's, the file of an OSError."""
    try:
        yield
    except sqlite3.Error as e:
        why = next((w for k, w in _WHY if k in str(e)), str(e))
        raise StateError(f"{path}: {why} ({e})") from e
    except OSError as e:
        where = e.filename or path.parent
        raise StateError(f"{where}: {e.strerror or e}") from e


class State:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=BUSY_SECONDS)
        try:
            q = "SELECT count(*) FROM sqlite_master WHERE name = 'steps'"
            had_steps = self.db.execute(q).fetchone()[0]
            self.db.executescript(_SCHEMA)
            if not had_steps:  # a state from before steps: its tags are done
                self.db.executescript(_STEPS_DONE)
                self.db.commit()
        except sqlite3.Error:
            self.db.close()
            raise

    def close(self) -> None:
        self.db.close()

    # -- tags ------------------------------------------------------------------

    def tags(self) -> list[TagRow]:
        rows = self.db.execute("SELECT * FROM tags ORDER BY processed_at, rowid").fetchall()
        return [TagRow(r[0], r[1], r[2], r[3], r[4], _tuple(r[5]), r[6]) for r in rows]

    def add_tag(self, t: TagRow) -> None:
        self.db.execute(
            "INSERT INTO tags VALUES (?,?,?,?,?,?,?)",
            (
                t.name,
                t.sha,
                t.previous,
                t.processed_at,
                t.changed,
                json.dumps(t.analysed),
                t.seconds,
            ),
        )

    def done(self, tag: str, step: str) -> bool:
        """STEP (analysed, drafted) of TAG is done and committed."""
        q = "SELECT 1 FROM steps WHERE tag = ? AND step = ?"
        return self.db.execute(q, (tag, step)).fetchone() is not None

    def mark(self, tag: str, step: str) -> None:
        """STEP of TAG is done (durable with the next commit)."""
        self.db.execute("INSERT OR REPLACE INTO steps VALUES (?, ?, ?)", (tag, step, now()))

    # -- sites and hazards -----------------------------------------------------

    def sites(self, status: str | None = "open") -> list[SiteRow]:
        q = "SELECT * FROM sites" + (" WHERE status = ?" if status else "")
        rows = self.db.execute(q + " ORDER BY path, line", (status,) if status else ())
        return [SiteRow(*r) for r in rows]

    def put_site(self, s: SiteRow) -> None:
        self.db.execute("INSERT OR REPLACE INTO sites VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", astuple(s))

    def hazards(self) -> list[HazardRow]:
        rows = self.db.execute("SELECT * FROM hazards WHERE status = 'open' ORDER BY path, line")
        return [HazardRow(*r) for r in rows]

    def put_hazard(self, h: HazardRow) -> None:
        self.db.execute("INSERT OR REPLACE INTO hazards VALUES (?,?,?,?,?,?,?,?,?)", astuple(h))

    def add_regression(self, r: Regression) -> None:
        self.db.execute(
            "INSERT INTO regressions (tag, what, identity, path, line, function, detail, sha, "
            "author, summary) VALUES (?,?,?,?,?,?,?,?,?,?)",
            astuple(r),
        )

    def regressions(self, tag: str | None = None) -> list[Regression]:
        q = "SELECT tag, what, identity, path, line, function, detail, sha, author, summary "
        q += "FROM regressions" + (" WHERE tag = ?" if tag else "") + " ORDER BY id"
        return [Regression(*r) for r in self.db.execute(q, (tag,) if tag else ())]

    def snapshot_counts(self, tag: str) -> None:
        """The open sites per subsystem and class as of TAG, for the burndown."""
        self.db.execute(
            "INSERT OR REPLACE INTO counts SELECT ?, subsystem, class, count(*) FROM sites "
            "WHERE status = 'open' GROUP BY subsystem, class",
            (tag,),
        )

    def counts(self) -> dict[str, dict[tuple[str, str], int]]:
        """tag -> (subsystem, class) -> open sites."""
        out: dict[str, dict[tuple[str, str], int]] = {t.name: {} for t in self.tags()}
        for tag, sub, klass, n in self.db.execute("SELECT * FROM counts"):
            out.setdefault(tag, {})[(sub, klass)] = n
        return out

    # -- series ----------------------------------------------------------------

    def series(self, statuses: Iterable[str] | None = None) -> list[SeriesRow]:
        rows = self.db.execute("SELECT * FROM series ORDER BY drafted_at, change_id, version")
        want = set(statuses) if statuses is not None else None
        out = []
        for r in rows:
            row = SeriesRow(
                r[0], r[1], r[2], r[3], r[4], r[5], r[6], _tuple(r[7]), _tuple(r[8]),
                _tuple(r[9]), _tuple(r[10]), _tuple(r[11]), *r[12:],
            )  # fmt: skip
            if want is None or row.status in want:
                out.append(row)
        return out

    def put_series(self, s: SeriesRow, identities: Iterable[str] = ()) -> None:
        values = [json.dumps(v) if isinstance(v, tuple) else v for v in astuple(s)]
        self.db.execute(
            "INSERT OR REPLACE INTO series VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", values
        )
        self.db.executemany(
            "INSERT OR IGNORE INTO series_sites VALUES (?, ?)",
            [(s.change_id, i) for i in sorted(set(identities))],
        )

    def series_sites(self, change_id: str) -> set[str]:
        q = "SELECT identity FROM series_sites WHERE change_id = ?"
        return {r[0] for r in self.db.execute(q, (change_id,))}

    def taken(self) -> set[str]:
        """Site identities some series in flight or rejected covers (a site
        still open after its series was applied may be proposed again)."""
        marks = ",".join("?" * len(TAKEN))
        q = (
            "SELECT DISTINCT s.identity FROM series_sites s JOIN series r "
            f"ON r.change_id = s.change_id WHERE r.status IN ({marks})"
        )
        return {r[0] for r in self.db.execute(q, TAKEN)}

    def commit(self) -> None:
        self.db.commit()
