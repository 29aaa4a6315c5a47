"""The link step: a reclaim path that crosses into another subsystem through
an exported function is seen by that subsystem's analysis."""

from __future__ import annotations

from pathlib import Path

from nofsbot import config
from nofsbot.analyse import Options, analyse
from nofsbot.model import Class
from nofsbot.plan import plan
from tests.analyse.test_fixtures import expectations
from tests.conftest import make_tree

DATA = Path(__file__).parent.parent / "data" / "link"


def _classes(tree: Path, paths: list[str]) -> dict[tuple[str, int], Class]:
    a = analyse(tree, paths, config.load(), Options(jobs=1, cache=False))
    return {(f.site.path, f.site.line): f.klass for f in plan(a.placed)}


def test_reclaim_of_another_subsystem_takes_an_exported_functions_lock(tmp_path: Path) -> None:
    files = {"fs/lockmgr/lib.c": (DATA / "lib.c").read_text()}
    files["fs/userfs/user.c"] = (DATA / "user.c").read_text()
    tree = make_tree(tmp_path / "tree", files)
    got = _classes(tree, ["fs"])
    for rel, name in (("fs/lockmgr/lib.c", "lib.c"), ("fs/userfs/user.c", "user.c")):
        for line, want in expectations(DATA / name).items():
            assert str(got[(rel, line)]) == want["class"], f"{rel}:{line}"
    # the evidence names the other subsystem's reclaim path
    a = analyse(tree, ["fs"], config.load(), Options(jobs=1, cache=False))
    site = next(p for p in a.placed if p.site.path == "fs/lockmgr/lib.c")
    notes = " ".join(e.note for e in site.reclaim.evidence)
    assert "userfs_evict_inode()" in notes and "lm_release()" in notes
    # the step at the other subsystem's call is the caller's, not lm_release()'s
    step = next(e for e in site.reclaim.evidence if "which calls lm_release()" in e.note)
    assert (step.path, step.function) == ("fs/userfs/user.c", "userfs_evict_inode")
    assert f"reaches {step.function}()" in step.note


def test_twin_without_the_caller_is_unneeded(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree", {"fs/lockmgr/lib.c": (DATA / "lib.c").read_text()})
    got = _classes(tree, ["fs"])
    # neither the work nor the recovery kthread meets a reclaim path
    for line in expectations(DATA / "lib.c"):
        assert got[("fs/lockmgr/lib.c", line)] is Class.UNNEEDED


def test_a_table_of_the_same_name_in_another_file_is_not_a_misc_devices(
    tmp_path: Path,
) -> None:
    # two files, each with a static dev_fops: only misc.c's is stored in a
    # struct miscdevice, so only its ->open runs under misc_mtx
    misc = (Path(__file__).parent.parent / "data" / "scan" / "misc_open.c").read_text()
    other = """
static int b_open(struct inode *inode, struct file *file)
{
	p = kmalloc(8, GFP_NOFS);
	return 0;
}

static const struct file_operations dev_fops = { .open = b_open };

int b_setup(struct cdev *c)
{
	cdev_init(c, &dev_fops);
	return 0;
}
"""
    tree = make_tree(tmp_path / "tree", {"fs/miscfs/misc.c": misc, "fs/miscfs/other.c": other})
    got = _classes(tree, ["fs"])
    assert got[("fs/miscfs/other.c", 4)] is Class.UNNEEDED
    for line, want in expectations(
        Path(__file__).parent.parent / "data" / "scan" / "misc_open.c"
    ).items():
        assert str(got[("fs/miscfs/misc.c", line)]) == want["class"], line
