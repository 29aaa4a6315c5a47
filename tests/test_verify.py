"""The verify stage's pure parts: Kbuild requirements and the comparisons."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from nofsbot import kernels
from nofsbot.config import Config
from nofsbot.tools.checkpatch import Finding
from nofsbot.tools.kbuild import Diagnostic
from nofsbot.verify import checks, makefiles, workspace
from nofsbot.verify.makefiles import Assignment, Requirement
from tests.conftest import committed

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


def _git(cwd: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


def _commit(repo: Path, path: str, text: str, message: str) -> str:
    (repo / path).write_text(text)
    _git(repo, "add", path)
    _git(repo, "commit", "-q", "-m", message)
    return _git(repo, "rev-parse", "HEAD")


def _small_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A repository with fs/x/a.c and fs/x/b.c (obj-$(CONFIG_X)); its base."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    repo = tmp_path / "repo"
    (repo / "fs" / "x").mkdir(parents=True)
    (repo / "Makefile").write_text("")
    (repo / "fs" / "Makefile").write_text("obj-y += x/\n")
    (repo / "fs" / "x" / "Makefile").write_text("obj-$(CONFIG_X) += a.o b.o\n")
    (repo / "fs" / "x" / "a.c").write_text("int a;\n")
    (repo / "fs" / "x" / "b.c").write_text("int b;\n")
    _git(repo, "init", "-q", "-b", "master")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    return repo, _git(repo, "rev-parse", "HEAD")


def _fake_make(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[str, ...]]]:
    """make replaced by a fake that fails while fs/x/b.c says BROKEN and
    compiles every object it is given; the (subject, objects) of each build."""
    from nofsbot.tools import kbuild
    from nofsbot.verify import workspace

    builds: list[tuple[str, tuple[str, ...]]] = []

    def fake_build(src: Path, build: Path, objects: list[str], **_: object) -> kbuild.Build:
        text = (src / "fs/x/b.c").read_text()
        builds.append((_git(src, "log", "-1", "--format=%s"), tuple(objects)))
        diags = ()
        if "BROKEN" in text:
            diags = (kbuild.Diagnostic("fs/x/b.c", 1, 1, "error", "expected ';'", None),)
        return kbuild.Build(tuple(objects), 2 if diags else 0, tuple(objects), diags, 0.0, "")

    def fake_configure(
        src: Path, build: Path, symbols: tuple[str, ...], jobs: int
    ) -> workspace.Config:
        return workspace.Config(symbols, {}, 0.0, 0.0, True)

    monkeypatch.setattr(kbuild, "build_objects", fake_build)
    monkeypatch.setattr(workspace, "configure", fake_configure)
    return builds


def test_a_failing_patch_is_dropped_and_one_that_needs_it_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cfg: Config
) -> None:
    """The series logic on a small repository, make replaced by a fake that
    fails while fs/x/b.c says BROKEN: the broken patch is dropped, the one
    that edits its line no longer applies and is dropped, the rest is
    cherry-picked onto the last good patch and built at each step."""
    from nofsbot.verify import VerifyOptions, verify

    repo, base = _small_repo(tmp_path, monkeypatch)
    good1 = _commit(repo, "fs/x/a.c", "int a1;\n", "x: good one")
    bad = _commit(repo, "fs/x/b.c", "BROKEN\n", "x: broken")
    needs_bad = _commit(repo, "fs/x/b.c", "BROKEN again\n", "x: builds on the broken one")
    good2 = _commit(repo, "fs/x/a.c", "int a2;\n", "x: good two")
    builds = _fake_make(monkeypatch)
    opts = VerifyOptions(repo, base, (good1, bad, needs_bad, good2), "series", checkpatch=False)
    r = verify(opts, cfg)

    assert r.symbols == ("X",)
    assert [(d.commit, d.subject) for d in r.dropped] == [
        (bad, "x: broken"),
        (needs_bad, "x: builds on the broken one"),
    ]
    assert r.dropped[0].reason == "does not build: fs/x/b.c:1:1: error: expected ';'"
    assert r.dropped[1].reason.startswith("does not apply without the dropped patches: x: broken")
    assert r.kept[0] == good1 and len(r.kept) == 2 and r.kept[1] != good2
    assert _git(repo, "log", "-1", "--format=%s", r.kept[1]) == "x: good two"
    assert _git(repo, "rev-parse", "refs/nofsbot/verified/series") == r.kept[1]
    assert [v.ok for v in r.verdicts] == [True, False, True]
    # the base; the first two patches touch two files, built together at
    # the second, which fails; then each patch of them alone with the
    # objects touched so far
    assert builds == [
        ("base", ("fs/x/a.o", "fs/x/b.o")),
        ("x: broken", ("fs/x/a.o", "fs/x/b.o")),
        ("x: good one", ("fs/x/a.o",)),
        ("x: broken", ("fs/x/a.o", "fs/x/b.o")),
        ("x: good two", ("fs/x/a.o",)),
    ]
    # the user's checkout is where it was
    assert _git(repo, "rev-parse", "HEAD") == good2


def test_patches_on_separate_files_are_built_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cfg: Config
) -> None:
    """Two patches on different files are built in one make at the second;
    the third touches a.c again, so it is built after them, at its own
    commit; each verdict lists the objects of its own patch."""
    from nofsbot.verify import VerifyOptions, verify

    repo, base = _small_repo(tmp_path, monkeypatch)
    one = _commit(repo, "fs/x/a.c", "int a1;\n", "x: one")
    two = _commit(repo, "fs/x/b.c", "int b1;\n", "x: two")
    three = _commit(repo, "fs/x/a.c", "int a2;\n", "x: three")
    builds = _fake_make(monkeypatch)
    r = verify(VerifyOptions(repo, base, (one, two, three), "series", checkpatch=False), cfg)
    assert r.kept == (one, two, three) and r.dropped == ()
    assert builds == [
        ("base", ("fs/x/a.o", "fs/x/b.o")),
        ("x: two", ("fs/x/a.o", "fs/x/b.o")),
        ("x: three", ("fs/x/a.o", "fs/x/b.o")),
    ]
    assert [(v.commit, v.built, v.ok) for v in r.verdicts] == [
        (one, ("fs/x/a.o",), True),
        (two, ("fs/x/b.o",), True),
        (three, ("fs/x/a.o", "fs/x/b.o"), True),
    ]


def test_a_round_ends_before_the_patch_checkpatch_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cfg: Config
) -> None:
    """checkpatch (a fake) fails the second patch: the first is built
    alone as its round, the second is verified alone and dropped, the
    third is re-picked and built."""
    from nofsbot.tools import checkpatch
    from nofsbot.verify import VerifyOptions, verify

    repo, base = _small_repo(tmp_path, monkeypatch)
    one = _commit(repo, "fs/x/a.c", "int a1;\n", "x: one")
    two = _commit(repo, "fs/x/b.c", "int b1; /* LONG */\n", "x: two")
    three = _commit(repo, "fs/x/a.c", "int a2;\n", "x: three")
    builds = _fake_make(monkeypatch)
    checked: list[str] = []

    def fake_check(tree: Path, patch: str, **_: object) -> list[Finding]:
        checked.append(patch.split("Subject: [PATCH] ")[1].split("\n")[0])
        if "LONG" not in patch:
            return []
        return [Finding("WARNING", "LONG_LINE", "too long", "fs/x/b.c", 1, "int b1; /* LONG */")]

    monkeypatch.setattr(checkpatch, "check_patch", fake_check)
    monkeypatch.setattr(checkpatch, "check_files", lambda *a, **k: [])
    r = verify(VerifyOptions(repo, base, (one, two, three), "series", codespell=False), cfg)
    assert [d.subject for d in r.dropped] == ["x: two"]
    assert "WARNING:LONG_LINE" in r.dropped[0].reason
    assert len(r.kept) == 2 and r.kept[0] == one
    # the round's two at once, then the second alone, then the third
    assert sorted(checked[:2]) == ["x: one", "x: two"]
    assert checked[2:] == ["x: two", "x: three"]
    assert builds == [
        ("base", ("fs/x/a.o", "fs/x/b.o")),
        ("x: one", ("fs/x/a.o",)),
        ("x: two", ("fs/x/a.o", "fs/x/b.o")),
        ("x: three", ("fs/x/a.o",)),
    ]


def test_a_verify_that_waits_for_another_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One verify at a time per repository; the second is told it waits."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    repo = committed(tmp_path / "linux", {"fs/a/a.c": "int a;\n"})
    lock = kernels.cache_root() / "verify" / workspace.tag(repo) / "lock"
    said: list[str] = []
    with workspace.locked(repo, lambda: said.append("first waits")):
        entered = threading.Event()

        def second() -> None:
            with workspace.locked(repo, lambda: said.append("second waits")):
                entered.set()

        t = threading.Thread(target=second)
        t.start()
        assert not entered.wait(1.0)  # held by the first
        assert lock.is_file()
    t.join(10)
    assert entered.is_set() and said == ["second waits"]
