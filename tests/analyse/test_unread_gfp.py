"""A mask passed to a function that never reads it has no effect
(tests/data/scan/unread_gfp.c); a header's stub that ignores it does not
say so for the real function of another configuration."""

from __future__ import annotations

from pathlib import Path

from nofsbot import config
from nofsbot.analyse import Options, analyse
from nofsbot.model import Class
from nofsbot.plan import plan
from tests.conftest import make_tree

STUB = """#ifdef CONFIG_MY_CRYPT
int my_encrypt_block(struct page *page, gfp_t gfp);
#else
static inline int my_encrypt_block(struct page *page, gfp_t gfp)
{
	return -EOPNOTSUPP;
}
#endif
"""

CALLER = """#include <linux/my_stub.h>

static void my_encrypt(struct folio *folio, size_t offset, size_t length)
{
	my_encrypt_block(&folio->page, GFP_NOFS);
}

static const struct address_space_operations my_aops = {
	.invalidate_folio = my_encrypt,
};
"""


def test_a_header_stub_that_ignores_the_mask_is_not_a_noop(tmp_path: Path) -> None:
    tree = make_tree(
        tmp_path / "tree",
        {"include/linux/my_stub.h": STUB, "fs/fixture/enc.c": CALLER},
    )
    a = analyse(tree, ["fs/fixture"], config.load(), Options(jobs=1, cache=False))
    (f,) = plan(a.placed)
    assert f.klass is not Class.NOOP_MASK
    assert "never reads" not in f.reason
