"""Lines of the tree after a series, laid on the patch that changed them."""

from __future__ import annotations

import itertools
from pathlib import Path

from nofsbot.review.lines import Touch, changes
from tests.conftest import git


def test_added_lines_and_removals_are_carried_through_later_patches(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    lines = [f"l{i}" for i in range(1, 11)]
    trees = []

    def state(text: list[str]) -> None:
        (repo / "f.c").write_text("\n".join(text) + "\n")
        git(repo, "add", "f.c")
        trees.append(git(repo, "write-tree").strip())

    state(lines)
    # patch 1: l3 -> L3, two lines after l6
    one = ["l1", "l2", "L3", "l4", "l5", "l6", "new1", "new2", "l7", "l8", "l9", "l10"]
    state(one)
    # patch 2: drop l2 and new2, a line at the end
    state([x for x in one if x not in ("l2", "new2")] + ["tail"])
    c = changes(git(repo, "diff-tree", "-p", "-U0", a, b) for a, b in itertools.pairwise(trees))
    # after the series: l1 L3 l4 l5 l6 new1 l7 l8 l9 l10 tail
    assert c.added == {
        ("f.c", 2): Touch(1, "f.c", 2, 3, True),  # L3, line 3 of patch 1's own result
        ("f.c", 6): Touch(1, "f.c", 6, 7, True),  # new1; new2 was removed by patch 2
        ("f.c", 11): Touch(2, "f.c", 11, 11, True),  # tail
    }
    # where patch 2 removed lines: before L3 (l2) and before l7 (new2)
    assert c.anchors == {
        ("f.c", 2): Touch(2, "f.c", 2, 2, False),
        ("f.c", 7): Touch(2, "f.c", 7, 7, False),
    }
    assert c.touch("f.c", 2) == c.added[("f.c", 2)]  # an added line wins
    assert c.carry("f.c", 2) == ("f.c", 2, 2)  # l2: removed by patch 2
    assert c.carry("f.c", 3) == ("f.c", 2, 1)  # l3: replaced by patch 1
    assert c.carry("f.c", 10) == ("f.c", 10, 0)  # l10: kept
    assert {t.line for t in c.within("f.c", 5, 8)} == {6, 7}
    # and back: l7 (line 7 after the series) was line 9 after patch 1; tail
    # (11) did not exist before patch 2
    assert (c.back("f.c", 7, 1), c.back("f.c", 7, 2), c.back("f.c", 11, 1)) == (9, 7, None)


def test_renames_and_deletions(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "a.c").write_text("".join(f"int a{i};\n" for i in range(20)))
    (repo / "gone.c").write_text("int g;\n")
    git(repo, "add", ".")
    t0 = git(repo, "write-tree").strip()
    git(repo, "mv", "a.c", "b.c")
    git(repo, "rm", "-qf", "gone.c")
    text = (repo / "b.c").read_text().replace("int a5;\n", "int a5;\nint added;\n")
    (repo / "b.c").write_text(text)
    git(repo, "add", "b.c")
    t1 = git(repo, "write-tree").strip()
    c = changes([git(repo, "diff-tree", "-p", "-U0", "-M", t0, t1)])
    assert c.added == {("b.c", 7): Touch(1, "b.c", 7, 7, True)}
    assert c.carry("a.c", 10) == ("b.c", 11, 0)
    assert c.carry("gone.c", 1) is None
    assert c.paths() == {"b.c"}
