"""Site identities survive line moves; only changed units are analysed again."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from nofsbot.bot.sites import identities, to_analyse
from nofsbot.model import Class, Context, Finding, Kind, Site
from tests.conftest import make_tree


def finding(line: int, expression: str = "GFP_NOFS", function: str = "f") -> Finding:
    site = Site("fs/a/a.c", line, 9, function, Kind.ALLOC_ARG, "GFP_NOFS", expression, "kmalloc")
    return Finding(site, Context.ALWAYS, Class.REDUNDANT, "why", ())


def test_identity_survives_line_moves_and_tells_repeats_apart() -> None:
    before = [i for i, _ in identities((finding(10), finding(20), finding(30, "GFP_NOFS | X")))]
    moved = (finding(110), finding(120), finding(130, "GFP_NOFS|X"))
    assert [i for i, _ in identities(moved)] == before
    assert before[0] == "fs/a/a.c|f|kmalloc|GFP_NOFS|0" and before[1].endswith("|1")
    renamed = dataclasses.replace(
        finding(10), site=dataclasses.replace(finding(10).site, function="g")
    )
    assert identities((renamed,))[0][0] not in before


def test_only_changed_units_are_analysed_again(tmp_path: Path) -> None:
    tree = make_tree(
        tmp_path,
        {
            "fs/xfs/a.c": "",
            "fs/ext4/b.c": "",
            "fs/buffer.c": "",
            "fs/inode.c": "",
            "fs/internal.h": "",
        },
    )
    paths = ("fs/xfs", "fs/ext4", "fs/buffer.c")
    assert to_analyse(tree, paths, None) == ("fs/buffer.c", "fs/ext4", "fs/xfs")
    assert to_analyse(tree, paths, ["fs/xfs/a.c", "Documentation/x.rst"]) == ("fs/xfs",)
    assert to_analyse(tree, paths, ["fs/inode.c"]) == ("fs/buffer.c",)  # same unit: fs/*.c
    assert to_analyse(tree, paths, ["Documentation/x.rst", "fs/btrfs/c.c"]) == ()
    # a header the analysis reads changes every answer
    assert to_analyse(tree, paths, ["include/linux/fs.h"]) == to_analyse(tree, paths, None)
    assert to_analyse(tree, paths, ["fs/internal.h"]) == to_analyse(tree, paths, None)
    # a whole directory: each subsystem on its own, the files directly in it together
    assert to_analyse(tree, ("fs",), ["fs/ext4/b.c"]) == ("fs/ext4",)
    assert to_analyse(tree, ("fs",), ["fs/buffer.c"]) == (
        "fs/buffer.c",
        "fs/inode.c",
        "fs/internal.h",
    )
