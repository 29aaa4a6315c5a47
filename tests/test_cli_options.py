"""Options every command takes wherever they stand, help for every command,
and progress lines on a terminal only."""

from __future__ import annotations

import argparse
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from nofsbot.cli import build_parser
from nofsbot.rewrite import RewriteOptions, rewrite
from tests.conftest import DATA, committed, make_tree
from tests.test_cli import run

CASES = Path(__file__).parent / "cases" / "nofs_flags"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return make_tree(
        tmp_path / "tree",
        {"fs/fixture/transactions.c": (DATA / "scan" / "transactions.c").read_text()},
    )


def test_verbose_and_quiet_after_the_command(tree: Path) -> None:
    argv = ["--tree", str(tree), "fs/fixture", "--no-cache", "--fail-on", "redundant"]
    loud = run("scan", *argv, "-v")
    assert loud.returncode == 1 and "nofsbot: 3 sites of class redundant" in loud.stderr
    assert run("-v", "scan", *argv).stderr == loud.stderr
    assert run("scan", *argv).stderr == ""
    for quiet in (run("scan", *argv, "-q"), run("scan", "-q", *argv, "-v")):
        assert quiet.returncode == 1 and quiet.stderr == ""


def test_series_keeps_v_for_the_reroll_count() -> None:
    ns = build_parser().parse_args(["series", "A..B", "--out", "o", "-v", "3", "--verbose"])
    assert ns.reroll_count == 3 and ns.verbose == 1


def test_every_command_has_help_and_a_description() -> None:
    seen = []

    def walk(parser: argparse.ArgumentParser, name: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {c.dest: c.help for c in action._choices_actions}
                for cmd, sub in action.choices.items():
                    seen.append(f"{name} {cmd}")
                    assert helps.get(cmd), f"{name} {cmd}: no help"
                    assert sub.description, f"{name} {cmd}: no description"
                    assert "-q" in sub._option_string_actions
                    walk(sub, f"{name} {cmd}")

    walk(build_parser(), "nofsbot")
    assert "nofsbot bot status" in seen and len(seen) >= 12


def on_a_terminal(argv: list[str], cwd: Path) -> str:
    """What nofsbot writes to stderr when stderr is a terminal."""
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nofsbot", *argv],
        cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=secondary,
        env={**os.environ, "TERM": "dumb"},
    )  # fmt: skip
    os.close(secondary)
    chunks = []
    while True:
        try:
            data = os.read(primary, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=300)
    os.close(primary)
    return b"".join(chunks).decode()


@pytest.mark.spatch
def test_rewrite_says_each_step_on_a_terminal(
    tmp_path: Path, spatch: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    repo = committed(
        tmp_path / "linux", {"fs/case/scoped.c": (CASES / "scoped.before.c").read_text()}
    )
    argv = ["rewrite", "--no-publish", "--tree", str(repo), "fs/case", "--no-verify"]
    err = on_a_terminal([*argv, "--branch", "a"], tmp_path)
    # (the analysis draws its bar on the same terminal, ended by \r and an erase)
    lines = [x[x.index("rewrite: ") :] for x in err.splitlines() if "rewrite: " in x]
    assert [x.rsplit(" (", 1)[0] for x in lines] == [
        "rewrite: analysing fs/case",
        "rewrite: flags 1/2: 1 sites in fs/case/scoped.c",
        "rewrite: flags 2/2: 2 sites in fs/case/scoped.c",
        "rewrite: scope balance check of 1 touched files",
    ]
    assert "rewrite: " not in on_a_terminal([*argv, "--branch", "b", "-q"], tmp_path)
    # the bot runs rewrite as a function: no progress lines, terminal or not
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    from nofsbot import config

    rewrite(RewriteOptions(repo, ("fs/case",), "c"), config.load())
    assert "rewrite: " not in capsys.readouterr().err
