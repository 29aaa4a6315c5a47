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
    # is still held when xlog_write_iclog() returns (released at I/O completion).
    # With the VFS entry points known, the xfs keeps split:
    # - mixed, no longer needs-scope: xfs_attr_shortform_list()
    #   (xfs_attr_list.c:113), under the ILOCK xfs_attr_list() takes
    #   (xfs_attr_list.c:535) on the inode listxattr holds a reference to,
    #   and in scrub's transaction. Reclaim takes the ILOCK only on inodes it
    #   frees: ->destroy_inode's in xfs_can_free_eofblocks()
    #   (xfs_bmap_util.c:700), and xfs_reclaim_inode()'s (xfs_icache.c:927,
    #   982), whose inodes xfs_reclaim_igrab() took only XFS_IRECLAIMABLE (no
    #   VFS reference left). The da-state, dabuf, iext and cursor allocations
    #   under xfs_dir_lookup(), xfs_dir_open() and the others keep NOFS: a
    #   buffer lock or a dquot lock a call before them may return holding;
    # - unneeded: xfs_scrub_metadata (scrub.c:468, the scrub ioctl, before any
    #   lock) and xfs_alloc_buftarg (xfs_buf.c:2001, mount) run with no scope,
    #   no lock reclaim takes, and off every reclaim path; xfs_trim_extents
    #   (xfs_discard.c:117) keeps: it allocates with the AGF buffer that
    #   xfs_alloc_read_agf() (xfs_discard.c:48) returned locked;
    #   xfs_attri_item_recover (xfs_attr_item.c:582) is unneeded: log
    #   recovery at mount holds no lock reclaim takes after
    #   xlog_recover_iget() (577). Its xfs_qm_dqattach_one() returns
    #   xfs_qm_dqget_inode()'s error right away (xfs_qm.c:277-279), and
    #   xfs_qm_dqget_inode() returns its dquot locked only where it returns
    #   0 (xfs_dquot.c:962, 1013: the lock comes from
    #   xfs_qm_dqget_cache_lookup(), non-NULL, or
    #   xfs_qm_dqget_cache_insert(), 0); on success dqattach_one unlocks it
    #   (289). 6.12 runs recovery in a scope it opens for the whole phase
    #   (xfs_log_recover.c:3532), for no lock: the superblock shrinker only
    #   trylocks s_umount (fs/super.c:79), which the mount holds;
    # - unneeded too: xfs_initialize_perag (xfs_ag.c:318, the growfs ioctl,
    #   under m_growlock, which reclaim does not take), since
    #   xfs_trans_commit() is seen to unlock the dquots __xfs_trans_commit()
    #   locks: xfs_trans_dqlockedjoin() (xfs_trans_dquot.c:282-287) locks
    #   them and hands them to the transaction with xfs_trans_dqjoin(), and
    #   xlog_cil_commit() (xfs_trans.c:1003, ->iop_committing) or
    #   xfs_trans_free_items() (1039) unlocks them; and
    #   xfs_trans_unreserve_and_mod_dquots() unlocks under `if (locked)`
    #   (xfs_trans_dquot.c:526) what it locked before `locked = true`;
    # - no mixed: xfs_dir_lookup() (xfs_dir2.c:374) keeps NOFS. From ->lookup
    #   and ->get_parent (xfs_lookup, xfs_inode.c:665) it runs with no scope
    #   and only the parent's i_rwsem held, and scrub calls it in its
    #   transaction, but xchk_dir_actor() also calls it from dir_emit(),
    #   under the ILOCK xfs_readdir() holds across xfs_dir2_sf_getdents()
    #   (xfs_dir2_readdir.c:525): the ctx->actor call resolves to every
    #   dir_context actor, and which one a readdir gets is not followed;
    # - redundant: the seven of before, and xchk_btree (scrub/btree.c:654) and
    #   xchk_da_btree (scrub/dabtree.c:491), now seen to be reached only from
    #   scrubbers that xfs_scrub_metadata() calls through sc->ops->scrub()
    #   (scrub.c:496) after sc->ops->setup() allocated the scrub transaction
    #   (scrub.c:491);
    # - redundant too, since the paths that seemed to run outside a scope are
    #   seen to be inside one: __xfs_rmap_add (xfs_rmap.c:2520),
    #   __xfs_refcount_add (xfs_refcount.c:1438), xfs_idata_realloc
    #   (xfs_inode_fork.c:504), xfs_trans_get_attrd (xfs_attr_item.c:862),
    #   xfs_zero_extent (xfs_bmap_util.c:68) and xfs_mru_cache_insert
    #   (xfs_mru_cache.c:430), all made GFP_KERNEL upstream by 6.12. Their
    #   last unscoped callers were: xfs_fileattr_set(), whose transaction
    #   comes from xfs_ioctl_setattr_get_trans() (xfs_ioctl.c:1371), which
    #   returns it or ERR_PTR() when xfs_trans_alloc_ichange() failed;
    #   xfs_btree_split_worker(), which enters the scope with
    #   xfs_trans_set_context() (xfs_btree.c:2899) from fs/xfs/xfs_trans.h,
    #   found through fs/xfs/Makefile's -I $(src); and the repair code,
    #   whose xrep_attempt() scrub.c:537 calls although repair.h has a stub.
    # - needs-scope too: xlog_cil_ctx_alloc() (xfs_log_cil.c:104), in the CIL
    #   push work that reclaim waits for (test_cil_push_work_needs_its_own_scope),
    #   and xlog_ticket_alloc() (xfs_log.c:3519), which that work calls
    #   through xlog_cil_ticket_alloc() (xfs_log_cil.c:40, 1195); its
    #   unmount-record caller xfs_log_clean() no longer seems to hold a
    #   dquot lock from xfs_log_mount_finish() (the same dqattach error path).
    # - needs-scope too: the three dquot trees' stored GFP_NOFS
    #   (xfs_qm.c:647-649), used by radix_tree_insert() in
    #   xfs_qm_dqget_cache_insert() under qi_tree_lock, which the dquot
    #   shrinker takes; the tree comes from xfs_dquot_tree() through
    #   xfs_qm_dqget()'s and xfs_qm_dqget_inode()'s argument.
    # - redundant: xfs_defer_add() (xfs_defer.c:653) and xfs_iroot_realloc()
    #   (xfs_inode_fork.c:385, 400, 426), GFP_KERNEL by 6.12. Outside a
    #   transaction only the in-memory COW conversion reached them
    #   (xfs_reflink_convert_cow_locked() passes &dummy_cur, NULL, and
    #   xfs_bmap_add_extent_unwritten_real() tests cur = *curp before any
    #   btree call).
    # - mixed: xfs_attri_init() (xfs_attr_item.c:231), in transactions, and
    #   outside them only in log recovery at mount; the log worker that
    #   xfs_log_quiesce() cancels calls it inside its transaction.
    # - unneeded, no longer mixed: xfs_attr_shortform_list()
    #   (xfs_attr_list.c:113), whose one scoped caller, xchk_xattr(), hands
    #   it a memset context with bufsize 0, for which it returns before the
    #   allocation (test_a_zeroed_scrub_context_never_reaches_the_sort_buffer);
    #   GFP_KERNEL by 6.12.
    assert counts["fs/xfs"] == {
        "redundant": 19,
        "needs-scope": 5,
        "noop-mask": 1,
        "unneeded": 5,
        "mixed": 1,
        "keep": 27,
    }
    assert counts["fs/quota"] == {"keep": 16}


def test_ext4_class_counts(scans: dict[str, dict[str, object]]) -> None:
    counts = Counter(s["class"] for s in scans["fs/ext4"]["sites"])  # type: ignore[attr-defined]
    # needs-scope: ext4_init_inode_table() (ialloc.c:1622) under alloc_sem;
    # unneeded: ext4_read_inline_link() (inline.c:1656), only reached from
    # ->get_link ext4_get_link() (symlink.c:87) with no lock of the
    # filesystem held, after ext4_get_inode_loc() returned its buffer_head
    # unlocked (inline.c:1650); no scope is proposed on i_rwsem.
    assert counts == {"needs-scope": 1, "unneeded": 1, "keep": 64}


def test_xfs_dir_createname_is_redundant(scans: dict[str, dict[str, object]]) -> None:
    # xfs_dir_createname() has five callers: xfs_create, xfs_link, xfs_rename,
    # xfs_symlink and xfs_dir_canenter (itself called from xfs_link and
    # xfs_rename); each runs after xfs_trans_alloc*() and before the commit.
    s = site(scans["fs/xfs"], "fs/xfs/libxfs/xfs_dir2.c", 275)
    assert (s["class"], s["context"], s["kind"]) == ("redundant", "always", "kmem-arg")
    ev = evidence_at(s)
    # xfs_trans_alloc_icreate() in xfs_create: the first call (1011), not
    # the retry after -ENOSPC (1016)
    assert ("fs/xfs/xfs_inode.c", 1011) in ev and ("fs/xfs/xfs_inode.c", 1016) not in ev
    assert ("fs/xfs/xfs_symlink.c", 319) in ev  # the call in xfs_symlink
    assert ("fs/xfs/xfs_symlink.c", 215) in ev  # ... inside its xfs_trans_alloc_icreate()


def test_xfs_dir_init_is_redundant(scans: dict[str, dict[str, object]]) -> None:
    # Only caller: xfs_create(), inside the transaction from
    # xfs_trans_alloc_icreate() at xfs_inode.c:1011 (retried at 1016).
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
    # INIT_RADIX_TREE stores the mask for radix_tree_insert() later, which
    # xfs_qm_dqget_cache_insert() calls under qi_tree_lock with the tree
    # xfs_dquot_tree() picked; the dquot shrinker takes that lock
    # (xfs_qm_dqfree_one(), xfs_qm.c:1639): a scope there, as 6.12 has.
    s = site(scans["fs/xfs"], "fs/xfs/xfs_qm.c", 647)
    assert (s["class"], s["kind"]) == ("needs-scope", "stored")
    assert s["boundary"]["path"] == "fs/xfs/xfs_dquot.c"  # type: ignore[index]
    assert (s["boundary"]["line"], s["boundary"]["exits"]) == (798, [802, 812])  # type: ignore[index]
    assert {("fs/xfs/xfs_dquot.c", 799), ("fs/xfs/xfs_qm.c", 1639)} <= evidence_at(s)
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
    # Some of its callers cannot be seen (ext4_set_context(), stored in
    # fscrypt_operations.set_context): its context is unknown.
    s = site(scans["fs/ext4"], "fs/ext4/xattr.c", 1927)
    assert (s["class"], s["context"]) == ("keep", "unknown")
    # the offsetof() with a subscript in its argument still parses
    s = site(scans["fs/ext4"], "fs/ext4/xattr.c", 2830)
    assert (s["kind"], s["function"]) == ("alloc-arg", "ext4_expand_inode_array")


def test_xfs_buf_get_maps_is_kept_for_a_buffer_lock(
    scans: dict[str, dict[str, object]],
) -> None:
    # xfs_buf_get_maps() allocates only for discontiguous buffers
    # (map_count > 1; `if (map_count == 1) return 0;`, xfs_buf.c:187), as
    # multi-block directory blocks are. xfs_dir_open() (->open) takes the
    # ILOCK with xfs_ilock_data_map_shared() at xfs_file.c:1233 and reads
    # ahead block 0 under it (1235): xfs_dir3_data_readahead ->
    # xfs_da_reada_buf -> xfs_buf_readahead_map -> xfs_buf_read_map ->
    # xfs_buf_get_map -> xfs_buf_find_insert -> _xfs_buf_alloc ->
    # xfs_buf_get_maps; reclaim takes the ILOCK only on inodes it frees
    # (xfs_can_free_eofblocks, xfs_bmap_util.c:700, from ->destroy_inode;
    # xfs_reclaim_inode), never on that directory, so the ILOCK alone does
    # not keep NOFS. The dquot paths that hold q_qlock or qi_tree_lock
    # (xfs_qm_dqflush(), xfs_qm_dqpurge()) read through xfs_trans_read_buf(),
    # a single map (DEFINE_SINGLE_BUF_MAP, xfs_trans.h), so they never get
    # to the allocation and bring no lock to it. What keeps it is a buffer
    # lock a call before may return holding (xfs_buf.b_sema), which the
    # dquot shrinker takes (xfs_buf_delwri_submit()). Its context is
    # sometimes, not unknown: the caller nofsbot cannot see, scrub's
    # xrep_findroot_rmap(), also reads one block through
    # xfs_trans_read_buf().
    s = site(scans["fs/xfs"], "fs/xfs/xfs_buf.c", 193)
    assert (s["class"], s["context"]) == ("keep", "sometimes")
    assert s["boundary"] is None and s["suggestion"] is None
    assert s["reclaim_shared"] == []
    assert "xfs_buf.b_sema" in s["reason"]  # type: ignore[operator]
    assert "xfs_inode.i_lock" in s["locks_held"]  # type: ignore[operator]
    notes = [e["note"] for e in s["evidence"]]  # type: ignore[union-attr]
    assert not any("xfs_qm_dqpurge()" in n for n in notes)
    # both sides of the ILOCK: taken here on an inode the task holds, by
    # reclaim only on the inode it frees
    assert ("fs/xfs/xfs_bmap_util.c", 700) in evidence_at(s)


@pytest.mark.xfail(
    strict=True,
    reason="the evidence that reclaim takes alloc_sem (ialloc.c:1204) is now the "
    "path ext4_xattr_inode_get -> ext4_xattr_inode_read -> ext4_bread_batch -> "
    "ext4_getblk(.., 0 /* map_flags */) (inode.c:969) -> ext4_map_blocks -> "
    "ext4_ind_map_blocks -> ext4_splice_branch -> __ext4_mark_inode_dirty -> ... "
    "-> __ext4_new_inode, but ext4_ind_map_blocks returns before allocating "
    "without EXT4_GET_BLOCKS_CREATE (indirect.c:575): a path that cannot run; "
    "the real one from ->evict_inode (super.c:1611) is no longer shown",
)
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


def test_cil_push_work_needs_its_own_scope(scans: dict[str, dict[str, object]]) -> None:
    # The dquot shrinker's isolate callback flushes a pinned dquot's buffer
    # through the log (xfs_qm.c:464 -> xfs_qm_dqflush() -> xfs_log_force(),
    # xfs_dquot.c:1293), and a synchronous CIL force flushes the push
    # workqueue (xlog_cil_push_now(), xfs_log_cil.c:1521): reclaim waits for
    # xlog_cil_push_work(). Its ctx allocation (xfs_log_cil.c:104) entering
    # FS reclaim could wait for the push work itself, so the work gets a
    # scope from its top: what 6.12 does with memalloc_nofs_save() there.
    s = site(scans["fs/xfs"], "fs/xfs/xfs_log_cil.c", 104)
    assert s["class"] == "needs-scope"
    b = s["boundary"]
    assert (b["function"], b["top"]) == ("xlog_cil_push_work", True)  # type: ignore[index]
    assert {
        ("fs/xfs/xfs_log_cil.c", 1521),
        ("fs/xfs/xfs_dquot.c", 1293),
        ("fs/xfs/xfs_qm.c", 464),
    } <= evidence_at(s)
    steps = {(e["line"], e["function"]): e["note"] for e in s["evidence"]}  # type: ignore[attr-defined]
    # xfs_qm.c:520 is xfs_qm_shrink_scan()'s list_lru_shrink_walk() call,
    # which hands over the isolate callback
    assert steps[(520, "xfs_qm_shrink_scan")].startswith(
        "hands xfs_qm_dquot_isolate() to list_lru_shrink_walk() as its list_lru isolate callback"
    )
    # xlog_cil_init() allocates the first context at mount, outside the
    # work (xfs_log_cil.c:1869): the scope does not cover it
    assert steps[(1869, "xlog_cil_init")].startswith(
        "calls xlog_cil_ctx_alloc() outside xlog_cil_push_work(): the scope"
    )


def test_no_evidence_ends_in_a_tracepoint_header(scans: dict[str, dict[str, object]]) -> None:
    # include/trace/events/ext4.h defines events named like ext4 functions
    # (TRACE_EVENT(ext4_ext_remove_space, ..) defines
    # trace_ext4_ext_remove_space()): no outside caller, so no step of any
    # chain ends there
    steps = [e for s in scans["fs/ext4"]["sites"] for e in s["evidence"]]  # type: ignore[attr-defined]
    assert steps
    assert not [e for e in steps if e["path"].startswith("include/trace/")]
    remove = site(scans["fs/ext4"], "fs/ext4/extents.c", 554)
    assert not any("mentioned outside" in e["note"] for e in remove["evidence"])  # type: ignore[attr-defined]
