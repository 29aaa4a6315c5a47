"""Wall time of `nofsbot review` on a 20-patch series against the 6.1 tree.

Builds the series once: twenty one-line patches, each turning the
GFP_KERNEL of one allocation into GFP_NOFS, taken in turn from fs/ext4,
fs/xfs and fs/jbd2 (the first allocations `git grep` lists there). They
are committed in a detached worktree of the tree (removed afterwards; the
commits are unreachable objects, the tree's branches and work tree are not
touched) and written out with `git format-patch --stdout --base`. Then runs
`nofsbot review --json` on that mbox with a fresh analysis cache
(NOFSBOT_CACHE in a temporary directory) and again with the cache warm,
and prints the wall and CPU time of each run and what it found. Standard
library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rewrite import kernel_tree

SUBSYSTEMS = ("fs/ext4", "fs/xfs", "fs/jbd2")
ALLOC = (
    r"\b(kmalloc|kzalloc|kcalloc|kmalloc_array|kvmalloc|kvzalloc|kmem_cache_z?alloc)\("
    r".*\bGFP_KERNEL\b"
)


def git(cwd: Path, *args: str, input: str | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, input=input
    ).stdout


def sites(tree: Path, count: int) -> list[tuple[str, int]]:
    """COUNT allocation lines with GFP_KERNEL, round-robin over SUBSYSTEMS."""
    per: dict[str, list[tuple[str, int]]] = {}
    for hit in git(tree, "grep", "-n", "-E", ALLOC, "--", *SUBSYSTEMS).splitlines():
        path, line, _ = hit.split(":", 2)
        per.setdefault("/".join(path.split("/")[:2]), []).append((path, int(line)))
    out: list[tuple[str, int]] = []
    while len(out) < count and any(per.values()):
        for sub in SUBSYSTEMS:
            if per.get(sub) and len(out) < count:
                out.append(per[sub].pop(0))
    return out


def make_series(tree: Path, count: int, dest: Path) -> int:
    """Write COUNT patches as an mbox to DEST; return how many."""
    base = git(tree, "rev-parse", "HEAD").strip()
    picked = sites(tree, count)
    wt = Path(tempfile.mkdtemp(prefix="nofsbot-bench-series-")) / "wt"
    git(tree, "worktree", "add", "-q", "--detach", "--no-checkout", str(wt), base)
    try:
        git(wt, "read-tree", "HEAD")
        paths = sorted({p for p, _ in picked})
        git(wt, "checkout-index", "-f", "-u", "--", *paths)
        for path, line in picked:
            f = wt / path
            lines = f.read_text().splitlines(keepends=True)
            lines[line - 1] = re.sub(r"\bGFP_KERNEL\b", "GFP_NOFS", lines[line - 1], count=1)
            f.write_text("".join(lines))
            git(wt, "add", "--", path)
            sub = path.split("/")[1]
            msg = f"{sub}: allocate with GFP_NOFS in {Path(path).name}:{line}"
            git(wt, "commit", "-q", "--no-verify", "-m", msg)
        dest.write_text(git(wt, "format-patch", "--stdout", f"--base={base}", f"{base}..HEAD"))
    finally:
        git(tree, "worktree", "remove", "--force", str(wt))
    return len(picked)


def one_run(tree: Path, series: Path, cache: Path) -> dict[str, str | int | float]:
    env = dict(os.environ, NOFSBOT_CACHE=str(cache))
    argv = [sys.executable, "-m", "nofsbot", "review", "--tree", str(tree), str(series), "--json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        sys.exit(f"review failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    doc = json.loads(proc.stdout)
    return {
        "wall": round(wall, 2),
        "cpu": round(cpu, 2),
        "patches": doc["summary"]["patches"],
        "files": len(doc["analysed"]),
        "findings": doc["summary"]["findings"],
        "kinds": ", ".join(f"{k} {v}" for k, v in doc["summary"]["kinds"].items()),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", type=Path, help="kernel tree (default: `nofsbot kernel 6.1`)")
    ap.add_argument("--patches", type=int, default=20, help="series length (default: 20)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    tree = args.tree or kernel_tree()
    with tempfile.TemporaryDirectory(prefix="nofsbot-bench-review-") as tmp:
        series = Path(tmp) / "series.mbox"
        n = make_series(tree, args.patches, series)
        cache = Path(tmp) / "cache"
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        runs = {"cold": one_run(tree, series, cache), "warm": one_run(tree, series, cache)}
    if args.json:
        print(json.dumps(runs, indent=2))
        return 0
    print(f"nofsbot review of a {n}-patch series ({', '.join(SUBSYSTEMS)}) on {tree}")
    print(f"load average before: {load}")
    head = ("cache", "wall s", "cpu s", "patches", "files", "findings")
    print("{:6} {:>7} {:>6} {:>8} {:>6} {:>9}  kinds".format(*head))
    for name, r in runs.items():
        print(
            f"{name:6} {r['wall']:>7} {r['cpu']:>6} {r['patches']:>8} {r['files']:>6}"
            f" {r['findings']:>9}"
            f"  {r['kinds']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
