"""Shared fixtures: tiny kernel-shaped trees, the config, the real 6.1 tree.

Tests that need a real tool or tree skip when it is missing, unless
NOFSBOT_REQUIRE_TOOLS=1 (set by .ci/run), where a missing one fails the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from nofsbot import config, kernels
from nofsbot.analyse import Analysis, Options, analyse

DATA = Path(__file__).parent / "data"
REQUIRE = os.environ.get("NOFSBOT_REQUIRE_TOOLS") == "1"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.org",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.org",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
}


def need(what: str, ok: bool) -> None:
    """Skip (or, under NOFSBOT_REQUIRE_TOOLS=1, fail) when WHAT is missing."""
    if ok:
        return
    if REQUIRE:
        pytest.fail(f"{what} is required (NOFSBOT_REQUIRE_TOOLS=1) but missing")
    pytest.skip(f"{what} not available")


def pytest_configure(config: pytest.Config) -> None:
    # A cache of this session's own (also for module-scoped fixtures), and a
    # fixed git identity and dates so commits are reproducible.
    os.environ["NOFSBOT_CACHE"] = tempfile.mkdtemp(prefix="nofsbot-test-cache-")
    os.environ.update(GIT_ENV)


@pytest.fixture(scope="session")
def cfg() -> config.Config:
    return config.load()


def make_tree(root: Path, files: dict[str, str]) -> Path:
    """A directory that passes for a kernel tree, holding FILES."""
    root.mkdir(parents=True, exist_ok=True)
    for marker in ("MAINTAINERS", "Makefile", "Kconfig"):
        (root / marker).write_text("")
    (root / "include" / "linux").mkdir(parents=True, exist_ok=True)
    (root / "scripts").mkdir(exist_ok=True)
    # git keeps no empty directory: a worktree of this tree needs files there
    (root / "include" / "linux" / ".gitkeep").write_text("")
    (root / "scripts" / ".gitkeep").write_text("")
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def committed(root: Path, files: dict[str, str]) -> Path:
    """A kernel-shaped tree with FILES, committed in a new git repository."""
    tree = make_tree(root, files)
    git(tree, "init", "-q", "-b", "master")
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", "base")
    return tree


@pytest.fixture
def fixture_tree(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Analyse fixture files from tests/data in a throw-away tree."""

    def run(*names: str, cfg: config.Config | None = None) -> Analysis:
        files = {f"fs/fixture/{Path(n).name}": (DATA / n).read_text() for n in names}
        tree = make_tree(tmp_path / "tree", files)
        return analyse(tree, ["fs/fixture"], cfg or config.load(), Options(jobs=1, cache=False))

    return run


@pytest.fixture(scope="session")
def linux61() -> Path:
    need("the 6.1 kernel tree (run `nofsbot kernel 6.1`)", kernels.is_provisioned("6.1"))
    return kernels.tree_path("6.1")


@pytest.fixture(scope="session")
def linux612() -> Path:
    need("the 6.12 kernel tree (run `nofsbot kernel 6.12`)", kernels.is_provisioned("6.12"))
    return kernels.tree_path("6.12")


@pytest.fixture(scope="session")
def spatch() -> str:
    path = shutil.which("spatch")
    need("spatch (apt-get install coccinelle)", path is not None)
    assert path is not None
    return path
