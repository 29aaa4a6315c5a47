"""Warm scans reuse facts and results; a content change is never served stale."""

from __future__ import annotations

from pathlib import Path

from nofsbot import config
from nofsbot.analyse import Options, analyse
from tests.conftest import DATA, make_tree


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
