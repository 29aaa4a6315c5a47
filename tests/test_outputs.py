"""Output paths nofsbot cannot write: checked before the work starts, one
`error: cannot write PATH: reason` line, exit 1, nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest

from nofsbot.cli import main
from tests.bot.test_config import MINIMAL
from tests.conftest import DATA, committed, git

SOURCE = {"fs/fixture/transactions.c": (DATA / "scan" / "transactions.c").read_text()}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return committed(tmp_path / "linux", SOURCE)


def fails(argv: list[str], path: Path, reason: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.err == f"error: cannot write {path}: {reason}\n"
    assert captured.out == ""


def listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".git" not in p.parts)


def test_scan_output_in_a_missing_directory(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports" / "scan.json"
    argv = ["scan", "--tree", str(repo), "fs/fixture", "--json", "-o", str(out)]
    fails(argv, out, f"no directory {out.parent}", capsys)
    assert not out.parent.exists()


def test_scan_output_that_is_a_directory_or_not_permitted(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fails(
        ["scan", "--tree", str(repo), "fs", "-o", str(tmp_path)], tmp_path, "Is a directory", capsys
    )
    # sysfs takes no new files, not even from root
    out = Path("/sys/nofsbot-scan.txt")
    fails(["scan", "--tree", str(repo), "fs", "-o", str(out)], out, "Permission denied", capsys)
    assert not out.exists()


def test_review_out_naming_a_file(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mails"
    out.write_text("keep me\n")
    argv = ["review", "--tree", str(repo), "HEAD~1..HEAD", "--format", "email", "--out", str(out)]
    fails(argv, out, f"{out} is not a directory", capsys)
    assert out.read_text() == "keep me\n"


def test_report_html_where_nothing_can_be_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "bot.toml"
    cfg.write_text(MINIMAL)
    out = Path("/sys/nofsbot-burndown.html")
    fails(["report", "--html", str(out), "--config", str(cfg)], out, "Permission denied", capsys)
    missing = tmp_path / "site" / "index.html"
    argv = ["report", "--html", str(missing), "--config", str(cfg)]
    fails(argv, missing, f"no directory {missing.parent}", capsys)


def test_series_out_naming_a_file(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "series.txt"
    out.write_text("")
    argv = ["series", "HEAD..HEAD", "--tree", str(repo), "--out", str(out)]
    fails(argv, out, f"{out} is not a directory", capsys)
    below = out / "v1"
    argv = ["series", "HEAD..HEAD", "--tree", str(repo), "--out", str(below)]
    fails(argv, below, f"{out} is not a directory", capsys)


def test_rewrite_out_is_checked_before_any_rewrite(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "series"
    out.write_text("")
    branches = git(repo, "branch", "--list")
    before = listing(repo)
    fails(["rewrite", "--tree", str(repo), "fs/fixture", "--out", str(out)], out,
          f"{out} is not a directory", capsys)  # fmt: skip
    assert git(repo, "branch", "--list") == branches
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1
    assert listing(repo) == before
    assert not (tmp_path / "cache").exists()
