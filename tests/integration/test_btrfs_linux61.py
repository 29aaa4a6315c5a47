"""btrfs decisions on the real 6.1 tree that depend on the transaction a
task keeps in current->journal_info. Each was checked against the 6.1
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
    assert main(["scan", "--tree", str(linux61), "fs/btrfs", "--json", "-o", str(dest)]) == 0
    return json.loads(dest.read_text())  # type: ignore[no-any-return]


def test_supers_written_inside_a_commit_meet_other_tasks_reclaim(scan: dict[str, object]) -> None:
    # transaction_kthread() attaches to the running transaction
    # (disk-io.c:1890; start_transaction() sets current->journal_info,
    # transaction.c:725), leaves on its failure (:1891-1895) and commits it:
    # write_all_supers() holds device_list_mutex (disk-io.c:4353) across
    # write_dev_supers(). Eviction takes that mutex in
    # btrfs_create_pending_block_groups() -> insert_dev_extents()
    # (block-group.c:2520), from __btrfs_end_transaction(), which returns
    # first for a nested handle (transaction.c:1021-1025), and
    # btrfs_evict_inode()'s evict_refill_and_join() (inode.c:5608) reaches
    # start_transaction(), which hands the task's handle back, nested
    # (transaction.c:586-593). So the take is other tasks', and the holder
    # is a kernel thread, which throttle_direct_reclaim() lets through: the
    # step says both; the class stays, with the reason naming the
    # transaction its own reclaim would re-enter.
    for line in (4060, 4082):
        s = site(scan, "fs/btrfs/disk-io.c", line)
        assert s["class"] == "needs-scope"
        assert "taken inside the transaction btrfs_attach_transaction()" in str(s["reason"])
        (take,) = [e for e in s["evidence"] if e["line"] == 2520]  # type: ignore[attr-defined,index]
        assert take["note"].startswith(
            "reclaim takes btrfs_fs_devices.device_list_mutex here in other tasks; this task "
            "is a kernel thread, which throttle_direct_reclaim() never stops behind them. In "
            "this task reclaim joins the handle btrfs_attach_transaction() set in "
            "current->journal_info (disk-io.c:1890, in transaction_kthread())"
        )
        assert "btrfs_evict_inode() (line 5608, through evict_refill_and_join())" in take["note"]
        assert "__btrfs_end_transaction() returns for a nested handle" in take["note"]
