"""The evidence chains point at the lines a reviewer needs to check."""

from __future__ import annotations

from pathlib import Path

from nofsbot.analyse import Analysis, Placed
from nofsbot.model import Evidence
from nofsbot.plan import plan

DATA = Path(__file__).parent.parent / "data" / "scan"
# how the evidence says reclaim meets an unlinked inode
UNLINKED = (
    "reclaim meets one where the dentry shrinker of a filesystem stacked on this one, "
    "such as ecryptfs, drops the last reference to a file unlinked beneath it"
)


def line_of(name: str, text: str, nth: int = 1) -> int:
    seen = 0
    for n, line in enumerate((DATA / name).read_text().splitlines(), 1):
        if text in line:
            seen += 1
            if seen == nth:
                return n
    raise AssertionError(f"{text!r} not in {name}")


def site(a: Analysis, line: int) -> Placed:
    return next(p for p in a.placed if p.site.line == line)


def lines(p: Placed) -> set[int]:
    return {e.line for e in p.evidence}


# how a step where reclaim takes the lock starts, or says that in this task
# it joins a transaction instead
TAKES = ("reclaim takes", "reclaim in this task does not take")


def reclaim_takes(a: Analysis) -> dict[str | None, Evidence]:
    """Per site function, the evidence step where reclaim takes the lock."""
    out = {}
    for f in plan(a.placed):
        (take,) = [e for e in f.evidence if e.note.startswith(TAKES)]
        out[f.site.function] = take
    return out


def test_redundant_through_caller_names_the_call_and_the_transaction(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    a = fixture_tree("scan/transactions.c")
    p = site(a, line_of("transactions.c", "KM_NOFS"))
    assert line_of("transactions.c", "xfs_helper();") in lines(p)
    assert line_of("transactions.c", "xfs_trans_alloc(mp") in lines(p)


def test_a_retried_provider_is_cited_at_its_first_call(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    a = fixture_tree("scan/retried_provider.c")
    p = site(a, line_of("retried_provider.c", "KM_NOFS"))
    first = line_of("retried_provider.c", "xfs_trans_alloc(mp", 1)
    retry = line_of("retried_provider.c", "xfs_trans_alloc(mp", 2)
    assert first in lines(p) and retry not in lines(p)


def test_not_a_provider_is_named(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    a = fixture_tree("scan/transactions.c")
    p = site(a, line_of("transactions.c", "kmalloc", 3))
    assert line_of("transactions.c", "btrfs_start_transaction") in lines(p)


def test_conditional_provider_is_named(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    a = fixture_tree("scan/transactions.c")
    p = site(a, line_of("transactions.c", "kmalloc", 5))
    assert line_of("transactions.c", "ext4_journal_start") in lines(p)


def test_work_function_evidence_points_at_the_queueing(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    a = fixture_tree("scan/work_queued.c")
    p = site(a, line_of("work_queued.c", "kmalloc"))
    assert line_of("work_queued.c", "INIT_WORK") in lines(p)


def test_unknown_caller_points_at_the_ops_table(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    a = fixture_tree("scan/callers.c")
    p = site(a, line_of("callers.c", "kmalloc", 2))
    assert line_of("callers.c", ".run = op_alloc") in lines(p)


def test_vfs_entry_points_at_the_ops_table(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    a = fixture_tree("scan/callers.c")
    p = site(a, line_of("callers.c", "kmalloc", 3))
    assert line_of("callers.c", ".setattr = setattr_alloc") in lines(p)
    assert any("inode_operations.setattr" in e.note for e in p.evidence)


def test_the_boundary_is_the_innermost_lock(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    a = fixture_tree("scan/nested_locks.c")
    p = site(a, line_of("nested_locks.c", "kmalloc"))
    b = p.reclaim.boundary
    assert b is not None
    assert (b.function, b.lock) == ("fill", "cache.inner")
    assert set(p.reclaim.shared) == {"cache.inner", "cache.outer"}


def test_the_lock_shown_is_the_one_reclaim_blocks_on_first(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # reclaim's path to res_mutex takes in_recovery first, which the
    # recovery thread holds on every path to the site: the claim and the
    # boundary are in_recovery's. In the twin an ioctl reaches the site
    # without in_recovery, so the innermost lock, res_mutex, stays
    for name, want in (
        ("held_first.c", ("hf_recoverd", "hf_ls.in_recovery")),
        ("held_first_twin.c", ("hf_recover_master", "hf_rsb.res_mutex")),
    ):
        a = fixture_tree(f"scan/{name}")
        p = site(a, line_of(name, "GFP_NOFS"))
        b = p.reclaim.boundary
        assert b is not None and (b.function, b.lock) == want, name
        f = next(f for f in plan(a.placed) if f.site.line == p.site.line)
        (take,) = [e for e in f.evidence if e.note.startswith("reclaim takes")]
        assert take.note.startswith(f"reclaim takes {want[1]} here"), name


def test_an_operation_reclaim_waits_to_drain_shows_the_removal_and_the_file(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # dr_seq_start() runs within dr_fops's ->read, which seq_read() carries
    # out: no scope in it covers the read, so it keeps NOFS; the evidence
    # names the removal on eviction's path, the file made with dr_fops and
    # kept in dr_ctx.dentry, and dr_open() handing the seq_operations on
    a = fixture_tree("scan/drained.c")
    line = line_of("drained.c", "return kmalloc(8, GFP_NOFS);")
    f = next(f for f in plan(a.placed) if f.site.line == line)
    assert f.boundary is None and "runs within an operation seq_open() sets up" in f.reason
    shown = {(e.line, e.function) for e in f.evidence}
    assert (line_of("drained.c", "debugfs_remove(ctx->dentry);"), "dr_evict_inode") in shown
    assert (line_of("drained.c", "&dr_fops);"), "dr_create") in shown
    assert (line_of("drained.c", "seq_open(file, &dr_seq_ops)"), "dr_open") in shown


def test_a_needs_scope_path_past_a_conditional_provider_names_it(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # the path shown is the no-journal one: ext4_journal_start_sb() is
    # cited with its condition, before the take
    a = fixture_tree("scan/conditional_opener.c")
    f = next(
        f for f in plan(a.placed) if f.site.line == line_of("conditional_opener.c", "GFP_NOFS")
    )
    at = [(e.line, e.note) for e in f.evidence]
    start = line_of("conditional_opener.c", "ext4_journal_start_sb(sb")
    take = line_of("conditional_opener.c", "down_write(&cp_sem);")
    lines = [n for n, _ in at]
    assert start in lines and take in lines and lines.index(start) < lines.index(take)
    assert "conditional: without a journal" in dict(at)[start]


def test_a_call_site_holding_a_lock_reclaim_only_trylocks_says_so(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    a = fixture_tree("scan/tried_lock.c")
    f = next(f for f in plan(a.placed) if f.site.line == line_of("tried_lock.c", "GFP_NOFS"))
    assert f.klass.value == "unneeded"
    assert (
        "calls tl_fill() holding no lock reclaim takes (tl_mutex: reclaim only trylocks it, "
        "and never waits)"
    ) in [e.note for e in f.evidence]


def test_a_needs_scope_site_shows_the_path_of_its_boundary_lock_only(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # commit_worker() holds cache.outer around fill() too, and reclaim
    # takes it; the class and the boundary rest on cache.inner, so only
    # that lock's take and reclaim's path to it are shown
    a = fixture_tree("scan/nested_locks.c")
    line = line_of("nested_locks.c", "kmalloc")
    f = next(f for f in plan(a.placed) if f.site.line == line)
    shown = {e.line for e in f.evidence}
    assert line_of("nested_locks.c", "mutex_lock(&c->inner);", 2) in shown
    assert line_of("nested_locks.c", "mutex_lock(&c->inner);", 1) in shown
    assert line_of("nested_locks.c", "mutex_lock(&c->outer);", 1) not in shown
    assert line_of("nested_locks.c", "mutex_lock(&c->outer);", 2) not in shown


def test_the_restores_end_only_the_section_the_scope_opens_in(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # my_trim() takes the lock at line 42 and again in the loop; the
    # unlock inside the loop ends only the second section
    a = fixture_tree("scan/two_sections.c")
    b = site(a, line_of("two_sections.c", "GFP_NOFS", 2)).reclaim.boundary
    assert b is not None
    first = line_of("two_sections.c", "mutex_lock(&sbi->lock);", 2)
    assert (b.function, b.line) == ("my_trim", first)
    assert b.exits == (line_of("two_sections.c", "mutex_unlock(&sbi->lock);", 2),)


def test_unknown_type_lock_evidence_shows_both_sides(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # the site's caller holds a lock whose struct type is unknown, of a
    # field reclaim also takes: the evidence names where each side takes it
    a = fixture_tree("scan/unknown_field.c")
    line = line_of("unknown_field.c", "GFP_NOFS")
    f = next(f for f in plan(a.placed) if f.site.line == line)
    notes = [e.note for e in f.evidence]
    assert "takes ?.s_lock" in notes
    assert any(n.startswith("reclaim takes ?.s_lock here") for n in notes)


def test_no_unknown_type_lock_chain_beside_a_boundary(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # read_bitmap()'s caller also holds the unknown-type s_lock that
    # my_evict_inode() takes: the scope after bitmap_lock does not rest on it
    a = fixture_tree("scan/unknown_field.c")
    line = line_of("unknown_field.c", "GFP_NOFS", 2)
    f = next(f for f in plan(a.placed) if f.site.line == line)
    assert f.boundary is not None and f.boundary.lock == "my_sb_info.bitmap_lock"
    assert "?.s_lock" in site(a, line).reclaim.unresolved
    assert not any("s_lock" in e.note for e in f.evidence)
    assert any(n.note.startswith("reclaim takes my_sb_info.bitmap_lock") for n in f.evidence)


def test_of_two_ops_tables_the_one_beside_the_function_is_cited(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # my_file_open() is in the directory's file_operations too (a_dir.c,
    # read first); the regular file's table, in its own file, is cited
    a = fixture_tree("scan/two_tables/a_dir.c", "scan/two_tables/b_file.c")
    p = next(p for p in a.placed if p.site.function == "my_file_open")
    cited = {(e.path, e.line) for e in p.evidence if "file_operations.open" in e.note}
    table = (DATA / "two_tables" / "b_file.c").read_text().splitlines()
    line = next(n for n, t in enumerate(table, 1) if ".open" in t)
    assert cited == {("fs/fixture/b_file.c", line)}
    f = next(f for f in plan(a.placed) if f.site.function == "my_file_open")
    assert f.klass.value == "unneeded"
    # and it names the other table, which may decide what the call does
    dir_line = next(
        n
        for n, t in enumerate((DATA / "two_tables" / "a_dir.c").read_text().splitlines(), 1)
        if ".open" in t
    )
    (note,) = {e.note for e in p.evidence if "file_operations.open" in e.note}
    assert note.startswith(
        "stored in file_operations.open of my_file_operations here, and of "
        f"my_dir_operations (fs/fixture/a_dir.c:{dir_line}): "
    )


def test_a_needs_scope_site_shows_one_path_from_the_entry_through_the_lock(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # fill_table() is also called inside scoped_fill()'s scope; the claim
    # runs from locked_fill()'s INIT_WORK() through its take to the site
    a = fixture_tree("scan/owner_context.c")
    line = line_of("owner_context.c", "GFP_NOFS")
    f = next(f for f in plan(a.placed) if f.site.line == line)
    assert f.klass.value == "needs-scope" and f.context.value == "sometimes"
    shown = [(e.line, e.function) for e in f.evidence]
    assert shown[:3] == [
        (line_of("owner_context.c", "INIT_WORK(&t->fill"), "locked_fill"),
        (line_of("owner_context.c", "mutex_lock(&t->tab_mutex);", 2), "locked_fill"),
        (line_of("owner_context.c", "fill_table(t);", 1), "locked_fill"),
    ]
    assert "scoped_fill" not in {fn for _, fn in shown}


def test_reclaim_takes_are_shown_on_an_object_made_alike(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # the held i_rwsem is the GLOBAL_BITMAP system inode's; eviction takes
    # the ORPHAN_DIR one's first, then the GLOBAL_BITMAP one's in flush_log()
    a = fixture_tree("scan/keyed_objects.c")
    line = line_of("keyed_objects.c", "GFP_NOFS")
    f = next(f for f in plan(a.placed) if f.site.line == line)
    (take,) = [e for e in f.evidence if e.note.startswith("reclaim takes")]
    assert (take.function, take.line) == (
        "flush_log",
        line_of("keyed_objects.c", "inode_lock(bitmap);"),
    )


def test_a_path_from_a_work_item_shows_a_reclaim_path_it_can_meet(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # kp_commit()'s path shown starts at a work item, which kswapd never
    # throttles: the take shown is eviction's (kp_remove()), not kswapd's
    # ->writepage; kp_sync(), from a system call, shows kswapd's
    a = fixture_tree("scan/kthread_paths.c")
    shown = {name: take.function for name, take in reclaim_takes(a).items()}
    assert shown == {"kp_commit": "kp_remove", "kp_sync": "kp_writepage"}


def test_an_export_is_cited_at_its_export_line(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    a = fixture_tree("scan/callers.c")
    f = next(f for f in plan(a.placed) if f.site.function == "exported_alloc")
    (ev,) = [e for e in f.evidence if "EXPORT_SYMBOL" in e.note]
    assert ev.line == line_of("callers.c", "EXPORT_SYMBOL(exported_alloc);")
    assert ev.note.startswith("exported with EXPORT_SYMBOL:")
    g = next(f for f in plan(a.placed) if f.site.function == "gpl_exported_alloc")
    (ev,) = [e for e in g.evidence if "EXPORT_SYMBOL" in e.note]
    assert ev.note == "exported with EXPORT_SYMBOL_GPL: callable from other modules"


def test_a_caller_that_cannot_reach_the_site_is_named_apart(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # convert_real() has one caller outside a scope, whose constant rules
    # out rmap_convert()'s call down: the count leaves it out and a step
    # says why, instead of "every call site is inside a scope"
    name = "ruled_out_callers.c"
    a = fixture_tree(f"scan/{name}")
    p = site(a, line_of(name, "kmalloc"))
    notes = {e.line: e.note for e in p.evidence}
    cow = line_of(name, "convert_real(fx, FX_COW_FORK)")
    assert notes[cow] == (
        "calls convert_real() with arguments under which rmap_add() is never called "
        "on the way to the site"
    )
    assert (
        notes[line_of(name, "convert_real(fx, FX_DATA_FORK)")]
        == "calls convert_real() inside a scope"
    )
    # and the count says how many call sites it leaves out
    (count,) = [
        e.note for e in p.evidence if e.function == "convert_real" and "call site" in e.note
    ]
    assert count == (
        "its only call site that reaches the site is inside a scope (and 1 that does not reach it)"
    )


def test_a_lock_taken_through_a_helper_names_the_helper(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # the line is the helper's call, so the step says whose: pool_lock()
    # takes the lock and returns holding it
    name = "held_helpers.c"
    a = fixture_tree(f"scan/{name}")
    at = line_of(name, "expect: needs-scope never")
    f = next(f for f in plan(a.placed) if f.site.line == at)
    notes = {e.line: e.note for e in f.evidence}
    taken = line_of(name, "pool_lock(pl);")
    assert notes[taken] == "takes pool.lock through pool_lock(), which reclaim also takes"


def test_the_reclaim_path_shown_is_a_common_one(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # reclaim takes the lock on eviction of an unlinked inode, under a
    # debugging knob, behind a local that is the && of the unlinked test,
    # and on the write-back of a linked inode: the evidence shows the last
    a = fixture_tree("scan/rare_paths.c")
    line = line_of("rare_paths.c", "kmalloc")
    shown = {e.line for e in next(f for f in plan(a.placed) if f.site.line == line).evidence}
    takes = {line_of("rare_paths.c", "mutex_lock(&c->tree_mutex);", n) for n in (1, 2, 3)}
    assert shown & takes == {line_of("rare_paths.c", "mutex_lock(&c->tree_mutex);", 1)}
    assert line_of("rare_paths.c", "return tree_add(c);") in shown


def test_an_unneeded_site_lists_its_wrappers_call_sites(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    a = fixture_tree("scan/wrapper_callers.c")
    line = line_of("wrapper_callers.c", "kmalloc")
    shown = {e.line for e in next(f for f in plan(a.placed) if f.site.line == line).evidence}
    for call in ('__get_acl(inode, "access")', '__get_acl(inode, "default")'):
        assert line_of("wrapper_callers.c", call) in shown
    for caller in ("return get_acl_pair(inode);", "return get_acl_pair(file_inode(file));"):
        assert line_of("wrapper_callers.c", caller) in shown


def test_a_helper_that_calls_back_names_what_it_calls(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # get_tree_bdev() calls my_fill_super() back: the step says so
    a = fixture_tree("scan/vfs_entries.c")
    line = line_of("vfs_entries.c", "kmalloc", 3)
    notes = [e.note for e in next(f for f in plan(a.placed) if f.site.line == line).evidence]
    assert "calls get_tree_bdev() (which calls my_fill_super() back) outside any scope" in notes


def test_a_mask_with_no_effect_shows_the_callee_not_the_callers(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # where a noop-mask site runs does not matter: its evidence is the
    # callee that never reads the mask, at its definition
    a = fixture_tree("scan/unread_gfp.c")
    noops = [f for f in plan(a.placed) if str(f.klass) == "noop-mask"]
    assert noops
    for f in noops:
        assert all(e.note.endswith("never reads its gfp argument") for e in f.evidence), f
        assert len(f.evidence) == 1


def test_a_section_holding_one_allocation_gets_no_scope(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    a = fixture_tree("scan/single_allocation.c")
    line = line_of("single_allocation.c", "kmalloc")
    f = next(f for f in plan(a.placed) if f.site.line == line)
    assert f.boundary is None
    assert "holds this allocation and no other call" in f.reason
    # it names the lock whose section it is, not every lock maybe held:
    # outer, which cache_scan() takes before big (reclaim stops there first)
    assert f.reason.startswith("a lock reclaim takes may be held (outer): ")


def test_a_call_site_holding_a_lock_the_callee_drops_says_so(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    a = fixture_tree("scan/dropped_by_callee.c")
    line = line_of("dropped_by_callee.c", "kmalloc")
    notes = [e.note for e in next(f for f in plan(a.placed) if f.site.line == line).evidence]
    assert "calls expand() holding big, which expand() releases before the site" in notes
    assert not any("holding no lock reclaim takes" in n for n in notes)


def test_an_unlinked_inode_evicted_by_reclaim_says_how(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # the shrinker evicts only linked inodes of its own filesystem; the
    # note says how reclaim meets an unlinked one all the same
    a = fixture_tree("scan/unlinked_evict.c")
    line = line_of("unlinked_evict.c", "GFP_NOFS")
    f = next(f for f in plan(a.placed) if f.site.line == line)
    assert f.klass.value == "needs-scope"
    note = next(e.note for e in f.evidence if e.function == "ue_evict_inode")
    assert note == f"calls ue_transaction_begin() (only where i_nlink is 0: {UNLINKED})"


def test_a_link_count_compared_with_zero_is_its_truth(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    a = fixture_tree("scan/nlink_compare.c")
    found = {}
    for f in plan(a.placed):
        for e in f.evidence:
            if e.function in ("nc_evict_inode", "nc_evict_other") and e.note.startswith("calls "):
                found[e.function] = e.note
    assert found == {
        "nc_evict_inode": f"calls nc_truncate() (only where i_nlink is 0: {UNLINKED})",
        "nc_evict_other": f"calls nc_orphan() (only where i_nlink is 0: {UNLINKED})",
    }


def test_a_work_scope_names_a_call_from_outside_the_work(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # the scope from wo_push_work()'s top covers the work's call only;
    # wo_mount() calls the site's function too, and the evidence says so
    a = fixture_tree("scan/work_outside.c")
    f = next(f for f in plan(a.placed) if f.site.line == line_of("work_outside.c", "GFP_NOFS"))
    assert f.klass.value == "needs-scope"
    assert f.boundary is not None and f.boundary.function == "wo_push_work"
    outside = [e for e in f.evidence if e.function == "wo_mount"]
    assert [e.line for e in outside] == [line_of("work_outside.c", "log->ctx = wo_ctx_alloc();")]
    assert outside[0].note.startswith(
        "calls wo_ctx_alloc() outside wo_push_work(): the scope from the work's top does not"
    )


def test_a_caller_whose_record_rules_the_site_out_is_no_call_site(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # zr_scrub() and zr_scrub_init() reach zr_list_ilocked() with a bufsize
    # of 0, for which the site never runs: the call sites listed two levels
    # up are zr_listxattr()'s only
    a = fixture_tree("scan/zeroed_record.c")
    f = next(f for f in plan(a.placed) if f.site.line == line_of("zeroed_record.c", "GFP_NOFS"))
    assert f.klass.value == "unneeded"
    callers = {e.function for e in f.evidence if "holding no lock reclaim takes" in e.note}
    assert callers == {"zr_list_ilocked", "zr_listxattr"}


def test_eviction_meeting_folios_says_it_is_an_unlinked_inode(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    a = fixture_tree("scan/evicting_pages.c")
    f = next(f for f in plan(a.placed) if f.site.line == line_of("evicting_pages.c", "GFP_NOFS"))
    assert f.klass.value == "needs-scope"
    note = next(e.note for e in f.evidence if e.function == "ep_evict_inode" and "calls" in e.note)
    assert note.startswith(
        "calls ep_invalidate_folio() (only in an unlinked inode's eviction: the inode "
        "shrinker evicts an inode only once its mapping is empty, and reclaim meets one where"
    )


def test_a_take_this_task_would_join_as_a_transaction_says_whose_it_is(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # jj_clean() holds segctor_sem through jj_lock(), which set
    # current->journal_info first; reclaim's jj_begin() reads it and joins
    # the transaction: the take is another task's. jj_trim() holds the
    # semaphore with no transaction: the take is its own reclaim's
    a = fixture_tree("scan/journal_joined.c")
    takes = reclaim_takes(a)
    joined, own = takes["jj_copy"], takes["jj_discard"]
    assert joined.line == own.line == line_of("journal_joined.c", "down_read(&fs->segctor_sem);")
    set_at = line_of("journal_joined.c", "current->journal_info = ti;", 2)
    assert joined.note == (
        "reclaim in this task does not take jj_fs.segctor_sem here but joins the "
        f"transaction jj_lock() set in current->journal_info (line {set_at}), which "
        "jj_begin() reads first, re-entering the filesystem inside it; other tasks' "
        "reclaim takes it here, kswapd's among them, which this allocation may wait for "
        "(throttle_direct_reclaim(), mm/vmscan.c)"
    )
    copy = next(f for f in plan(a.placed) if f.site.function == "jj_copy")
    assert copy.reason.startswith(
        "jj_fs.segctor_sem may be held here, taken inside the transaction jj_lock() set "
        "in current->journal_info, which reclaim in this task would join"
    )
    assert own.note.startswith("reclaim takes jj_fs.segctor_sem here shared")


def test_a_shared_take_on_both_sides_names_the_writer_reclaim_waits_behind(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # jj_trim() holds segctor_sem shared and reclaim's jj_begin() takes it
    # shared: two readers do not stop each other, but reclaim waits behind
    # jj_lock()'s down_write() queued meanwhile. jj_clean() holds it
    # exclusively: no writer need be named (its take's note is another's)
    a = fixture_tree("scan/journal_joined.c")
    takes = {name: take.note for name, take in reclaim_takes(a).items()}
    writer = line_of("journal_joined.c", "down_write(&fs->segctor_sem);")
    assert takes["jj_discard"] == (
        "reclaim takes jj_fs.segctor_sem here shared, as this task holds it: it blocks "
        f"behind a writer that queues meanwhile (jj_lock() takes it exclusively, line {writer}), "
        "which waits for this task"
    )
    assert "writer that queues" not in takes["jj_copy"]


def test_a_top_scope_says_whether_it_is_a_threads_or_works(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # kthread_run() starts kt_recover() as a thread of its own; INIT_WORK()
    # makes kt_flush_work() work a kworker runs: both are PF_KTHREAD tasks,
    # but the boundary, the reason and the commit message tell them apart
    a = fixture_tree("scan/kthread_waited.c")
    got = {f.site.function: f for f in plan(a.placed)}
    thread, work = got["kt_recover"], got["kt_flush_work"]
    assert thread.boundary is not None and work.boundary is not None
    assert thread.boundary.top and thread.boundary.thread
    assert work.boundary.top and not work.boundary.thread
    assert thread.boundary.lock.startswith("a kernel thread reclaim waits for")
    assert work.boundary.lock.startswith("work reclaim waits for")
    assert "kt_recover(), a kernel thread whose progress" in thread.reason
    assert "kt_flush_work(), work whose progress" in work.reason
    # and so do the entries their chains start at
    assert thread.evidence[0].note == (
        "started by kthread_run(): a kernel thread of its own, running with no scope"
    )
    assert work.evidence[0].note == (
        "handed to INIT_WORK(): a worker thread (a kernel thread) runs it, with no scope"
    )


def test_a_mapping_mask_shows_what_its_choke_point_holds(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # the mask is what get_meta()'s read_mapping_page() allocates with: the
    # evidence is that call, then log_append() holding log_mutex across it
    # and eviction taking it; the twin mapping's allocation holds nothing,
    # and its evidence stays how its mask is set
    a = fixture_tree("scan/mapping_choke_held.c")
    found = {f.site.line: f for f in plan(a.placed)}
    meta = found[line_of("mapping_choke_held.c", "mapping_set_gfp_mask(meta")]
    other = found[line_of("mapping_choke_held.c", "mapping_set_gfp_mask(other")]
    assert meta.reason.endswith("; sb_info.log_mutex may be held there, which reclaim takes")
    notes = [f"{e.function}: {e.note}" for e in meta.evidence]
    assert notes[0].startswith("get_meta: the only page-cache allocation on meta->i_mapping")
    assert "log_append: calls get_meta() with sb_info.log_mutex held" in notes
    assert any(n.startswith("my_evict_inode: ") for n in notes)
    assert "may be held there" not in other.reason
    assert [e.function for e in other.evidence][-1] == "get_other"


def test_a_call_site_holding_a_lock_only_with_ruled_out_arguments_is_shown(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # grow() holds alloc_mutex only when eviction calls it with 0, which
    # never reaches expand(): its call is one of the site's, shown saying so
    a = fixture_tree("scan/ruled_out_holder.c")
    line = line_of("ruled_out_holder.c", "kmalloc")
    f = next(f for f in plan(a.placed) if f.site.line == line)
    assert str(f.klass) == "unneeded"
    notes = [f"{e.function}: {e.note}" for e in f.evidence]
    assert (
        "grow: calls expand(); sb_info.alloc_mutex may be held here, only with arguments "
        "under which grow() does not make this call" in notes
    )


def test_work_reclaim_waits_for_gets_one_scope_over_its_lock(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # wl_fill() runs only in the work eviction waits for, under log_mutex,
    # which eviction also takes: the scope from the work's top covers the
    # lock's section; wl_fill_shared() also runs from the ioctl, so its
    # scope stays at the lock
    a = fixture_tree("scan/work_and_lock.c")
    got = {f.site.function: f for f in plan(a.placed)}
    work, shared = got["wl_fill"], got["wl_fill_shared"]
    assert work.boundary is not None and shared.boundary is not None
    assert work.boundary.function == "wl_log_work" and work.boundary.top
    assert work.reason.endswith(
        "; wl_sb.log_mutex, which reclaim also takes, may be held here too, and that scope "
        f"covers its section (wl_fill() line {line_of('work_and_lock.c', 'mutex_lock')})"
    )
    assert shared.boundary.function == "wl_fill_shared" and not shared.boundary.top
    assert shared.boundary.lock == "wl_sb.log_mutex"


def test_a_threads_wake_is_the_one_it_makes_on_every_path(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # lw_recover() wakes recovery_event first only when sb->state asks for
    # it, then at its end: the evidence cites the second wake
    a = fixture_tree("scan/thread_last_wake.c")
    (f,) = plan(a.placed)
    wakes = [e.line for e in f.evidence if e.note.startswith("wakes ")]
    assert wakes == [line_of("thread_last_wake.c", "wake_up(", 2)]


def nested_trans(fixture_tree, *files: str) -> Analysis:  # type: ignore[no-untyped-def]
    """The scan/nested_trans fixture: api.c with FILES. Every site there is
    needs-scope, in no caller's scope, as a marker would say (the files
    are a tree of their own, which test_fixtures.py does not read)."""
    a = fixture_tree(*(f"scan/nested_trans/{n}" for n in ("api.c", *files)))
    found = plan(a.placed)
    assert found and not a.unaccounted
    assert {(str(f.klass), str(f.context)) for f in found} == {("needs-scope", "never")}
    return a  # type: ignore[no-any-return]


def test_a_take_inside_a_transaction_the_holders_reclaim_nests_in_is_anothers(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # nt_ioctl() attaches to a transaction (start_transaction() sets
    # current->journal_info), then takes dev_mutex; eviction reaches
    # start_transaction() again, which hands that handle back, and its
    # __btrfs_end_transaction() returns before the take: in this task
    # reclaim joins, and the take is other tasks'. nt_trim() holds
    # dev_mutex with no transaction
    a = nested_trans(fixture_tree, "main.c")
    takes = reclaim_takes(a)
    joined, own = takes["nt_write_supers"], takes["nt_trim"]
    take = line_of("nested_trans/api.c", "mutex_lock(&fs->dev_mutex);")
    assert joined.line == own.line == take
    attach = line_of("nested_trans/main.c", "h = nt_attach(fs);", 2)
    again = line_of("nested_trans/main.c", "h = nt_attach(fs);", 1)
    assert joined.note.startswith(
        "reclaim takes nt_fs.dev_mutex here in other tasks, kswapd's among them"
    )
    assert (
        f"In this task reclaim joins the handle nt_attach() set in current->journal_info "
        f"(main.c:{attach}, in nt_ioctl()): nt_evict_inode() (line {again}, "
        "through nt_attach()) reaches start_transaction() first" in joined.note
    )
    assert own.note == "reclaim takes nt_fs.dev_mutex here"
    supers = next(f for f in plan(a.placed) if f.site.function == "nt_write_supers")
    assert "taken inside the transaction nt_attach() set in current->journal_info" in (
        supers.reason
    )


def test_a_take_the_holders_reclaim_may_reach_is_not_called_anothers(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    # nt_blind() never tests its start's failure, a goto enters nt_skip()'s
    # take past its start, nt_flush() ended its transaction first: their
    # own reclaim may take dev_mutex. nt_recover(), a kernel thread, is
    # inside its transaction, and kswapd cannot hold it up
    takes = reclaim_takes(nested_trans(fixture_tree, "main.c", "twins.c"))
    for holder in ("nt_blind", "nt_skip", "nt_flush"):
        assert takes[holder].note == "reclaim takes nt_fs.dev_mutex here", holder
    assert takes["nt_recover"].note.startswith(
        "reclaim takes nt_fs.dev_mutex here in other tasks; this task is a kernel thread"
    )
    # eviction in direct.c takes dev_mutex inside the transaction it
    # joined, not behind the nested end's return
    direct = reclaim_takes(nested_trans(fixture_tree, "direct.c"))
    assert direct["nt_ioctl"].note == "reclaim takes nt_fs.dev_mutex here"
