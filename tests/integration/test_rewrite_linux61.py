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

# The flag edits planned for 6.1 fs/xfs (see test_scan_linux61.py): the
# redundant xfs_attr_intent_init and __xfs_bmap_add, the no-op mask in
# xfs_inode_item_precommit_check, and the redundant kmem_zalloc(.., KM_NOFS)
# in xfs_dir_init/createname/removename/replace and xfs_defer_ops_capture.
XFS_FLAG_EDITS = {
    ("fs/xfs/libxfs/xfs_attr.c", 891),
    ("fs/xfs/libxfs/xfs_bmap.c", 6163),
    ("fs/xfs/xfs_inode_item.c", 48),
    ("fs/xfs/libxfs/xfs_dir2.c", 238),
    ("fs/xfs/libxfs/xfs_dir2.c", 275),
    ("fs/xfs/libxfs/xfs_dir2.c", 443),
    ("fs/xfs/libxfs/xfs_dir2.c", 504),
    ("fs/xfs/libxfs/xfs_defer.c", 720),
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


STALE = ("nofs-xfs-test", "nofs-xfs-again", "nofs-ext4-quota-test", "nofs-ext4-quota-again")


def _drop(repo: Path, branch: str) -> None:
    subprocess.run(["git", "branch", "-D", branch], cwd=repo, check=False, capture_output=True)


@pytest.fixture
def branches(linux61: Path) -> Iterator[list[tuple[str, Path]]]:
    """Branches and worktrees a test makes in the cached tree, removed afterwards
    (and before, in case an interrupted run left them behind)."""
    subprocess.run(["git", "worktree", "prune"], cwd=linux61, check=False)
    for branch in STALE:
        _drop(linux61, branch)
    made: list[tuple[str, Path]] = []
    yield made
    for branch, wt in made:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(wt)],
            cwd=linux61,
            check=False,
            capture_output=True,
        )
        _drop(linux61, branch)
    subprocess.run(["git", "worktree", "prune"], cwd=linux61, check=False)


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
    assert flags == XFS_FLAG_EDITS
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

    # every touched file still parses: no function gained a parse error
    for pf in patch:
        before = git(linux61, "show", f"{r['base']}:{pf.path}")
        after = git(linux61, "show", f"nofs-xfs-test:{pf.path}")
        assert _functions_with_errors(after, pf.path) <= _functions_with_errors(before, pf.path)

    # rewriting the result again plans nothing
    assert rewrite_again(wt, ["fs/xfs"], "nofs-xfs-again", tmp_path, branches, capsys) == (0, 0)


def rewrite_again(
    wt: Path,
    paths: list[str],
    branch: str,
    tmp_path: Path,
    branches: list[tuple[str, Path]],
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, int]:
    """Rewrite the result of a rewrite again: (edits planned, commits made)."""
    git(wt, "checkout", "-q", "--detach")
    wt2 = tmp_path / f"{branch}-wt"
    branches.append((branch, wt2))
    assert (
        main(
            [
                "rewrite",
                "--tree",
                str(wt),
                *paths,
                "--branch",
                branch,
                "--worktree",
                str(wt2),
                "--json",
            ]
        )
        == 0
    )
    again = json.loads(capsys.readouterr().out)
    return int(again["planned"]), len(again["commits"])


def _functions_with_errors(text: str, path: str) -> set[str]:
    from nofsbot import config
    from nofsbot.analyse.extract import Extractor

    facts = Extractor(config.load()).extract(path, text.encode())
    return {fn.name for fn in facts.functions if fn.error}


def test_rewrite_ext4_and_quota(
    linux61: Path,
    spatch: str,
    tmp_path: Path,
    branches: list[tuple[str, Path]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    wt = tmp_path / "wt"
    branches.append(("nofs-ext4-quota-test", wt))
    assert (
        main(
            [
                "rewrite",
                "--tree",
                str(linux61),
                "fs/ext4",
                "fs/quota",
                "--branch",
                "nofs-ext4-quota-test",
                "--worktree",
                str(wt),
                "--json",
            ]
        )
        == 0
    )
    r = json.loads(capsys.readouterr().out)
    # ext4_init_inode_table() gets its scope after down_write(&grp->alloc_sem)
    # (line 1564, see test_scan_linux61.py), restored before up_write(), and
    # its sb_issue_zeroout(.., GFP_NOFS), now always scoped, becomes
    # GFP_KERNEL; fs/quota has nothing to rewrite (all its sites are kept)
    assert [c["subject"] for c in r["commits"]] == [
        "ext4: open a NOFS scope in ext4_init_inode_table()",
        "ext4: use GFP_KERNEL in ext4_init_inode_table(), already in a NOFS scope",
    ]
    assert r["commits"][0]["sites"] == [{"path": "fs/ext4/ialloc.c", "line": 1564}]
    assert r["planned"] == 2 and r["not_rewritten"] == [] and r["unbalanced"] == []
    diff = git(linux61, "diff", f"{r['base']}..nofs-ext4-quota-test")
    assert {pf.path for pf in PatchSet(diff)} == {"fs/ext4/ialloc.c"}
    # every touched file still parses: no function gained a parse error
    for path in {pf.path for pf in PatchSet(diff)}:
        before = git(linux61, "show", f"{r['base']}:{path}")
        after = git(linux61, "show", f"nofs-ext4-quota-test:{path}")
        assert _functions_with_errors(after, path) <= _functions_with_errors(before, path)
    # rewriting the result again plans nothing
    again = rewrite_again(
        wt, ["fs/ext4", "fs/quota"], "nofs-ext4-quota-again", tmp_path, branches, capsys
    )
    assert again == (0, 0)
