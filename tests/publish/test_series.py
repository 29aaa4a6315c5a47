"""`nofsbot series` and `nofsbot send` on a small committed tree: final
messages, a cover letter, v2 with a changelog, recipients from
get_maintainer.pl, and the mail a real SMTP server receives.

Golden files in tests/data/golden/ are compared after normalising dates,
Message-IDs, commit ids and tool versions; NOFSBOT_REGEN_GOLDEN=1
rewrites them (review the diff like code).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from nofsbot.cli import main
from nofsbot.publish import PublishOptions, publish
from tests.conftest import DATA, committed, git, make_tree, need
from tests.publish.smtp import smtp_server

pytestmark = pytest.mark.spatch

CASES = Path(__file__).parent.parent / "cases"
GOLDEN = DATA / "golden"
MAINTAINERS = """\
CASE FILESYSTEM
M:	Case Maintainer <case@example.org>
R:	Case Reviewer <reviewer@example.org>
L:	linux-case@example.org
S:	Maintained
F:	fs/case/

THE REST
M:	Linus Torvalds <torvalds@linux-foundation.org>
L:	linux-kernel@vger.kernel.org
S:	Buried alive in reporters
F:	*
F:	*/
"""


def normalise(text: str) -> str:
    text = re.sub(r"^Date: .*$", "Date: DATE", text, flags=re.M)
    msgid = r"^(Message-I[dD]|In-Reply-To|References): <.*>$"
    text = re.sub(msgid, r"\1: <MSGID>", text, flags=re.M)
    text = re.sub(r"change-id: \d{8}-", "change-id: DATE-", text)
    text = re.sub(r"\b[0-9a-f]{7,40}\b", "HEX", text)
    text = re.sub(r"spatch \d+(\.\d+)*", "spatch VERSION", text)
    return re.sub(r"lore\.kernel\.org/r/\S+", "lore.kernel.org/r/MSGID", text)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    text = normalise(text)
    if os.environ.get("NOFSBOT_REGEN_GOLDEN") == "1":
        path.write_text(text)
    assert text == path.read_text()


@pytest.fixture
def branch(tmp_path: Path, spatch: str, linux61: Path) -> tuple[Path, str]:
    """A tree with MAINTAINERS and the kernel's get_maintainer.pl, and a
    nofsbot rewrite branch `b` on it (two commits)."""
    need("perl", shutil.which("perl") is not None)
    tree = committed(
        tmp_path / "linux",
        {
            "MAINTAINERS": MAINTAINERS,
            "scripts/get_maintainer.pl": (linux61 / "scripts/get_maintainer.pl").read_text(),
            "fs/case/scoped.c": (CASES / "nofs_flags/scoped.before.c").read_text(),
            "fs/case/fill.c": (CASES / "nofs_scope/multi_exit.before.c").read_text(),
        },
    )
    git(tree, "config", "user.name", "A U Thor")
    git(tree, "config", "user.email", "author@example.org")
    argv = ["rewrite", "--no-publish", "--tree", str(tree), "fs/case", "--branch", "b"]
    assert main([*argv, "--worktree", str(tmp_path / "wt"), "-j", "1"]) == 0
    return tree, git(tree, "rev-parse", "HEAD").strip()


def changelog_of(cover: str) -> str:
    return cover[cover.index("Changes in v") :].split("\n\n")[0]


def series(tree: Path, rev: str, out: Path, capsys: pytest.CaptureFixture[str]) -> dict:  # type: ignore[type-arg]
    capsys.readouterr()
    assert main(["series", "--tree", str(tree), rev, "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["series"]) == 1
    return doc["series"][0]  # type: ignore[no-any-return]


def test_series_v1_v2_and_send(
    branch: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree, base = branch
    out = tmp_path / "out"
    s = series(tree, f"{base}..b", out, capsys)
    assert s["version"] == 1 and s["section"] == "CASE FILESYSTEM"
    assert s["local_base"] is None  # a base of an ordinary repository
    # To: the section's maintainer and list; Cc: its reviewer and the catch-all list
    assert s["to"] == ["Case Maintainer <case@example.org>", "linux-case@example.org"]
    assert s["cc"] == ["Case Reviewer <reviewer@example.org>", "linux-kernel@vger.kernel.org"]
    assert s["missing"] == []
    files = [Path(f) for f in s["files"]]
    assert [f.name for f in files] == [
        "0000-cover-letter.patch",
        "0001-case-open-a-NOFS-scope-in-fill-while-cache.lock-is-h.patch",
        "0002-case-use-GFP_KERNEL-in-fill-already-in-a-NOFS-scope.patch",
        "0003-case-drop-the-no-op-GFP_NOFS-in-op.patch",
        "0004-case-use-GFP_KERNEL-in-2-functions-already-in-a-NOFS.patch",
    ]
    check_golden("cover-v1.txt", files[0].read_text())
    patch1 = files[1].read_text()
    message = patch1[patch1.index("\n\n") + 2 : patch1.index("\n---\n")]
    check_golden("commit-message.txt", message)
    # the whole mail: notes on how it was made and verified below the ---
    check_golden("patch-1.txt", patch1)
    # the mbox holds the files, each message ended by an empty line
    mbox = Path(s["mbox"]).read_text()
    assert mbox == "".join(f.read_text().rstrip("\n") + "\n\n" for f in files)
    assert len(re.findall(r"\n\nFrom [0-9a-f]{40} Mon Sep 17 00:00:00 2001\n", mbox)) == 4
    # nofsbot review reads the mbox as a series of four, and finds it clean
    capsys.readouterr()
    assert main(["review", "--tree", str(tree), s["mbox"], "--json"]) == 0
    review = json.loads(capsys.readouterr().out)
    assert len(review["patches"]) == 4 and review["findings"] == []
    # the patches apply with git am on the base, and give the branch's tree
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(tree), str(clone))
    git(clone, "checkout", "-q", base)
    git(clone, "am", "-q", *map(str, files[1:]))
    assert git(clone, "rev-parse", "HEAD^{tree}") == git(tree, "rev-parse", "b^{tree}")

    # v1 goes out: a dry run first (nothing leaves), then for real, once
    with smtp_server() as inbox:
        smtp = ["--smtp-server", "127.0.0.1", "--smtp-port", str(inbox.port)]
        assert main(["send", s["directory"], *smtp]) == 0
        assert inbox.received == []
        assert main(["send", s["directory"], *smtp, "--send"]) == 0
        assert main(["send", s["directory"], *smtp, "--send"]) == 1  # not twice
        got = inbox.received
    assert len(got) == 5
    cover_id = got[0][1]["Message-ID"]
    for rcpt, msg in got:
        assert sorted(rcpt) == sorted(
            [
                "case@example.org",
                "linux-case@example.org",
                "reviewer@example.org",
                "linux-kernel@vger.kernel.org",
            ]
        )
        assert "case@example.org" in msg["To"] and "reviewer@example.org" in msg["Cc"]
    for _, msg in got[1:]:
        assert msg["In-Reply-To"] == cover_id and msg["References"] == cover_id
    assert [m["Subject"] for _, m in got] == [
        "[PATCH 0/4] case: use the scoped NOFS API instead of GFP_NOFS",
        "[PATCH 1/4] case: open a NOFS scope in fill() while cache.lock is held",
        "[PATCH 2/4] case: use GFP_KERNEL in fill(), already in a NOFS scope",
        "[PATCH 3/4] case: drop the no-op GFP_NOFS in op()",
        "[PATCH 4/4] case: use GFP_KERNEL in 2 functions, already in a NOFS scope",
    ]
    v1_link = f"- Link to v1: https://lore.kernel.org/r/{cover_id.strip('<>')}"

    # v2 without the last patch: a changelog, a range-diff and a link to the v1 sent
    s2 = series(tree, f"{base}..b~1", out, capsys)
    assert s2["version"] == 2 and s2["change_id"] == s["change_id"]
    cover2 = Path(s2["files"][0]).read_text()
    assert "Subject: [PATCH v2 0/3]" in cover2 and "Range-diff against v1:" in cover2
    changes = changelog_of(cover2)
    check_golden("changelog-v2.txt", changes)
    assert changes.endswith(v1_link)

    # v2 was never sent: v4 is compared with v1 and links to it, not to v2
    capsys.readouterr()
    argv = ["series", "--tree", str(tree), f"{base}..b~1", "--out", str(out), "-v", "4"]
    assert main([*argv, "--json"]) == 0
    s4 = json.loads(capsys.readouterr().out)["series"][0]
    assert s4["version"] == 4 and s4["change_id"] == s["change_id"]
    cover4 = Path(s4["files"][0]).read_text()
    changes = changelog_of(cover4)
    assert changes.splitlines() == [
        "Changes in v4 (since v1):",
        "- Dropped: case: use GFP_KERNEL in 2 functions, already in a NOFS scope",
        v1_link,
    ]
    assert "Range-diff against v1:" in cover4
    state = json.loads((out / "case" / "series.json").read_text())
    assert [v["version"] for v in state["versions"]] == [1, 2, 4]


def test_a_version_after_an_unsent_one_has_no_link(
    branch: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree, base = branch
    out = tmp_path / "out"
    series(tree, f"{base}..b", out, capsys)
    s2 = series(tree, f"{base}..b~1", out, capsys)
    cover2 = Path(s2["files"][0]).read_text()
    changes = changelog_of(cover2)
    assert changes.splitlines() == [
        "Changes in v2:",
        "- Dropped: case: use GFP_KERNEL in 2 functions, already in a NOFS scope",
    ]
    assert "lore.kernel.org" not in cover2


def test_change_ids_are_per_series(
    branch: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two different series of one tree and day get their own change-ids (and
    refs); the same series made again gets its own one back."""
    tree, base = branch
    first = series(tree, f"{base}..b~2", tmp_path / "one", capsys)
    second = series(tree, f"{base}..b", tmp_path / "two", capsys)
    assert first["change_id"] != second["change_id"]
    refs = git(tree, "for-each-ref", "--format=%(refname)", "refs/nofsbot/series/").split()
    assert sorted(refs) == sorted(
        f"refs/nofsbot/series/{x['change_id']}/v1" for x in (first, second)
    )
    again = series(tree, f"{base}..b~2", tmp_path / "three", capsys)
    assert again["change_id"] == first["change_id"] and again["version"] == 1
    v2 = series(tree, f"{base}..b~2", tmp_path / "one", capsys)
    assert v2["change_id"] == first["change_id"] and v2["version"] == 2


def test_another_clone_does_not_take_over_a_series(
    branch: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree, base = branch
    out = tmp_path / "out"
    series(tree, f"{base}..b", out, capsys)
    before = (out / "case" / "series.json").read_text()
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(tree), str(clone))
    git(clone, "branch", "-q", "b", "origin/b")
    argv = ["series", "--tree", str(clone), f"{base}..b", "--out", str(out)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {out / 'case'} holds ") and "of another repository" in err
    assert err.count("\n") == 1
    assert (out / "case" / "series.json").read_text() == before
    assert sorted(p.name for p in (out / "case").iterdir()) == sorted(
        json.loads(before)["files"] + ["series.json", "v1.mbox"]
    )


def test_long_series_are_split(
    branch: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """More patches than --max-patches for one maintainer tree: several
    series, each on top of the one before, as prerequisites."""
    tree, base = branch
    out = tmp_path / "out"
    argv = ["series", "--tree", str(tree), f"{base}..b", "--out", str(out), "--json"]
    assert main([*argv, "--max-patches", "3"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(Path(s["directory"]).name, len(s["files"]) - 1) for s in doc["series"]] == [
        ("case-1", 3),
        ("case-2", 1),
    ]
    first, second = doc["series"]
    assert first["change_id"] != second["change_id"]
    # made again elsewhere, each part gets its own change-id back
    again = [*argv[:-2], str(tmp_path / "again"), "--json", "--max-patches", "3"]
    assert main(again) == 0
    redo = json.loads(capsys.readouterr().out)["series"]
    assert [x["change_id"] for x in redo] == [first["change_id"], second["change_id"]]
    # the second goes on top of the first, and its cover letter says so
    cover = Path(second["files"][0]).read_text()
    assert f"prerequisite-change-id: {first['change_id']}:v1" in cover
    assert cover.count("prerequisite-patch-id: ") == 3
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(tree), str(clone))
    git(clone, "checkout", "-q", base)
    git(clone, "am", "-q", *first["files"][1:], *second["files"][1:])
    assert git(clone, "rev-parse", "HEAD^{tree}") == git(tree, "rev-parse", "b^{tree}")


def test_a_second_clone_publishes_its_own_v1(
    branch: tuple[Path, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """rewrite of the same base and paths in another clone: its own default
    series directory, its own v1, no range-diff against the other's."""
    tree, _ = branch
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(tree), str(clone))
    made = []
    for t in (tree, clone):
        capsys.readouterr()
        assert main(["rewrite", "--no-verify", "--tree", str(t), "fs/case", "--json"]) == 0
        made.append(json.loads(capsys.readouterr().out))
    assert made[0]["branch"] == made[1]["branch"]
    first, second = (m["series"][0] for m in made)
    assert first["directory"] != second["directory"]
    assert first["version"] == second["version"] == 1
    assert "Range-diff" not in Path(second["files"][0]).read_text()


def test_notes_stay_out_of_the_commits_b4_and_git_am_make(
    branch: tuple[Path, str], tmp_path: Path
) -> None:
    """How a patch was generated and verified goes below the `---`: in the
    mail for the reviewer, not in the commit `b4 am` and `git am` make."""
    need("b4 (pip install b4)", shutil.which("b4") is not None)
    tree, base = branch
    commits = tuple(git(tree, "rev-list", "--reverse", f"{base}..b").split())
    how = "Verified: builds with W=1 (defconfig + CONFIG_CASE_FS); checkpatch clean."
    result = publish(
        PublishOptions(
            tree=tree, base=base, commits=commits, out=tmp_path / "out",
            verified=tuple((c, how) for c in commits),
        )
    )  # fmt: skip
    [s] = result.series
    mbox = Path(s.mbox)
    for patch in map(Path, s.files[1:]):
        text = patch.read_text()
        notes = text[text.index("\n---\n") : text.index("\ndiff --git ")]
        assert "Generated by nofsbot" in notes and "Verified: builds with W=1" in notes
    am = tmp_path / "b4"
    r = subprocess.run(
        ["b4", "--offline-mode", "-n", "am", "-m", str(mbox), "-o", str(am)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    [mbx] = list(am.glob("*.mbx"))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(tree), str(clone))
    git(clone, "checkout", "-q", base)
    git(clone, "am", "-q", str(mbx))
    log = git(clone, "log", "--format=%B", f"{base}..HEAD")
    assert log.count("Signed-off-by: A U Thor <author@example.org>") == len(commits)
    assert "Generated by" not in log and "Verified" not in log
    assert git(clone, "rev-parse", "HEAD^{tree}") == git(tree, "rev-parse", "b^{tree}")


def test_a_base_only_a_local_import_has_is_flagged(
    tmp_path: Path,
    linux61: Path,
    spatch: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A tree that was not a git repository, imported by rewrite --import:
    its base-commit exists nowhere else, and the cover letter and the
    terminal say so."""
    need("perl", shutil.which("perl") is not None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    tree = make_tree(
        tmp_path / "linux",
        {
            "MAINTAINERS": MAINTAINERS,
            "scripts/get_maintainer.pl": (linux61 / "scripts/get_maintainer.pl").read_text(),
            "fs/case/scoped.c": (CASES / "nofs_flags/scoped.before.c").read_text(),
        },
    )
    argv = ["rewrite", "--import", "--no-verify", "--tree", str(tree), "fs/case"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    base = git(tree, "rev-parse", "HEAD").strip()
    assert f"base-commit {base[:12]} is a local import (Baseline for nofsbot)" in out
    assert f"base-commit {base[:12]} is on a local import" in caplog.text
    [cover] = (tmp_path / "cache").glob("nofsbot/series/*/case/0000-cover-letter.patch")
    text = " ".join(cover.read_text().split())
    assert '("Baseline for nofsbot"); no public tree has that commit' in text
    # `series` on that base says the same
    capsys.readouterr()
    rev = f"{base}..{git(tree, 'branch', '--format=%(refname:short)').split()[-1]}"
    clean = series(tree, rev, tmp_path / "again", capsys)
    assert clean["local_base"] == "Baseline for nofsbot"


def test_rewrite_prints_its_branch_before_publishing_fails(
    branch: tuple[Path, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tree, base = branch
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(tree), str(clone))
    git(clone, "branch", "-q", "b", "origin/b")
    out = tmp_path / "out"
    series(clone, f"{base}..b", out, capsys)  # another repository's series in OUT
    argv = ["rewrite", "--no-verify", "--tree", str(tree), "fs/case", "--out", str(out)]
    assert main(argv) == 1
    got = capsys.readouterr()
    assert got.out.startswith(f"branch nofsbot/nofs-fs_case-{base[:8]} (from {base[:12]})")
    assert "4 commits, 6 of 6 planned edits made" in got.out
    assert got.err.startswith("error: ") and "of another repository" in got.err
