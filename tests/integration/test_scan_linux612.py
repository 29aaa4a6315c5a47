"""`nofsbot scan` on the real Linux 6.12 tree (Debian's linux-source-6.12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nofsbot.cli import main

pytestmark = pytest.mark.kernel


def test_xfs_and_bcachefs_on_612(linux612: Path, tmp_path: Path) -> None:
    out = tmp_path / "scan.json"
    assert (
        main(["scan", "--tree", str(linux612), "fs/xfs", "fs/bcachefs", "--json", "-o", str(out)])
        == 0
    )
    doc = json.loads(out.read_text())
    assert doc["summary"]["unaccounted"] == 0 and doc["problems"] == []
    sites = {(s["path"], s["line"]): s for s in doc["sites"]}
    # xfs_discard_rtdev_extents() is only called by xfs_trim_rtdev_extents(),
    # inside the empty transaction from xfs_trans_alloc_empty() (line 593)
    s = sites[("fs/xfs/xfs_discard.c", 499)]
    assert s["class"] == "redundant"
    assert ("fs/xfs/xfs_discard.c", 593) in {(e["path"], e["line"]) for e in s["evidence"]}
    # btree_bounce_alloc() opens its own scope (memalloc_nofs_save(), line 118)
    # around both allocations, so the GFP_NOFS of its mempool_alloc()
    # fallback is belt and braces
    s = sites[("fs/bcachefs/btree_io.c", 127)]
    assert (s["class"], s["context"]) == ("redundant", "always")
