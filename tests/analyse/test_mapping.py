"""Whether a mapping-wide mask can become a scope at one choke point."""

from __future__ import annotations

from nofsbot.analyse.mapping import choke_point as _choke_point

INDEX = [
    ("fs/j/meta.c", "get_metapage", 10, "JFS_SBI(sb)->direct_inode->i_mapping | inode->i_mapping"),
    ("fs/j/file.c", "read_dir_page", 20, "dir->i_mapping"),
    ("fs/j/file.c", "grab_page", 30, "inode->i_mapping"),
]


def test_private_inode_with_one_choke_point() -> None:
    got = _choke_point(INDEX, "inode->i_mapping", ("direct_inode",))
    assert got.startswith("localisable: get_metapage()")


def test_mask_on_data_inodes_is_not_localisable() -> None:
    assert _choke_point(INDEX, "inode->i_mapping", ("inode",)).startswith(
        "cannot be localised: 2 functions"
    )
    assert "generic read/write paths" in _choke_point(INDEX, "ip->i_mapping", ("ip",))


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
