from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nofsbot import config
from nofsbot.config import BEGIN, COND_BEGIN, END, HANDOVER, NEUTRAL
from nofsbot.errors import ConfigError


def test_shipped_config_loads() -> None:
    cfg = config.load()
    assert cfg.scope_effect("memalloc_nofs_save")[0] == BEGIN
    assert cfg.scope_effect("xfs_trans_cancel")[0] == END
    assert cfg.scope_effect("ext4_journal_start_sb")[0] == COND_BEGIN
    assert cfg.scope_effect("xfs_trans_roll")[0] == HANDOVER
    assert cfg.scope_effect("btrfs_start_transaction")[0] == NEUTRAL
    assert cfg.not_provider("btrfs_start_transaction") is not None


def copy(tmp_path: Path) -> Path:
    d = tmp_path / "config"
    shutil.copytree(config.default_dir(), d)
    return d


def test_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    d = copy(tmp_path)
    (d / "providers.toml").write_text(
        (d / "providers.toml").read_text() + "\n[[pair]]\nname = 'x'\nbegn = ['a']\n"
    )
    with pytest.raises(ConfigError) as e:
        config.load(d)
    assert "providers.toml" in str(e.value) and "pair.begn" in str(e.value)


def test_bad_argument_index(tmp_path: Path) -> None:
    d = copy(tmp_path)
    (d / "alloc.toml").write_text(
        (d / "alloc.toml").read_text().replace("kmalloc = 1", 'kmalloc = "one"')
    )
    with pytest.raises(ConfigError) as e:
        config.load(d)
    assert "alloc.kmalloc" in str(e.value)


def test_adding_a_provider_is_a_data_change(tmp_path: Path) -> None:
    d = copy(tmp_path)
    (d / "providers.toml").write_text(
        (d / "providers.toml").read_text()
        + "\n[[pair]]\nname = 'toy'\nbegin = ['toy_begin']\nend = ['toy_end']\n"
    )
    assert config.load(d).scope_effect("toy_begin")[0] == BEGIN


def test_a_handoff_names_a_known_wrapper(tmp_path: Path) -> None:
    handoffs = config.load().reclaim.handoffs
    assert [(h.join, h.wrapper, h.lock) for h in handoffs] == [
        ("xfs_trans_ijoin", "xfs_ilock", ""),
        ("xfs_trans_dqjoin", "", "xfs_dquot.q_qlock"),
    ]
    err = broken(tmp_path, "reclaim.toml", 'wrapper = "xfs_ilock"', 'wrapper = "xfs_lock"')
    assert "handoff.wrapper" in err and "xfs_lock" in err


@pytest.mark.parametrize(
    "old, new",
    [
        ('lock = "xfs_dquot.q_qlock"', 'lock = "xfs_dquot.q_qlock"\nwrapper = "xfs_ilock"'),
        ('lock = "xfs_dquot.q_qlock"', ""),
    ],
    ids=["both", "neither"],
)
def test_a_handoff_names_one_lock_or_a_wrapper(tmp_path: Path, old: str, new: str) -> None:
    err = broken(tmp_path, "reclaim.toml", old, new)
    assert "handoff xfs_trans_dqjoin" in err and "either lock or wrapper and arg" in err


def test_callback_arguments_are_indexed_by_position(tmp_path: Path) -> None:
    readers = [c for c in config.load().entries.callbacks if c.calls.get("mpage_readahead")]
    assert [c.args for c in readers] == [{"3": 0}]
    err = broken(tmp_path, "entries.toml", "args = { 3 = 0 }", "args = { create = 0 }")
    assert "callback.args" in err and "argument index = value" in err


def test_a_via_helpers_nonnull_argument_is_an_index(tmp_path: Path) -> None:
    (labels,) = [e for e in config.load().entries.ops if e.nonnull]
    assert dict(labels.nonnull)["d_splice_alias"] == 0
    err = broken(tmp_path, "entries.toml", "nonnull.d_add = 1", 'nonnull.d_add = "inode"')
    assert "ops.nonnull" in err and "argument index" in err


def test_an_ops_entry_within_names_struct_fields(tmp_path: Path) -> None:
    (misc,) = [e for e in config.load().entries.ops if e.within]
    assert misc.within == ("miscdevice.fops",) and misc.holds == ("misc_mtx",)
    err = broken(tmp_path, "entries.toml", '["miscdevice.fops"]', '["miscdevice"]')
    assert "ops.within" in err and "STRUCT.FIELD" in err


def broken(tmp_path: Path, name: str, old: str, new: str) -> str:
    """The error loading the shipped config with OLD replaced by NEW in NAME."""
    d = copy(tmp_path)
    text = (d / name).read_text()
    assert old in text
    (d / name).write_text(text.replace(old, new))
    with pytest.raises(ConfigError) as e:
        config.load(d)
    return str(e.value)
