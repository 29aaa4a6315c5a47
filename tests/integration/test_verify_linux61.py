"""`nofsbot verify` on the result of `nofsbot rewrite fs/xfs` on the real 6.1 tree."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nofsbot.cli import main
from tests.conftest import need
from tests.integration.branches import drop_branch

pytestmark = [pytest.mark.kernel, pytest.mark.spatch]
# the 6.1 fs/xfs series: the scopes in xfs_qm_dqget_cache_insert() and
# xlog_cil_push_work() and 22 flag-edit commits (test_rewrite_linux61.py)
SERIES = 24

BRANCH = "nofs-xfs-verify-test"
BROKEN = "nofs-xfs-verify-broken-test"
# a comment line of 109 columns: checkpatch WARNING:LONG_LINE_COMMENT
LONG_COMMENT = "/* " + "a comment line that is far too long for the kernel coding style " * 2
LONG_COMMENT = LONG_COMMENT[:106] + " */"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def _clean(repo: Path) -> None:
    for branch in (BRANCH, BROKEN):
        drop_branch(repo, branch)
        subprocess.run(
            ["git", "update-ref", "-d", f"refs/nofsbot/verified/{branch}"],
            cwd=repo,
            capture_output=True,
        )


@pytest.fixture(scope="module")
def rewritten(
    linux61: Path, spatch: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """(base, worktree) of `nofsbot rewrite fs/xfs` on branch BRANCH."""
    for tool in ("make", "gcc", "perl", "flex", "bison", "bc"):
        need(
            f"{tool} (apt-get install build-essential flex bison libelf-dev bc)",
            bool(shutil.which(tool)),
        )
    subprocess.run(["git", "worktree", "prune"], cwd=linux61, check=False)
    _clean(linux61)
    wt = tmp_path_factory.mktemp("verify") / "wt"
    argv = [
        "-q",
        "rewrite",
        "--no-publish",
        "--tree",
        str(linux61),
        "fs/xfs",
        "--branch",
        BRANCH,
        "--worktree",
        str(wt),
    ]
    try:
        assert main(argv) == 0
        yield git(linux61, "rev-parse", "HEAD").strip(), wt
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(wt)], cwd=linux61, capture_output=True
        )
        _clean(linux61)
        subprocess.run(["git", "worktree", "prune"], cwd=linux61, check=False)


def verify(
    tree: Path, rev_range: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    status = main(["verify", "--tree", str(tree), rev_range, "--json"])
    return status, json.loads(capsys.readouterr().out)


def test_the_xfs_series_builds_patch_by_patch(
    linux61: Path, rewritten: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base, _ = rewritten
    user_status = git(linux61, "status", "--porcelain=v1")
    commits = git(linux61, "rev-list", "--reverse", f"{base}..{BRANCH}").split()
    assert len(commits) == SERIES  # before the builds: the series must be the one meant
    status, r = verify(linux61, f"{base}..{BRANCH}", capsys)
    assert status == 0
    assert len(commits) == SERIES and r["kept"] == commits and r["dropped"] == []
    # scrub/btree.c, scrub/dabtree.c and scrub/scrub.c are only built with
    # CONFIG_XFS_ONLINE_SCRUB (fs/xfs/Makefile:139)
    assert {"XFS_FS", "XFS_ONLINE_SCRUB"} <= set(r["symbols"])
    for v in r["verdicts"]:
        assert v["ok"], v
        # each patch's objects were compiled at that patch, with nothing new
        assert v["objects"] and set(v["objects"]) <= set(v["built"])
        assert v["new_warnings"] == [] and v["errors"] == [] and v["unbuildable"] == []
    assert git(linux61, "rev-parse", f"refs/nofsbot/verified/{BRANCH}").strip() == commits[-1]
    # the user's work tree is not touched
    assert git(linux61, "status", "--porcelain=v1") == user_status
    assert git(linux61, "rev-parse", "HEAD").strip() == base


def test_a_broken_patch_and_a_checkpatch_warning_are_dropped(
    linux61: Path, rewritten: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Acceptance: a patch that does not compile (after the first) and one
    that adds a checkpatch warning (in the middle) are dropped with their
    reasons; the 24 others are kept, re-picked, and each prefix builds."""
    base, wt = rewritten
    good = git(linux61, "rev-list", "--reverse", f"{base}..{BRANCH}").split()
    subjects = [git(linux61, "log", "-1", "--format=%s", c).strip() for c in good]
    git(wt, "checkout", "-q", "-b", BROKEN, good[0])
    # it breaks the file of the first patch (the scope in
    # xfs_qm_dqget_cache_insert())
    with (wt / "fs/xfs/xfs_dquot.c").open("a") as f:
        f.write("int nofsbot_broken = ;\n")
    # only the edited file: the rewrite worktree has part of the tree checked out
    git(wt, "commit", "-q", "-m", "xfs: a patch that does not compile", "fs/xfs/xfs_dquot.c")
    git(wt, "cherry-pick", good[1], good[2])
    with (wt / "fs/xfs/libxfs/xfs_dir2.c").open("a") as f:
        f.write(LONG_COMMENT + "\n")
    git(wt, "commit", "-q", "-m", "xfs: add a long comment", "fs/xfs/libxfs/xfs_dir2.c")
    git(wt, "cherry-pick", *good[3:])
    broken = git(wt, "rev-list", "--reverse", f"{base}..HEAD").split()
    assert len(broken) == SERIES + 2

    status, r = verify(linux61, f"{base}..{BROKEN}", capsys)
    assert status == 1
    dropped = {d["commit"]: d["reason"] for d in r["dropped"]}
    assert set(dropped) == {broken[1], broken[4]}
    assert dropped[broken[1]].startswith("does not build: fs/xfs/xfs_dquot.c:")
    assert "expected expression" in dropped[broken[1]]
    assert "checkpatch: fs/xfs/libxfs/xfs_dir2.c:" in dropped[broken[4]]
    assert "WARNING:LONG_LINE_COMMENT" in dropped[broken[4]]
    assert "does not build" not in dropped[broken[4]]  # it compiles
    # the 24 good patches are kept, in order; those after a drop are new commits
    assert [git(linux61, "log", "-1", "--format=%s", c).strip() for c in r["kept"]] == subjects
    assert r["kept"][0] == good[0] and r["kept"][1] != broken[2]
    assert git(linux61, "rev-parse", f"refs/nofsbot/verified/{BROKEN}").strip() == r["kept"][-1]
    # every kept commit was verified as a prefix of the final series, built ok
    verdicts = {v["commit"]: v for v in r["verdicts"]}
    for sha in r["kept"]:
        v = verdicts[sha]
        assert v["ok"] and set(v["objects"]) <= set(v["built"])
    # the final series is the chain of kept commits on the base
    assert git(linux61, "rev-list", "--reverse", f"{base}..{r['kept'][-1]}").split() == r["kept"]
    # after the broken patch is dropped, its object is compiled again at the next patch
    assert "fs/xfs/xfs_dquot.o" in verdicts[r["kept"][1]]["built"]
