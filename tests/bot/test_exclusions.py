"""Sites a series in flight or rejected holds are never converted again,
even when a new site appears in the same file (one commit per file and
class would carry them along)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot.remote import add_tag, case, make_remote, query, run, write_config
from tests.publish.smtp import smtp_server

pytestmark = [pytest.mark.kernel, pytest.mark.spatch]

OP2 = """
int op2(struct xfs_mount *mp)
{
	struct xfs_trans *tp;
	int error = xfs_trans_alloc(mp, &M_RES(mp)->tr_write, 0, 0, 0, &tp);

	if (error)
		return error;
	s = kzalloc(16, GFP_NOFS);
	return xfs_trans_commit(tp);
}
"""


@pytest.mark.parametrize("how", ["in-flight", "rejected"])
def test_a_new_site_in_the_same_file_goes_out_alone(
    tmp_path: Path, linux61: Path, spatch: str, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    remote = make_remote(tmp_path / "linux", linux61)
    with smtp_server() as inbox:
        cfg = write_config(tmp_path, remote, inbox.port, "in_flight = 2\n")
        assert run(cfg, capsys, "--once")[0] == 0
        first = [m.as_string() for _, m in inbox.received[1:]]
        assert len(first) == 2 and all("op()" in p for p in first)
        db = tmp_path / "state" / "bot.db"
        ((change1,),) = query(db, "SELECT change_id FROM series")
        if how == "rejected":
            assert run(cfg, capsys, "reject", change1)[0] == 0
        add_tag(
            remote,
            "next-20260102",
            {"fs/case/scoped.c": case("nofs_flags/scoped.before.c") + OP2},
            "case: a second operation",
        )
        rc, out, err = run(cfg, capsys, "--once")
        assert rc == 0, err
        assert "regression: new NOFS site at fs/case/scoped.c" in out and "op2()" in out
        second = [m.as_string() for _, m in inbox.received[3:]]
        assert second, out
        patches = second[1:]
        assert all("op2(" in p for p in patches)
        # none of the first series' changes comes back
        for line in (
            "-\tp = kmalloc(8, GFP_NOFS | __GFP_NOFAIL);",
            "-\tq = kzalloc(8, GFP_KERNEL | GFP_NOFS);",
        ):
            assert not any(line in p for p in patches), line
        assert sum("-\ts = kzalloc(16, GFP_NOFS);" in p for p in patches) == 1


def test_a_draft_in_several_parts_goes_out_whole(
    tmp_path: Path, linux61: Path, spatch: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """max_patches splits a section's patches into series made within one
    second: none replaces another, and their cover letters' Message-IDs differ."""
    files = {f"fs/case/f{n}.c": OP2.replace("op2", f"op{n}") for n in range(3)}
    remote = make_remote(tmp_path / "linux", linux61, files)
    with smtp_server() as inbox:
        cfg = write_config(tmp_path, remote, inbox.port, "max_patches = 1\nin_flight = 5\n")
        rc, out, err = run(cfg, capsys, "--once")
        assert (rc, err) == (0, "")  # no "could not remove the worktree" either
        assert out.count("sent: ") == 3
        ids = [m["Message-ID"] for _, m in inbox.received]
        assert len(ids) == 6 and len(set(ids)) == 6
    rows = query(tmp_path / "state" / "bot.db", "SELECT status FROM series")
    assert rows == [("sent",)] * 3
