"""`nofsbot review`: what a series changes about NOFS allocations and scopes."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from nofsbot import config, outputs
from nofsbot.cli.common import EXIT_FINDINGS, EXIT_OK, UsageError, tree_dir
from nofsbot.runner import default_jobs

log = logging.getLogger("nofsbot")


def cmd_review(args: argparse.Namespace) -> int:
    from nofsbot.review import ReviewOptions, post, review
    from nofsbot.review.mail import to_mails, to_mbox
    from nofsbot.review.render import summary_line, to_json, to_text

    if bool(args.inputs) == bool(args.github):
        raise UsageError(
            "review: give an mbox, .patch files or a revision range, or --github OWNER/REPO#N"
        )
    if args.out and args.format != "email":
        raise UsageError("review: --out DIR is for --format email")
    opts = ReviewOptions(
        tree=tree_dir(args.tree),
        inputs=tuple(args.inputs),
        github=args.github,
        base=args.base,
        jobs=args.jobs,
        cache=not args.no_cache,
        github_url=args.github_url,
    )
    if args.out:
        outputs.check_dir(Path(args.out))
    cfg = config.load(Path(args.config_dir) if args.config_dir else None)
    r = review(opts, cfg)
    if args.format == "json":
        sys.stdout.write(to_json(r))
    elif args.format == "email":
        mails = to_mails(r, r.reviewer)
        if args.out:
            out = Path(args.out)
            outputs.make_dir(out)
            for name, text in mails:
                outputs.write_text(out / name, text)
                print(out / name)
        else:
            sys.stdout.write(to_mbox(mails))
        log.warning("%s", summary_line(r))
    else:
        sys.stdout.write(to_text(r))
    if args.github and not args.no_post:
        url = post(r, opts)
        log.warning("%s", f"posted the review: {url}" if url else "clean: nothing posted")
    return EXIT_FINDINGS if r.errors else EXIT_OK


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The review command."""
    v = sub.add_parser(
        "review",
        help="review a series: what it changes about NOFS allocations and scopes",
        description="Apply a series to its base in a worktree of nofsbot's own (your work "
        "tree is never touched), analyse the C files it touches before and after with "
        "their subsystems, and report what the series changes: an added GFP_NOFS that is "
        "redundant, mixed or unneeded, a new mapping-wide NOFS mask, a scope around a "
        "single allocation, an unbalanced scope, an allocation with __GFP_FS under a lock "
        "reclaim takes, a changed mask a callee reads as a signal, work waited for inside "
        "a scope. Exit 1 when a finding is an error.",
    )
    v.add_argument(
        "inputs",
        nargs="*",
        metavar="INPUT",
        help="an mbox (b4 am, git format-patch --stdout), .patch files, or a revision "
        "range of the tree (A..B)",
    )
    v.add_argument(
        "--github",
        metavar="OWNER/REPO#N",
        help="review pull request N and post one review with line comments on it "
        "(token: $GITHUB_TOKEN or ~/.config/nofsbot/github-token)",
    )
    v.add_argument(
        "--github-url",
        metavar="URL",
        default=os.environ.get("NOFSBOT_GITHUB_URL") or "https://api.github.com",
        help="GitHub API URL (default: $NOFSBOT_GITHUB_URL or https://api.github.com)",
    )
    v.add_argument("--no-post", action="store_true", help="with --github: report, post nothing")
    v.add_argument(
        "--tree", metavar="DIR", help="kernel tree, a git repository (default: $NOFSBOT_TREE or .)"
    )
    v.add_argument(
        "--base",
        metavar="REV",
        help="apply the series to REV (default: its base-commit:, the range's start, the "
        "pull request's base, else HEAD)",
    )
    v.add_argument("--format", choices=("text", "email", "json"), default="text")
    v.add_argument(
        "--json", dest="format", action="store_const", const="json", help="same as --format json"
    )
    v.add_argument(
        "--out",
        metavar="DIR",
        help="--format email: write one .eml per patch with findings into DIR "
        "(default: an mbox on stdout)",
    )
    v.add_argument("-j", "--jobs", type=int, default=default_jobs(), metavar="N")
    v.add_argument("--no-cache", action="store_true", help="ignore and do not fill the cache")
    v.set_defaults(func=cmd_review)
