"""The bot's commands on the command line: usage, errors, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from nofsbot.cli import main
from tests.bot.test_config import MINIMAL


def test_bot_needs_once_or_every(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "bot.toml"
    cfg.write_text(MINIMAL)
    assert main(["bot", "--config", str(cfg)]) == 2
    assert "--once" in capsys.readouterr().err


def test_errors_name_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "bot.toml"
    cfg.write_text("colour = 1\n" + MINIMAL)
    assert main(["bot", "--once", "--config", str(cfg)]) == 1
    assert capsys.readouterr().err == f"error: {cfg}: colour: unknown key\n"
    cfg.write_text(MINIMAL)
    for argv in (["bot", "status"], ["report", "--html", str(tmp_path / "r.html")]):
        assert main([*argv, "--config", str(cfg)]) == 1
        assert "no state yet" in capsys.readouterr().err
    assert main(["bot", "reject", "x", "--config", str(cfg)]) == 1
    assert "no state yet" in capsys.readouterr().err
    assert not (tmp_path / "bot.db").exists()  # and none made
