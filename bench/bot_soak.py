"""Soak: 30 tags handled by one `nofsbot bot --once` and by 30 of them end
in the same state and mail the same patches.

A small kernel-shaped "linux-next" (tests/bot/remote.py: MAINTAINERS, the
6.1 tree's get_maintainer.pl, files under fs/case/) gets 30 tags after its baseline:
most add a GFP_NOFS allocation inside an XFS-style transaction in a file of
its own, every fifth changes only Documentation/. Two bots in send mode,
each with its own clone, state and SMTP server on 127.0.0.1 (aiosmtpd),
follow a remote that publishes the tags:

- one run: the baseline run, then all 30 tags published and one run
  (policy.tags_per_run = 30);
- 30 runs: the baseline run, then each tag published and a run.

Compared: the processed tags with their previous tag, the sites (identity,
status, first tag), the regressions (tag, site), the open counts per tag,
the sites the series convert, and the patches mailed (by `git patch-id
--stable` of each mail, and subject). Series grouping differs on purpose
(one run drafts once, for the newest tag: one series per max_patches
patches; 30 runs draft one series a tag), so covers and Message-IDs are not
compared, only that none was delivered twice.

    python3 bench/bot_soak.py [--tags 30]
"""

from __future__ import annotations

import argparse
import collections
import email
import email.policy
import os
import platform
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' small "linux-next"

from tests.bot.remote import SITE, add_tag, make_remote, write_config  # noqa: E402
from tests.conftest import GIT_ENV, git  # noqa: E402


class Inbox:
    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope.content)
        return "250 OK"


def source(root: Path, tags: int) -> list[str]:
    """The full history, tagged next-20260101 and on."""
    kernel = subprocess.run(
        [sys.executable, "-m", "nofsbot", "kernel", "6.1"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout.strip()
    repo = make_remote(root / "source", Path(kernel), {"fs/case/f0.c": SITE.format(n=0)})
    names = ["next-20260101"]
    for n in range(1, tags + 1):
        names.append(f"next-2026{1 + n // 28:02d}{1 + n % 28:02d}")
        if n % 5 == 0:
            add_tag(repo, names[-1], {"Documentation/case.rst": f"notes {n}\n"}, f"change {n}")
        else:
            add_tag(repo, names[-1], {f"fs/case/f{n}.c": SITE.format(n=n)}, f"change {n}")
    return names


def bot(cfg: Path) -> float:
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "nofsbot", "bot", "--once", "--config", str(cfg)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if proc.returncode != 0:
        sys.exit(f"bot failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return time.monotonic() - start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def soak(
    root: Path, src: Path, names: list[str], one_run: bool
) -> tuple[dict[str, Any], float, int]:
    """Follow a remote the tags are pushed to; the state, mails, wall time, runs."""
    root.mkdir()
    remote = root / "remote.git"
    git(root, "init", "-q", "--bare", str(remote))
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        per_run = len(names) if one_run else 1
        cfg = write_config(
            root, remote, port, "in_flight = 100\n", policy=f"tags_per_run = {per_run}\n"
        )
        git(src, "push", "-q", str(remote), f"refs/tags/{names[0]}")
        wall, runs = bot(cfg), 1
        batches = [names[1:]] if one_run else [[t] for t in names[1:]]
        for batch in batches:
            git(src, "push", "-q", str(remote), *(f"refs/tags/{t}" for t in batch))
            wall += bot(cfg)
            runs += 1
    finally:
        controller.stop()
    return outcome(root, inbox), wall, runs


def outcome(root: Path, inbox: Inbox) -> dict[str, Any]:
    db = sqlite3.connect(root / "state" / "bot.db")
    q = db.execute
    state = {
        "tags": q("SELECT name, previous FROM tags ORDER BY name").fetchall(),
        "sites": q("SELECT identity, status, first_tag FROM sites ORDER BY identity").fetchall(),
        "regressions": q("SELECT tag, identity FROM regressions ORDER BY tag, identity").fetchall(),
        "counts": q("SELECT tag, subsystem, class, n FROM counts ORDER BY tag, class").fetchall(),
        "converted": sorted(
            r[0]
            for r in q(
                "SELECT s.identity FROM series_sites s JOIN series r ON r.change_id = s.change_id "
                "WHERE r.status != 'superseded'"
            )
        ),
        "statuses": dict(collections.Counter(r[0] for r in q("SELECT status FROM series"))),
    }
    db.close()
    patches, ids = [], []
    for raw in inbox.received:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        ids.append(str(msg["Message-ID"]))
        text = raw.decode(errors="replace")
        if "\ndiff --git " not in text:
            continue  # a cover letter
        pid = subprocess.run(
            ["git", "patch-id", "--stable"], input=text, capture_output=True, text=True, check=True
        ).stdout.split()[0]
        subject = re.sub(r"^\[PATCH[^\]]*\] ", "", str(msg["Subject"]))
        patches.append((pid, subject))
    state["patches"] = sorted(patches)
    state["mails"] = len(ids)
    state["message_ids_repeated"] = len(ids) - len(set(ids))
    return state


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tags", type=int, default=30)
    args = ap.parse_args()
    os.environ.update(GIT_ENV)
    root = Path(tempfile.mkdtemp(prefix="nofsbot-soak-"))
    try:
        names = source(root, args.tags)
        one, one_wall, one_runs = soak(root / "one", root / "source", names, True)
        many, many_wall, many_runs = soak(root / "many", root / "source", names, False)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"python {platform.python_version()}, load {os.getloadavg()[0]:.2f}")
    added = sum(n % 5 != 0 for n in range(1, len(names)))
    print(f"{len(names) - 1} tags after the baseline, {added} new sites")
    print(f"{'':26}{'one run':>12}{'30 runs':>12}")
    print(f"{'bot runs':26}{one_runs:>12}{many_runs:>12}")
    print(f"{'wall s (all runs)':26}{one_wall:>12.1f}{many_wall:>12.1f}")
    for key in ("mails", "message_ids_repeated"):
        print(f"{key:26}{one[key]:>12}{many[key]:>12}")
    print(f"{'series by status':26}{one['statuses']!s:>12}  {many['statuses']}")
    for key in ("tags", "sites", "regressions", "counts", "converted", "patches"):
        same = "same" if one[key] == many[key] else "DIFFERENT"
        print(f"{key:26}{len(one[key]):>12}{len(many[key]):>12}  {same}")
    if any(
        one[k] != many[k]
        for k in ("tags", "sites", "regressions", "counts", "converted", "patches")
    ):
        sys.exit(1)


if __name__ == "__main__":
    main()
