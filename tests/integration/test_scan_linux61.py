"""`nofsbot scan` on the real Linux 6.1 tree (Debian's linux-source-6.1).

Each specific decision below was checked against the 6.1 source; the
comment says what makes it right. Class counts guard against regressions:
a change in them must be explained by a change in the analysis.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from nofsbot.cli import main

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module")
def scans(linux61: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    out = {}
    for sub in ("fs/xfs", "fs/ext4", "fs/quota"):
        dest = tmp_path_factory.mktemp("scan") / "scan.json"
        assert main(["scan", "--tree", str(linux61), sub, "--json", "-o", str(dest)]) == 0
        out[sub] = json.loads(dest.read_text())
    return out


def site(doc: dict[str, object], path: str, line: int) -> dict[str, object]:
    hits = [s for s in doc["sites"] if s["path"] == path and s["line"] == line]  # type: ignore[attr-defined]
    assert len(hits) == 1, f"no single site at {path}:{line}"
    return hits[0]  # type: ignore[no-any-return]


def evidence_at(s: dict[str, object]) -> set[tuple[str, int]]:
    return {(e["path"], e["line"]) for e in s["evidence"]}  # type: ignore[attr-defined,index]


def test_every_grep_hit_is_a_site_or_accounted(scans: dict[str, dict[str, object]]) -> None:
    for doc in scans.values():
        assert doc["summary"]["unaccounted"] == 0  # type: ignore[index]
        assert doc["problems"] == []


def test_class_counts(scans: dict[str, dict[str, object]]) -> None:
    counts = {k: Counter(s["class"] for s in v["sites"]) for k, v in scans.items()}  # type: ignore[attr-defined]
    # xlog_discard_busy_extents() is kept: the iclog's ic_sema it may run under
    # is still held when xlog_write_iclog() returns (released at I/O completion)
    assert counts["fs/xfs"] == {"redundant": 7, "needs-scope": 4, "noop-mask": 1, "keep": 46}
    assert counts["fs/ext4"] == {"needs-scope": 1, "keep": 65}
    assert counts["fs/quota"] == {"keep": 16}


def test_xfs_dir_createname_is_redundant(scans: dict[str, dict[str, object]]) -> None:
    # xfs_dir_createname() has five callers: xfs_create, xfs_link, xfs_rename,
    # xfs_symlink and xfs_dir_canenter (itself called from xfs_link and
    # xfs_rename); each runs after xfs_trans_alloc*() and before the commit.
    s = site(scans["fs/xfs"], "fs/xfs/libxfs/xfs_dir2.c", 275)
    assert (s["class"], s["context"], s["kind"]) == ("redundant", "always", "kmem-arg")
    ev = evidence_at(s)
    assert ("fs/xfs/xfs_inode.c", 1016) in ev  # xfs_trans_alloc_icreate() in xfs_create
    assert ("fs/xfs/xfs_symlink.c", 319) in ev  # the call in xfs_symlink
    assert ("fs/xfs/xfs_symlink.c", 215) in ev  # ... inside its xfs_trans_alloc_icreate()


def test_xfs_dir_init_is_redundant(scans: dict[str, dict[str, object]]) -> None:
    # Only caller: xfs_create(), inside the transaction from
    # xfs_trans_alloc_icreate() at xfs_inode.c:1016.
    s = site(scans["fs/xfs"], "fs/xfs/libxfs/xfs_dir2.c", 238)
    assert s["class"] == "redundant"
    assert ("fs/xfs/xfs_inode.c", 1057) in evidence_at(s)


def test_xfs_cil_context_from_work_is_not_redundant(scans: dict[str, dict[str, object]]) -> None:
    # xlog_cil_ctx_alloc() runs from xlog_cil_push_work(), a work function
    # (INIT_WORK in xfs_log_cil.c:109) that starts with no scope, and at mount.
    s = site(scans["fs/xfs"], "fs/xfs/xfs_log_cil.c", 104)
    assert s["class"] != "redundant"
    assert ("fs/xfs/xfs_log_cil.c", 109) in evidence_at(s)


def test_xfs_buftarg_at_mount_is_not_redundant(scans: dict[str, dict[str, object]]) -> None:
    # xfs_alloc_buftarg() runs at mount: xfs_fs_fill_super -> xfs_open_devices.
    s = site(scans["fs/xfs"], "fs/xfs/xfs_buf.c", 2001)
    assert s["class"] != "redundant"
    assert ("fs/xfs/xfs_super.c", 458) in evidence_at(s)


def test_xfs_keeps(scans: dict[str, dict[str, object]]) -> None:
    # GFP_KERNEL | GFP_NOFS in xfs_inode_item_precommit_check is GFP_KERNEL.
    assert site(scans["fs/xfs"], "fs/xfs/xfs_inode_item.c", 48)["class"] == "noop-mask"
    # INIT_RADIX_TREE stores the mask for radix_tree_insert() later.
    s = site(scans["fs/xfs"], "fs/xfs/xfs_qm.c", 647)
    assert (s["class"], s["kind"]) == ("keep", "stored")
    # xfs_setup_inode() clears __GFP_FS on every data mapping, whose page
    # cache the generic read/write paths allocate: no choke point.
    s = site(scans["fs/xfs"], "fs/xfs/xfs_iops.c", 1293)
    assert (s["class"], s["kind"]) == ("keep", "mapping-mask")
    assert "cannot be localised" in s["reason"]  # type: ignore[operator]
    # kmem_flags_convert() tests KM_NOFS, it does not allocate with it.
    s = site(scans["fs/xfs"], "fs/xfs/kmem.h", 37)
    assert (s["class"], s["kind"]) == ("keep", "signal")


def test_ext4_gfp_given_to_jbd2_is_a_signal(scans: dict[str, dict[str, object]]) -> None:
    # __ext4_journal_start_sb() passes GFP_NOFS to jbd2__journal_start(),
    # whose start_this_handle() adds __GFP_NOFAIL when __GFP_FS is clear.
    s = site(scans["fs/ext4"], "fs/ext4/ext4_jbd2.c", 106)
    assert s["class"] == "keep"
    assert "jbd2__journal_start" in s["reason"]  # type: ignore[operator]


def test_ext4_handle_is_no_proof(scans: dict[str, dict[str, object]]) -> None:
    # ext4_xattr_block_set() runs under ext4 handles, but without a journal
    # ext4 hands out a fake handle and no scope: at best "sometimes".
    s = site(scans["fs/ext4"], "fs/ext4/xattr.c", 1927)
    assert (s["class"], s["context"]) == ("keep", "sometimes")
    # the offsetof() with a subscript in its argument still parses
    s = site(scans["fs/ext4"], "fs/ext4/xattr.c", 2830)
    assert (s["kind"], s["function"]) == ("alloc-arg", "ext4_expand_inode_array")


def test_xfs_dqattach_needs_a_scope_around_the_ilock(scans: dict[str, dict[str, object]]) -> None:
    # xfs_qm_dqattach() takes the ILOCK before any transaction (callers such
    # as xfs_setattr_nonsize run it ahead of xfs_trans_alloc) and reads dquot
    # buffers under it: xfs_qm_dqattach_locked -> ... -> xfs_buf_get_maps()
    # allocates with KM_NOFS. Reclaim takes the ILOCK too (the superblock
    # shrinker's ->free_cached_objects -> xfs_reclaim_inodes_nr -> ... ->
    # xfs_reclaim_inode). The scope belongs right after xfs_ilock() (line 369)
    # and ends at xfs_iunlock() (line 371).
    s = site(scans["fs/xfs"], "fs/xfs/xfs_buf.c", 193)
    assert (s["class"], s["context"]) == ("needs-scope", "sometimes")
    assert s["boundary"] == {
        "path": "fs/xfs/xfs_qm.c",
        "function": "xfs_qm_dqattach",
        "line": 369,
        "lock": "xfs_inode.i_lock",
        "exits": [371],
    }
    # kmem_zalloc(.., KM_NOFS) never fails: kzalloc with __GFP_NOFAIL
    assert s["suggestion"] == "kzalloc(.., GFP_KERNEL | __GFP_NOFAIL)"


def test_ext4_lazyinit_needs_a_scope_around_alloc_sem(scans: dict[str, dict[str, object]]) -> None:
    # ext4_init_inode_table() starts an ext4 handle (no scope without a
    # journal), takes grp->alloc_sem at line 1564 and zeroes the inode table
    # with sb_issue_zeroout(.., GFP_NOFS) under it; up_write() is at 1640.
    # Reclaim takes alloc_sem too: ext4_evict_inode -> ext4_truncate -> ...
    s = site(scans["fs/ext4"], "fs/ext4/ialloc.c", 1622)
    assert s["class"] == "needs-scope"
    assert s["boundary"] == {
        "path": "fs/ext4/ialloc.c",
        "function": "ext4_init_inode_table",
        "line": 1564,
        "lock": "ext4_group_info.alloc_sem",
        "exits": [1640],
    }
    assert ("fs/ext4/super.c", 1611) in evidence_at(s)  # .evict_inode = ext4_evict_inode


def test_jfs_direct_inode_mask_has_a_choke_point(linux61: Path, tmp_path: Path) -> None:
    # jfs_fill_super() sets GFP_NOFS on the mapping of sbi->direct_inode, the
    # private metadata inode; its page cache is allocated only in
    # __get_metapage() (grab_cache_page/read_mapping_page on
    # JFS_SBI(..)->direct_inode->i_mapping): a scope there can replace the mask.
    dest = tmp_path / "jfs.json"
    assert main(["scan", "--tree", str(linux61), "fs/jfs", "--json", "-o", str(dest)]) == 0
    doc = json.loads(dest.read_text())
    s = site(doc, "fs/jfs/super.c", 553)
    assert s["class"] == "needs-scope"
    assert s["choke"] == {
        "path": "fs/jfs/jfs_metapage.c",
        "function": "__get_metapage",
        "mapping": "inode->i_mapping",
        "calls": [613, 620],
        "scoped": False,
    }
    # diReadSpecial() masks the special inodes' own mappings, which nofsbot
    # does not tie to __get_metapage(): it stays, with the reason
    s = site(doc, "fs/jfs/jfs_imap.c", 470)
    assert s["class"] == "keep" and s["choke"] is None


def test_quota_is_reached_from_unknown_callers(scans: dict[str, dict[str, object]]) -> None:
    # dquot_alloc() is exported and stored in quota ops; qtree_* helpers are
    # reached from exported qtree_write_dquot() etc.: callers in other
    # filesystems may or may not hold a handle.
    doc = scans["fs/quota"]
    assert {s["context"] for s in doc["sites"]} == {"unknown"}  # type: ignore[attr-defined]
    s = site(doc, "fs/quota/dquot.c", 928)
    assert s["function"] == "dquot_alloc"
