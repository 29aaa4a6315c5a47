"""`nofsbot bot --once` over a local "linux-next" made from the real 6.1
tree: tags that add a site, remove one, touch nothing relevant, and apply
the bot's own series; mail to a real SMTP server on 127.0.0.1, a crash
between intent and send, the lock, `bot status` and the HTML report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import nofsbot.bot.mailer
from nofsbot.bot import lock
from nofsbot.cli import main
from tests.bot.remote import query, run
from tests.conftest import git, need
from tests.publish.smtp import Inbox, smtp_server
from tests.report.test_burndown import rendered_counts

pytestmark = [pytest.mark.kernel, pytest.mark.spatch]

ADDER = "Nofs Adder <adder@example.org>"
# the cover letter and the 24 patches of the 6.1 fs/xfs series
MAILS = 25
# the functions whose sites the 6.1 fs/xfs series converts (test_rewrite_linux61.py)
CONVERTED = (
    "xfs_attr_intent_init",
    "__xfs_bmap_add",
    "xfs_inode_item_precommit_check",
    "xfs_dir_init",
    "xfs_dir_createname",
    "xfs_dir_removename",
    "xfs_dir_replace",
    "xfs_defer_ops_capture",
    "xchk_btree",
    "xchk_da_btree",
    "xfs_scrub_metadata",
    "xfs_attr_shortform_list",
    "xfs_alloc_buftarg",
    "xfs_initialize_perag",
    "__xfs_rmap_add",
    "__xfs_refcount_add",
    "xfs_idata_realloc",
    "xfs_trans_get_attrd",
    "xfs_zero_extent",
    "xfs_mru_cache_insert",
    "xfs_attri_init",
    "xfs_defer_add",
    "xfs_iroot_realloc",
    "xfs_iroot_realloc",
    "xfs_iroot_realloc",
    "xfs_qm_init_quotainfo",
    "xfs_qm_init_quotainfo",
    "xfs_qm_init_quotainfo",
    "xlog_cil_ctx_alloc",
    "xlog_ticket_alloc",
    "xfs_attri_item_recover",
)


def edit(repo: Path, path: str, old: str, new: str) -> None:
    f = repo / path
    text = f.read_text()
    assert old in text, f"{path}: {old!r} not found"
    f.write_text(text.replace(old, new, 1))


def tag(repo: Path, name: str, message: str | None = None, author: str | None = None) -> str:
    if message:
        git(repo, "commit", "-qam", message, *([f"--author={author}"] if author else []))
    git(repo, "tag", name)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def remote(tmp_path: Path, linux61: Path, spatch: str) -> Path:
    """A clone of the cached 6.1 repository (objects shared, nothing written
    to the cache) with only fs/xfs and Documentation/filesystems checked out."""
    need("perl", shutil.which("perl") is not None)
    repo = tmp_path / "linux-next"
    git(tmp_path, "clone", "-q", "--shared", "--no-checkout", str(linux61), str(repo))
    git(repo, "sparse-checkout", "set", "fs/xfs", "Documentation/filesystems")
    git(repo, "checkout", "-q", "master")
    return repo


def config(tmp_path: Path, remote: Path, inbox: Inbox) -> Path:
    cfg = tmp_path / "bot.toml"
    cfg.write_text(
        f"""\
[tree]
remote = "{remote}"
clone = "clone"
tags = "next-*"
paths = ["fs/xfs"]
[identity]
name = "NOFS Bot"
email = "bot@example.org"
[mail]
smtp_server = "127.0.0.1"
smtp_port = {inbox.port}
smtp_encryption = "none"
[policy]
mode = "send"
[limits]
in_flight = 1
cool_down_days = 0
# the 24 commits of fs/xfs in one series (15 would split them in two)
max_patches = 24
[state]
database = "state/bot.db"
"""
    )
    return cfg


def test_bot_over_tags(
    tmp_path: Path,
    remote: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with smtp_server() as inbox:
        cfg = config(tmp_path, remote, inbox)
        db = tmp_path / "state" / "bot.db"

        # next-20260101: the baseline; the 6.1 fs/xfs series (24 patches) goes out once
        tag(remote, "next-20260101")
        rc, out, _ = run(cfg, capsys, "--once")
        assert rc == 0, out
        assert "next-20260101 (baseline; analysed fs/xfs" in out and "regression" not in out
        assert len(inbox.received) == MAILS
        ((change1, status, msgids),) = query(
            db, "SELECT change_id, status, message_ids FROM series"
        )
        assert status == "sent"
        assert json.loads(str(msgids)) == [m["Message-ID"] for _, m in inbox.received]
        assert inbox.received[0][1]["Subject"].startswith("[PATCH 00/24] xfs:")
        series1 = sorted(
            Path(p) for p in json.loads(str(query(db, "SELECT files FROM series")[0][0]))
        )

        rc, out, _ = run(cfg, capsys, "--once")  # nothing new: nothing happens
        assert (rc, out.strip()) == (0, "no new tag")
        assert len(inbox.received) == MAILS

        # next-20260102: a GFP_NOFS allocation inside an XFS transaction
        edit(
            remote,
            "fs/xfs/libxfs/xfs_sb.c",
            "\tstruct xfs_trans\t*tp;\n\tint\t\t\terror;\n\n"
            "\terror = xfs_trans_alloc(mp, &M_RES(mp)->tr_sb, 0, 0,\n"
            "\t\t\tXFS_TRANS_NO_WRITECOUNT, &tp);\n\tif (error)\n\t\treturn error;\n\n",
            "\tstruct xfs_trans\t*tp;\n\tvoid\t\t\t*probe;\n\tint\t\t\terror;\n\n"
            "\terror = xfs_trans_alloc(mp, &M_RES(mp)->tr_sb, 0, 0,\n"
            "\t\t\tXFS_TRANS_NO_WRITECOUNT, &tp);\n\tif (error)\n\t\treturn error;\n\n"
            "\tprobe = kzalloc(64, GFP_NOFS);\n\tkfree(probe);\n",
        )
        added = tag(remote, "next-20260102", "xfs: probe the superblock sync", ADDER)
        rc, out, _ = run(cfg, capsys, "--once")
        assert rc == 0, out
        assert "next-20260102 (since next-20260101: 1 files changed; analysed fs/xfs" in out
        regressions = [ln for ln in out.splitlines() if "regression:" in ln]
        assert len(regressions) == 1
        assert "new NOFS site at fs/xfs/libxfs/xfs_sb.c:1063 xfs_sync_sb()" in regressions[0]
        assert "(redundant)" in regressions[0]
        assert f"introduced by {added[:12]}" in regressions[0] and ADDER in regressions[0]
        assert "series in flight" in out  # the limit: the xfs series is still out
        assert len(inbox.received) == MAILS

        # next-20260103: a site goes (converted by hand); nothing old is reported again
        edit(remote, "fs/xfs/xfs_discard.c", "GFP_NOFS", "GFP_KERNEL")
        tag(remote, "next-20260103", "xfs: allocate the trim bio normally")
        rc, out, _ = run(cfg, capsys, "--once")
        assert rc == 0 and "next-20260103" in out and "0 new sites, 1 gone" in out, out
        assert "regression" not in out

        # next-20260104: nothing the bot covers changes: nothing is analysed
        (remote / "Documentation/filesystems/xfs-nofs.rst").write_text("NOFS notes\n")
        git(remote, "add", "-f", "Documentation/filesystems/xfs-nofs.rst")
        tag(remote, "next-20260104", "Documentation: xfs NOFS notes")
        rc, out, _ = run(cfg, capsys, "--once")
        assert "next-20260104 (since next-20260103: 1 files changed; nothing to analyse" in out
        assert "regression" not in out
        assert query(db, "SELECT tag, what, author FROM regressions") == [
            ("next-20260102", "new-site", ADDER)
        ]
        assert [r[0] for r in query(db, "SELECT name FROM tags ORDER BY rowid")] == [
            f"next-2026010{i}" for i in range(1, 5)
        ]

        # a second run while one holds the lock stops at once
        with lock.held(db.with_name("bot.db.lock")):
            rc, out, err = run(cfg, capsys, "--once")
        assert rc == 1 and "another nofsbot bot run holds" in err

        # next-20260105: the maintainer applies the bot's series with git am
        git(remote, "am", "-q", *map(str, series1[1:]))
        tag(remote, "next-20260105")
        open1 = {r[0] for r in query(db, "SELECT identity FROM series_sites")}

        # ... and the run that sees it dies after recording the intent to mail
        # the next series (for xfs_sync_sb) and before git send-email
        def crash(*args: object, **kwargs: object) -> None:
            raise RuntimeError("power cut")

        monkeypatch.setattr(nofsbot.bot.mailer, "send_email", crash)
        rc, out, err = run(cfg, capsys, "--once")
        assert rc == 3 and "power cut" in err
        monkeypatch.undo()
        rows = dict(query(db, "SELECT change_id, status FROM series"))
        assert rows[change1] == "applied"
        ((change2,),) = query(db, "SELECT change_id FROM series WHERE status = 'sending'")
        assert len(inbox.received) == MAILS
        ids2 = {
            r[0]
            for r in query(db, f"SELECT identity FROM series_sites WHERE change_id = '{change2}'")
        }
        assert any("xfs_sync_sb|kzalloc|GFP_NOFS" in i for i in ids2)
        # the sites the applied series converted left the open work (its scopes
        # in xfs_qm_dqget_cache_insert() and xlog_cil_push_work() convert none by
        # themselves)
        still_open = {r[0] for r in query(db, "SELECT identity FROM sites WHERE status = 'open'")}
        applied = {r[0] for r in query(db, "SELECT identity FROM sites WHERE status = 'applied'")}
        assert applied <= open1 and not applied & still_open
        assert sorted(i.split("|")[1] for i in applied) == sorted(CONVERTED)

        # the next run reconciles the intent: 'sent?', reported, and not mailed
        rc, out, _ = run(cfg, capsys, "--once")
        assert rc == 0 and f"reconciled: {change2} v1" in out and "no new tag" in out
        assert len(inbox.received) == MAILS
        rc, out, _ = run(cfg, capsys, "--once")
        assert out.strip() == "no new tag" and len(inbox.received) == MAILS

        rc, out, _ = run(cfg, capsys, "status", "--json")
        st = json.loads(out)
        by_id = {s["change_id"]: s for s in st["series"]}
        assert by_id[change1]["status"] == "applied" and by_id[change2]["status"] == "sent?"
        assert st["last"]["name"] == "next-20260105"
        rc, out, _ = run(cfg, capsys, "status")
        assert "series applied: 1" in out and f"{change2} v1 [sent?]" in out

        # the operator found it was never mailed: retry sends it once
        rc, out, _ = run(cfg, capsys, "retry", change2)
        assert rc == 0 and out.strip() == f"{change2} v1: drafted"
        rc, out, _ = run(cfg, capsys, "--once")
        assert rc == 0 and f"sent: {change2} v1" in out
        n = len(inbox.received)
        assert n > MAILS and "xfs_sync_sb" in inbox.received[-1][1]["Subject"]
        rc, out, _ = run(cfg, capsys, "--once")
        assert len(inbox.received) == n
        rc, out, _ = run(cfg, capsys, "reject", change2)
        assert out.strip() == f"{change2} v1: rejected"

    # the burndown renders in headless Chromium with the state's numbers
    html = tmp_path / "burndown.html"
    assert main(["report", "--html", str(html), "--config", str(cfg)]) == 0
    cells, circles = rendered_counts(html)
    want = {(t, s, k): n for t, s, k, n in query(db, "SELECT tag, subsystem, class, n FROM counts")}
    assert {k: v for k, v in cells.items() if v} == want
    assert all(cells[k] == n for k, n in circles.items())  # the chart says what the table says
    assert {k: v for k, v in circles.items() if v} == want
    redundant = [want.get((f"next-2026010{i}", "fs/xfs", "redundant"), 0) for i in range(1, 6)]
    assert redundant[1] == redundant[0] + 1  # the added site
