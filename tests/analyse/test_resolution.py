"""Calls resolved the way the kernel build links them: headers found through
the subsystem's -I flags, and a header's static inline stub standing for the
real function of the other configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from nofsbot import config
from nofsbot.analyse import Options, analyse
from nofsbot.analyse.includes import _search_path
from nofsbot.model import Class
from nofsbot.plan import plan
from tests.conftest import make_tree

WORKER = """#include "fx_trans.h"
static void split_worker(struct work_struct *work)
{
	struct fx_args *args = container_of(work, struct fx_args, work);

	fx_trans_set_context(args->tp);
	p = kmalloc(8, GFP_NOFS);
	fx_trans_clear_context(args->tp);
}

void fx_start(struct fx_args *args)
{
	INIT_WORK(&args->work, split_worker);
}
"""

TRANS_H = """static inline void fx_trans_set_context(struct fx_trans *tp)
{
	tp->t_pflags = memalloc_nofs_save();
}

static inline void fx_trans_clear_context(struct fx_trans *tp)
{
	memalloc_nofs_restore(tp->t_pflags);
}
"""


def _classes(tree: Path) -> dict[str, Class]:
    a = analyse(tree, ["fs"], config.load(), Options(jobs=1, cache=False))
    return {f.site.function or "": f.klass for f in plan(a.placed)}


def test_header_of_a_parent_directory_is_found(tmp_path: Path) -> None:
    # fs/xfs/libxfs/*.c include "xfs_trans.h" from fs/xfs (-I $(src))
    tree = make_tree(
        tmp_path / "tree",
        {"fs/fx/libfx/split.c": WORKER, "fs/fx/fx_trans.h": TRANS_H},
    )
    assert _classes(tree)["split_worker"] is Class.REDUNDANT


def test_without_the_header_the_scope_is_not_seen(tmp_path: Path) -> None:
    tree = make_tree(
        tmp_path / "tree",
        {"fs/fx/libfx/split.c": WORKER, "fs/other/fx_trans.h": TRANS_H},
    )
    assert _classes(tree)["split_worker"] is Class.UNNEEDED


def test_search_path_prefers_an_ancestor_and_refuses_to_guess() -> None:
    names = {
        "fx_trans.h": ["fs/fx/fx_trans.h", "fs/fx/libfx/fx_trans.h"],
        "fx_format.h": ["fs/fx/libfx/fx_format.h"],
        "fx_twice.h": ["fs/fx/a/fx_twice.h", "fs/fx/b/fx_twice.h"],
    }
    assert _search_path("fs/fx/libfx/x.c", "fx_trans.h", names) == "fs/fx/libfx/fx_trans.h"
    assert _search_path("fs/fx/scrub/x.c", "fx_trans.h", names) == "fs/fx/fx_trans.h"
    assert _search_path("fs/fx/x.c", "fx_format.h", names) == "fs/fx/libfx/fx_format.h"
    assert _search_path("fs/fx/x.c", "fx_twice.h", names) is None
    assert _search_path("fs/gx/x.c", "fx_format.h", names) is None


STUB_H = """#ifdef CONFIG_FX_REPAIR
int fx_repair(struct fx_mount *mp);
#else
static inline int fx_repair(struct fx_mount *mp)
{
	return -EOPNOTSUPP;
}
#endif
"""

REPAIR = """#include "repair.h"
int fx_repair(struct fx_mount *mp)
{
	p = kmalloc(8, GFP_NOFS);
	return 0;
}
"""

SCRUB = """#include "repair.h"
static void scrub_worker(struct work_struct *work)
{
	struct fx_trans *tp;

	if (xfs_trans_alloc(mp, &M_RES(mp)->tr_write, 0, 0, 0, &tp))
		return;
	fx_repair(mp);
	xfs_trans_commit(tp);
}

void fx_scrub(struct fx_mount *mp)
{
	INIT_WORK(&mp->work, scrub_worker);
}
"""


def test_a_header_stub_also_calls_the_real_function(tmp_path: Path) -> None:
    # scrub.c's call resolves to the stub of repair.h and to repair.c's
    # fx_repair(), which has no other caller: its site is inside the scope
    files = {"fs/fx/repair.h": STUB_H, "fs/fx/repair.c": REPAIR, "fs/fx/scrub.c": SCRUB}
    tree = make_tree(tmp_path / "tree", files)
    assert _classes(tree)["fx_repair"] is Class.REDUNDANT
    # the twin: nothing calls fx_repair(), so its site has no known caller
    files["fs/fx/scrub.c"] = SCRUB.replace("fx_repair(mp);", "fx_other(mp);")
    tree = make_tree(tmp_path / "tree2", files)
    assert _classes(tree)["fx_repair"] is Class.KEEP


@pytest.mark.parametrize(
    ("linux_h", "klass"),
    [
        ('#include <linux/types.h>\n#include "fx_trans.h"\n', Class.REDUNDANT),
        # the twin: the chain does not include the header, so it is not used
        ("#include <linux/types.h>\n", Class.UNNEEDED),
    ],
)
def test_header_inlines_through_a_header_of_the_subsystem(
    tmp_path: Path, linux_h: str, klass: Class
) -> None:
    # fs/xfs/*.c include "xfs.h", which includes "xfs_linux.h", which
    # includes "xfs_buf.h": its inlines (xfs_buf_relse()) are theirs too
    worker = WORKER.replace('"fx_trans.h"', '"fx.h"')
    tree = make_tree(
        tmp_path / "tree",
        {
            "fs/fx/libfx/split.c": worker,
            "fs/fx/fx.h": '#include "fx_linux.h"\n',
            "fs/fx/fx_linux.h": linux_h,
            "fs/fx/fx_trans.h": TRANS_H,
        },
    )
    assert _classes(tree)["split_worker"] is klass
