"""The verify stage's pure parts: Kbuild requirements and the comparisons."""

from __future__ import annotations

from pathlib import Path

import pytest

from nofsbot.tools.checkpatch import Finding
from nofsbot.tools.kbuild import Diagnostic
from nofsbot.verify import checks, makefiles
from nofsbot.verify.makefiles import Assignment, Requirement

KBUILD = Path(__file__).parent / "data" / "kbuild"


def read(path: str) -> str | None:
    """Makefiles of the fixture tree (excerpts of 6.1's fs/Makefile and fs/xfs/Makefile)."""
    p = KBUILD / path
    return p.read_text() if p.is_file() else None


@pytest.mark.parametrize(
    ("obj", "symbols"),
    [
        # xfs-$(CONFIG_XFS_QUOTA) += ... xfs_qm.o, obj-$(CONFIG_XFS_FS) += xfs.o, xfs/
        ("fs/xfs/xfs_qm.o", ("XFS_FS", "XFS_QUOTA")),
        # listed by fs/xfs/Makefile as $(addprefix libxfs/, ... xfs_dir2.o ...)
        ("fs/xfs/libxfs/xfs_dir2.o", ("XFS_FS",)),
        ("fs/xfs/libxfs/xfs_rtbitmap.o", ("XFS_FS", "XFS_RT")),
        # xfs-y inside ifeq ($(CONFIG_XFS_ONLINE_SCRUB),y)
        ("fs/xfs/scrub/dir.o", ("XFS_FS", "XFS_ONLINE_SCRUB")),
        # nested: ifeq ($(CONFIG_MEMORY_FAILURE),y) and xfs-$(CONFIG_FS_DAX)
        ("fs/xfs/xfs_notify_failure.o", ("FS_DAX", "MEMORY_FAILURE", "XFS_FS")),
        # obj-y in fs/Makefile; the top of the tree needs nothing
        ("fs/open.o", ()),
        # obj-y inside ifeq ($(CONFIG_BLOCK),y)
        ("fs/buffer.o", ("BLOCK",)),
    ],
)
def test_requirement(obj: str, symbols: tuple[str, ...]) -> None:
    assert makefiles.requirement(obj, read) == Requirement(obj, symbols, None)


def test_requirement_names_what_no_makefile_lists() -> None:
    r = makefiles.requirement("fs/xfs/xfs_nonexistent.o", read)
    assert r.problem == "no Kbuild Makefile lists object fs/xfs/xfs_nonexistent.o"
    r = makefiles.requirement("fs/ext2/inode.o", read)
    assert r.problem is not None and "fs/ext2" in r.problem


def test_requirement_refuses_a_condition_that_is_not_a_symbol() -> None:
    files = {
        "drivers/x/Makefile": "obj-$(CONFIG_X) += x/\n",
        "drivers/x/x/Makefile": "obj-$(foo) += a.o\n",
    }
    r = makefiles.requirement("drivers/x/x/a.o", files.get)
    assert r.problem is not None and "not a CONFIG symbol" in r.problem


def test_parse_continuations_composites_and_old_style_objs() -> None:
    text = (
        "obj-$(CONFIG_FOO) += foo.o bar/\n"
        "foo-objs := a.o \\\n\tb.o # a comment\n"
        "foo-$(CONFIG_FOO_DEBUG) += $(addprefix dbg/, c.o d.o)\n"
        "ccflags-y += -I$(src)\n"
        "ifdef CONFIG_BAR\nlib-y += e.o\nelse\nlib-y += f.o\nendif\n"
    )
    assert makefiles.parse(text) == [
        Assignment("obj", "FOO", ("foo.o", "bar/"), ()),
        Assignment("foo", None, ("a.o", "b.o"), ()),
        Assignment("foo", "FOO_DEBUG", ("dbg/c.o", "dbg/d.o"), ()),
        Assignment("ccflags", None, ("-I$(src)",), ()),
        Assignment("lib", None, ("e.o",), ("BAR",)),
        Assignment("lib", None, ("f.o",), ()),
    ]
    files = {"lib/Makefile": text}
    assert makefiles.requirement("lib/dbg/c.o", files.get).symbols == ("FOO", "FOO_DEBUG")
    assert makefiles.requirement("lib/e.o", files.get).symbols == ("BAR",)


def test_object_of() -> None:
    assert makefiles.object_of("fs/xfs/xfs_qm.c") == "fs/xfs/xfs_qm.o"
    assert makefiles.object_of("arch/x86/entry/entry_64.S") == "arch/x86/entry/entry_64.o"
    assert makefiles.object_of("fs/xfs/xfs_qm.h") is None
    assert makefiles.object_of("fs/xfs/Makefile") is None


def warning(path: str, line: int, message: str, flag: str | None = None) -> Diagnostic:
    return Diagnostic(path, line, 5, "warning", message, flag)


def test_warnings_compare_without_line_numbers() -> None:
    base = checks.warnings([warning("fs/a.c", 10, "unused variable 'x'", "-Wunused-variable")])
    after = [
        warning("fs/a.c", 14, "unused variable 'x'", "-Wunused-variable"),  # moved: not new
        warning("fs/a.c", 20, "unused variable 'y'", "-Wunused-variable"),
        Diagnostic("fs/a.c", 30, 1, "error", "expected ';'", None),
    ]
    assert checks.new_warnings(after, base) == [
        "fs/a.c: warning: unused variable 'y' [-Wunused-variable]"
    ]
    assert checks.errors(after) == ["fs/a.c:30:1: error: expected ';'"]


def finding(sev: str, kind: str, path: str | None, line: int, source: str) -> Finding:
    return Finding(sev, kind, "message", path, line, source)


def test_checkpatch_findings_of_the_pre_image_are_not_blamed() -> None:
    pre = [finding("WARNING", "LONG_LINE", "fs/a.c", 100, "old_long_line();")]
    patch = [
        finding("WARNING", "LONG_LINE", "fs/a.c", 104, "old_long_line();"),  # moved
        finding("WARNING", "LONG_LINE", "fs/b.c", 100, "old_long_line();"),  # other file
        finding("WARNING", "SPACING", "fs/a.c", 104, "old_long_line();"),  # other type
        finding("CHECK", "LINE_SPACING", "fs/a.c", 7, "int x;"),
        finding("WARNING", "COMMIT_MESSAGE", None, 0, ""),
    ]
    new = checks.new_findings(patch, pre)
    assert [(f.type, f.path) for f in new] == [
        ("COMMIT_MESSAGE", None),
        ("LINE_SPACING", "fs/a.c"),
        ("SPACING", "fs/a.c"),
        ("LONG_LINE", "fs/b.c"),
    ]
    # CHECKs are reported, not fatal; commit message findings only when asked
    assert [f.type for f in checks.blamed(new, messages=False)] == ["SPACING", "LONG_LINE"]
    assert len(checks.blamed(new, messages=True)) == 3


def test_cli_wants_a_range(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from nofsbot.cli import main

    assert main(["verify", "--tree", str(tmp_path), "master"]) == 2
    assert "BASE..TIP" in capsys.readouterr().err
