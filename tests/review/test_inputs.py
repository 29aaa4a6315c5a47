"""Reading a series: mbox, .patch files, bare diffs; bad input is refused."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from nofsbot.errors import PatchError
from nofsbot.review.inputs import MAX_PATCHES, read_files, read_range
from nofsbot.tools.proc import run
from tests.conftest import committed, git, need

DIFF = """diff --git a/fs/x/a.c b/fs/x/a.c
--- a/fs/x/a.c
+++ b/fs/x/a.c
@@ -1 +1 @@
-int a;
+int b;
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Two commits on a small tree, the second touching two files."""
    tree = committed(tmp_path / "linux", {"fs/x/a.c": "int a;\n", "fs/x/b.c": "int b;\n"})
    (tree / "fs/x/a.c").write_text("int a2;\n")
    git(tree, "commit", "-qam", "x: first")
    (tree / "fs/x/a.c").write_text("int a3;\n")
    (tree / "fs/x/b.c").write_text("int b2;\n")
    git(tree, "commit", "-qam", "x: second")
    return tree


def test_format_patch_series_with_cover_letter(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    git(repo, "format-patch", "-q", "--cover-letter", "--base=HEAD~2", "-o", str(out), "HEAD~2")
    files = sorted(out.iterdir())
    mbox = tmp_path / "series.mbox"
    # patches out of order in the mbox: the subject numbers decide
    mbox.write_text("".join(f.read_text() for f in [files[0], files[2], files[1]]))
    s = read_files([mbox])
    assert [p.subject for p in s.patches] == ["[PATCH 1/2] x: first", "[PATCH 2/2] x: second"]
    assert [p.index for p in s.patches] == [1, 2]
    assert s.patches[1].paths == ("fs/x/a.c", "fs/x/b.c")
    assert s.base == git(repo, "rev-parse", "HEAD~2").strip()
    # the same as separate .patch files
    again = read_files(files[1:])
    assert [p.diff for p in again.patches] == [p.diff for p in s.patches]
    assert all(p.author and p.author.startswith("Test Author") for p in s.patches)


def test_what_b4_am_writes(repo: Path, tmp_path: Path) -> None:
    # b4 am writes the patches to an .mbx and the cover letter (with the
    # base-commit: line) to a .cover next to it; nofsbot reads both
    need("b4 (pip install b4)", shutil.which("b4") is not None)
    out = tmp_path / "out"
    git(
        repo,
        "format-patch",
        "-q",
        "--thread",
        "--cover-letter",
        "--base=HEAD~2",
        "-o",
        str(out),
        "HEAD~2",
    )
    thread = tmp_path / "thread.mbox"
    thread.write_text("".join(f.read_text() for f in sorted(out.iterdir())))
    cover = next(out.glob("0000-*")).read_text()
    found = re.search(r"^Message-Id: <(.+)>$", cover, re.M | re.I)
    assert found is not None
    am = tmp_path / "am"
    run(["b4", "am", "-m", str(thread), "-o", str(am), found.group(1)], cwd=tmp_path, timeout=120)
    s = read_files([next(am.glob("*.cover")), next(am.glob("*.mbx"))])
    assert [p.subject for p in s.patches] == ["[PATCH 1/2] x: first", "[PATCH 2/2] x: second"]
    assert s.base == git(repo, "rev-parse", "HEAD~2").strip()
    assert all(p.message_id for p in s.patches)


def test_range_bare_diff_and_mail_headers(repo: Path, tmp_path: Path) -> None:
    s = read_range(repo, "HEAD~2..HEAD")
    assert len(s.patches) == 2 and s.base == git(repo, "rev-parse", "HEAD~2").strip()
    bare = tmp_path / "x.diff"
    bare.write_text(DIFF)
    assert read_files([bare]).patches[0].paths == ("fs/x/a.c",)
    mail = tmp_path / "x.eml"
    mail.write_text(
        "From: Dev <dev@example.org>\nTo: List <list@example.org>\nCc: A <a@example.org>\n"
        "Subject: [PATCH v2] x: one\nMessage-ID: <one@example.org>\n"
        "In-Reply-To: <cover@example.org>\nReferences: <cover@example.org>\n\nWhy.\n---\n" + DIFF
    )
    p = read_files([mail]).patches[0]
    assert (p.message_id, p.references) == ("<one@example.org>", ("<cover@example.org>",))
    assert p.to == ("List <list@example.org>",) and p.cc == ("A <a@example.org>",)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("hello, world\n", "not an mbox, a mail or a diff"),
        ("From x Mon Sep 17 00:00:00 2001\nSubject: [PATCH 1/1] x\n\nno diff\n", "holds no diff"),
        (
            "".join(
                f"From x Mon Sep 17 00:00:00 2001\nSubject: [PATCH {n}/3] x\n\n{DIFF}\n"
                for n in (1, 3)
            ),
            "patch 2 of 3 missing",
        ),
        (
            "diff --git a/fs/x/a.o b/fs/x/a.o\nindex 1..2 100644\nGIT binary patch\nliteral 1\n"
            "Kc${<A0000000\n\nliteral 0\nKc${<A0000000\n",
            "binary",
        ),
        (
            "diff --git a/fs/x/a.o b/fs/x/a.o\nindex 1..2 100644\n"
            "Binary files a/fs/x/a.o and b/fs/x/a.o differ\n",
            "binary",
        ),
        (DIFF.replace("a/fs/x/a.c", "a/../../etc/passwd"), "leaves the tree"),
        ("--- /etc/passwd\n+++ /etc/passwd\n@@ -1 +1 @@\n-a\n+b\n", "absolute path"),
        (DIFF.replace("@@ -1 +1 @@", "@@ -1 +1 @@\n-int x;\n-int y;"), "malformed diff"),
        (
            "diff --git a/fs/x/l.c b/fs/x/l.c\nnew file mode 120000\n--- /dev/null\n"
            "+++ b/fs/x/l.c\n@@ -0,0 +1 @@\n+/etc/shadow\n\\ No newline at end of file\n",
            "symbolic link",
        ),
    ],
)
def test_bad_input_is_refused(tmp_path: Path, text: str, says: str) -> None:
    f = tmp_path / "in.mbox"
    f.write_text(text)
    with pytest.raises(PatchError, match=says):
        read_files([f])


def test_too_many_patches(tmp_path: Path) -> None:
    f = tmp_path / "huge.mbox"
    f.write_text(
        "".join(
            f"From x Mon Sep 17 00:00:00 2001\nSubject: [PATCH {n}/{MAX_PATCHES + 1}] x\n\n{DIFF}\n"
            for n in range(1, MAX_PATCHES + 2)
        )
    )
    with pytest.raises(PatchError, match=f"more than {MAX_PATCHES} patches"):
        read_files([f])


def test_not_a_range(repo: Path) -> None:
    with pytest.raises(PatchError, match="neither a file nor a revision range"):
        read_range(repo, "no-such-branch..HEAD")
    with pytest.raises(PatchError, match="no commits"):
        read_range(repo, "HEAD..HEAD")


def test_a_diff_attached_to_the_mail(tmp_path: Path) -> None:
    f = tmp_path / "attached.eml"
    f.write_text(
        "From: Dev <dev@example.org>\nSubject: [PATCH] x: one\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\n'
        'Why.\n--b\nContent-Type: text/x-patch; name="x.patch"\n'
        "Content-Disposition: attachment\n\n" + DIFF + "--b--\n"
    )
    assert read_files([f]).patches[0].paths == ("fs/x/a.c",)
