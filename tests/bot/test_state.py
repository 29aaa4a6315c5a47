"""The state rules: intent before result, reconciliation without a mail,
the lock, operator commands, limits."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from nofsbot.bot import lock, mailer, reject, retry
from nofsbot.bot.config import BotConfig, load
from nofsbot.bot.series import limited, old_line
from nofsbot.bot.state import SeriesRow, State, with_status
from nofsbot.errors import NofsbotError
from tests.bot.test_config import MINIMAL


def row(change_id: str, status: str, section: str = "XFS", sent: str | None = None) -> SeriesRow:
    return SeriesRow(
        change_id, 1, section, "/dir", "next-1", "base", "xfs: s", ("c.patch", "1.patch"),
        ("p1",), (), ("a@example.org",), ("<m0@x>", "<m1@x>"), status, "2026-01-01T00:00:00+00:00",
        None, sent, "2026-01-01T00:00:00+00:00", "",
    )  # fmt: skip


@pytest.fixture
def cfg(tmp_path: Path) -> BotConfig:
    p = tmp_path / "bot.toml"
    p.write_text(MINIMAL)
    return load(p)


def test_sending_becomes_unknown_and_is_never_mailed_again(cfg: BotConfig) -> None:
    state = State(cfg.database)
    state.put_series(row("c1", "sending"), {"site-a"})
    state.put_series(row("c2", "sent"))
    state.commit()
    fixed = mailer.reconcile(state)
    assert [(r.change_id, r.status) for r in fixed] == [("c1", "sent?")]
    assert "<m0@x>" in fixed[0].note  # the operator can look the mails up
    assert {r.change_id: r.status for r in state.series()} == {"c1": "sent?", "c2": "sent"}
    assert state.taken() == {"site-a"}  # its sites are not proposed again
    assert state.series(("drafted",)) == []  # so no run mails it
    state.close()
    with pytest.raises(NofsbotError):
        reject(cfg, "nope")
    with pytest.raises(NofsbotError, match="is sent: not changed"):
        retry(cfg, "c2")
    assert retry(cfg, "c1").status == "drafted"
    assert reject(cfg, "c1").status == "rejected"


def test_lock_excludes_a_second_run(tmp_path: Path) -> None:
    path = tmp_path / "bot.db.lock"
    with (
        lock.held(path),
        pytest.raises(lock.LockedError, match="another nofsbot bot run"),
        lock.held(path),
    ):
        pass
    with lock.held(path):  # released with the first
        pass


def test_limits(cfg: BotConfig) -> None:
    state = State(cfg.database)
    today = datetime.date(2026, 1, 3)
    assert limited(cfg, state, "XFS", today) is None
    state.put_series(row("c1", "sent", sent="2026-01-01T10:00:00+00:00"))
    assert "in flight" in (limited(cfg, state, "XFS", today) or "")
    assert limited(cfg, state, "EXT4", today) is None
    state.put_series(with_status(row("c1", "sent", sent="2026-01-01T10:00:00+00:00"), "applied"))
    assert "cooling down until 2026-01-08" in (limited(cfg, state, "XFS", today) or "")
    assert limited(cfg, state, "XFS", datetime.date(2026, 1, 8)) is None


def test_readdress_for_preview() -> None:
    mail = (
        "From x Mon Sep 17 00:00:00 2001\nFrom: Bot <b@x>\nTo: A <a@x>,\n\tB <b@x>\n"
        "Cc: C <c@x>\nSubject: [PATCH] x\n\nbody\nCc: not a header\n"
    )
    out = mailer.readdress(mail, "me@example.org")
    head, body = out.split("\n\n", 1)
    assert "a@x" not in head and "c@x" not in head and "\tB" not in head
    assert "To: me@example.org" in head and body == "body\nCc: not a header\n"


def test_old_line_maps_back_through_a_diff() -> None:
    # 3 lines added after old 10, old 20-21 removed, old 30-31 replaced by 3 lines
    hunks = [(10, 0, 11, 3), (20, 2, 22, 0), (30, 2, 29, 3)]
    assert old_line(hunks, 5) == 5
    assert old_line(hunks, 12) is None  # added
    assert old_line(hunks, 14) == 11
    assert old_line(hunks, 22) == 19 and old_line(hunks, 23) == 22
    assert old_line(hunks, 30) is None and old_line(hunks, 32) == 32


def test_a_state_from_before_steps_has_its_tags_done(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    state = State(db)
    state.db.execute("INSERT INTO tags VALUES ('next-1', 'sha', NULL, 't', 0, '[]', 0.0)")
    state.db.execute("DROP TABLE steps")
    state.commit()
    state.close()
    state = State(db)  # as a newer nofsbot opens it: nothing is drafted again
    assert state.done("next-1", "analysed") and state.done("next-1", "drafted")
    assert state.done("next-1", "posted")
    state.close()


def test_what_a_send_ends_as() -> None:
    from nofsbot.tools.mail import SendResult

    def outcome(messages: int, rc: int) -> str:
        return mailer._outcome(SendResult(False, messages, "log", rc), 3)[0]

    assert outcome(3, 0) == "sent"
    assert outcome(0, 1) == "failed"  # refused before the first message: mail it again
    assert outcome(1, 1) == "sent?"  # part of it left
    assert outcome(0, 0) == "sent?"  # no error, yet no result line: unknown
    assert outcome(-1, -1) == "sent?"  # timed out
