"""Wall time of `nofsbot rewrite PATH` on a kernel tree, and the share spent in spatch.

Runs `nofsbot -vv rewrite --tree T PATH` once with a fresh analysis cache
(NOFSBOT_CACHE in a temporary directory) and once more with that cache warm,
each on a new branch and worktree that are removed afterwards, and reads the
per-command durations nofsbot logs at -vv ("ran spatch in 1.23s") to split
the time: spatch, git (worktree checkout and commits), the rest (analysis).
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RAN = re.compile(r"ran (\S+) in ([0-9.]+)s")


def kernel_tree() -> Path:
    out = subprocess.run(
        [sys.executable, "-m", "nofsbot", "kernel", "6.1"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return Path(out)


def one_run(tree: Path, path: str, cache: Path, tag: str) -> dict[str, object]:
    branch = f"nofs-bench-{tag}-{os.getpid()}"
    wt = Path(tempfile.mkdtemp(prefix="nofsbot-bench-wt-")) / "wt"
    env = dict(os.environ, NOFSBOT_CACHE=str(cache))
    argv = [
        sys.executable,
        "-m",
        "nofsbot",
        "-vv",
        "rewrite",
        "--no-publish",
        "--tree",
        str(tree),
        path,
        "--branch",
        branch,
        "--worktree",
        str(wt),
        "--json",
    ]
    start = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env)
    wall = time.monotonic() - start
    try:
        if proc.returncode not in (0, 1):
            sys.exit(f"rewrite failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        by_tool: dict[str, float] = {}
        for tool, secs in RAN.findall(proc.stderr):
            by_tool[tool] = by_tool.get(tool, 0.0) + float(secs)
        result = json.loads(proc.stdout)
        return {
            "wall": wall,
            "spatch": by_tool.get("spatch", 0.0),
            "git": by_tool.get("git", 0.0),
            "commits": len(result["commits"]),
            "planned": result["planned"],
        }
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(wt)], cwd=tree, capture_output=True
        )
        subprocess.run(["git", "branch", "-D", branch], cwd=tree, capture_output=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", default="fs/xfs", help="path in the tree (default: fs/xfs)")
    ap.add_argument("--tree", type=Path, help="kernel tree (default: `nofsbot kernel 6.1`)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    tree = args.tree or kernel_tree()
    with tempfile.TemporaryDirectory(prefix="nofsbot-bench-cache-") as cache:
        runs = {
            "cold": one_run(tree, args.path, Path(cache), "cold"),
            "warm": one_run(tree, args.path, Path(cache), "warm"),
        }
    if args.json:
        print(json.dumps(runs, indent=2))
        return 0
    print(f"nofsbot rewrite {args.path} on {tree}")
    print(
        f"{'cache':6} {'wall s':>8} {'spatch s':>9} {'share':>6} {'git s':>7} {'other s':>8}"
        "  commits  planned"
    )
    for name, r in runs.items():
        wall, sp, gt = float(r["wall"]), float(r["spatch"]), float(r["git"])  # type: ignore[arg-type]
        print(
            f"{name:6} {wall:8.2f} {sp:9.2f} {sp / wall:6.1%} {gt:7.2f} {wall - sp - gt:8.2f}"
            f"  {r['commits']:>7}  {r['planned']:>7}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
