"""The bot's TOML: the shipped example loads; mistakes name file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from nofsbot.bot.config import load
from nofsbot.errors import ConfigError

EXAMPLE = Path(__file__).parents[2] / "config" / "bot.example.toml"


def test_example_loads() -> None:
    cfg = load(EXAMPLE)
    assert cfg.tree.paths == ("fs/xfs", "fs/ext4")
    assert cfg.tree.matches("next-20260102") and not cfg.tree.matches("v6.8")
    assert cfg.policy.mode == "dry-run" and not cfg.policy.verify
    assert cfg.mail.smtp_server is None  # git's sendemail.* decides
    assert cfg.github is not None and cfg.github.mode == "issue"
    assert cfg.limits.pause[0][0].isoformat() == "2026-12-20"
    assert cfg.lock_file.name == "bot.db.lock"


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "bot.toml"
    p.write_text(text)
    return p


MINIMAL = """
[tree]
remote = "linux"
clone = "clone"
paths = ["fs/xfs"]
[identity]
name = "N"
email = "n@example.org"
[state]
database = "bot.db"
"""


def test_minimal_and_relative_paths(tmp_path: Path) -> None:
    cfg = load(write(tmp_path, MINIMAL))
    assert cfg.tree.remote == str(tmp_path / "linux") and cfg.tree.clone == tmp_path / "clone"
    assert cfg.database == tmp_path / "bot.db" and cfg.github is None
    assert cfg.tree.tags == "next-*" and cfg.limits.in_flight == 1 and cfg.jobs == 1
    regex = load(write(tmp_path, MINIMAL.replace("paths =", 'tags = "/^next-\\\\d{8}$/"\npaths =')))
    assert regex.tree.matches("next-20260101") and not regex.tree.matches("next-2026")


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (("[state]", "[state]\ndatabse = 'x'"), "state.databse"),
        (("[identity]\n", "[identity]\nnick = 'x'\n"), "identity.nick"),
        (('paths = ["fs/xfs"]', "paths = 'fs/xfs'"), "tree.paths"),
        (("[state]", "[policy]\nmode = 'spam'\n[state]"), "policy.mode"),
        (("[state]", "[policy]\nmode = 'preview'\n[state]"), "policy.preview_to"),
        (("[state]", "[limits]\npause = ['soon']\n[state]"), "limits.pause"),
        (("[state]", "[github]\nrepo = 'a/b'\nmode = 'comment'\n[state]"), "github.number"),
        (('clone = "clone"\n', ""), "tree.clone"),
        (("[tree]", "colour = 1\n[tree]"), "colour"),
    ],
)
def test_mistakes_name_file_and_key(tmp_path: Path, change: tuple[str, str], key: str) -> None:
    path = write(tmp_path, MINIMAL.replace(*change))
    with pytest.raises(ConfigError) as e:
        load(path)
    assert e.value.key == key and e.value.path == str(path)


@pytest.mark.parametrize(
    ("section", "key", "bad", "good"),
    [
        ("", "jobs", 0, 1),
        ("", "jobs", 257, 256),
        ("mail", "smtp_port", -1, 0),
        ("mail", "smtp_port", 65536, 65535),
        ("policy", "tags_per_run", 0, 1),
        ("policy", "tags_per_run", 1001, 1000),
        ("limits", "in_flight", -1, 100),
        ("limits", "in_flight", 0, 1),
        ("limits", "cool_down_days", -1, 0),
        ("limits", "cool_down_days", 366, 365),
        ("limits", "max_patches", 0, 1),
        ("limits", "max_patches", 101, 100),
        ("github", "number", -1, 0),
    ],
)
def test_every_number_has_a_range(
    tmp_path: Path, section: str, key: str, bad: int, good: int
) -> None:
    def with_value(v: int) -> str:
        if not section:
            return f"{key} = {v}\n" + MINIMAL
        extra = "repo = 'a/b'\n" if section == "github" else ""
        return MINIMAL.replace("[state]", f"[{section}]\n{extra}{key} = {v}\n[state]")

    path = write(tmp_path, with_value(bad))
    with pytest.raises(ConfigError, match=f"{bad} is out of range: expected") as e:
        load(path)
    assert e.value.key == (f"{section}.{key}" if section else key)
    load(write(tmp_path, with_value(good)))  # the bound itself is fine


def test_the_identity_needs_an_address(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="name@domain") as e:
        load(write(tmp_path, MINIMAL.replace("n@example.org", "nobody")))
    assert e.value.key == "identity.email"
