"""What `nofsbot rewrite` leaves in the tree: its branch and worktree when it
committed something, nothing when it committed nothing or failed, and, when
interrupted, a line that says what is left and how to remove it."""

from __future__ import annotations

import json
import logging
import os
import shlex
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

import nofsbot.rewrite
from nofsbot.cli import main
from tests.conftest import DATA, committed, git

pytestmark = pytest.mark.spatch

CASES = Path(__file__).parent / "cases" / "nofs_flags"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return committed(
        tmp_path / "linux",
        {
            "fs/case/scoped.c": (CASES / "scoped.before.c").read_text(),
            "fs/plain/plain.c": (DATA / "scan" / "explicit_scope.c").read_text()
            .replace("GFP_NOFS", "GFP_KERNEL"),
        },
    )  # fmt: skip


def state(repo: Path) -> tuple[list[str], list[str], list[str]]:
    """Branches, worktrees (besides the tree itself), and nofsbot's worktree directories."""
    branches = git(repo, "branch", "--format=%(refname:short)").split()
    trees = [
        line.split(" ", 1)[1]
        for line in git(repo, "worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ")
    ][1:]
    cache = repo.parent / "cache" / "nofsbot" / "worktrees"
    dirs = sorted(p.name for p in cache.iterdir()) if cache.exists() else []
    return branches, trees, dirs


def test_a_run_that_commits_nothing_leaves_nothing(
    repo: Path, spatch: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["rewrite", "--tree", str(repo), "fs/plain", "--branch", "nofs-plain", "--json"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["commits"] == [] and doc["branch"] is None and doc["worktree"] is None
    assert state(repo) == (["master"], [], [])
    # the same --branch again works: nothing of the first run is in the way
    assert main(argv[:-1]) == 0
    assert "nothing committed" in capsys.readouterr().out
    assert state(repo) == (["master"], [], [])


def test_no_publish_leaves_the_branch_and_its_worktree(
    repo: Path, spatch: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["rewrite", "--no-publish", "--tree", str(repo), "fs/case", "--branch", "nofs-case"]
    assert main([*argv, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["commits"]) == 2
    branches, trees, dirs = state(repo)
    assert branches == ["master", "nofs-case"] and trees == [doc["worktree"]] and len(dirs) == 1
    # and the cleanup the README gives removes both
    git(repo, "worktree", "remove", "--force", doc["worktree"])
    git(repo, "branch", "-D", "nofs-case")
    assert state(repo) == (["master"], [], [])


def test_a_failed_run_leaves_nothing(
    repo: Path, tmp_path: Path, spatch: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    # spatch missing: the run fails after the worktree and the analysis
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("git", "grep"):
        (bindir / tool).symlink_to(shutil.which(tool) or tool)
    monkeypatch.setenv("PATH", str(bindir))
    argv = ["rewrite", "--no-publish", "--tree", str(repo), "fs/case", "--branch", "nofs-case"]
    with caplog.at_level(logging.INFO, logger="nofsbot.rewrite"):
        assert main(argv) == 1
    assert "spatch not found" in capsys.readouterr().err
    assert "worktree " in caplog.text  # it failed after the worktree was made
    assert state(repo) == (["master"], [], [])
    monkeypatch.undo()


def test_a_path_git_does_not_track_leaves_nothing(
    repo: Path, spatch: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "fs" / "new").mkdir()
    (repo / "fs" / "new" / "n.c").write_text((CASES / "scoped.before.c").read_text())
    argv = ["rewrite", "--no-publish", "--tree", str(repo), "fs/new", "--branch", "nofs-new"]
    assert main(argv) == 1
    assert capsys.readouterr().err.startswith("error: ")
    assert state(repo) == (["master"], [], [])


def test_an_interrupted_run_says_what_it_left(
    repo: Path, spatch: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(nofsbot.rewrite, "scope_edits", interrupt)
    argv = ["rewrite", "--no-publish", "--tree", str(repo), "fs/case", "--branch", "nofs-case"]
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert err.startswith("interrupted: left branch nofs-case and worktree ")
    branches, trees, _ = state(repo)
    assert branches == ["master", "nofs-case"] and len(trees) == 1 and trees[0] in err
    command = err.split("remove them with: ", 1)[1].strip()
    subprocess.run(command, shell=True, check=True, capture_output=True)
    assert state(repo) == (["master"], [], [])
    assert shlex.split(command)[0] == "git"


def test_a_terminated_run_says_what_it_left(
    repo: Path, spatch: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # SIGTERM (kill, a timeout) unwinds as Ctrl-C does: the run names the
    # branch and worktree it leaves, and the handler is put back afterwards
    def terminate(*args: object, **kwargs: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(nofsbot.rewrite, "scope_edits", terminate)
    before = signal.getsignal(signal.SIGTERM)
    argv = ["rewrite", "--no-publish", "--tree", str(repo), "fs/case", "--branch", "nofs-case"]
    assert main(argv) == 130
    assert capsys.readouterr().err.startswith("interrupted: left branch nofs-case and worktree ")
    assert signal.getsignal(signal.SIGTERM) == before
