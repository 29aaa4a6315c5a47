"""`nofsbot review` end to end on a small tree: formats, exit codes, and bad
input that never changes the user's tree."""

from __future__ import annotations

import email
import email.policy
import json
import re
from pathlib import Path

import pytest

from nofsbot.cli import main
from tests.conftest import DATA, committed, git

# the jbd2 handle of cl_in_handle() in tests/data/review/classes.c
REDUNDANT = ("\tf->a = kmalloc(8, GFP_KERNEL);\n", "\tf->a = kmalloc(8, GFP_NOFS);\n")
CLEAN = ("\tf->b = kmalloc(8, GFP_KERNEL);\n", "\tf->b = kmalloc(16, GFP_KERNEL);\n")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return committed(
        tmp_path / "linux", {"fs/rv/classes.c": (DATA / "review" / "classes.c").read_text()}
    )


def series(repo: Path, out: Path, *edits: tuple[str, str]) -> Path:
    """EDITS of fs/rv/classes.c, one patch each, as an mbox in OUT; the tree
    stays as it was."""
    head = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "--detach")
    for n, (old, new) in enumerate(edits, 1):
        path = repo / "fs/rv/classes.c"
        path.write_text(path.read_text().replace(old, new))
        git(repo, "commit", "-qam", f"rv: change {n}")
    out.write_text(
        git(repo, "format-patch", "--stdout", "--thread", "--cover-letter", f"--base={head}", head)
    )
    git(repo, "checkout", "-q", "master")
    return out


def snapshot(repo: Path) -> tuple[str, ...]:
    return (
        git(repo, "status", "--porcelain=v1", "-uall"),
        git(repo, "diff"),
        git(repo, "diff", "--cached"),
        git(repo, "branch", "-a"),
        git(repo, "worktree", "list", "--porcelain"),
        git(repo, "rev-parse", "HEAD"),
        (repo / "fs/rv/classes.c").read_text(),
    )


def test_text_and_json(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mbox = series(repo, tmp_path / "s.mbox", CLEAN, REDUNDANT)
    assert main(["review", "--tree", str(repo), str(mbox)]) == 0  # warnings only
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "  1: [PATCH 1/2] rv: change 1: clean"
    assert out[2] == "  2: [PATCH 2/2] rv: change 2"
    assert out[3].startswith("     fs/rv/classes.c:13 cl_in_handle(): warning: redundant-nofs: ")
    assert out[-1] == "1 finding (0 errors, 1 warning) in 1 of 2 patches"
    assert main(["review", "--tree", str(repo), str(mbox), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(f["patch"], f["line"], f["kind"]) for f in doc["findings"]] == [
        (2, 13, "redundant-nofs")
    ]
    assert doc["base"] == git(repo, "rev-parse", "HEAD").strip()
    assert doc["analysed"] == ["fs/rv/classes.c"]


def test_email_replies_under_the_line(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mbox = series(repo, tmp_path / "s.mbox", CLEAN, REDUNDANT)
    patch = email.message_from_string(
        mbox.read_text().split("\nFrom ")[-1].split("\n", 1)[1], policy=email.policy.default
    )
    assert main(["review", "--tree", str(repo), str(mbox), "--format", "email"]) == 0
    out = capsys.readouterr().out
    assert out.count("\nFrom nofsbot ") + out.startswith("From nofsbot ") == 1
    reply = email.message_from_string(out.split("\n", 1)[1], policy=email.policy.default)
    assert reply["Subject"] == f"Re: {patch['Subject']}"
    assert reply["In-Reply-To"] == patch["Message-ID"]
    assert reply["References"].split() == [*patch["References"].split(), patch["Message-ID"]]
    assert reply["To"] == patch["From"]
    body = reply.get_content().splitlines()
    at = body.index(">  \thandle_t *handle = jbd2_journal_start(f->journal, 1);")
    assert body[at + 1 : at + 5] == [
        ">",
        "> -\tf->a = kmalloc(8, GFP_KERNEL);",
        "> +\tf->a = kmalloc(8, GFP_NOFS);",
        "",
    ]
    assert body[at + 5].startswith("warning: redundant-nofs: GFP_NOFS is redundant")
    assert body[-2:] == ["-- ", body[-1]] and body[-1].startswith("nofsbot ")
    # one .eml per patch with findings
    out_dir = tmp_path / "mails"
    argv = ["review", "--tree", str(repo), str(mbox), "--format", "email", "--out", str(out_dir)]
    assert main(argv) == 0
    assert [p.name for p in out_dir.iterdir()] == ["0002-re-rv-change-2.eml"]


def test_email_comments_under_a_context_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the goto skips the new restore: the leak is at `return err;`, a line
    # the patch does not change but quotes as context
    src = (DATA / "review" / "scopes.c").read_text()
    repo = committed(tmp_path / "linux", {"fs/rv/scopes.c": src})
    git(repo, "checkout", "-q", "--detach")
    (repo / "fs/rv/scopes.c").write_text(
        src.replace(
            "\tmutex_lock(&f->lock);\n",
            "\tmutex_lock(&f->lock);\n\tunsigned int nofs = memalloc_nofs_save();\n",
        ).replace(
            "\tf->c = kmalloc(8, GFP_KERNEL);\n",
            "\tf->c = kmalloc(8, GFP_KERNEL);\n\tmemalloc_nofs_restore(nofs);\n",
        )
    )
    git(repo, "commit", "-qam", "rv: scope the section")
    assert main(["review", "--tree", str(repo), "HEAD^!", "--format", "email"]) == 1
    body = capsys.readouterr().out.split("\n\n", 1)[1].splitlines()
    at = body.index(">  \treturn err;")
    assert body[at - 3 : at] == [
        "> +\tmemalloc_nofs_restore(nofs);",
        ">  out:",
        ">  \tmutex_unlock(&f->lock);",
    ]
    assert body[at + 1] == ""
    assert body[at + 2].startswith("error: unbalanced-scope: returns with the NOFS scope")
    assert "And in the code this patch changes:" not in body


def test_usage(repo: Path, tmp_path: Path) -> None:
    assert main(["review", "--tree", str(repo)]) == 2
    assert main(["review", "--tree", str(repo), "x.mbox", "--github", "o/r#1"]) == 2
    assert main(["review", "--tree", str(repo), "x.mbox", "--out", str(tmp_path)]) == 2


DIFF = (
    "diff --git a/fs/rv/classes.c b/fs/rv/classes.c\n--- a/fs/rv/classes.c\n+++ b/fs/rv/classes.c\n"
)


BAD = [
    ("malformed", "From x Mon Sep 17 00:00:00 2001\nno headers\n", "not an mbox"),
    (
        "binary",
        "diff --git a/fs/rv/x.o b/fs/rv/x.o\nBinary files a/fs/rv/x.o and b/fs/rv/x.o differ\n",
        "binary diff",
    ),
    ("not applying", DIFF + "@@ -1,1 +1,1 @@\n-no such line\n+int x;\n", "does not apply"),
    (
        "leaving the tree",
        DIFF.replace("a/fs/rv/classes.c", "a/../outside.c") + "@@ -1 +1 @@\n-a\n+b\n",
        "leaves the tree",
    ),
    (
        "thousands",
        "".join(
            f"From x Mon Sep 17 00:00:00 2001\nSubject: [PATCH {n}/2000] x\n\n"
            f"{DIFF}@@ -1 +1 @@\n-a\n+b\n\n"
            for n in range(1, 2001)
        ),
        "more than 500 patches",
    ),
    (
        "unknown base",
        f"From x Mon Sep 17 00:00:00 2001\nSubject: [PATCH] x\n\n"
        f"{DIFF}@@ -1 +1 @@\n-a\n+b\n\nbase-commit: {'ab' * 20}\n",
        "fetch it",
    ),
]


@pytest.mark.parametrize(("name", "text", "says"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_leaves_the_tree_alone(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, says: str
) -> None:
    # work in progress: a modified file, a staged one, an untracked one
    (repo / "fs/rv/classes.c").write_text((repo / "fs/rv/classes.c").read_text() + "/* wip */\n")
    (repo / "Kconfig").write_text("# staged\n")
    git(repo, "add", "Kconfig")
    (repo / "notes.txt").write_text("untracked\n")
    before = snapshot(repo)
    bad = tmp_path / f"{re.sub(r'[^a-z]', '-', name)}.mbox"
    bad.write_text(text)
    assert main(["review", "--tree", str(repo), str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and says in err
    assert snapshot(repo) == before
    # a good series reviewed from the same dirty tree changes nothing either
    assert main(["review", "--tree", str(repo), "HEAD^!", "--base", "HEAD"]) in (0, 1)
    assert snapshot(repo) == before
