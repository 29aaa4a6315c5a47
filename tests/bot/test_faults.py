"""Runs that go wrong: a kill or a full disk while drafting, SMTP down, a
corrupt or locked database, a remote that changed."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import nofsbot.bot.state
from nofsbot.bot.state import State
from tests.bot.remote import add_tag, case, make_remote, query, run, write_config
from tests.conftest import git
from tests.publish.smtp import smtp_server

pytestmark = [pytest.mark.kernel, pytest.mark.spatch]

ROOT = Path(__file__).parents[2]


def run_apart(cfg: Path, fault: str = "") -> subprocess.CompletedProcess[str]:
    """`nofsbot bot --once` in a process of its own, with a fault."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NOFSBOT_BOT_FAULT": fault}
    return subprocess.run(
        [sys.executable, "-m", "nofsbot", "bot", "--once", "--config", str(cfg)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        start_new_session=True,
    )


@pytest.fixture
def remote(tmp_path: Path, linux61: Path, spatch: str) -> Path:
    return make_remote(tmp_path / "linux", linux61)


@pytest.mark.parametrize("fault", ["rewritten:next-20260101=kill", "published:next-20260101=kill"])
def test_a_kill_while_drafting_leaves_the_tag_to_draft_again(
    tmp_path: Path, remote: Path, fault: str
) -> None:
    with smtp_server() as inbox:
        cfg = write_config(tmp_path, remote, inbox.port)
        killed = run_apart(cfg, fault)
        assert killed.returncode == -9, killed.stderr
        assert not inbox.received
        again = run_apart(cfg)
        assert again.returncode == 0, again.stderr
        assert "recovered: removed what a dead run left half-made" in again.stdout
        assert "drafted: " in again.stdout and "sent: " in again.stdout
        db = tmp_path / "state" / "bot.db"
        assert query(db, "SELECT version, status FROM series") == [(1, "sent")]
        assert len(inbox.received) == 3
        assert run_apart(cfg).stdout.strip() == "no new tag" and len(inbox.received) == 3


def test_a_full_disk_while_drafting_names_the_path_and_is_redone(
    tmp_path: Path, remote: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with smtp_server() as inbox:
        cfg = write_config(tmp_path, remote, inbox.port)
        out_dir = tmp_path / "state" / "nofsbot-bot" / "series" / "next-20260101"
        full = run_apart(cfg, "published:next-20260101=enospc")
        assert full.returncode == 1
        assert full.stderr == f"error: {out_dir}: No space left on device\n"
        rc, out, err = run(cfg, capsys, "--once")
        assert rc == 0, err
        assert "drafted: " in out and len(inbox.received) == 3
        assert query(tmp_path / "state" / "bot.db", "SELECT version FROM series") == [(1,)]


def test_smtp_down_then_back(
    tmp_path: Path, remote: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with smtp_server() as inbox:
        port = inbox.port
    cfg = write_config(tmp_path, remote, port)  # nothing listens there now
    rc, out, err = run(cfg, capsys, "--once")
    assert rc == 1
    assert "next-20260101 (baseline; analysed fs/case" in out  # the report is printed
    assert "not sent: " in out and "nothing was accepted" in out
    assert "error: not mailed in full:" in err
    db = tmp_path / "state" / "bot.db"
    ((change_id, status, msgids),) = query(db, "SELECT change_id, status, message_ids FROM series")
    assert status == "failed"
    # SMTP is back on the same port: the next run mails it, once
    with smtp_server() as inbox:
        cfg = write_config(tmp_path, remote, inbox.port)
        rc, out, err = run(cfg, capsys, "--once")
        assert rc == 0, err
        assert f"sent: {change_id} v1: 3 messages" in out
        assert [m["Message-ID"] for _, m in inbox.received] == json.loads(str(msgids))
        rc, out, _ = run(cfg, capsys, "--once")
        assert out.strip() == "no new tag" and len(inbox.received) == 3
    assert query(db, "SELECT status FROM series") == [("sent",)]


def test_state_errors_name_the_file(
    tmp_path: Path,
    remote: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg = write_config(tmp_path, remote, None, mode="report")
    db = tmp_path / "state" / "bot.db"
    assert run(cfg, capsys, "--once")[0] == 0
    with sqlite3.connect(db) as c:  # another program holds a write lock
        monkeypatch.setattr(nofsbot.bot.state, "BUSY_SECONDS", 0.1)
        c.execute("BEGIN EXCLUSIVE")
        rc, _, err = run(cfg, capsys, "--once")
        c.rollback()
    assert rc == 1 and err.startswith(f"error: {db}: locked by another program")
    db.write_bytes(b"this is not SQLite\n" * 100)
    rc, _, err = run(cfg, capsys, "--once")
    assert rc == 1 and err.startswith(f"error: {db}: not a SQLite database")
    rc, _, err = run(cfg, capsys, "status")
    assert rc == 1 and err.startswith(f"error: {db}: not a SQLite database")


def test_a_changed_remote_is_applied_or_refused(
    tmp_path: Path, remote: Path, linux61: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(tmp_path, remote, None, mode="report")
    assert run(cfg, capsys, "--once")[0] == 0
    clone = tmp_path / "clone"
    # a mirror of the same history: applied, and its new tag is processed
    mirror = tmp_path / "mirror"
    git(tmp_path, "clone", "-q", str(remote), str(mirror))
    git(mirror, "fetch", "-q", "--tags")
    add_tag(mirror, "next-20260102", {"fs/case/more.c": case("nofs_flags/kmem.before.c")})
    cfg.write_text(cfg.read_text().replace(f'remote = "{remote}"', f'remote = "{mirror}"'))
    rc, out, err = run(cfg, capsys, "--once")
    assert rc == 0, err
    assert f"recovered: tree.remote changed from {remote} to {mirror}: now fetching it" in out
    assert "next-20260102 (since next-20260101" in out
    assert git(clone, "remote", "get-url", "origin").strip() == str(mirror)
    # another history: refused, nothing changed
    other = make_remote(tmp_path / "other", linux61, {"fs/case/x.c": "int x;\n"})
    git(other, "tag", "next-20260102")
    cfg.write_text(cfg.read_text().replace(f'remote = "{mirror}"', f'remote = "{other}"'))
    rc, out, err = run(cfg, capsys, "--once")
    assert rc == 1 and out == ""
    assert err.startswith(f"error: {cfg}: tree.remote: changed from {mirror}, but {other} has")
    assert "not the same history" in err
    assert git(clone, "remote", "get-url", "origin").strip() == str(mirror)


@pytest.mark.parametrize("damage", ["empty", "missing", "corrupt"])
def test_a_lost_database_is_refused_then_rebuilt_without_mailing_again(
    tmp_path: Path, remote: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    with smtp_server() as inbox:
        cfg = write_config(tmp_path, remote, inbox.port, "in_flight = 2\n")
        assert run(cfg, capsys, "--once")[0] == 0 and len(inbox.received) == 3
        db = tmp_path / "state" / "bot.db"
        ((change_id, msgids),) = query(db, "SELECT change_id, message_ids FROM series")
        if damage == "empty":
            db.write_bytes(b"")
        elif damage == "missing":
            db.unlink()
        else:
            db.write_bytes(b"\0garbage" * 512)
        rc, out, err = run(cfg, capsys, "--once")
        assert rc == 1 and out == "" and len(inbox.received) == 3
        assert err.startswith(f"error: {db}: ") and "rebuild-state" in err
        rc, out, err = run(cfg, capsys, "rebuild-state")
        assert rc == 0, err
        assert f"rebuilt {db}: 1 series" in out and f"{change_id} v1 [sent] CASE FILESYSTEM" in out
        assert ("moved the corrupt database to" in out) == (damage == "corrupt")
        rows = query(db, "SELECT change_id, status, message_ids FROM series")
        assert rows == [(change_id, "sent", msgids)]
        rc, out, err = run(cfg, capsys, "--once")  # the newest tag as a new baseline
        assert rc == 0, err
        assert "next-20260101 (baseline" in out and "drafted" not in out
        assert len(inbox.received) == 3
        # a new site in another file is proposed; the sites of the sent one are not
        add_tag(remote, "next-20260102", {"fs/case/more.c": case("nofs_flags/kmem.before.c")})
        rc, out, err = run(cfg, capsys, "--once")
        assert rc == 0, err
        patches = [m.as_string() for _, m in inbox.received[4:]]
        assert patches and all("fs/case/more.c" in p and "scoped.c" not in p for p in patches)
    rc, out, err = run(cfg, capsys, "rebuild-state")
    assert rc == 1 and "a working database; not rebuilding it" in err


def test_a_blank_database_after_series_went_out_is_refused(
    tmp_path: Path, remote: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database with its tables but no row is no fresh start either once
    series went out."""
    with smtp_server() as inbox:
        cfg = write_config(tmp_path, remote, inbox.port)
        assert run(cfg, capsys, "--once")[0] == 0 and len(inbox.received) == 3
    db = tmp_path / "state" / "bot.db"
    db.unlink()
    State(db).close()
    rc, out, err = run(cfg, capsys, "--once")
    assert rc == 1 and "holds no tag and no series, but" in err and "rebuild-state" in err
    rc, out, err = run(cfg, capsys, "rebuild-state")
    assert rc == 0 and "1 series" in out, err


def test_regressions_github_missed_are_posted_by_the_next_run(
    tmp_path: Path,
    remote: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    api: tuple[str, list[tuple[str, str, dict[str, object], str]]],
) -> None:
    url, calls = api
    monkeypatch.setenv("GITHUB_TOKEN", "t")
    with smtp_server() as inbox:
        dead = inbox.port  # nothing listens there afterwards
    github = f'[github]\nrepo = "o/r"\nbase_url = "http://127.0.0.1:{dead}/api"\n'
    cfg = write_config(tmp_path, remote, None, mode="report")
    cfg.write_text(cfg.read_text() + github)
    assert run(cfg, capsys, "--once")[0] == 0
    add_tag(remote, "next-20260102", {"fs/case/more.c": case("nofs_flags/kmem.before.c")})
    rc, out, err = run(cfg, capsys, "--once")
    assert rc == 0 and "regression: new NOFS site at fs/case/more.c" in out, err
    assert "could not report to GitHub (the next run tries again)" in caplog.text and not calls
    cfg.write_text(cfg.read_text().replace(f"http://127.0.0.1:{dead}/api", url))
    rc, out, err = run(cfg, capsys, "--once")
    assert rc == 0, err
    assert "recovered: reported the regressions of next-20260102 at https://gh/o/r/issues/7" in out
    posts = [c for c in calls if c[0] == "POST"]
    assert len(posts) == 1 and "next-20260102" in str(posts[0][2]["title"])
    assert run(cfg, capsys, "--once")[1].strip() == "no new tag"
    assert len([c for c in calls if c[0] == "POST"]) == 1
