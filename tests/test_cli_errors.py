"""Git failures, bad ranges and bad versions: one `error:` line, exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from nofsbot.cli import main
from nofsbot.errors import ToolError
from tests.conftest import committed, make_tree


def one_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("command", ["series", "verify"])
def test_a_tree_that_is_not_a_git_repository(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = make_tree(tmp_path / "linux", {"fs/a/a.c": "int a;\n"})
    extra = ["--out", str(tmp_path / "out")] if command == "series" else []
    err = one_error([command, "HEAD~1..HEAD", "--tree", str(tree), *extra], capsys)
    assert (
        err
        == f"error: {tree} is not a git repository (the top of one): HEAD~1..HEAD names commits\n"
    )
    err = one_error([command, "A..B", "--tree", str(tmp_path / "nope"), *extra], capsys)
    assert err == f"error: {tmp_path / 'nope'}: no such directory\n"


@pytest.mark.parametrize("command", ["series", "verify"])
def test_a_range_that_names_no_commit(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = committed(tmp_path / "linux", {"fs/a/a.c": "int a;\n"})
    extra = ["--out", str(tmp_path / "out")] if command == "series" else []
    for rev, bad in (("nothere..HEAD", "nothere"), ("HEAD..master~7", "master~7")):
        err = one_error([command, rev, "--tree", str(tree), *extra], capsys)
        assert err == f"error: {rev}: {bad} names no commit in {tree}\n"
    assert not (tmp_path / "out").exists()


def test_a_kernel_version_is_never_a_path(capsys: pytest.CaptureFixture[str]) -> None:
    err = one_error(["kernel", "../../etc/passwd"], capsys)
    assert err == "error: '../../etc/passwd' is not a kernel version like 6.1 or 6.12\n"
    assert "apt-get" not in err


def test_a_failing_tool_is_one_line_that_says_why() -> None:
    e = ToolError(["git", "rev-list", "x"], 128, "warning: x\nfatal: bad revision 'x'\nhint: y\n")
    assert str(e) == "git rev-list x exited with 128: fatal: bad revision 'x'"
    assert str(ToolError(["spatch"], 1, "")) == "spatch exited with 1"
