"""SIGKILL at every step boundary of a run and inside git and git
send-email, once for the whole process group and once for the main process
alone (its children live on), each followed by a plain run: every tag is
processed once, every series drafted once, and no Message-ID reaches the
SMTP server on 127.0.0.1 twice, with no manual step.

The step boundaries come from the bot's fault hook ($NOFSBOT_BOT_FAULT);
the kills inside git from a `git` on PATH that starts the real one and
kills the bot while it runs.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bot.remote import SITE, add_tag, make_remote, query, write_config
from tests.publish.smtp import smtp_server

pytestmark = [pytest.mark.kernel, pytest.mark.spatch]

ROOT = Path(__file__).parents[2]

# the bot's own steps, then git subcommands it runs (sparse-checkout and
# checkout in the clone, worktree add for the rewrite, format-patch, send-email)
STEPS = ("fetched", "analysed", "rewritten", "published", "drafted", "intent", "mailed")
GIT = ("sparse-checkout", "checkout", "worktree", "format-patch", "send-email")

WRAPPER = """#!/bin/sh
# kill the bot while the real git runs `$NOFSBOT_TEST_KILL_GIT`
want="${NOFSBOT_TEST_KILL_GIT%%=*}"
if [ -n "$NOFSBOT_TEST_KILL_GIT" ] && [ "$1" = "$want" ]; then
    "REAL" "$@" &
    child=$!
    sleep 0.05
    if [ "${NOFSBOT_TEST_KILL_GIT#*=}" = killpg ]; then
        kill -9 -- "-$(cut -d' ' -f5 /proc/$$/stat)"
    fi
    kill -9 "$PPID"
    wait "$child"
    exit $?
fi
exec "REAL" "$@"
"""


def bot(cfg: Path, path: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nofsbot", "bot", "--once", "--config", str(cfg)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PATH": path, **env},
        timeout=300,
        start_new_session=True,
    )


@pytest.mark.parametrize("how", ["killpg", "kill"])
def test_killed_anywhere_nothing_is_lost_or_repeated(
    tmp_path: Path, linux61: Path, spatch: str, how: str
) -> None:
    real = shutil.which("git")
    assert real is not None
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "git").write_text(WRAPPER.replace("REAL", real))
    (bindir / "git").chmod(0o755)
    path = f"{bindir}:{os.environ['PATH']}"
    remote = make_remote(tmp_path / "linux", linux61, {"fs/case/f0.c": SITE.format(n=0)})
    db = tmp_path / "state" / "bot.db"
    tags = ["next-20260101"]
    functions = ["op0"]
    with smtp_server() as inbox:
        cfg = write_config(tmp_path, remote, inbox.port, "in_flight = 100\n")
        cfg.write_text("jobs = 2\n" + cfg.read_text())
        killed = []
        for n, point in enumerate([*STEPS, *GIT], 1):
            if n > 1:  # new work for every point: a tag with a site in a file of its own
                tags.append(f"next-202601{n + 1:02d}")
                add_tag(remote, tags[-1], {f"fs/case/f{n}.c": SITE.format(n=n)}, f"case: op{n}")
                functions.append(f"op{n}")
            if point in STEPS:
                env = {"NOFSBOT_BOT_FAULT": f"{point}={how}"}
            else:
                env = {"NOFSBOT_TEST_KILL_GIT": f"{point}={how}"}
            died = bot(cfg, path, env)
            assert died.returncode == -9, (point, died.stdout, died.stderr)
            killed.append(point)
            after = bot(cfg, path, {})
            assert after.returncode == 0, (point, after.stdout, after.stderr)
        assert killed == [*STEPS, *GIT]
        assert bot(cfg, path, {}).stdout.strip() == "no new tag"

        # every tag processed once, its one new site reported once
        assert sorted(r[0] for r in query(db, "SELECT name FROM tags")) == tags
        regs = collections.Counter(r[0] for r in query(db, "SELECT tag FROM regressions"))
        assert regs == {t: 1 for t in tags[1:]}
        # every series drafted once: v1, and no site in two live series
        rows = query(db, "SELECT change_id, version, status, message_ids FROM series")
        assert {r[1] for r in rows} == {1}
        live = {r[0] for r in rows if r[2] != "superseded"}
        owners = collections.Counter(
            r[1] for r in query(db, "SELECT change_id, identity FROM series_sites") if r[0] in live
        )
        assert owners and set(owners.values()) == {1}
        assert sorted(i.split("|")[1] for i in owners) == sorted(functions)
        # no Message-ID delivered twice; every series marked sent was delivered whole
        got = [m["Message-ID"] for _, m in inbox.received]
        assert len(got) == len(set(got))
        for change_id, _, status, ids in rows:
            if status == "sent":
                assert set(json.loads(str(ids))) <= set(got), change_id
            assert status in ("sent", "sent?", "superseded"), (change_id, status)
