"""The command line: formats, exit codes, and one-line errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nofsbot.cli import main
from tests.conftest import DATA, make_tree


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return make_tree(
        tmp_path / "tree",
        {
            "fs/fixture/transactions.c": (DATA / "scan" / "transactions.c").read_text(),
        },
    )


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nofsbot", *argv], capture_output=True, text=True, timeout=120
    )


def test_json(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--tree", str(tree), "fs/fixture", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["sites"] == len(doc["sites"]) == 6
    assert doc["summary"]["classes"]["redundant"] == 3
    keys = {"path", "line", "function", "kind", "expression", "class", "context", "evidence"}
    assert all(keys <= set(s) for s in doc["sites"])


def test_sarif(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--tree", str(tree), "fs/fixture", "--format", "sarif"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["version"] == "2.1.0"
    results = doc["runs"][0]["results"]
    assert len(results) == 6
    assert {r["ruleId"] for r in results} == {"NOFS001", "NOFS006"}
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] > 0 for r in results)


def test_text_and_fail_on(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--tree", str(tree), "fs/fixture", "--fail-on", "redundant"]) == 1
    out = capsys.readouterr().out
    assert "fs/fixture/transactions.c" in out and "6 sites in 1 files" in out


def test_not_a_kernel_tree(tmp_path: Path) -> None:
    r = run("scan", "--tree", str(tmp_path), "fs")
    assert r.returncode == 1
    assert r.stderr.startswith("error: ") and "not a Linux kernel tree" in r.stderr
    assert "Traceback" not in r.stderr


def test_path_outside_or_missing(tree: Path) -> None:
    for bad in ("../..", "fs/nonexistent"):
        r = run("scan", "--tree", str(tree), bad)
        assert r.returncode == 1 and r.stderr.startswith("error: ") and "Traceback" not in r.stderr


def test_usage_error() -> None:
    assert run("scan").returncode == 2
    assert run().returncode == 2


def test_file_that_does_not_parse_is_reported_not_fatal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t = make_tree(
        tmp_path / "t", {"fs/bad/bad.c": "int f(void) {\n\tx = kmalloc(1, GFP_NOFS;\n} }}} (\n"}
    )
    assert main(["scan", "--tree", str(t), "fs/bad", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["unaccounted"] == 0
    assert [s["line"] for s in doc["sites"]] == [2]


def test_missing_tool_is_one_line_with_a_hint(tree: Path, tmp_path: Path) -> None:
    # a PATH holding only the Python interpreter: no git, no grep
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "python3").symlink_to(sys.executable)
    r = subprocess.run(
        [str(bindir / "python3"), "-m", "nofsbot", "scan", "--no-cache", "--tree", str(tree), "fs"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": str(bindir), "HOME": str(tmp_path)},
    )
    assert r.returncode == 1
    assert r.stderr.startswith("error: ") and "not found: apt-get install" in r.stderr
    assert "Traceback" not in r.stderr


def test_hazards_json_and_fail_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    t = make_tree(tmp_path / "t", {"fs/fx/h.c": (DATA / "hazards" / "hazards.c").read_text()})
    assert main(["scan", "--tree", str(t), "fs/fx", "--hazards", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["hazards"] == 7  # as marked in hazards.c
    assert main(["scan", "--tree", str(t), "fs/fx", "--hazards", "--fail-on", "hazard"]) == 1
    capsys.readouterr()
    assert main(["scan", "--tree", str(t), "fs/fx", "--hazards", "--format", "sarif"]) == 0
    sarif = json.loads(capsys.readouterr().out)
    assert len(sarif["runs"][0]["results"]) == 7


def test_bad_fail_on_is_a_usage_error(tree: Path) -> None:
    assert main(["scan", "--tree", str(tree), "fs", "--fail-on", "nonsense"]) == 2


def test_text_shows_suggestion_and_scope_boundary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t = make_tree(tmp_path / "t", {"fs/fx/r.c": (DATA / "scan" / "reclaim_classes.c").read_text()})
    assert main(["scan", "--tree", str(t), "fs/fx", "--brief"]) == 0
    out = capsys.readouterr().out
    assert "suggestion: GFP_KERNEL" in out
    assert "scope: after line 35 of fill_worker() (fs/fx/r.c), restored before line 38" in out
