"""Parsing make W=1 output into diagnostics, and reading .config."""

from __future__ import annotations

from pathlib import Path

from nofsbot.tools.kbuild import Diagnostic, config_values, parse_diagnostics, relative

SRC = Path("/cache/verify/abc/src")
BUILD = Path("/cache/build/abc-123")

OUTPUT = f"""\
  CC      fs/xfs/xfs_qm.o
{SRC}/fs/xfs/xfs_qm.c: In function 'xfs_qm_dqattach':
{SRC}/fs/xfs/xfs_qm.c:340:13: warning: unused variable 'x' [-Wunused-variable]
  340 |         int x;
      |             ^
In file included from {SRC}/fs/xfs/xfs.h:22,
                 from {SRC}/fs/xfs/xfs_qm.c:6:
../fs/xfs/xfs_linux.h:12:1: error: expected expression before ';' token
../fs/xfs/xfs_linux.h:20:5: note: declared here
fs/xfs/xfs_qm.o: warning: objtool: xfs_qm_init_quotainfo+0x12: unreachable instruction
make[4]: *** [{SRC}/scripts/Makefile.build:250: fs/xfs/xfs_qm.o] Error 1
make[1]: *** [/cache/src/Makefile:1992: fs] Error 2
"""


def test_parse_diagnostics_strips_the_build_paths_and_skips_notes() -> None:
    assert parse_diagnostics(OUTPUT, (SRC, BUILD)) == [
        Diagnostic(
            "fs/xfs/xfs_linux.h", 12, 1, "error", "expected expression before ';' token", None
        ),
        Diagnostic(
            "fs/xfs/xfs_qm.c", 340, 13, "warning", "unused variable 'x'", "-Wunused-variable"
        ),
        Diagnostic(
            "fs/xfs/xfs_qm.o",
            0,
            0,
            "warning",
            "objtool: xfs_qm_init_quotainfo+0x12: unreachable instruction",
            None,
        ),
    ]


def test_sparse_warnings_have_no_flag() -> None:
    text = "fs/xfs/xfs_buf.c:97:9: warning: context imbalance in 'f' - wrong count at exit\n"
    (d,) = parse_diagnostics(text)
    assert (d.path, d.line, d.flag) == ("fs/xfs/xfs_buf.c", 97, None)


def test_fatal_error_is_an_error() -> None:
    (d,) = parse_diagnostics("fs/a.c:1:10: fatal error: b.h: No such file or directory\n")
    assert d.severity == "error"


def test_relative_leaves_other_paths_alone() -> None:
    assert relative("./include/linux/fs.h", (SRC,)) == "include/linux/fs.h"
    assert relative("/usr/include/stdio.h", (SRC,)) == "/usr/include/stdio.h"


def test_config_values(tmp_path: Path) -> None:
    (tmp_path / ".config").write_text(
        'CONFIG_XFS_FS=y\n# CONFIG_XFS_RT is not set\nCONFIG_LOCALVERSION=""\n'
    )
    assert config_values(tmp_path) == {"XFS_FS": "y", "LOCALVERSION": '""'}
    assert config_values(tmp_path / "missing") == {}
