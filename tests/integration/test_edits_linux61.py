"""The flags semantic patch on the real 6.1 tree: a dry run (nothing written)
must change exactly the planned sites, every one of them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from unidiff import PatchSet

from nofsbot import config
from nofsbot.analyse import Options, analyse
from nofsbot.edits import flag_edits, sites_json
from nofsbot.plan import plan
from nofsbot.tools import spatch as coccinelle
from tests.integration.test_rewrite_linux61 import DEAD_CHECKS, XFS_FLAG_EDITS

pytestmark = [pytest.mark.kernel, pytest.mark.spatch]
ROOT = Path(__file__).parent.parent.parent

# xlog_cil_ctx_alloc() (xfs_log_cil.c:104) and xlog_ticket_alloc()
# (xfs_log.c:3519) are needs-scope: they only become flag edits once
# `nofsbot rewrite` has opened the CIL push work's scope, so the plan of the
# unchanged tree leaves them out.
# converted only once their scope is in: the CIL push work, and the dquot
# trees whose insert gets a scope
XFS_SCOPED = {
    ("fs/xfs/xfs_log_cil.c", 104),
    ("fs/xfs/xfs_log.c", 3519),
    ("fs/xfs/xfs_qm.c", 647),
    ("fs/xfs/xfs_qm.c", 648),
    ("fs/xfs/xfs_qm.c", 649),
}

# 6.1 fs/ext4 gets one flag edit: ext4_read_inline_link (inline.c:1656) is
# unneeded: its only caller is ->get_link ext4_get_link() (symlink.c:87),
# called by path walk with no lock of the filesystem held, and
# ext4_get_inode_loc() (inline.c:1650) returns its buffer_head unlocked.
# The others once planned keep NOFS now (keeping it is never a deadlock):
# - ext4_writepage (inode.c:2105): ->writepage (inode.c:3678) runs with the
#   page locked, and which folio reclaim locks is not followed;
# - ext4_set_bio_post_read_ctx (readpage.c:208): from ext4_mpage_readpages()
#   (readpage.c:374), ->read_folio/->readahead with the folios locked;
# - ext4_trim_fs (mballoc.c:6670): ext4_mb_init_group(.., GFP_NOFS) in the
#   FITRIM loop, after calls that may return holding a page lock;
# - the resize paths (EXT4_IOC_RESIZE_FS/GROUP_ADD): alloc_flex_gd
#   (resize.c:255/266/271, from ext4_resize_fs, resize.c:2155),
#   setup_new_flex_group_blocks (resize.c:614/629), reserve_backup_gdb
#   (resize.c:1032, from ext4_add_new_descs, 1286), ext4_calculate_overhead
#   (super.c:4206, from ext4_update_super, resize.c:1524), ext4_mb_add_groupinfo
#   (mballoc.c:3175/3189, from ext4_setup_new_descs, resize.c:1397) and
#   mb_group_bb_bitmap_alloc (mballoc.c:609, from mballoc.c:3219) each follow
#   calls that may return holding a lock reclaim takes (inode.i_rwsem,
#   sb_writers, lg_mutex, a page lock), which nofsbot does not follow to its
#   release;
# - ext4_ext_precache (extents.c:620): its kcalloc() runs under
#   down_read(&ei->i_data_sem) (extents.c:610), which reclaim takes through
#   ext4_evict_inode -> ext4_truncate (inode.c:4300).
EXT4_FLAG_EDITS = {("fs/ext4/inline.c", 1656)}


# The planned set is checked last, so that the semantic patch is still
# applied to (and checked against) every site nofsbot plans.
def test_flags_rule_changes_exactly_the_planned_sites(
    linux61: Path, spatch: str, tmp_path: Path
) -> None:
    a = analyse(linux61, ["fs/xfs", "fs/ext4", "fs/quota"], config.load(), Options(jobs=2))
    edits = flag_edits(plan(a.placed))
    planned = {(f.site.path, f.site.line) for f in edits}
    sites = tmp_path / "sites.json"
    sites.write_text(sites_json(edits))
    files = sorted({f.site.path for f in edits})
    diff = coccinelle.patch(ROOT / "cocci" / "nofs_flags.cocci", files, cwd=linux61, sites=sites)
    removed = {
        (pf.source_file, line.source_line_no)
        for pf in PatchSet(diff)
        for hunk in pf
        for line in hunk
        if line.is_removed
    }
    # the sites, and the dead NULL checks after four of the kmem_zalloc()s
    assert removed == {(f.site.path, f.site.line) for f in edits} | DEAD_CHECKS
    added = "".join(
        line.value for pf in PatchSet(diff) for hunk in pf for line in hunk if line.is_added
    )
    assert "GFP_NOFS" not in added and "KM_NOFS" not in added
    # one GFP_KERNEL for each of the 27 planned sites
    assert added.count("GFP_KERNEL") == 27
    # the two mixed sites, xfs_attri_init() and xfs_attr_shortform_list(),
    # say __GFP_NOLOCKDEP
    assert added.count("__GFP_NOLOCKDEP") == 2
    # the kmem_zalloc(.., KM_NOFS) calls become never-failing kzalloc()s
    assert added.count("kzalloc(sizeof(*args), GFP_KERNEL | __GFP_NOFAIL)") == 4
    assert "dfc = kzalloc(sizeof(*dfc), GFP_KERNEL | __GFP_NOFAIL)" in added
    # the tree itself is untouched
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=linux61, capture_output=True, text=True, check=True
    ).stdout
    assert status == ""
    assert planned == (XFS_FLAG_EDITS - XFS_SCOPED) | EXT4_FLAG_EDITS
