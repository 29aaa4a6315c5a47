"""`nofsbot rewrite`: carry out the plan on a branch, then verify and publish."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from nofsbot import config, outputs
from nofsbot.cli.common import EXIT_FINDINGS, EXIT_OK, tree_dir
from nofsbot.cli.publish import ship
from nofsbot.errors import Interrupted
from nofsbot.rewrite import RewriteResult
from nofsbot.runner import default_jobs


def cmd_rewrite(args: argparse.Namespace) -> int:
    import json

    from nofsbot.rewrite import RewriteOptions, leftovers, rewrite

    opts = RewriteOptions(
        tree=tree_dir(args.tree),
        paths=tuple(args.paths),
        branch=args.branch,
        worktree=Path(args.worktree) if args.worktree else None,
        group=args.group,
        jobs=args.jobs,
        import_tree=args.import_tree,
        progress=None,
    )
    if args.out and not args.no_publish:
        outputs.check_dir(Path(args.out))
    cfg = config.load(Path(args.config_dir) if args.config_dir else None)
    started = time.monotonic()
    r = rewrite(opts, cfg)
    spent = time.monotonic() - started
    if not args.json:
        # what the branch holds first: verify and publish take a while, and
        # may fail, and the branch is there either way
        _print_rewrite(r)
        sys.stdout.flush()
    try:
        shipped = ship(r, args, cfg) if r.commits and not args.no_publish else None
    except KeyboardInterrupt:
        raise Interrupted(leftovers(opts.tree.resolve(), r.branch, Path(r.worktree))) from None
    status = EXIT_FINDINGS if r.unbalanced or (shipped and shipped.dropped) else EXIT_OK
    if args.json:
        doc = {
            "base": r.base,
            "branch": r.branch if r.kept else None,
            "worktree": r.worktree if r.kept else None,
            "planned": r.planned,
            "commits": [
                {
                    "sha": c.sha,
                    "subject": c.subject,
                    "files": list(c.files),
                    "sites": [{"path": p, "line": n} for p, n in c.sites],
                }
                for c in r.commits
            ],
            "not_rewritten": [{"path": p, "line": n, "why": w} for p, n, w in r.not_rewritten],
            "unbalanced": [{"path": p, "line": n, "message": m} for p, n, m in r.unbalanced],
            **(shipped.doc if shipped else {"verify": None, "dropped": [], "series": []}),
            "timings": {"rewrite": round(spent, 2), **(shipped.timings if shipped else {})},
        }
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    elif shipped:
        print("\n".join(shipped.lines))
    return status


def _print_rewrite(r: RewriteResult) -> None:
    if r.kept:
        print(f"branch {r.branch} (from {r.base[:12]}) in worktree {r.worktree}")
    else:
        print(f"nothing committed on {r.base[:12]}: no branch or worktree kept")
    for c in r.commits:
        print(f"  {c.sha[:12]} {c.subject}")
    print(
        f"{len(r.commits)} commits, {sum(len(c.sites) for c in r.commits)} of {r.planned} "
        f"planned edits made; {len(r.not_rewritten)} sites not rewritten"
    )
    for p, n, w in r.not_rewritten:
        print(f"  not rewritten: {p}:{n}: {w}")
    print(
        f"scope balance checker on {len({f for c in r.commits for f in c.files})} touched "
        f"files: {len(r.unbalanced)} findings"
    )
    for p, n, m in r.unbalanced:
        print(f"  unbalanced: {p}:{n}: {m}")


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The rewrite command."""
    r = sub.add_parser(
        "rewrite",
        help="carry out the plan on a new branch, verify it and publish it as series",
        description="Scan PATH..., then rewrite the planned sites with Coccinelle on a new "
        "branch from HEAD, in a git worktree of nofsbot's own (your work tree and index are "
        "never touched): a NOFS scope at each needs-scope critical section, mapping masks "
        "moved to their choke points, then, after a new analysis, the flag conversions (one "
        "commit per file and class), each with a message draft that states the class and the "
        "evidence. The scope balance checker runs on every touched file. Then, unless told "
        "otherwise, verify (build and checkpatch every patch, drop what fails) and series "
        "(the series for each maintainer tree, nothing mailed). Exit 1 if the checker found "
        "an unbalanced scope or verify dropped a patch.",
    )
    r.add_argument("paths", nargs="+", metavar="PATH", help="files or directories in the tree")
    r.add_argument(
        "--tree", metavar="DIR", help="kernel tree, a git repository (default: $NOFSBOT_TREE or .)"
    )
    r.add_argument(
        "--branch", metavar="NAME", help="branch to create (default: nofsbot/nofs-PATHS-BASE)"
    )
    r.add_argument(
        "--worktree",
        metavar="DIR",
        help="where the worktree goes (default: under $XDG_CACHE_HOME/nofsbot)",
    )
    r.add_argument(
        "--group",
        choices=("file", "function"),
        default="file",
        help="one commit per file and class (default) or per function and class",
    )
    r.add_argument(
        "--import",
        dest="import_tree",
        action="store_true",
        help="if the tree is not a git repository, make one with a baseline commit",
    )
    r.add_argument("-j", "--jobs", type=int, default=default_jobs(), metavar="N")
    r.add_argument(
        "--no-verify",
        action="store_true",
        help="publish without building and checkpatching each patch (nofsbot verify)",
    )
    r.add_argument(
        "--no-publish", action="store_true", help="stop at the branch: no verify, no series"
    )
    r.add_argument(
        "--out",
        metavar="DIR",
        help="where the series go (default: $XDG_CACHE_HOME/nofsbot/series/BRANCH)",
    )
    r.add_argument("--json", action="store_true", help="print the result as JSON")
    r.set_defaults(func=cmd_rewrite)
