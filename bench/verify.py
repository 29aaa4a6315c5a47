"""Wall time of `nofsbot verify` on the result of `nofsbot rewrite PATH`, cold and warm.

Runs `nofsbot rewrite --tree T PATH` on a new branch, then `nofsbot verify
BASE..BRANCH --json` twice: first cold (nofsbot's full worktree of the tree
and the build directory for that config removed first: the run makes the
worktree, configures and prepares the build directory), then warm (both
reused). Prints the wall time of each run and the time per step that
verify reports (worktree, config, prepare, baseline build, per-patch
builds, checkpatch). The branch, the rewrite worktree and the verified ref
are removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

STEPS = ("worktree", "config", "prepare", "baseline", "builds", "checkpatch")


def nofsbot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nofsbot", *args], capture_output=True, text=True, check=False
    )


def git(tree: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=tree, capture_output=True, text=True, check=False
    ).stdout.strip()


def timed_verify(tree: Path, rev_range: str) -> dict[str, Any]:
    start = time.monotonic()
    proc = nofsbot("verify", "--tree", str(tree), rev_range, "--json")
    wall = time.monotonic() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"verify failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    r = json.loads(proc.stdout)
    r["wall"] = wall
    return r


def forget(tree: Path, result: dict[str, Any]) -> None:
    """Remove the build directory and the full worktree a verify run used."""
    shutil.rmtree(result["build_dir"], ignore_errors=True)
    git(tree, "worktree", "remove", "--force", result["source"])
    git(tree, "worktree", "prune")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", default="fs/xfs", help="path in the tree (default: fs/xfs)")
    ap.add_argument("--tree", type=Path, help="kernel tree (default: `nofsbot kernel 6.1`)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    tree = args.tree or Path(nofsbot("kernel", "6.1").stdout.strip())
    branch = f"nofs-bench-verify-{os.getpid()}"
    wt = Path(tempfile.mkdtemp(prefix="nofsbot-bench-wt-")) / "wt"
    base = git(tree, "rev-parse", "HEAD")
    try:
        start = time.monotonic()
        proc = nofsbot("rewrite", "--no-publish", "--tree", str(tree), args.path,
                       "--branch", branch, "--worktree", str(wt), "--json")  # fmt: skip
        rewrite_wall = time.monotonic() - start
        if proc.returncode not in (0, 1):
            sys.exit(f"rewrite failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        commits = len(json.loads(proc.stdout)["commits"])
        # a first run only to learn which build directory this config uses
        first = timed_verify(tree, f"{base}..{branch}")
        forget(tree, first)
        runs = {"cold": timed_verify(tree, f"{base}..{branch}")}
        runs["warm"] = timed_verify(tree, f"{base}..{branch}")
    finally:
        git(tree, "worktree", "remove", "--force", str(wt))
        git(tree, "branch", "-D", branch)
        git(tree, "update-ref", "-d", f"refs/nofsbot/verified/{branch}")
    if args.json:
        doc = {"rewrite": rewrite_wall, "commits": commits, "runs": runs}
        print(json.dumps(doc, indent=2))
        return 0
    cold = runs["cold"]
    print(f"nofsbot rewrite {args.path} on {tree}: {rewrite_wall:.1f}s, {commits} commits")
    print(f"config: defconfig + {' '.join('CONFIG_' + s for s in cold['symbols'])}")
    print(f"{'verify':7} {'wall s':>7} " + " ".join(f"{s:>10}" for s in STEPS) + "  kept dropped")
    for name, r in runs.items():
        t = r["timings"]
        print(
            f"{name:7} {r['wall']:7.1f} "
            + " ".join(f"{t[s]:10.1f}" for s in STEPS)
            + f"  {len(r['kept']):>4} {len(r['dropped']):>7}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
