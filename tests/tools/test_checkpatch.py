"""Parsing checkpatch.pl --show-types output."""

from __future__ import annotations

from nofsbot.tools.checkpatch import Finding, parse

OUTPUT = """\
WARNING:COMMIT_MESSAGE: Missing commit description - Add an appropriate one

WARNING:LONG_LINE_COMMENT: line length of 109 exceeds 100 columns
#20: FILE: fs/xfs/libxfs/xfs_dir2.c:770:
+/* a comment line that is far too long ... */

ERROR:SPACING: space prohibited before that close parenthesis ')'
#31: FILE: fs/xfs/xfs_qm.c:12:
+\tfoo(a );
 \t      ^

CHECK:LINE_SPACING: Please use a blank line after function/struct/union/enum declarations
#40: FILE: fs/xfs/xfs_qm.c:30:
+int x;
"""


def test_parse_findings_with_their_file_and_stripped_line() -> None:
    assert parse(OUTPUT) == [
        Finding(
            "WARNING",
            "COMMIT_MESSAGE",
            "Missing commit description - Add an appropriate one",
            None,
            0,
            "",
        ),
        Finding(
            "WARNING",
            "LONG_LINE_COMMENT",
            "line length of 109 exceeds 100 columns",
            "fs/xfs/libxfs/xfs_dir2.c",
            770,
            "/* a comment line that is far too long ... */",
        ),
        Finding(
            "ERROR",
            "SPACING",
            "space prohibited before that close parenthesis ')'",
            "fs/xfs/xfs_qm.c",
            12,
            "foo(a );",
        ),
        Finding(
            "CHECK",
            "LINE_SPACING",
            "Please use a blank line after function/struct/union/enum declarations",
            "fs/xfs/xfs_qm.c",
            30,
            "int x;",
        ),
    ]


def test_a_clean_patch_has_no_findings() -> None:
    assert (
        parse('"[PATCH] xfs: x" has no obvious style problems and is ready for submission.\n') == []
    )


def test_key_has_no_line_number() -> None:
    a = Finding("WARNING", "LONG_LINE", "m", "fs/a.c", 10, "x = 1;")
    b = Finding("WARNING", "LONG_LINE", "m", "fs/a.c", 99, "x = 1;")
    assert a.key == b.key
