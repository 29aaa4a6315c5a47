"""A run after one that died: stale git locks, half-made worktrees and
branches, processes left in the clone, workers and the bot's lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nofsbot.bot import lock, orphans, recovery
from nofsbot.bot.config import load
from tests.bot.remote import make_remote, run, write_config
from tests.conftest import git

pytestmark = [pytest.mark.kernel]


@pytest.fixture
def reported(tmp_path: Path, linux61: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The config of a bot in report mode that has run once."""
    remote = make_remote(tmp_path / "linux", linux61)
    cfg = write_config(tmp_path, remote, None, mode="report")
    rc, _, err = run(cfg, capsys, "--once")
    assert rc == 0, err
    return cfg


def test_stale_git_locks_and_half_made_worktrees_are_removed(
    reported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clone = tmp_path / "clone"
    # what a kill during `git sparse-checkout set` or a checkout leaves
    (clone / ".git" / "index.lock").write_text("")
    (clone / ".git" / "HEAD.lock").write_text("")
    # a worktree and branch of a run killed while drafting, and a directory
    # git never registered
    wt = tmp_path / "state" / "nofsbot-bot" / "worktrees"
    git(clone, "worktree", "add", "-q", "-b", "nofsbot/bot-next-20260101", str(wt / "a"), "HEAD")
    (wt / "b").mkdir()
    (wt / "b" / "junk").write_text("x")
    rc, out, err = run(reported, capsys, "--once")
    assert rc == 0, err
    assert (
        "recovered: removed git lock files a dead run left: .git/HEAD.lock, .git/index.lock" in out
    )
    assert "recovered: removed what a dead run left half-made:" in out and "nofsbot/bot-" in out
    assert not (clone / ".git" / "index.lock").exists() and not list(wt.iterdir())
    assert git(clone, "branch", "--list", "nofsbot/*") == ""
    assert git(clone, "worktree", "list").count("\n") == 1
    rc, out, err = run(reported, capsys, "--once")  # nothing left to recover
    assert (rc, out.strip(), err) == (0, "no new tag", "")


def test_a_process_left_in_the_clone_is_ended_before_the_locks_go(
    reported: Path, tmp_path: Path
) -> None:
    clone = tmp_path / "clone"
    gone = subprocess.Popen(["true"])
    gone.wait()
    mark = {**os.environ, orphans.MARK: str(gone.pid)}  # of a run that died
    left = subprocess.Popen(["sleep", "60"], cwd=clone, env=mark)
    mine = subprocess.Popen(["sleep", "60"], cwd=clone)  # a person's, say
    try:
        (clone / ".git" / "index.lock").write_text("")
        notes = recovery.recover(load(reported), grace=0.2)
        assert left.wait(timeout=5) == -signal.SIGKILL
        assert any(f"{left.pid} (sleep 60)" in n for n in notes)
        assert not (clone / ".git" / "index.lock").exists()
        assert mine.poll() is None and not any(str(mine.pid) in n for n in notes)
    finally:
        left.kill()
        mine.kill()


def test_a_half_made_clone_is_made_again(
    reported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clone = tmp_path / "clone"
    git(clone, "update-ref", "-d", "HEAD")  # HEAD names no commit: cut short
    rc, out, err = run(reported, capsys, "--once")
    assert rc == 0, err
    assert f"recovered: removed {clone}: its clone was cut short" in out
    assert git(clone, "rev-parse", "HEAD").strip()


HOLDER = """
import os, sys, time
from pathlib import Path
from nofsbot.bot import lock
from nofsbot.runner import Workers

def init():
    pass

def pid(xs):
    time.sleep(0.2)
    return [os.getpid() for _ in xs]

with lock.held(Path(sys.argv[1])), Workers(2, init) as pool:
    print(*sorted(set(pool.map(pid, [1, 2, 3, 4], chunk=1))), flush=True)
    time.sleep(60)
"""


def test_workers_die_with_the_bot_and_never_hold_its_lock(tmp_path: Path) -> None:
    path = tmp_path / "bot.db.lock"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    main_proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(HOLDER), str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert main_proc.stdout is not None
    workers = [int(p) for p in main_proc.stdout.readline().split()]
    assert workers and main_proc.pid not in workers
    assert orphans.holding(path) == [main_proc.pid]  # the workers closed their copy
    os.kill(main_proc.pid, signal.SIGKILL)  # the main process alone
    main_proc.wait()
    deadline = time.monotonic() + 10
    while any(orphans.alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(orphans.alive(w) for w in workers)
    with lock.held(path) as held:
        assert held.note == f"took over the lock {path} of run {main_proc.pid}, which died"


def test_a_lock_a_leftover_of_a_dead_run_holds_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "bot.db.lock"
    gone = subprocess.Popen(["true"])
    gone.wait()
    # a process that kept the lock of a run (pid GONE) that died
    code = (
        "import fcntl, os, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        f"os.pwrite(fd, b'{gone.pid}\\n', 0)\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        with lock.held(path) as held:
            assert held.note is not None
            assert f"of run {gone.pid}, which died" in held.note and str(holder.pid) in held.note
        assert holder.wait(timeout=5) == -signal.SIGKILL
    finally:
        holder.kill()
    # a live owner is never taken over
    with (
        lock.held(path),
        pytest.raises(lock.LockedError, match=f"pid {os.getpid()}"),
        lock.held(path),
    ):
        pass
