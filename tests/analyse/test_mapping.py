"""Whether a mapping-wide mask can become a scope at one choke point."""

from __future__ import annotations

from nofsbot.analyse.mapping import PageCacheCall, choke_point

INDEX = [
    PageCacheCall(
        "fs/j/meta.c",
        "get_metapage",
        10,
        "JFS_SBI(sb)->direct_inode->i_mapping | inode->i_mapping",
        "",
        False,
    ),
    PageCacheCall(
        "fs/j/meta.c", "get_metapage", 14, "JFS_SBI(sb)->direct_inode->i_mapping", "", False
    ),
    PageCacheCall("fs/j/file.c", "read_dir_page", 20, "dir->i_mapping", "", False),
    PageCacheCall("fs/j/file.c", "grab_page", 30, "inode->i_mapping", "", False),
    PageCacheCall("fs/b/eb.c", "alloc_eb", 40, "btree_inode->i_mapping", "GFP_NOFS", False),
    PageCacheCall("fs/e/data.c", "bread", 50, "sbi->anon_inode->i_mapping", "", True),
]


def test_private_inode_with_one_choke_point() -> None:
    got = choke_point(INDEX, "inode->i_mapping", ("direct_inode",), "GFP_NOFS")
    assert got.choke is not None
    assert (got.choke.path, got.choke.function, got.choke.calls) == (
        "fs/j/meta.c",
        "get_metapage",
        (10, 14),
    )
    assert not got.choke.scoped


def test_choke_point_already_scoped() -> None:
    got = choke_point(INDEX, "inode->i_mapping", ("anon_inode",), "GFP_NOFS")
    assert got.choke is not None and got.choke.scoped


def test_mask_on_data_inodes_is_not_localisable() -> None:
    several = choke_point(INDEX, "inode->i_mapping", ("inode",), "GFP_NOFS")
    assert several.choke is None and "2 functions" in several.reason
    none = choke_point(INDEX, "ip->i_mapping", ("ip",), "GFP_NOFS")
    assert none.choke is None and "generic read/write paths" in none.reason


def test_choke_point_with_its_own_gfp_is_not_localisable() -> None:
    # the call passes its own gfp: the mapping mask does not decide that allocation
    got = choke_point(INDEX, "btree_inode->i_mapping", ("btree_inode",), "GFP_NOFS")
    assert got.choke is None and "its own gfp" in got.reason


def test_mapping_of_an_inode_named_only_by_a_variable_is_not_localisable() -> None:
    # reiserfs_get_page(dir, n) sets the mask on dir->i_mapping: any inode,
    # whose page cache truncate allocates as inode->i_mapping
    got = choke_point(INDEX, "dir->i_mapping", ("dir",), "GFP_NOFS")
    assert got.choke is None and "whatever inode dir is" in got.reason
    # a field the private inode is kept in names it wherever it is used
    assert choke_point(INDEX, "dir->i_mapping", ("direct_inode",), "GFP_NOFS").choke is not None


def test_only_a_plain_gfp_nofs_mask_moves() -> None:
    got = choke_point(
        INDEX, "inode->i_mapping", ("direct_inode",), "mapping_gfp_constraint(m, ~__GFP_FS)"
    )
    assert got.choke is None


def test_keys_prefer_the_field_a_private_inode_is_kept_in() -> None:
    from nofsbot import config
    from nofsbot.analyse.extract import Extractor

    src = b"""int fill_super(struct super_block *sb)
{
	struct inode *inode = new_inode(sb);

	mapping_set_gfp_mask(inode->i_mapping, GFP_NOFS);
	sbi->direct_inode = inode;
	return 0;
}
"""
    facts = Extractor(config.load()).extract("fs/j/super.c", src)
    assert facts.mappings == ((0, "inode->i_mapping", ("direct_inode",)),)
