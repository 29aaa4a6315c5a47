"""How the analysis is spread over processes: the guess of global function
names that grep is given before parsing, its fallback, and answers that do
not depend on the number of workers or the order facts arrive in."""

from __future__ import annotations

from pathlib import Path

import pytest

from nofsbot import config
from nofsbot.analyse import Options, analyse, outside
from nofsbot.analyse.extract import Extractor
from nofsbot.analyse.program import Program
from nofsbot.runner import Workers
from tests.conftest import make_tree

# fx_plain is found by the column-0 guess; fx_odd's declarator is indented by
# a tab, which the guess misses: only the fallback grep finds its header
FX = """\
#include <linux/slab.h>
#include <linux/sched/mm.h>

int fx_plain(void)
{
	void *p = kmalloc(8, GFP_NOFS);

	kfree(p);
	return 0;
}

int
	fx_odd(void)
{
	void *p = kmalloc(8, GFP_NOFS);

	kfree(p);
	return 0;
}

static int fx_static(void)
{
	unsigned int flags = memalloc_nofs_save();
	int err = fx_plain() + fx_odd();

	memalloc_nofs_restore(flags);
	return err;
}
"""
HEADER = "int fx_plain(void);\nint fx_odd(void);\n"


def test_the_guess_is_a_superset_of_column_0_definitions() -> None:
    names = outside.defined_names(FX.encode())
    assert "fx_plain" in names
    assert "fx_odd" not in names  # the one the fallback is for
    assert "fx_static" not in names  # static: no outside caller to look for
    assert not names & {"kmalloc", "kfree", "memalloc_nofs_save"}  # calls are not definitions
    prototype = outside.defined_names(b"int fx_proto(void);\nEXPORT_SYMBOL(fx_plain);\n")
    assert prototype == frozenset()


def test_missing_names_are_the_parsed_globals_the_guess_lacks() -> None:
    facts = Extractor(config.load()).extract("fs/fx/a.c", FX.encode())
    assert outside.missing_names([facts], outside.defined_names(FX.encode())) == {"fx_odd"}
    assert outside.missing_names([facts], frozenset({"fx_plain", "fx_odd"})) == frozenset()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_missed_definition_is_grepped_for_and_the_answer_is_the_same(
    tmp_path: Path, jobs: int
) -> None:
    tree = make_tree(tmp_path / "t", {"fs/fx/a.c": FX, "include/linux/fx.h": HEADER})
    opts = Options(jobs=jobs, cache=False)
    a = analyse(tree, ["fs/fx"], config.load(), opts)
    by_fn = {p.site.function: p for p in a.placed}
    assert set(by_fn) == {"fx_plain", "fx_odd"}
    for fn in ("fx_plain", "fx_odd"):
        # its one caller here is scoped, but a header outside names it: had
        # grep not been given fx_odd, it would pass for always scoped
        assert by_fn[fn].context.value == "unknown", fn
        notes = [e.note for e in by_fn[fn].evidence]
        assert f"calls {fn}() inside a scope" in notes
        assert "mentioned outside the analysed code, in include/linux/fx.h" in notes


def test_one_worker_and_two_give_the_same_analysis(tmp_path: Path) -> None:
    data = Path(__file__).resolve().parent.parent / "data" / "scan"
    files = {f"fs/fx/{p.name}": p.read_text() for p in sorted(data.glob("*.c"))}
    files["fs/fy/b.c"] = FX
    tree = make_tree(tmp_path / "t", files)
    cfg = config.load()
    one = analyse(tree, ["fs"], cfg, Options(jobs=1, cache=False))
    two = analyse(tree, ["fs"], cfg, Options(jobs=2, cache=False))
    assert one.placed and one == two


def test_program_order_does_not_depend_on_the_order_of_the_facts() -> None:
    cfg = config.load()
    ex = Extractor(cfg)
    srcs = {
        "fs/fx/a.c": "static const struct fx_ops a_ops = { .run = fx_run };\n",
        "fs/fx/b.c": "static const struct fx_ops b_ops = { .run = fx_run };\n",
        "fs/fx/run.c": "int fx_run(void)\n{\n\treturn kmalloc(8, GFP_NOFS) != 0;\n}\n",
    }
    facts = [ex.extract(p, s.encode()) for p, s in srcs.items()]
    witnesses = []
    for order in (facts, facts[::-1]):
        prog = Program(order, cfg)
        prog.contexts()
        (run,) = [fn for fn in prog.fns if fn.name == "fx_run"]
        witnesses.append(run.why["unk"])
    assert witnesses[0] == witnesses[1]
    assert witnesses[0].path == "fs/fx/a.c"  # type: ignore[union-attr]


def _square(chunk: list[int]) -> list[int]:
    return [x * x for x in chunk]


def _setup() -> None:
    pass


@pytest.mark.parametrize("jobs", [1, 2])
def test_workers_keep_the_order_of_the_items(jobs: int) -> None:
    with Workers(jobs, _setup) as pool:
        items = list(range(50))
        assert pool.map(_square, items, chunk=3) == [x * x for x in items]
        assert pool.map(_square, [], chunk=3) == []


def test_unit_of_agrees_with_in_unit() -> None:
    units = {("fs", False), ("fs/xfs", True), ("fs/ext4", True), ("include/linux", True)}
    paths = [
        "fs/buffer.c",
        "fs/internal.h",
        "fs/xfs/xfs_inode.c",
        "fs/xfs/libxfs/xfs_bmap.c",
        "fs/ext4/super.c",
        "fs/btrfs/ctree.c",
        "include/linux/fs.h",
        "include/linux/sched/mm.h",
        "include/uapi/linux/fs.h",
        "mm/vmscan.c",
    ]
    for p in paths:
        expect = [u for u in units if outside.in_unit(p, u)]
        assert len(expect) <= 1
        assert outside.unit_of(p, units) == (expect[0] if expect else None), p


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failing_grep_is_reported_as_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    from nofsbot.errors import ToolError

    def broken(*args: object) -> None:
        raise ToolError(["grep"], 2, "grep: include: Permission denied")

    monkeypatch.setattr(outside, "mentions", broken)
    # no definition the guess misses: the unit asks for grep's answer
    plain = FX.replace("int\n\tfx_odd(void)", "int fx_odd(void)")
    tree = make_tree(tmp_path / "t", {"fs/fx/a.c": plain, "include/linux/fx.h": HEADER})
    with pytest.raises(ToolError, match="Permission denied"):
        analyse(tree, ["fs/fx"], config.load(), Options(jobs=jobs, cache=False))


def test_a_tracepoint_named_like_a_function_is_no_outside_caller() -> None:
    # TRACE_EVENT(btrfs_sync_file, ..) in include/trace/events/btrfs.h
    # defines trace_btrfs_sync_file(); only a real header declares a
    # function other code may call
    mentioned = {
        "btrfs_sync_file": ("include/trace/events/btrfs.h",),
        "btrfs_ioctl": ("include/trace/events/btrfs.h", "include/linux/btrfs.h"),
        "btrfs_inner": ("fs/btrfs/ctree.h",),
    }
    assert outside.external_to(("fs/btrfs", True), mentioned) == {
        "btrfs_ioctl": "include/linux/btrfs.h"
    }
