"""`nofsbot rewrite PATH` end to end (rewrite, verify, publish), with the
build directory cold and then warm, time per stage.

Cold: nofsbot's full worktree of the tree and the build directory for the
config the series needs are removed first, so verify makes the worktree,
configures and prepares the build directory. Warm: the same command again
(a new branch), reusing both. The analysis cache is warm in both runs (the
scan benchmark measures it cold). Branches, worktrees, refs and series are
removed afterwards.
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


def git(tree: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=tree, capture_output=True, text=True, check=False
    ).stdout.strip()


def run(tree: Path, path: str, branch: str, tmp: Path) -> dict[str, Any]:
    argv = [sys.executable, "-m", "nofsbot", "rewrite", "--tree", str(tree), path]
    argv += [
        "--branch",
        branch,
        "--worktree",
        str(tmp / branch),
        "--out",
        str(tmp / f"{branch}-series"),
    ]
    start = time.monotonic()
    proc = subprocess.run([*argv, "--json"], capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    if proc.returncode not in (0, 1) or not proc.stdout.startswith("{"):
        sys.exit(f"rewrite failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    r: dict[str, Any] = json.loads(proc.stdout)
    r["wall"] = wall
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", default="fs/xfs")
    ap.add_argument("--tree", default=None, help="default: the cached 6.1 tree")
    args = ap.parse_args()
    tree = Path(args.tree or subprocess.run(
        [sys.executable, "-m", "nofsbot", "kernel", "6.1"], capture_output=True, text=True,
        check=True).stdout.strip())  # fmt: skip
    print(f"nofsbot rewrite {args.path} end to end on {tree}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    tmp = Path(tempfile.mkdtemp(prefix="nofsbot-e2e-"))
    branches = ["nofsbot-bench-e2e-cold", "nofsbot-bench-e2e-warm", "nofsbot-bench-e2e-probe"]
    runs = []
    try:
        for i, branch in enumerate(branches[:2]):
            if i == 0:  # forget what an earlier verify left: the cold case
                probe = run(tree, args.path, "nofsbot-bench-e2e-probe", tmp)
                shutil.rmtree(probe["verify"]["build_dir"], ignore_errors=True)
                git(tree, "worktree", "remove", "--force", probe["verify"]["source"])
                git(tree, "worktree", "prune")
            runs.append(run(tree, args.path, branch, tmp))
    finally:
        for branch in branches:
            git(tree, "worktree", "remove", "--force", str(tmp / branch))
            git(tree, "branch", "-D", branch)
        for ref in git(tree, "for-each-ref", "--format=%(refname)", "refs/nofsbot/").split():
            if "bench-e2e" in ref or "nofs-xfs" in ref:
                git(tree, "update-ref", "-d", ref)
        git(tree, "worktree", "prune")
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"{'run':<5} {'wall s':>7} {'rewrite':>8} {'verify':>7} "
        + " ".join(f"{s:>10}" for s in STEPS)
        + f" {'publish':>8}  kept  series"
    )
    for name, r in zip(("cold", "warm"), runs, strict=True):
        t = r["timings"]
        steps = t.get("verify_steps", {})
        print(
            f"{name:<5} {r['wall']:>7.1f} {t['rewrite']:>8.1f} {t['verify']:>7.1f} "
            + " ".join(f"{steps.get(s, 0.0):>10.1f}" for s in STEPS)
            + f" {t['publish']:>8.1f}  {len(r['verify']['kept'])}/{len(r['commits'])}"
            + f"  {len(r['series'])}"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
