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


def test_ext4_eviction_can_flush_discard_work_on_an_unbound_system_queue(
    linux61: Path, tmp_path: Path
) -> None:
    # Read by hand: marking an inode dirty may expand its extra isize and
    # move xattrs into an EA inode; writing that EA inode retries on ENOSPC
    # through ext4_should_retry_alloc(), which, with -o discard and no
    # frees pending, flushes s_discard_work (balloc.c:698). That work is
    # queued only on system_unbound_wq (mballoc.c:3777), which has no
    # rescuer. Reclaim marks inodes dirty on two paths: kswapd's
    # ext4_writepage() of a data=journal folio (__ext4_journalled_writepage(),
    # inode.c:1952), the one shown, and eviction of an unlinked inode
    # (ext4_evict_inode(), inode.c:281), a rarer one.
    found = hazards(linux61, tmp_path, "fs/ext4")
    flushes = [h for h in found if h["kind"] == "reclaim-flushes-unrescued-work"]
    assert [(h["path"], h["line"], h["function"]) for h in flushes] == [
        ("fs/ext4/balloc.c", 698, "ext4_should_retry_alloc")
    ]
    notes = [e["note"] for e in flushes[0]["evidence"]]  # type: ignore[union-attr]
    assert "queues ext4_sb_info.s_discard_work on system_unbound_wq" in " | ".join(notes)
    assert any(n.startswith("writepage: kswapd calls it") for n in notes)
    functions = [e["function"] for e in flushes[0]["evidence"]]  # type: ignore[union-attr]
    assert "ext4_try_to_expand_extra_isize" in functions
