"""Rewrite cases: tests/cases/<rule>/<name>.before.c must become <name>.after.c.

The plan comes from nofsbot's own analysis of before.c; spatch applies the
semantic patch to the planned positions. Each case also checks idempotence:
the same rule with the same positions leaves after.c unchanged, and the
analysis of after.c plans no further flag edits.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nofsbot import config
from nofsbot.analyse import Options, analyse
from nofsbot.edits import choke_edits, flag_edits, scope_edits, sites_json
from nofsbot.model import Class, Finding
from nofsbot.plan import plan
from nofsbot.rewrite import apply
from nofsbot.tools import spatch as coccinelle
from tests.conftest import make_tree

pytestmark = pytest.mark.spatch

ROOT = Path(__file__).parent.parent
CASES = sorted((Path(__file__).parent / "cases" / "nofs_flags").glob("*.before.c"))
SCOPE_CASES = sorted((Path(__file__).parent / "cases" / "nofs_scope").glob("*.before.c"))
CHOKE_CASES = sorted((Path(__file__).parent / "cases" / "nofs_choke").glob("*.before.c"))


def findings(tree: Path) -> tuple[Finding, ...]:
    return plan(analyse(tree, ["fs/case"], config.load(), Options(jobs=1, cache=False)).placed)


def planned_flags(tree: Path) -> str:
    return sites_json(flag_edits(findings(tree)))


@pytest.mark.parametrize("before", CASES, ids=lambda p: p.name.split(".")[0])
def test_case(before: Path, tmp_path: Path, spatch: str) -> None:
    after = before.with_name(before.name.replace(".before.c", ".after.c"))
    rel = "fs/case/case.c"
    tree = make_tree(tmp_path / "tree", {rel: before.read_text()})
    sites = tmp_path / "sites.json"
    sites.write_text(planned_flags(tree))
    rule = ROOT / "cocci" / "nofs_flags.cocci"
    coccinelle.patch(rule, [rel], cwd=tree, sites=sites, in_place=True)
    assert (tree / rel).read_text() == after.read_text()
    # idempotent: the same positions change nothing in after.c ...
    assert coccinelle.patch(rule, [rel], cwd=tree, sites=sites) == ""
    # ... and after.c has nothing left to convert
    assert planned_flags(tree) == "[]\n"


@pytest.mark.parametrize("before", SCOPE_CASES, ids=lambda p: p.name.split(".")[0])
def test_scope_case(before: Path, tmp_path: Path, spatch: str) -> None:
    after = before.with_name(before.name.replace(".before.c", ".after.c"))
    rel = "fs/case/case.c"
    tree = make_tree(tmp_path / "tree", {rel: before.read_text()})

    def boundaries() -> list[object]:
        return list(scope_edits(findings(tree)))

    planned = boundaries()
    assert planned
    # each with its rule: a critical section's (nofs_scope.cocci) or a whole
    # work function's (nofs_scope_top.cocci)
    for b in planned:
        assert apply.scope(tree, b)  # type: ignore[arg-type]
    assert (tree / rel).read_text() == after.read_text()
    # idempotent: after.c needs no further scope
    assert boundaries() == []


@pytest.mark.parametrize("before", CHOKE_CASES, ids=lambda p: p.name.split(".")[0])
def test_choke_case(before: Path, tmp_path: Path, spatch: str) -> None:
    """A mapping mask moves to a scope around the choke point's page-cache
    calls (cocci/nofs_choke.cocci), the mask itself becoming GFP_KERNEL."""
    after = before.with_name(before.name.replace(".before.c", ".after.c"))
    rel = "fs/case/case.c"
    tree = make_tree(tmp_path / "tree", {rel: before.read_text()})

    planned = choke_edits(findings(tree))
    assert len(planned) == 1
    choke, masks = planned[0]
    done, missed = apply.flags(tree, masks, Class.UNNEEDED)
    assert missed == [] and done == masks
    assert apply.choke(tree, choke)
    assert (tree / rel).read_text() == after.read_text()
    # idempotent: after.c has no mask left to move and nothing else to convert
    assert choke_edits(findings(tree)) == []
    assert planned_flags(tree) == "[]\n"
