"""Wall time of `nofsbot bot --once` on a one-tag delta against a full scan of
the same paths, on a local "linux-next" made from the real 6.1 tree.

The remote is a `git clone --shared` of the cached 6.1 repository (nothing
is written to the cache) with tags:

- next-20260101: the 6.1 import (the bot's baseline run: a full analysis
  with an empty analysis cache);
- next-20260102: one GFP_NOFS allocation added in fs/xfs/libxfs/xfs_sb.c
  (the one-tag delta: the bot analyses fs/xfs again, the other subsystems
  keep their state);
- next-20260103: a comment in include/linux/fs.h (a header every unit may
  read: the bot analyses every path again, unchanged files from the cache).

For each delta tag: the bot run (policy.mode = report: analysis and
regressions, no series) and, on the bot's clone at that tag, `nofsbot scan
--hazards PATHS` (the bot looks for new hazards too) with an empty cache. Prints
the wall times and the ratios. Standard library only.

    python3 bench/bot.py [--paths fs] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SB = "fs/xfs/libxfs/xfs_sb.c"
OLD = "\t\treturn error;\n\n\txfs_log_sb(tp);\n\tif (wait)"
NEW = "\t\treturn error;\n\n\tkfree(kzalloc(64, GFP_NOFS));\n\txfs_log_sb(tp);\n\tif (wait)"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def nofsbot(*args: str, cache: Path) -> tuple[float, str]:
    env = dict(os.environ, NOFSBOT_CACHE=str(cache))
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "nofsbot", *args], capture_output=True, text=True, env=env
    )
    wall = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"nofsbot {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall, proc.stdout


def edit(repo: Path, path: str, old: str, new: str, message: str, tag: str) -> None:
    f = repo / path
    text = f.read_text()
    assert old in text, f"{path}: {old!r} not found"
    f.write_text(text.replace(old, new, 1))
    git(repo, "commit", "-qam", message)
    git(repo, "tag", tag)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--paths", nargs="+", default=["fs"])
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    kernel = Path(
        subprocess.run(
            [sys.executable, "-m", "nofsbot", "kernel", "6.1"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    work = Path(tempfile.mkdtemp(prefix="nofsbot-bench-bot-"))
    remote = work / "linux-next"
    git(work, "clone", "-q", "--shared", "--no-checkout", str(kernel), str(remote))
    git(remote, "sparse-checkout", "set", "fs/xfs", "include/linux")
    git(remote, "checkout", "-q", "master")
    git(remote, "tag", "next-20260101")
    cfg = work / "bot.toml"
    cfg.write_text(
        f'jobs = {args.jobs}\n[tree]\nremote = "{remote}"\nclone = "clone"\n'
        f"paths = {json.dumps(args.paths)}\n"
        '[identity]\nname = "Bench"\nemail = "bench@example.org"\n'
        '[policy]\nmode = "report"\n[state]\ndatabase = "state/bot.db"\n'
    )
    cache = work / "cache"
    print(f"tree {kernel}, paths {' '.join(args.paths)}, -j {args.jobs}")
    py = platform.python_version()
    print(f"machine: {os.cpu_count()} CPUs, Linux {platform.release()}, Python {py}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    wall, out = nofsbot("bot", "--once", "--config", str(cfg), cache=cache)
    print(f"\nbaseline next-20260101, empty cache: bot {wall:.2f}s\n  {out.strip()}")

    clone = work / "clone"
    rows = []
    deltas = (
        ("next-20260102", "one file in fs/xfs changed", SB, OLD, NEW),
        (
            "next-20260103",
            "include/linux/fs.h changed",
            "include/linux/fs.h",
            "#ifndef _LINUX_FS_H\n",
            "#ifndef _LINUX_FS_H\n/* a comment */\n",
        ),
    )
    for tag, what, path, old, new in deltas:
        edit(remote, path, old, new, what, tag)
        wall, out = nofsbot("bot", "--once", "--config", str(cfg), cache=cache)
        with sqlite3.connect(work / "state" / "bot.db") as db:
            analysed, seconds = db.execute(
                "SELECT analysed, seconds FROM tags WHERE name = ?", (tag,)
            ).fetchone()
        # the bot analyses hazards too
        scan = ["scan", "--hazards", "--tree", str(clone), *args.paths, "--json", "-o", os.devnull]
        cold, _ = nofsbot(*scan, "-j", str(args.jobs), cache=Path(tempfile.mkdtemp(dir=work)))
        units = json.loads(analysed)
        shown = ", ".join(units) if len(units) < 4 else f"{len(units)} paths: all of them"
        rows.append((tag, what, wall, seconds, shown, cold))
        print(f"\n{tag} ({what}):\n  {out.strip()}")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print(f"{'tag':<14} {'bot s':>7} {'analysis s':>10} {'scan s':>7} {'scan/bot':>8}  analysed")
    for tag, _, wall, secs, analysed, cold in rows:
        print(f"{tag:<14} {wall:>7.2f} {secs:>10.2f} {cold:>7.2f} {cold / wall:>7.1f}x  {analysed}")
    print(
        "\nbot s: wall time of `nofsbot bot --once` (fetch, checkout, analysis, state); "
        "analysis s: the analysis part the bot records;\n"
        "scan: the full scan, `nofsbot scan --hazards PATHS --json` on the same checkout "
        "with an empty cache"
    )
    print(f"(work directory {work}: remove it when done)")


if __name__ == "__main__":
    main()
