"""Decisions on the real 6.1 tree that depend on who runs the code and on
which branch: kernel threads and kswapd, a helper's failure, a field the
caller tested, an early goto, memalloc_retry_wait()'s mask, and what lock
helpers drop, re-take or return holding, and a thread that sleeps holding
a lock until this task wakes it. Each was checked against the 6.1
source; the comment says why it is right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nofsbot.cli import main
from tests.integration.test_scan_linux61 import site

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module")
def scan(linux61: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    dest = tmp_path_factory.mktemp("scan") / "scan.json"
    paths = ["afs", "dlm", "f2fs", "gfs2", "nilfs2", "ocfs2", "ubifs", "jfs", "udf", "xfs"]
    paths = [f"fs/{p}" for p in paths]
    assert main(["scan", "--tree", str(linux61), *paths, "--json", "-o", str(dest)]) == 0
    return json.loads(dest.read_text())  # type: ignore[no-any-return]


def notes(s: dict[str, object]) -> list[str]:
    return [f"{e['function']}: {e['note']}" for e in s["evidence"]]  # type: ignore[attr-defined,index]


def test_wake_only_through_a_call_by_type_is_not_shown(scan: dict[str, object]) -> None:
    # The dentry shrinker (direct reclaim, not only kswapd) runs afs_d_iput()
    # -> afs_silly_iput() -> afs_do_silly_unlink() -> afs_wait_for_operation()
    # -> afs_select_fileserver() -> afs_wait_for_fs_probes(), which sleeps on
    # probe_wq (fs_probe.c:265). afs_manage_servers() (work, main.c:99)
    # reaches a wake of probe_wq only through afs_make_call()'s
    # `call->type->done(call)` (rxrpc.c:454), which the struct type resolves
    # to every afs_call_type.done, afs_fileserver_probe_result() among them;
    # the call it makes there, afs_RXFSGiveUpAllCallBacks (fsclient.c:1598),
    # has no ->done. Which type runs is not followed, so neither a scope nor
    # GFP_KERNEL is shown: keep, naming the call.
    s = site(scan, "fs/afs/fsclient.c", 1629)
    assert s["class"] == "keep"
    assert "call->type->done() in afs_make_call()" in s["reason"]  # type: ignore[operator]
    assert any("afs_d_iput: dentry shrinker" in n for n in notes(s))


def test_retry_wait_mask_is_kept_with_its_allocation(scan: dict[str, object]) -> None:
    # memalloc_retry_wait() reads only __GFP_DIRECT_RECLAIM and __GFP_NORETRY
    # of its mask (include/linux/sched/mm.h): do_recover_data()'s GFP_NOFS
    # names the f2fs_get_dnode_of_data() that failed (recovery.c:643-647).
    s = site(scan, "fs/f2fs/recovery.c", 647)
    assert (s["class"], s["kind"]) == ("keep", "retry")
    assert "memalloc_retry_wait()" in s["reason"]  # type: ignore[operator]


def test_a_dquot_locked_only_on_success_is_not_held_after_a_failure(
    scan: dict[str, object],
) -> None:
    # xfs_qm_dqget_inode() returns its dquot locked only where it returns 0
    # (xfs_dquot.c:962, 1013); xfs_qm_dqattach_one() returns its error at
    # once (xfs_qm.c:277-279) and unlocks on success (289). After
    # xlog_recover_iget() (xfs_attr_item.c:577) log recovery holds no lock
    # reclaim takes.
    s = site(scan, "fs/xfs/xfs_attr_item.c", 582)
    assert s["class"] == "unneeded"
    assert "xfs_dquot.q_qlock" not in str(s["reason"])


def test_a_tested_link_count_is_carried_into_the_journal(scan: dict[str, object]) -> None:
    # ubifs_write_inode() calls ubifs_jnl_write_inode() only
    # `if (inode->i_nlink)` (super.c:325), and ubifs_evict_inode() calls
    # ubifs_jnl_delete_inode() only where it is 0 (super.c:376): the
    # condition is carried into both reclaim paths to lp_mutex, which
    # reserve journal space: make_reservation() -> reserve_space() ->
    # ubifs_find_free_space() -> ubifs_get_lprops() (journal.c:874, 317,
    # 126; find.c:488). The path shown for gc.c:919 starts in
    # ubifs_bg_thread() (kthread_run() at super.c:1383), which kswapd never
    # throttles, so the reclaim path shown is eviction's, not kswapd's
    # ubifs_writepage(). On it, ubifs_jnl_delete_inode() takes commit_sem
    # for read (journal.c:1016) before any lp_mutex, and do_commit() runs
    # with commit_sem held for write by both its callers (run_bg_commit(),
    # commit.c:244; ubifs_run_commit()): reclaim stops at commit_sem, whose
    # section no one function holds, so gc.c:919 keeps NOFS.
    s = site(scan, "fs/ubifs/gc.c", 919)
    assert s["class"] == "keep"
    assert "a scope after run_bg_commit() takes ubifs_info.commit_sem" in str(s["reason"])
    chain = notes(s)
    assert not any("ubifs_add_dirt" in n for n in chain)
    assert "ubifs_jnl_delete_inode: reclaim takes ubifs_info.commit_sem here" in chain
    assert "ubifs_bg_thread: calls run_bg_commit() outside any scope" in chain
    assert (
        "ubifs_bg_thread: started by kthread_run(): a kernel thread of its own, "
        "running with no scope" in chain
    )
    assert any(
        n.startswith("ubifs_evict_inode: calls ubifs_jnl_delete_inode() (only where i_nlink is 0: ")
        for n in chain
    )
    # a site the system calls reach shows kswapd's write-back, with the
    # link count it needs
    w = site(scan, "fs/ubifs/tnc.c", 2749)
    assert (
        "ubifs_write_inode: calls ubifs_jnl_write_inode() (only where i_nlink is not 0)" in notes(w)
    )


def test_a_goto_past_the_allocation_rules_out_readahead(scan: dict[str, object]) -> None:
    # jfs_get_block() jumps to `unlock` when it may not allocate
    # (`if (!create) goto unlock;`, inode.c:246-247, before extAlloc() at
    # 254): jfs_readahead() (create 0) never reaches dbFree()'s discard.
    s = site(scan, "fs/jfs/jfs_discard.c", 37)
    assert not any(n.startswith("jfs_readahead:") for n in notes(s))


def test_a_helper_that_drops_the_callers_lock_leaves_nothing_held(
    scan: dict[str, object],
) -> None:
    # udf_expand_file_adinicb() "requires i_data_sem for writing and releases
    # it" (inode.c:253): up_write() at 279 before find_or_create_page() at
    # 281, then a take of its own (295/307). udf_setsize() returns at once on
    # its failure (1138-1140), holding nothing, so udf_setsize() returns
    # holding no i_data_sem, and neither do the functions that reach it from
    # udf_load_pvoldesc()'s block reads at mount (super.c:872).
    s = site(scan, "fs/udf/inode.c", 281)
    assert s["class"] == "unneeded"
    assert s["locks_held"] == ["inode.i_rwsem"]
    s = site(scan, "fs/udf/super.c", 872)
    assert s["class"] == "unneeded"


def test_a_lock_a_helper_returns_holding_is_held_even_untyped(scan: dict[str, object]) -> None:
    # do_rename() allocates its whiteout device before lock_4_inodes()
    # (dir.c:1367, 1413): nothing reclaim takes is held there, now that
    # make_reservation()'s commit_sem is known to be dropped again by
    # finish_reservation(). ubifs_jnl_rename() allocates after it
    # (journal.c:1272; it asserts the ui_mutex at 1239-1240): lock_4_inodes() returns
    # holding `ubifs_inode(inode1)->ui_mutex`, a lock whose type nofsbot
    # does not resolve, matched by field with the ui_mutex reclaim takes.
    s = site(scan, "fs/ubifs/dir.c", 1367)
    assert s["class"] == "unneeded"
    s = site(scan, "fs/ubifs/journal.c", 1272)
    assert s["class"] == "keep"
    assert "?.ui_mutex/WB_MUTEX_1" in s["locks_held"]  # type: ignore[operator]


def test_allocation_under_writeback_of_a_locked_page_keeps(scan: dict[str, object]) -> None:
    # do_writepage() sets the page under writeback (file.c:915) and ends it
    # at file.c:951; ubifs_jnl_write_data() allocates in between
    # (journal.c:743). Reclaim would wait on that writeback
    # (shrink_folio_list() with __GFP_FS), but trylocks the folio first, and
    # ->writepage holds this page locked until file.c:950: which folio is
    # locked is not followed, so nofsbot shows neither a scope nor
    # GFP_KERNEL.
    s = site(scan, "fs/ubifs/journal.c", 743)
    assert s["class"] == "keep"
    assert "under writeback" in s["reason"] and "unless it finds them locked" in s["reason"]  # type: ignore[operator]


def test_allocation_before_waking_a_thread_that_holds_a_reclaim_lock_keeps(
    scan: dict[str, object],
) -> None:
    # dlm_recoverd() takes ls_in_recovery for write (recoverd.c:312, and at
    # :336 for each stop) and sleeps in schedule() (:331) until
    # dlm_ls_start() wakes it (member.c:722, wake_up_process()); it releases
    # the lock only when the recovery that start asked for is done. Reclaim
    # takes ls_in_recovery through gfs2's and ocfs2's dlm_lock()/dlm_unlock()
    # (lock.c:207). dlm_ls_start() allocates at member.c:688 and calls
    # dlm_config_nodes() (config.c:900) before that wake: FS reclaim there
    # could wait for the thread, which waits for this task. After the wake
    # nothing waits for it.
    for path, line in (("fs/dlm/member.c", 688), ("fs/dlm/config.c", 900)):
        s = site(scan, path, line)
        assert s["class"] == "keep"
        assert "before this task wakes dlm_recoverd()" in s["reason"]  # type: ignore[operator]


def test_reclaim_stopped_by_an_outer_lock_is_claimed_on_that_lock(
    scan: dict[str, object],
) -> None:
    # recover_idr_add() (recover.c:312) runs under an rsb's res_mutex
    # (lock_rsb(), recover.c:541) and, from dlm_recoverd(), under
    # ls_in_recovery held for write (recoverd.c:336). gfs2's reclaim path to
    # res_mutex goes through dlm_lock(), which first takes ls_in_recovery
    # for read (lock.c:3442 -> dlm_lock_recovery(), lock.c:207): reclaim
    # stops there, never at res_mutex. The claim is ls_in_recovery's, whose
    # section dlm_recoverd() ends twice (recoverd.c:346): no scope fits.
    s = site(scan, "fs/dlm/recover.c", 312)
    assert s["class"] == "keep"
    assert str(s["reason"]).startswith("a lock reclaim takes may be held (dlm_ls.ls_in_recovery)")
    assert "dlm_lock_recovery: reclaim takes dlm_ls.ls_in_recovery here" in notes(s)


def test_a_debugfs_operation_whose_file_reclaim_removes_needs_a_scope(
    scan: dict[str, object],
) -> None:
    # debugfs_remove() waits for the operations running on the file
    # (fs/debugfs/inode.c __debugfs_file_removed()). gfs2's eviction can
    # withdraw on an inconsistency (gfs2_consist_inode_i() ->
    # gfs2_withdraw() -> gdlm_unmount()), and dlm_release_lockspace()
    # removes the lockspace's files (debug_fs.c:791-793, the dentries kept
    # in ls_debug_rsb_dentry and ls_debug_locks_dentry at :892/:903).
    # table_write2() (debug_fs.c:638), the locks file's ->write, calls
    # dlm_debug_add_lkb(), which allocates at lock.c:6338: a scope from the
    # top of table_write2(). table_seq_start() (debug_fs.c:438) runs within
    # a read seq_read() carries out (table_open1() hands format1_seq_ops to
    # seq_open(), :615), which allocates itself: no scope in ->start covers
    # the read, so it keeps NOFS. The rawmsg file's dentry is not kept
    # (dlm_create_debug_comms_file() returns its directory), so which file
    # the removal takes is not shown and dlm_rawmsg_write() (:835) keeps.
    w = site(scan, "fs/dlm/lock.c", 6338)
    assert w["class"] == "needs-scope"
    b = w["boundary"]
    assert (b["function"], b["top"]) == ("table_write2", True)  # type: ignore[index]
    shown = notes(w)
    assert any(n.startswith("dlm_delete_debug_file: reclaim calls debugfs_remove()") for n in shown)
    assert any("gfs2_withdraw()" in n for n in shown)
    s = site(scan, "fs/dlm/debug_fs.c", 438)
    assert s["class"] == "keep"
    assert "runs within an operation seq_open() sets up" in str(s["reason"])
    assert (
        "table_open1: hands format1_seq_ops to seq_open(), which runs it within this operation"
        in notes(s)
    )
    raw = site(scan, "fs/dlm/debug_fs.c", 835)
    assert raw["class"] == "keep"
    assert "is not shown (it does not keep the file)" in str(raw["reason"])


def test_eviction_of_an_unlinked_inode_says_how_reclaim_meets_one(scan: dict[str, object]) -> None:
    # nilfs_evict_inode() starts a transaction, taking ns_segctor_sem
    # (segment.c:223), only where i_nlink is 0 (inode.c:941-947). The
    # dentry shrinker keeps no unhashed or disconnected dentry
    # (retain_dentry(), dcache.c:672-676), and the inode shrinker only
    # inodes with links, but ecryptfs's dentry holds its lower dentry
    # (ecryptfs_lookup_interpose(), dropped in ecryptfs_d_release()): a
    # file unlinked beneath it is evicted when ecryptfs's dentry shrinker
    # drops that. The note says so, so the reader of nilfs_copy_back_pages()'s
    # claim can follow it.
    s = site(scan, "fs/nilfs2/page.c", 345)
    assert s["class"] == "needs-scope"
    evict = next(n for n in notes(s) if n.startswith("nilfs_evict_inode: calls"))
    assert "(only where i_nlink is 0: reclaim meets one where the dentry shrinker" in evict
    assert "such as ecryptfs" in evict


def test_a_take_the_holder_would_join_as_its_transaction_is_another_tasks(
    scan: dict[str, object],
) -> None:
    # nilfs_clean_segments() takes ns_segctor_sem through
    # nilfs_transaction_lock(), which sets current->journal_info to its ti
    # first (segment.c:351, then down_write at :357). Eviction's
    # nilfs_transaction_begin() calls nilfs_prepare_segment_lock(), which
    # finds that ti and only counts a nested transaction (segment.c:144-148):
    # in this task reclaim joins the segment construction, it does not take
    # the semaphore; kswapd's reclaim does, and a user task's allocation may
    # wait for kswapd (throttle_direct_reclaim()). The reason and the step
    # say so. nilfs_ioctl_trim_fs() holds the semaphore with
    # down_read (ioctl.c:1057) and no transaction: its own reclaim takes it,
    # shared too, and blocks behind a writer queued meanwhile
    # (nilfs_relax_pressure_in_lock()'s down_write(), segment.c:326).
    s = site(scan, "fs/nilfs2/page.c", 345)
    assert s["class"] == "needs-scope"
    assert "taken inside the transaction nilfs_transaction_lock() set" in str(s["reason"])
    take = next(n for n in notes(s) if n.startswith("nilfs_transaction_begin: reclaim"))
    assert take.startswith(
        "nilfs_transaction_begin: reclaim in this task does not take "
        "the_nilfs.ns_segctor_sem here but joins the transaction nilfs_transaction_lock() "
        "set in current->journal_info (line 351)"
    )
    assert "other tasks' reclaim takes it here, kswapd's among them" in take
    trim = site(scan, "fs/nilfs2/sufile.c", 1185)
    assert trim["class"] == "needs-scope"
    (take,) = [n for n in notes(trim) if "reclaim takes the_nilfs.ns_segctor_sem" in n]
    assert take.startswith(
        "nilfs_transaction_begin: reclaim takes the_nilfs.ns_segctor_sem here shared, as this "
        "task holds it: it blocks behind a writer that queues meanwhile "
        "(nilfs_relax_pressure_in_lock() takes it exclusively, line 326)"
    )


def test_a_zeroed_scrub_context_never_reaches_the_sort_buffer(scan: dict[str, object]) -> None:
    # xchk_xattr() memsets its xchk_xattr (scrub/attr.c:492), sets five
    # fields of sx.context but not bufsize, and hands &sx.context to
    # xfs_attr_list_ilocked() (attr.c:526). xfs_attr_shortform_list()
    # returns for a bufsize of 0 (xfs_attr_list.c:80-106, and again at 109)
    # before its kmem_alloc(.., KM_NOFS) at 113, after only a tracepoint
    # was given the context. The scrub transaction's scope is then no
    # context of the site: listxattr(2) is, with no scope, holding the
    # ILOCK of an inode it has a reference to. 6.12 made it GFP_KERNEL.
    s = site(scan, "fs/xfs/xfs_attr_list.c", 113)
    assert s["class"] == "unneeded"
    assert "xfs_vn_listxattr: calls xfs_attr_list() outside any scope" in notes(s)


def test_a_function_two_tables_hold_names_both(scan: dict[str, object]) -> None:
    # device_write() is the write of both device_fops (user.c:976, a
    # lockspace's device) and ctl_device_fops (user.c:986, dlm-control),
    # and only the control device creates a lockspace (user.c:613-617):
    # the entry of dlm_device_register()'s chain names both tables
    s = site(scan, "fs/dlm/user.c", 367)
    assert s["class"] == "unneeded"
    assert (
        "device_write: stored in file_operations.write of device_fops here, and of "
        "ctl_device_fops (line 986): the VFS calls file operations" in " ".join(notes(s))
    )


def test_a_misc_device_open_runs_under_misc_mtx(scan: dict[str, object]) -> None:
    # dlm_device_register() stores &device_fops in ls->ls_device.fops
    # (user.c:373), a struct miscdevice it registers (:376): misc_open()
    # calls ->open with misc_mtx held (drivers/char/misc.c:107, 145), so
    # device_open()'s allocation at user.c:660 runs under it. No analysed
    # reclaim path takes misc_mtx (misc_deregister() is outside fs/): the
    # class stays unneeded, and the entry says what is held.
    s = site(scan, "fs/dlm/user.c", 660)
    assert s["class"] == "unneeded"
    assert "misc_mtx" in s["locks_held"]  # type: ignore[operator]
    assert "device_open: stored in file_operations.open: misc_open() (drivers/char/misc.c) " in (
        " ".join(notes(s))
    )


def test_a_step_into_another_subsystem_names_the_function_it_is_in(
    scan: dict[str, object],
) -> None:
    # gfs2's eviction reaches dlm_release_lockspace() (lockspace.c:926 takes
    # ls_lock) from gdlm_unmount(), at lock_dlm.c:1397: the step at that
    # line is gdlm_unmount()'s, as its note says, not the callee's
    s = site(scan, "fs/dlm/lockspace.c", 475)
    step = next(e for e in s["evidence"] if e["path"] == "fs/gfs2/lock_dlm.c")  # type: ignore[attr-defined]
    assert (step["line"], step["function"]) == (1397, "gdlm_unmount")
    assert "reaches gdlm_unmount() through" in step["note"]
    assert step["note"].endswith(
        "which calls dlm_release_lockspace() (gated: stops when __GFP_FS is clear)"
    )


def test_a_mapping_mask_shows_what_its_choke_point_holds(scan: dict[str, object]) -> None:
    # glock.c:1255 sets GFP_NOFS on a glock's address space, whose only
    # page-cache allocation is gfs2_getbuf()'s (meta_io.c:133).
    # sweep_bh_for_rgrps() can return holding the inode's i_rw_mutex
    # (bmap.c:1529, released at :1594 only when it loops), and punch_hole()
    # then reads ahead through gfs2_metapath_ra() -> gfs2_getbuf()
    # (bmap.c:1923, :306); kswapd's jdata writepage takes i_rw_mutex in
    # __gfs2_iomap_get() (bmap.c:862). That chain is what the mask
    # decides; do_flock()'s call of gfs2_glock_get() (file.c:1503) passes
    # flock glops with no address space and never reaches line 1255.
    s = site(scan, "fs/gfs2/glock.c", 1255)
    assert s["class"] == "needs-scope"
    assert "gfs2_inode.i_rw_mutex" in str(s["reason"])
    chain = notes(s)
    assert chain[0].startswith("gfs2_getbuf: the only page-cache allocation on")
    assert "gfs2_metapath_ra: calls gfs2_getbuf() with gfs2_inode.i_rw_mutex held" in chain
    assert "__gfs2_iomap_get: reclaim takes gfs2_inode.i_rw_mutex here" in chain
    assert not any(n.startswith("do_flock:") for n in chain)


def test_a_caller_holding_a_lock_only_with_ruled_out_arguments_is_shown(
    scan: dict[str, object],
) -> None:
    # udf_expand_file_adinicb() allocates at inode.c:281 after dropping
    # i_data_sem. Its callers: udf_file_write_iter() (file.c:155) and
    # udf_setsize() (inode.c:1138, under `newsize > inode->i_size`).
    # udf_setsize() may hold s_alloc_mutex there only when
    # udf_new_inode()'s failed iput() evicts (ialloc.c:99, then
    # udf_evict_inode() -> udf_setsize(inode, 0), inode.c:145), which
    # never passes that test: both call sites are shown.
    s = site(scan, "fs/udf/inode.c", 281)
    assert s["class"] == "unneeded"
    assert (
        "udf_setsize: calls udf_expand_file_adinicb() holding udf_inode_info.i_data_sem, which "
        "udf_expand_file_adinicb() releases before the site; udf_sb_info.s_alloc_mutex may be "
        "held here, only with arguments under which udf_setsize() does not make this call"
        in notes(s)
    )
    write_iter = "udf_file_write_iter: calls udf_expand_file_adinicb()"
    assert any(n.startswith(write_iter) for n in notes(s))


def test_work_reclaim_waits_for_gets_one_scope_over_its_lock(scan: dict[str, object]) -> None:
    # accept_from_sock() allocates at lowcomms.c:981 under sock_mutex
    # (taken at :976), in process_listen_recv_socket(), the work
    # dlm_lowcomms_shutdown() cancels with cancel_work_sync() (:1563) before
    # close_connection() takes sock_mutex (:764). The site at :967 gets the
    # scope from the work's top; so does :981, which that scope covers,
    # rather than a second scope at the lock inside it.
    for line in (967, 981):
        b = site(scan, "fs/dlm/lowcomms.c", line)["boundary"]
        assert (b["function"], b["top"]) == ("process_listen_recv_socket", True)  # type: ignore[index]
    assert str(site(scan, "fs/dlm/lowcomms.c", 981)["reason"]).endswith(
        "; connection.sock_mutex, which reclaim also takes, may be held here too, and that "
        "scope covers its section (accept_from_sock() line 976)"
    )


def test_a_scope_over_a_worker_says_whether_it_is_work_or_a_thread(
    scan: dict[str, object],
) -> None:
    # xlog_cil_push_work() is the work of INIT_WORK(&ctx->push_work, ..)
    # (xfs_log_cil.c:109), which xlog_cil_push_now()'s flush_workqueue() waits
    # for; __ocfs2_recovery_thread() is started by kthread_run()
    # (journal.c:1602). Both run in PF_KTHREAD tasks; only the second is a
    # thread of its own, and the boundary, its text and the reason say so.
    work = site(scan, "fs/xfs/xfs_log_cil.c", 104)
    thread = site(scan, "fs/ocfs2/journal.c", 1458)
    for s, is_thread in ((work, False), (thread, True)):
        b = s["boundary"]
        assert s["class"] == "needs-scope" and b["top"] and b["thread"] is is_thread  # type: ignore[index]
    assert work["boundary"]["lock"].startswith("work reclaim waits for")  # type: ignore[index]
    assert "xlog_cil_push_work(), work whose progress" in str(work["reason"])
    assert thread["boundary"]["lock"].startswith("a kernel thread reclaim waits for")  # type: ignore[index]
    assert "__ocfs2_recovery_thread(), a kernel thread whose progress" in str(thread["reason"])
    # and so does the entry each chain starts at
    assert (
        "xlog_cil_push_work: handed to INIT_WORK(): a worker thread (a kernel thread) runs it"
        in " ".join(notes(work))
    )
    assert "__ocfs2_recovery_thread: started by kthread_run(): a kernel thread of its own" in (
        " ".join(notes(thread))
    )


def test_a_recovery_threads_cited_wake_is_its_last(scan: dict[str, object]) -> None:
    # ocfs2_wait_for_recovery() (journal.c:1210) sleeps until recovery is
    # complete. __ocfs2_recovery_thread() wakes recovery_event at 1470 only
    # when a quota shutdown asked for it (recovery_state is
    # OCFS2_REC_QUOTA_WANT_DISABLE; its waiter is at 214), and at 1576 on
    # every path to its end: the evidence cites 1576
    thread = site(scan, "fs/ocfs2/journal.c", 1458)
    wakes = [e["line"] for e in thread["evidence"] if e["note"].startswith("wakes ")]  # type: ignore[index, union-attr]
    assert wakes == [1576]
