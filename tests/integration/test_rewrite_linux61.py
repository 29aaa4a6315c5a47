"""`nofsbot rewrite fs/xfs` on the real 6.1 tree."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from unidiff import PatchSet

from nofsbot.bot.series import old_line
from nofsbot.cli import main
from nofsbot.tools.githistory import diff_hunks
from tests.integration.branches import drop_branch

pytestmark = [pytest.mark.kernel, pytest.mark.spatch]

# The flag edits planned for 6.1 fs/xfs (see test_scan_linux61.py): the
# redundant xfs_attr_intent_init and __xfs_bmap_add, the no-op mask in
# xfs_inode_item_precommit_check, and the redundant kmem_zalloc(.., KM_NOFS)
# in xfs_dir_init/createname/removename/replace and xfs_defer_ops_capture.
# With entry contexts and calls through ops known, also:
# - xchk_btree (scrub/btree.c:654) and xchk_da_btree (scrub/dabtree.c:491):
#   only reached from scrubbers that xfs_scrub_metadata() runs through
#   sc->ops->scrub() (scrub.c:496) after sc->ops->setup() (scrub.c:491)
#   allocated the scrub transaction: redundant;
# - unneeded, no scope, no lock reclaim takes, off reclaim's paths:
#   xfs_scrub_metadata (scrub.c:468, the scrub ioctl before any setup) and
#   xfs_alloc_buftarg (xfs_buf.c:2001, xfs_open_devices at mount);
# - xfs_attr_shortform_list (xfs_attr_list.c:113): kmem_alloc(.., KM_NOFS)
#   under the ILOCK xfs_attr_list() takes (xfs_attr_list.c:535, via
#   xfs_attr_list_ilocked, 516) on the inode listxattr holds a reference to.
#   Reclaim takes the ILOCK only on inodes it frees: ->destroy_inode's in
#   xfs_can_free_eofblocks() (xfs_bmap_util.c:700), and in
#   xfs_reclaim_inode() (xfs_icache.c:927, 982) on inodes that
#   xfs_reclaim_igrab() found XFS_IRECLAIMABLE (no VFS reference left). Its
#   scrub caller is scoped: mixed, GFP_KERNEL | __GFP_NOLOCKDEP (6.12 has
#   GFP_KERNEL there).
# - redundant, every caller inside a transaction (test_scan_linux61.py):
#   __xfs_rmap_add (xfs_rmap.c:2520), __xfs_refcount_add (xfs_refcount.c:1438),
#   xfs_idata_realloc (xfs_inode_fork.c:504), xfs_trans_get_attrd
#   (xfs_attr_item.c:862), xfs_zero_extent (xfs_bmap_util.c:68) and
#   xfs_mru_cache_insert (xfs_mru_cache.c:430).
# No longer edited, NOFS kept (keeping it is never a deadlock):
# - xfs_dir_lookup (xfs_dir2.c:374): scrub's dir_emit() actor calls it under
#   the ILOCK xfs_readdir() holds (test_scan_linux61.py).
XFS_FLAG_EDITS = {
    ("fs/xfs/libxfs/xfs_attr.c", 891),
    ("fs/xfs/libxfs/xfs_bmap.c", 6163),
    ("fs/xfs/xfs_inode_item.c", 48),
    ("fs/xfs/libxfs/xfs_dir2.c", 238),
    ("fs/xfs/libxfs/xfs_dir2.c", 275),
    ("fs/xfs/libxfs/xfs_dir2.c", 443),
    ("fs/xfs/libxfs/xfs_dir2.c", 504),
    ("fs/xfs/libxfs/xfs_defer.c", 720),
    ("fs/xfs/scrub/btree.c", 654),
    ("fs/xfs/scrub/dabtree.c", 491),
    ("fs/xfs/scrub/scrub.c", 468),
    ("fs/xfs/xfs_attr_list.c", 113),
    ("fs/xfs/xfs_buf.c", 2001),
    ("fs/xfs/libxfs/xfs_rmap.c", 2520),
    ("fs/xfs/libxfs/xfs_refcount.c", 1438),
    ("fs/xfs/libxfs/xfs_inode_fork.c", 504),
    ("fs/xfs/xfs_attr_item.c", 862),
    ("fs/xfs/xfs_bmap_util.c", 68),
    ("fs/xfs/xfs_mru_cache.c", 430),
    # reached outside a transaction only by the in-memory COW conversion,
    # whose NULL cursor never gets to the btree code
    ("fs/xfs/libxfs/xfs_defer.c", 653),
    ("fs/xfs/libxfs/xfs_inode_fork.c", 385),
    ("fs/xfs/libxfs/xfs_inode_fork.c", 400),
    ("fs/xfs/libxfs/xfs_inode_fork.c", 426),
    # the dquot trees' stored mask, once their insert has a scope
    ("fs/xfs/xfs_qm.c", 647),
    ("fs/xfs/xfs_qm.c", 648),
    ("fs/xfs/xfs_qm.c", 649),
    # in the CIL push work, once it has a scope (xfs_log_cil.c:104), and
    # xlog_ticket_alloc(), which that work calls through
    # xlog_cil_ticket_alloc() and transactions call in theirs
    ("fs/xfs/xfs_log_cil.c", 104),
    ("fs/xfs/xfs_log.c", 3519),
    # unneeded: xfs_attri_item_recover(), in log recovery at mount with no
    # lock reclaim takes held: xlog_recover_iget()'s xfs_qm_dqattach()
    # returns holding no dquot lock (test_scan_linux61.py)
    ("fs/xfs/xfs_attr_item.c", 582),
    # unneeded: xfs_initialize_perag(), from the growfs ioctl under
    # m_growlock only (test_scan_linux61.py)
    ("fs/xfs/libxfs/xfs_ag.c", 318),
    # mixed: xfs_attri_init() runs in transactions, and unscoped only in log
    # recovery at mount, where no lock reclaim takes is held
    ("fs/xfs/xfs_attr_item.c", 231),
}
# the dead `if (!args) return -ENOMEM;` right after the four kmem_zalloc()s in
# xfs_dir2.c that become kzalloc(.., __GFP_NOFAIL): the flags rule removes them
DEAD_CHECKS = {("fs/xfs/libxfs/xfs_dir2.c", n + k) for n in (238, 275, 443, 504) for k in (1, 2)}
# and the first line of xfs_attri_item_recover()'s kmem_zalloc(), whose
# KM_NOFS is on its second line: kmem_zalloc() becomes kzalloc() there
DEAD_CHECKS |= {("fs/xfs/xfs_attr_item.c", 581)}
# xfs_trim_extents() (xfs_discard.c:117) is kept: the FITRIM loop holds the
# AGF buffer lock from xfs_alloc_read_agf() (xfs_discard.c:48) across its
# blkdev_issue_discard(.., GFP_NOFS), and reclaim evicting an inode that
# needs inactivation waits for the inodegc worker (xfs_inodegc_queue ->
# flush_delayed_work, xfs_icache.c:2136), which frees blocks under AGF locks.


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


STALE = (
    "nofs-xfs-test",
    "nofs-xfs-again",
    "nofs-ext4-quota-test",
    "nofs-ext4-quota-again",
    "nofs-mapping-test",
    "nofs-mapping-again",
    "nofs-udf-test",
)


def _drop(repo: Path, branch: str) -> None:
    drop_branch(repo, branch)


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
                "--no-publish",
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
    # first the quota tree insert: the dquot trees' stored GFP_NOFS
    # (xfs_qm.c:647-649) is used by radix_tree_insert() under qi_tree_lock
    # (xfs_dquot.c:798), which the dquot shrinker takes (xfs_qm_dqfree_one(),
    # xfs_qm.c:1639); 6.12 has this scope
    assert subjects[0] == "xfs: open a NOFS scope in xfs_qm_dqget_cache_insert()"
    assert r["commits"][0]["sites"] == [{"path": "fs/xfs/xfs_dquot.c", "line": 798}]
    # then the CIL push work, which reclaim waits for, in a scope of its own
    # (test_scan_linux61.py: test_cil_push_work_needs_its_own_scope)
    assert subjects[1] == "xfs: run xlog_cil_push_work() in a NOFS scope"
    assert r["commits"][1]["sites"] == [{"path": "fs/xfs/xfs_log_cil.c", "line": 1175}]
    # each commit names its sites as of its parent (xfs_attri_init()'s commit
    # moves xfs_trans_get_attrd()'s site in xfs_attr_item.c by a line): as
    # of the base, they are the planned ones
    parents = [r["base"], *(c["sha"] for c in r["commits"])]
    flags = {
        (s["path"], old_line(diff_hunks(linux61, r["base"], parent, s["path"]), s["line"]))
        for parent, c in zip(parents[2:], r["commits"][2:], strict=False)
        for s in c["sites"]
    }
    assert flags == XFS_FLAG_EDITS
    # the two scopes, then one commit per file and class: 31 flag edits and
    # 2 scopes planned
    assert r["planned"] == 33 and len(r["commits"]) == 24
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
    assert removed == flags | DEAD_CHECKS  # the scope only adds lines
    # a kmem_*() call that becomes kzalloc() says so in the subject
    assert "xfs: use kzalloc() for kmem_zalloc() in 4 functions, in a NOFS scope" in subjects
    # never the anti-pattern: in xfs_dquot.c each save
    # opens right after the lock is taken and each restore comes right
    # before it is released; the CIL push work saves first thing and
    # restores before each return and at its end
    takes = {"fs/xfs/xfs_dquot.c": "mutex_lock(&qi->qi_tree_lock)"}
    releases = {"fs/xfs/xfs_dquot.c": "mutex_unlock(&qi->qi_tree_lock)"}
    for pf in patch:
        work = pf.path == "fs/xfs/xfs_log_cil.c"
        for h in pf:
            lines = list(h)
            for i, ln in enumerate(lines):
                if ln.is_added and "memalloc_nofs_save" in ln.value:
                    before = [x.value for x in lines[:i] if not x.is_added]
                    if work:
                        assert before[-1].strip() == "{"
                        assert before[-2].strip() == "struct work_struct	*work)"
                    else:
                        assert takes[pf.path] in before[-1]
                if ln.is_added and "memalloc_nofs_restore" in ln.value:
                    after = lines[i + 1].value.strip()
                    if work:
                        assert after.startswith("return") or after == "}"
                    else:
                        assert releases[pf.path] in after
    assert git(linux61, "status", "--porcelain=v1") == status
    assert git(linux61, "rev-parse", "HEAD").strip() == r["base"]

    still_parses(linux61, r["base"], "nofs-xfs-test", patch)

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
                "--no-publish",
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


def still_parses(repo: Path, base: str, branch: str, patch: PatchSet) -> None:
    """Every touched file still parses: no function gained a parse error."""
    for pf in patch:
        before = git(repo, "show", f"{base}:{pf.path}")
        after = git(repo, "show", f"{branch}:{pf.path}")
        assert _functions_with_errors(after, pf.path) <= _functions_with_errors(before, pf.path)


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
                "--no-publish",
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
    # GFP_KERNEL; ext4_read_inline_link()'s kmalloc(.., GFP_NOFS)
    # (inline.c:1656) becomes GFP_KERNEL as unneeded: its only caller is
    # ->get_link ext4_get_link() (symlink.c:87), called by path walk with no
    # lock of the filesystem held, and ext4_get_inode_loc() (inline.c:1650)
    # returns its buffer_head unlocked. ext4_ext_precache() (extents.c:620)
    # keeps NOFS under i_data_sem, and no scope is opened on i_rwsem.
    # fs/quota has nothing to rewrite (all its sites are kept).
    assert [c["subject"] for c in r["commits"]] == [
        "ext4: open a NOFS scope in ext4_init_inode_table()",
        "ext4: use GFP_KERNEL in ext4_init_inode_table(), already in a NOFS scope",
        "ext4: use GFP_KERNEL in ext4_read_inline_link()",
    ]
    assert r["commits"][0]["sites"] == [{"path": "fs/ext4/ialloc.c", "line": 1564}]
    assert [c["sites"] for c in r["commits"][1:]] == [
        [{"path": "fs/ext4/ialloc.c", "line": 1625}],
        [{"path": "fs/ext4/inline.c", "line": 1656}],
    ]
    assert r["planned"] == 3 and r["not_rewritten"] == [] and r["unbalanced"] == []
    diff = git(linux61, "diff", f"{r['base']}..nofs-ext4-quota-test")
    assert {pf.path for pf in PatchSet(diff)} == {"fs/ext4/ialloc.c", "fs/ext4/inline.c"}
    still_parses(linux61, r["base"], "nofs-ext4-quota-test", PatchSet(diff))
    # rewriting the result again plans nothing
    again = rewrite_again(
        wt, ["fs/ext4", "fs/quota"], "nofs-ext4-quota-again", tmp_path, branches, capsys
    )
    assert again == (0, 0)


def test_rewrite_moves_mapping_masks_to_their_choke_points(
    linux61: Path,
    spatch: str,
    tmp_path: Path,
    branches: list[tuple[str, Path]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """domain.md section 6: jfs's direct_inode mapping only gets page cache in
    __get_metapage() (grab_cache_page at line 613, read_mapping_page at 620).
    The mask becomes GFP_KERNEL and those calls get a scope. reiserfs sets
    its mask (xattr.c:441) on whatever inode reiserfs_get_page() is given,
    an xattr file whose page cache truncate also allocates
    (reiserfs_xattr_set_handle() -> reiserfs_setattr() ->
    reiserfs_truncate_file() -> grab_tail_page() -> grab_cache_page(), under
    the write lock with a journal handle open): no choke point, it stays.
    get_UCSname()
    (jfs_unicode.c:111) stays: jfs_link() calls it (namei.c:815) after
    txBegin() (:807) and under both inodes' commit_mutex, taken with
    mutex_lock_nested(.., COMMIT_MUTEX_PARENT/CHILD) (:809-810). Eviction
    takes commit_mutex plainly (diFree(), jfs_imap.c:1232, after its own
    txBegin(), which sleeps for a free tid or a log sync barrier,
    jfs_txnmgr.c:395-398). A lockdep subclass orders two locks of one task;
    it does not tell which inode a lock is, so the held lock is the class
    reclaim takes."""
    wt = tmp_path / "wt"
    branches.append(("nofs-mapping-test", wt))
    argv = ["rewrite", "--no-publish", "--tree", str(linux61), "fs/jfs", "fs/reiserfs"]
    assert main([*argv, "--branch", "nofs-mapping-test", "--worktree", str(wt), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert [(c["subject"], sorted(c["files"])) for c in r["commits"]] == [
        (
            "jfs: allocate __get_metapage() page cache in a NOFS scope",
            ["fs/jfs/jfs_metapage.c", "fs/jfs/super.c"],
        ),
    ]
    assert r["planned"] == 1 and r["not_rewritten"] == [] and r["unbalanced"] == []
    patch = PatchSet(git(linux61, "diff", f"{r['base']}..nofs-mapping-test"))
    removed = {
        (pf.path, ln.source_line_no, ln.value.strip())
        for pf in patch
        for h in pf
        for ln in h
        if ln.is_removed
    }
    # only the mask changes; everything else is added around the choke calls
    assert removed == {
        ("fs/jfs/super.c", 553, "mapping_set_gfp_mask(inode->i_mapping, GFP_NOFS);"),
    }
    for pf in patch:
        for h in pf:
            lines = list(h)
            for i, ln in enumerate(lines):
                # each save opens right before a page-cache call and closes after it
                if ln.is_added and "memalloc_nofs_save" in ln.value:
                    call = lines[i + 1]
                    assert not call.is_added and call.source_line_no in {613, 620}
                    assert "memalloc_nofs_restore" in lines[i + 2].value
    still_parses(linux61, r["base"], "nofs-mapping-test", patch)
    again = rewrite_again(
        wt, ["fs/jfs", "fs/reiserfs"], "nofs-mapping-again", tmp_path, branches, capsys
    )
    assert again == (0, 0)


def rewrite_one(
    linux61: Path,
    path: str,
    branch: str,
    wt: Path,
    capsys: pytest.CaptureFixture[str],
) -> tuple[list[str], list[str]]:
    """Rewrite PATH on BRANCH: the commits' subjects and the lines added."""
    argv = ["rewrite", "--no-publish", "--no-verify", "--tree", str(linux61)]
    assert main([*argv, path, "--branch", branch, "--worktree", str(wt), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    added = [
        ln.value.strip()
        for pf in PatchSet(git(linux61, "diff", f"{r['base']}..{branch}"))
        for h in pf
        for ln in h
        if ln.is_added
    ]
    return [c["subject"] for c in r["commits"]], added


def test_a_lock_kswapd_takes_in_writepage_gets_a_scope(
    linux61: Path,
    spatch: str,
    tmp_path: Path,
    branches: list[tuple[str, Path]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # hfsplus_file_extend() zeroes new blocks under its inode's extents_lock
    # (fs/hfsplus/extents.c:455, 476). kswapd's ->writepage takes that lock
    # on the inode whose folio it writes (hfsplus_writepage() ->
    # hfsplus_get_block(), inode.c:33, extents.c:260), a live one, and a
    # __GFP_FS allocation may wait for kswapd without a limit
    # (throttle_direct_reclaim(), mm/vmscan.c): a scope from the
    # mutex_lock() to its mutex_unlock()s (516, 520), and GFP_KERNEL inside.
    wt = tmp_path / "wt"
    branches.append(("nofs-hfsplus-test", wt))
    subjects, added = rewrite_one(linux61, "fs/hfsplus/extents.c", "nofs-hfsplus-test", wt, capsys)
    assert subjects == [
        "hfsplus: open a NOFS scope in hfsplus_file_extend()",
        "hfsplus: use GFP_KERNEL in hfsplus_file_extend(), already in a NOFS scope",
    ]
    assert added == [
        "unsigned int nofs_flags;",
        "/* Memory reclaim takes this lock too: keep it out of the filesystem. */",
        "nofs_flags = memalloc_nofs_save();",
        "res = sb_issue_zeroout(sb, start, len, GFP_KERNEL);",
        "memalloc_nofs_restore(nofs_flags);",
        "memalloc_nofs_restore(nofs_flags);",
    ]
    body = git(linux61, "log", "-1", "--format=%B", "nofs-hfsplus-test~1")
    assert "\nNofsbot-Class: needs-scope\n" in body
    assert "hfsplus_writepage(): calls hfsplus_get_block()" in body
    assert "throttle_direct_reclaim()" in " ".join(body.split())


def test_a_lock_on_a_new_inode_gets_nolockdep_not_a_scope(
    linux61: Path,
    spatch: str,
    tmp_path: Path,
    branches: list[tuple[str, Path]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # udf_symlink() allocates under the i_data_sem of the inode
    # udf_new_inode() has just returned (fs/udf/namei.c:564, 581-582), which
    # it has given to nothing but UDF_I() and IS_ERR(). kswapd's
    # udf_writepage() takes i_data_sem only on inodes with dirty pages
    # (inode.c:187, 346), and nothing reaches this one before
    # udf_add_nondir() (namei.c:665): __GFP_NOLOCKDEP, no scope; 6.12 made
    # the allocation plain GFP_KERNEL before the lock.
    wt = tmp_path / "wt"
    branches.append(("nofs-udf-test", wt))
    subjects, added = rewrite_one(linux61, "fs/udf/namei.c", "nofs-udf-test", wt, capsys)
    assert subjects == [
        "udf: use GFP_KERNEL in udf_fiiter_find_entry()",
        "udf: use __GFP_NOLOCKDEP instead of GFP_NOFS in udf_symlink()",
    ]
    assert added == [
        "fname = kmalloc(UDF_NAME_LEN, GFP_KERNEL);",
        "name = kmalloc(UDF_NAME_LEN_CS0, GFP_KERNEL | __GFP_NOLOCKDEP);",
    ]
    body = " ".join(git(linux61, "log", "-1", "--format=%B", "nofs-udf-test").split())
    assert "this one the function has just made and given to no one" in body
    assert "which udf_new_inode() made at line 564" in body
    assert "udf_writepage(): calls udf_get_block()" in body
