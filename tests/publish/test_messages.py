"""Commit message rules: no line numbers, the subsystem's prefix, unique
subjects of at most 75 columns, a body wrapped at 75."""

from __future__ import annotations

from nofsbot.drafts import draft_message, parse_draft, path_prefix
from nofsbot.publish import messages
from nofsbot.publish.sections import parse, section_for


def test_line_numbers_are_stripped() -> None:
    text = (
        "xfs_qm_dqattach() takes the lock at line 369 (line 369), released on lines 371, 380; "
        "see fs/xfs/xfs_qm.c:369 and (fs/ext4/ialloc.c:1564, down_write)"
    )
    out = messages.strip_lines(text)
    assert "369" not in out and "371" not in out and "1564" not in out
    assert "fs/xfs/xfs_qm.c" in out and "(fs/ext4/ialloc.c, down_write)" in out


def test_prefix_comes_from_the_subsystem_log() -> None:
    log = ["xfs: fix a leak", "xfs: use folios", "xfs: drop dead code", "Merge tag 'x'"]
    assert messages.subsystem_prefix(log, "fs") == "xfs"
    # a log without a habit (a tree imported in one commit) falls back to the path
    assert messages.subsystem_prefix(["Import linux-source-6.1"], "jfs") == "jfs"
    assert path_prefix("fs/jfs/super.c") == "jfs"
    assert path_prefix("mm/filemap.c") == "mm"


def test_subjects_are_unique_and_short() -> None:
    long = "xfs: use GFP_KERNEL in xfs_defer_ops_capture_and_commit(), already in a NOFS scope"
    got = messages.unique_subjects(
        ["xfs: use GFP_KERNEL in 4 functions", "xfs: use GFP_KERNEL in 4 functions", long],
        [("fs/xfs/a.c",), ("fs/xfs/b.c",), ("fs/xfs/c.c",)],
    )
    assert len(set(got)) == 3
    assert got[1] == "xfs: use GFP_KERNEL in 4 functions (b.c)"
    assert all(len(s) <= 75 for s in got)


def test_final_message_has_trailers_removed_and_a_signoff() -> None:
    raw = draft_message(
        "case: use GFP_KERNEL in fill()",
        "Every path to it (line 12) already runs inside a NOFS scope.\n\n"
        "  fill(): its only call site is inside a scope\n"
        "  fill(): its only call site is inside a scope",
        "redundant",
        "nofs_flags.cocci",
    )
    subject, _, body = raw.partition("\n\n")
    d = parse_draft(subject, body)
    assert (d.klass, d.rule) == ("redundant", "nofs_flags.cocci")
    msg = messages.final_message(
        subject, d, "Verified: builds with W=1.", "A U Thor <a@example.org>"
    )
    assert "Nofsbot-" not in msg and "line 12" not in msg
    # evidence lists keep their indentation and lose repeats
    assert msg.count("  fill(): its only call site is inside a scope") == 1
    assert msg.endswith("\n\nSigned-off-by: A U Thor <a@example.org>\n")
    assert all(len(line) <= 75 for line in msg.splitlines())


MAINTAINERS = """\
Descriptions of section entries and preferred order
	F: *Files* and directories wildcard patterns.

CASE FILESYSTEM
M:	Case Maintainer <case@example.org>
L:	linux-case@example.org
S:	Maintained
F:	fs/case/
X:	fs/case/vendor/

CASE JOURNAL
M:	Journal Maintainer <journal@example.org>
F:	fs/case/journal*.c

THE REST
L:	linux-kernel@vger.kernel.org
F:	*
F:	*/
"""


def test_sections_pick_the_most_specific_pattern() -> None:
    table = parse(MAINTAINERS)
    assert [s.name for s in table] == ["CASE FILESYSTEM", "CASE JOURNAL", "THE REST"]

    def name(path: str) -> str | None:
        s = section_for(table, path)
        return s.name if s else None

    assert name("fs/case/super.c") == "CASE FILESYSTEM"
    assert name("fs/case/journal_io.c") == "CASE JOURNAL"
    assert name("fs/case/vendor/x.c") == "THE REST"  # excluded by X:
    assert name("mm/filemap.c") == "THE REST"
    assert section_for(table, "fs/case/super.c").lists == ("linux-case@example.org",)  # type: ignore[union-attr]
