"""A small "linux-next" for bot tests: a kernel-shaped tree with
MAINTAINERS, the kernel's get_maintainer.pl and a few files of sites from
tests/cases, committed and tagged; and the bot's TOML pointing at it."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from nofsbot.cli import main
from tests.conftest import committed, git, need
from tests.publish.test_series import MAINTAINERS

CASES = Path(__file__).parent.parent / "cases"


# a redundant GFP_NOFS site inside an XFS-style transaction, in function opN
SITE = """
int op{n}(struct xfs_mount *mp)
{{
	struct xfs_trans *tp;
	int error = xfs_trans_alloc(mp, &M_RES(mp)->tr_write, 0, 0, 0, &tp);

	if (error)
		return error;
	s{n} = kzalloc({n}, GFP_NOFS);
	return xfs_trans_commit(tp);
}}
"""


def case(name: str) -> str:
    return (CASES / name).read_text()


def make_remote(root: Path, linux61: Path, files: dict[str, str] | None = None) -> Path:
    """The remote, with tag next-20260101 on its first commit."""
    need("perl", shutil.which("perl") is not None)
    repo = committed(
        root,
        {
            "MAINTAINERS": MAINTAINERS,
            "scripts/get_maintainer.pl": (linux61 / "scripts/get_maintainer.pl").read_text(),
            **(
                files
                if files is not None
                else {"fs/case/scoped.c": case("nofs_flags/scoped.before.c")}
            ),
        },
    )
    git(repo, "tag", "next-20260101")
    return repo


def add_tag(repo: Path, name: str, files: dict[str, str], message: str = "change") -> str:
    for rel, text in files.items():
        p = repo / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    git(repo, "add", "-f", *files)
    git(repo, "commit", "-q", "-m", message)
    git(repo, "tag", name)
    return git(repo, "rev-parse", "HEAD").strip()


def write_config(
    tmp_path: Path,
    remote: Path,
    port: int | None,
    extra: str = "",
    mode: str = "send",
    policy: str = "",
) -> Path:
    """The bot's TOML in TMP_PATH: EXTRA goes under [limits], POLICY under [policy]."""
    mail = (
        f'[mail]\nsmtp_server = "127.0.0.1"\nsmtp_port = {port}\nsmtp_encryption = "none"\n'
        if port
        else ""
    )
    cfg = tmp_path / "bot.toml"
    cfg.write_text(
        f"""\
[tree]
remote = "{remote}"
clone = "clone"
paths = ["fs/case"]
[identity]
name = "NOFS Bot"
email = "bot@nofs.example.net"
{mail}[policy]
mode = "{mode}"
{policy}[limits]
cool_down_days = 0
merge_window = "off"
{extra}[state]
database = "state/bot.db"
"""
    )
    return cfg


def run(cfg: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`nofsbot bot ARGS --config CFG` in this process: exit code, stdout, stderr."""
    capsys.readouterr()
    rc = main(["bot", *args, "--config", str(cfg)])
    got = capsys.readouterr()
    return rc, got.out, got.err


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as c:
        return c.execute(sql).fetchall()
