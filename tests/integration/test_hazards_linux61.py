"""`nofsbot scan --hazards` on the real Linux 6.1 tree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nofsbot.cli import main

pytestmark = pytest.mark.kernel


def hazards(tree: Path, tmp: Path, *paths: str) -> list[dict[str, object]]:
    out = tmp / "hazards.json"
    assert main(["scan", "--hazards", "--tree", str(tree), *paths, "--json", "-o", str(out)]) == 0
    return json.loads(out.read_text())["hazards"]  # type: ignore[no-any-return]


def test_xfs_and_quota_have_none(linux61: Path, tmp_path: Path) -> None:
    # Reviewed by hand: XFS's ungated shrinkers (buffer cache, inodegc, dquot
    # count) take only spinlocks and trylocks, the quota shrinker only
    # dq_list_lock (a spinlock); no save/restore pair is unbalanced and no
    # allocation runs under a page lock these functions take.
    assert hazards(linux61, tmp_path, "fs/xfs", "fs/quota") == []


def test_btrfs_raid_kobject_leaves_the_scope_open(linux61: Path, tmp_path: Path) -> None:
    # btrfs_sysfs_add_block_group_type() opens a NOFS scope at line 1520 and,
    # when another thread already created the raid kobject, returns at line
    # 1546 without memalloc_nofs_restore(): the task keeps PF_MEMALLOC_NOFS.
    found = hazards(linux61, tmp_path, "fs/btrfs/sysfs.c")
    unbalanced = [(h["line"], h["function"]) for h in found if h["kind"] == "unbalanced-scope"]
    assert unbalanced == [(1546, "btrfs_sysfs_add_block_group_type")]


def test_extent_buffer_pages_are_allocated_under_earlier_page_locks(
    linux61: Path, tmp_path: Path
) -> None:
    # alloc_extent_buffer() loops find_or_create_page(.., GFP_NOFS |
    # __GFP_NOFAIL), which returns each page locked, and unlocks them only
    # after the loop: page N+1 is allocated with pages 0..N locked.
    found = hazards(linux61, tmp_path, "fs/btrfs/extent_io.c")
    assert ("alloc-under-folio-lock", 4712) in {(h["kind"], h["line"]) for h in found}
