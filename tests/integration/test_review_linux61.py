"""`nofsbot review` on series against the real 6.1 tree."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from nofsbot.cli import main
from tests.conftest import git
from tests.integration.test_rewrite_linux61 import _drop, branches

__all__ = ["branches"]  # the fixture that removes the branches a test makes

pytestmark = pytest.mark.kernel

Edits = dict[str, list[tuple[str, str]]]  # path -> (text, replacement) in order


def mbox(tree: Path, patches: list[tuple[str, Edits]]) -> str:
    """A series as `git format-patch --stdout --base` writes it: each patch
    (subject, edits) applies to the files as the patches before it left them."""
    base = git(tree, "rev-parse", "HEAD").strip()
    current: dict[str, str] = {}
    mails = []
    for i, (subject, edits) in enumerate(patches, 1):
        diff = []
        for path, replacements in edits.items():
            old = current.get(path) or git(tree, "show", f"{base}:{path}")
            new = old
            for text, replacement in replacements:
                assert new.count(text) == 1, f"{text!r} must occur once in {path}"
                new = new.replace(text, replacement)
            current[path] = new
            diff.append(f"diff --git a/{path} b/{path}\n")
            diff += difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                f"a/{path}",
                f"b/{path}",
            )
        tail = f"\nbase-commit: {base}\n" if i == len(patches) else ""
        mails.append(
            f"From {i:040x} Mon Sep 17 00:00:00 2001\n"
            "From: A Developer <dev@example.org>\n"
            "Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
            f"Subject: [PATCH {i}/{len(patches)}] {subject}\n"
            f"Message-ID: <{i}.series@example.org>\n"
            "To: linux-ext4@vger.kernel.org\n"
            "\n"
            f"{subject}.\n\n---\n" + "".join(diff) + tail + "-- \n2.39.5\n\n"
        )
    return "".join(mails)


def line_of(text: str, needle: str, after: str = "") -> int:
    """The line of NEEDLE in TEXT, the first after AFTER."""
    start = text.index(after) if after else 0
    return text.count("\n", 0, text.index(needle, start)) + 1


# (a) a GFP_NOFS allocation added inside the jbd2 handle of
# flush_stashed_error_work(): jbd2_journal_start() already opens a scope
JBD2 = (
    "fs/ext4/super.c",
    [
        (
            "\t\tstruct buffer_head *sbh = sbi->s_sbh;\n"
            "\t\thandle = jbd2_journal_start(journal, 1);",
            "\t\tstruct buffer_head *sbh = sbi->s_sbh;\n\t\tvoid *old;\n\n"
            "\t\thandle = jbd2_journal_start(journal, 1);",
        ),
        (
            "\t\text4_update_super(sbi->s_sb);\n",
            "\t\told = kmemdup(sbh->b_data, sbh->b_size, GFP_NOFS);\n"
            "\t\text4_update_super(sbi->s_sb);\n\t\tkfree(old);\n",
        ),
    ],
)
# (b) the GFP_NOFS of ext4_getfsmap_fill() "converted" by wrapping the one
# allocation in a scope
WRAP = (
    "fs/ext4/fsmap.c",
    [
        (
            "\tstruct ext4_fsmap *fsm;\n\n\tfsm = kmalloc(sizeof(*fsm), GFP_NOFS);\n",
            "\tstruct ext4_fsmap *fsm;\n\tunsigned int nofs_flags;\n\n"
            "\tnofs_flags = memalloc_nofs_save();\n"
            "\tfsm = kmalloc(sizeof(*fsm), GFP_KERNEL);\n"
            "\tmemalloc_nofs_restore(nofs_flags);\n",
        )
    ],
)
# (c) a scope over ext4_get_acl()'s xattr reads that the -ENOMEM return
# leaves open
LEAK = (
    "fs/ext4/acl.c",
    [
        (
            "\tint retval;\n\n\tif (rcu)\n",
            "\tint retval;\n\tunsigned int nofs_flags;\n\n\tif (rcu)\n",
        ),
        (
            '\tretval = ext4_xattr_get(inode, name_index, "", NULL, 0);\n'
            "\tif (retval > 0) {\n\t\tvalue = kmalloc(retval, GFP_NOFS);\n",
            "\tnofs_flags = memalloc_nofs_save();\n"
            '\tretval = ext4_xattr_get(inode, name_index, "", NULL, 0);\n'
            "\tif (retval > 0) {\n\t\tvalue = kmalloc(retval, GFP_KERNEL);\n",
        ),
        (
            '\t\tretval = ext4_xattr_get(inode, name_index, "", value, retval);\n\t}\n',
            '\t\tretval = ext4_xattr_get(inode, name_index, "", value, retval);\n\t}\n'
            "\tmemalloc_nofs_restore(nofs_flags);\n",
        ),
    ],
)


def test_hand_written_bad_series_gets_exactly_its_three_findings(
    linux61: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    series = tmp_path / "bad.mbox"
    series.write_text(
        mbox(
            linux61,
            [
                ("ext4: keep the old superblock while flushing an error", dict([JBD2])),
                ("ext4: use the scope API in ext4_getfsmap_fill()", dict([WRAP])),
                ("ext4: read ACLs inside a NOFS scope", dict([LEAK])),
            ],
        )
    )
    status = git(linux61, "status", "--porcelain=v1")
    assert main(["review", "--tree", str(linux61), str(series), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    texts = {
        p: _after(linux61, p, dict([JBD2, WRAP, LEAK])[p]) for p in (JBD2[0], WRAP[0], LEAK[0])
    }
    want = {
        (1, "redundant-nofs", "warning", JBD2[0], line_of(texts[JBD2[0]], "old = kmemdup(")),
        (
            2,
            "single-allocation-scope",
            "warning",
            WRAP[0],
            line_of(texts[WRAP[0]], "nofs_flags = memalloc_nofs_save();"),
        ),
        (
            3,
            "unbalanced-scope",
            "error",
            LEAK[0],
            line_of(texts[LEAK[0]], "return ERR_PTR(-ENOMEM);", after="ext4_get_acl("),
        ),
    }
    got = {(f["patch"], f["kind"], f["severity"], f["path"], f["line"]) for f in doc["findings"]}
    assert got == want
    assert doc["summary"] == {
        "patches": 3,
        "findings": 3,
        "errors": 1,
        "warnings": 2,
        "kinds": {"redundant-nofs": 1, "single-allocation-scope": 1, "unbalanced-scope": 1},
    }
    redundant = next(f for f in doc["findings"] if f["kind"] == "redundant-nofs")
    assert redundant["suggestion"] == "GFP_KERNEL"
    assert any("jbd2_journal_start" in e["note"] for e in redundant["evidence"])
    assert git(linux61, "status", "--porcelain=v1") == status


def _after(tree: Path, path: str, replacements: list[tuple[str, str]]) -> str:
    text = git(tree, "show", f"HEAD:{path}")
    for old, new in replacements:
        text = text.replace(old, new)
    return text


def test_rewrite_series_reviews_clean(
    linux61: Path,
    spatch: str,
    tmp_path: Path,
    branches: list[tuple[str, Path]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # what `nofsbot rewrite fs/xfs` makes (scopes in xfs_qm_dqget_cache_insert()
    # and xlog_cil_push_work(), 20 commits of flag conversions) is what nofsbot
    # asks for: its review finds nothing, as a revision range of the tree and
    # as the mbox format-patch writes
    _drop(linux61, "nofs-xfs-review")
    wt = tmp_path / "wt"
    branches.append(("nofs-xfs-review", wt))
    argv = [
        "rewrite",
        "--no-publish",
        "--tree",
        str(linux61),
        "fs/xfs",
        "--branch",
        "nofs-xfs-review",
    ]
    assert main([*argv, "--worktree", str(wt), "--json"]) == 0
    base = json.loads(capsys.readouterr().out)["base"]
    status = git(linux61, "status", "--porcelain=v1")
    series = tmp_path / "xfs.mbox"
    series.write_text(git(linux61, "format-patch", "--stdout", f"{base}..nofs-xfs-review"))
    for source in (f"{base}..nofs-xfs-review", str(series)):
        assert main(["review", "--tree", str(linux61), source, "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["base"] == base
        assert doc["summary"]["patches"] == 24 and doc["findings"] == []
        # the 21 files the series touches (xfs_log_cil.c has a scope and then
        # the flag under it, and xfs_log.c the ticket allocation it calls,
        # xfs_dquot.c the scope the stored mask of xfs_qm.c needs,
        # xfs_attr_item.c a redundant, a mixed and an unneeded site,
        # xfs_attr_list.c a mixed one, xfs_ag.c the unneeded
        # xfs_initialize_perag())
        assert len(doc["analysed"]) == 21
    assert git(linux61, "status", "--porcelain=v1") == status
    assert "nofsbot-review-" not in git(linux61, "worktree", "list")


# One patch per kind of finding a conversion series can earn, and one
# correct conversion. Each line is (subject, path, text, replacement).
KINDS_SERIES = [
    # xlog_cil_ctx_alloc() runs in xlog_cil_push_work(), which reclaim waits
    # for through xfs_qm_dqflush() -> xfs_log_force() -> flush_workqueue()
    (
        "xfs: allocate the CIL context with GFP_KERNEL",
        "fs/xfs/xfs_log_cil.c",
        "ctx = kmem_zalloc(sizeof(*ctx), KM_NOFS);",
        "ctx = kmem_zalloc(sizeof(*ctx), 0);",
    ),
    # extent tree nodes grow with the ILOCK held, which reclaim takes only on
    # inodes it frees; a buffer lock or a dquot lock a call before may
    # return holding is what keeps NOFS, and that is not shown to be held
    (
        "xfs: grow the extent tree with GFP_KERNEL",
        "fs/xfs/libxfs/xfs_iext_tree.c",
        "struct xfs_iext_node\t*node = kmem_zalloc(NODE_SIZE, KM_NOFS);",
        "struct xfs_iext_node\t*node = kmem_zalloc(NODE_SIZE, 0);",
    ),
    # the dquot tree's inserts run under qi_tree_lock, which the dquot
    # shrinker takes
    (
        "xfs: let the user dquot tree allocate with GFP_KERNEL",
        "fs/xfs/xfs_qm.c",
        "INIT_RADIX_TREE(&qinf->qi_uquota_tree, GFP_NOFS);",
        "INIT_RADIX_TREE(&qinf->qi_uquota_tree, GFP_KERNEL);",
    ),
    # xfs_trans_get_bud() only runs inside a transaction
    (
        "xfs: allocate BUD items with GFP_NOFS",
        "fs/xfs/xfs_bmap_item.c",
        "budp = kmem_cache_zalloc(xfs_bud_cache, GFP_KERNEL | __GFP_NOFAIL);",
        "budp = kmem_cache_zalloc(xfs_bud_cache, GFP_NOFS | __GFP_NOFAIL);",
    ),
    # FS_IOC_GETBMAP's buffer: an ioctl, no lock held, no scope
    (
        "xfs: allocate the getbmap buffer with GFP_NOFS",
        "fs/xfs/xfs_ioctl.c",
        "buf = kvcalloc(bmx.bmv_count, sizeof(*buf), GFP_KERNEL);",
        "buf = kvcalloc(bmx.bmv_count, sizeof(*buf), GFP_NOFS);",
    ),
    # the case-folded name of an ext4 lookup: ->lookup holds the parent
    # directory's i_rwsem, which ext4 eviction takes
    (
        "ext4: allocate the case-folded name with GFP_KERNEL",
        "fs/ext4/namei.c",
        "cf_name->name = kmalloc(EXT4_NAME_LEN, GFP_NOFS);",
        "cf_name->name = kmalloc(EXT4_NAME_LEN, GFP_KERNEL);",
    ),
    # correct: __xfs_bmap_add() only runs inside a transaction (6.12 has
    # GFP_KERNEL here)
    (
        "xfs: allocate bmap intents with GFP_KERNEL",
        "fs/xfs/libxfs/xfs_bmap.c",
        "bi = kmem_cache_alloc(xfs_bmap_intent_cache, GFP_NOFS | __GFP_NOFAIL);",
        "bi = kmem_cache_alloc(xfs_bmap_intent_cache, GFP_KERNEL | __GFP_NOFAIL);",
    ),
]


def test_series_with_one_patch_per_kind_and_a_correct_one(
    linux61: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    series = tmp_path / "kinds.mbox"
    patches = [(subject, {path: [(old, new)]}) for subject, path, old, new in KINDS_SERIES]
    series.write_text(
        mbox(linux61, [*patches, ("ext4: read ACLs inside a NOFS scope", dict([LEAK]))])
    )
    assert main(["review", "--tree", str(linux61), str(series), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)

    def at(i: int) -> tuple[str, int]:
        _, path, _, new = KINDS_SERIES[i - 1]
        return path, line_of(_after(linux61, path, [(KINDS_SERIES[i - 1][2], new)]), new)

    want = {
        (1, "nofs-dropped", "error", *at(1)),
        (2, "nofs-dropped-unproven", "warning", *at(2)),
        (3, "nofs-dropped", "error", *at(3)),
        (4, "redundant-nofs", "warning", *at(4)),
        (5, "unneeded-nofs", "warning", *at(5)),
        (6, "fs-alloc-under-shared-lock", "error", *at(6)),
        (
            8,
            "unbalanced-scope",
            "error",
            LEAK[0],
            line_of(_after(linux61, LEAK[0], LEAK[1]), "return ERR_PTR(-ENOMEM);", "ext4_get_acl("),
        ),
    }
    got = {(f["patch"], f["kind"], f["severity"], f["path"], f["line"]) for f in doc["findings"]}
    assert got == want  # patch 7, the correct conversion, is clean
    assert doc["summary"]["errors"] == 4 and doc["summary"]["warnings"] == 3
    by_patch = {f["patch"]: f for f in doc["findings"]}
    # each finding carries the chain it stands on
    notes = {p: " | ".join(e["note"] for e in f["evidence"]) for p, f in by_patch.items()}
    assert "reclaim waits in flush_workqueue()" in notes[1]
    assert "xlog_cil_push_work" in by_patch[1]["message"]
    # the buffer a call before may return locked; no dquot lock since a
    # dquot locked only on success is followed (xfs_qm_dqget_inode())
    assert "may still be held (xfs_buf.b_sema)" in by_patch[2]["message"]
    assert "inode.i_rwsem" in by_patch[6]["message"]
    assert any("reclaim takes inode.i_rwsem" in n for n in notes[6].split(" | "))
    assert "qi_tree_lock" in by_patch[3]["message"]
    assert "xfs_trans_alloc() opens a NOFS scope" in notes[4]
    assert by_patch[4]["suggestion"] == "GFP_KERNEL | __GFP_NOFAIL"
    assert by_patch[5]["suggestion"] == "GFP_KERNEL"
