"""Warm scans reuse facts and results; a content change is never served stale."""

from __future__ import annotations

from pathlib import Path

import pytest

import nofsbot.analyse as analyse_module
from nofsbot import config
from nofsbot.analyse import Options, analyse
from tests.conftest import DATA, committed, git, make_tree


def test_warm_equals_cold_and_edits_invalidate(tmp_path: Path) -> None:
    src = (DATA / "scan" / "explicit_scope.c").read_text()
    tree = make_tree(tmp_path / "t", {"fs/fx/a.c": src})
    cfg = config.load()
    opts = Options(jobs=1, cache=True, cache_dir=tmp_path / "cache")
    cold = analyse(tree, ["fs/fx"], cfg, opts)
    assert any((tmp_path / "cache").rglob("*.pickle"))
    warm = analyse(tree, ["fs/fx"], cfg, opts)
    assert warm == cold
    # drop the restore: the sites after it are now inside the scope too
    (tree / "fs/fx/a.c").write_text(src.replace("\tcurrent->flags &= ~PF_MEMALLOC_NOFS;\n", ""))
    edited = analyse(tree, ["fs/fx"], cfg, opts)
    assert edited != cold
    assert [p.context for p in edited.placed].count("always") == [
        p.context for p in cold.placed
    ].count("always") + 1


def test_a_given_stamp_serves_another_checkout_of_the_same_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a review applies each series in a new worktree: the header stamp comes
    # from git, not from the (new) file times, so a second run hits the cache
    src = (DATA / "scan" / "explicit_scope.c").read_text()
    repo = committed(tmp_path / "repo", {"fs/fx/a.c": src, "include/linux/fx.h": "int fx(void);\n"})
    head = git(repo, "rev-parse", "HEAD").strip()
    cfg = config.load()
    opts = Options(jobs=1, cache=True, cache_dir=tmp_path / "cache", stamp=head)
    first = analyse(Path(_clone(repo, tmp_path / "one")), ["fs/fx"], cfg, opts)

    def no_extraction(*args: object) -> None:
        raise AssertionError("the whole result should have come from the cache")

    monkeypatch.setattr(analyse_module, "_units", no_extraction)
    second = analyse(Path(_clone(repo, tmp_path / "two")), ["fs/fx"], cfg, opts)
    assert [p.site for p in second.placed] == [p.site for p in first.placed]


def _clone(repo: Path, dest: Path) -> Path:
    git(repo, "clone", "-q", str(repo), str(dest))
    return dest
