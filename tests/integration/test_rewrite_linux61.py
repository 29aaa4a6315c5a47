"""`nofsbot rewrite fs/xfs` on the real 6.1 tree."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from unidiff import PatchSet

from nofsbot.cli import main

pytestmark = [pytest.mark.kernel, pytest.mark.spatch]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def branches(linux61: Path) -> Iterator[list[tuple[str, Path]]]:
    """Branches and worktrees a test makes in the cached tree, removed afterwards."""
    made: list[tuple[str, Path]] = []
    yield made
    for branch, wt in made:
        subprocess.run(["git", "worktree", "remove", "--force", str(wt)], cwd=linux61, check=False)
        subprocess.run(
            ["git", "branch", "-D", branch], cwd=linux61, check=False, capture_output=True
        )


def test_rewrite_xfs_touches_only_planned_sites(
    linux61: Path,
    spatch: str,
    tmp_path: Path,
    branches: list[tuple[str, Path]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = git(linux61, "status", "--porcelain=v1")
    wt = tmp_path / "wt"
    branches.append(("nofs-xfs-test", wt))
    assert (
        main(
            [
                "rewrite",
                "--tree",
                str(linux61),
                "fs/xfs",
                "--branch",
                "nofs-xfs-test",
                "--worktree",
                str(wt),
                "--json",
            ]
        )
        == 0
    )
    r = json.loads(capsys.readouterr().out)
    subjects = [c["subject"] for c in r["commits"]]
    # first the scope at the ILOCK section of xfs_qm_dqattach() (see
    # test_scan_linux61.py), then the flag conversions
    assert (
        subjects[0] == "xfs: open a NOFS scope in xfs_qm_dqattach() while xfs_inode.i_lock is held"
    )
    flags = {(s["path"], s["line"]) for c in r["commits"][1:] for s in c["sites"]}
    # the redundant xfs_attr_intent_init and __xfs_bmap_add, the no-op mask in
    # xfs_inode_item_precommit_check, the redundant kmem_zalloc(.., KM_NOFS)
    # in xfs_dir_init/createname/removename/replace and xfs_defer_ops_capture
    assert flags == {
        ("fs/xfs/libxfs/xfs_attr.c", 891),
        ("fs/xfs/libxfs/xfs_bmap.c", 6163),
        ("fs/xfs/xfs_inode_item.c", 48),
        ("fs/xfs/libxfs/xfs_dir2.c", 238),
        ("fs/xfs/libxfs/xfs_dir2.c", 275),
        ("fs/xfs/libxfs/xfs_dir2.c", 443),
        ("fs/xfs/libxfs/xfs_dir2.c", 504),
        ("fs/xfs/libxfs/xfs_defer.c", 720),
    }
    # one commit for the scope, then one per file and class
    assert r["planned"] == 9 and len(r["commits"]) == 6
    assert r["unbalanced"] == []  # the checker ran on the touched files
    assert r["not_rewritten"] == []
    diff = git(linux61, "diff", f"{r['base']}..nofs-xfs-test")
    patch = PatchSet(diff)
    removed = {
        (pf.source_file.removeprefix("a/"), ln.source_line_no)
        for pf in patch
        for h in pf
        for ln in h
        if ln.is_removed
    }
    assert removed == flags  # the scope only adds lines
    # never the anti-pattern: each save opens right after a lock is taken and
    # each restore comes right before that lock is released
    for pf in patch:
        for h in pf:
            lines = list(h)
            for i, ln in enumerate(lines):
                if ln.is_added and "memalloc_nofs_save" in ln.value:
                    taken = [x.value for x in lines[:i] if not x.is_added][-1]
                    assert "xfs_ilock(" in taken
                if ln.is_added and "memalloc_nofs_restore" in ln.value:
                    assert "xfs_iunlock(" in lines[i + 1].value
    assert git(linux61, "status", "--porcelain=v1") == status
    assert git(linux61, "rev-parse", "HEAD").strip() == r["base"]

    # rewriting the result again plans nothing
    git(wt, "checkout", "-q", "--detach")
    wt2 = tmp_path / "wt2"
    branches.append(("nofs-xfs-again", wt2))
    assert (
        main(
            [
                "rewrite",
                "--tree",
                str(wt),
                "fs/xfs",
                "--branch",
                "nofs-xfs-again",
                "--worktree",
                str(wt2),
                "--json",
            ]
        )
        == 0
    )
    again = json.loads(capsys.readouterr().out)
    assert again["planned"] == 0 and again["commits"] == []
