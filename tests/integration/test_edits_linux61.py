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


def test_flags_rule_changes_exactly_the_planned_sites(
    linux61: Path, spatch: str, tmp_path: Path
) -> None:
    a = analyse(linux61, ["fs/xfs", "fs/ext4", "fs/quota"], config.load(), Options(jobs=2))
    edits = flag_edits(plan(a.placed))
    assert {(f.site.path, f.site.line) for f in edits} == XFS_FLAG_EDITS
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
    assert added.count("GFP_KERNEL") == 8
    # the five kmem_zalloc(.., KM_NOFS) calls become never-failing kzalloc()s
    assert added.count("kzalloc(sizeof(*args), GFP_KERNEL | __GFP_NOFAIL)") == 4
    assert "dfc = kzalloc(sizeof(*dfc), GFP_KERNEL | __GFP_NOFAIL)" in added
    # the tree itself is untouched
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=linux61, capture_output=True, text=True, check=True
    ).stdout
    assert status == ""
