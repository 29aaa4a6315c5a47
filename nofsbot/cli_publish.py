"""The publishing commands of the command line: `series` and `send`, and
the publishing tail of `rewrite`. cli.py owns error handling and exit codes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nofsbot.publish import PublishOptions, PublishResult, publish
from nofsbot.publish.send import SendOptions, send
from nofsbot.tools import git as gitcli
from nofsbot.tools.mail import Smtp

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
UNVERIFIED = "Not build-tested by nofsbot: published without its verify stage."


class RangeError(Exception):
    """A revision range that does not name a series."""


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser(
        "series",
        help="turn a range of commits into b4-compatible patch series",
        description="Split BASE..TIP by maintainer tree (MAINTAINERS F: patterns), at most 15 "
        "patches a series; write each with final commit messages (the subsystem's prefix, "
        "evidence, how it was generated, Signed-off-by), a cover letter with a per-class "
        "summary, diffstat, base-commit and change-id, To/Cc from get_maintainer.pl, and "
        "one mbox, into OUT/<subsystem>/. Run it again on the same OUT for v2, v3, ... "
        "with a changelog and a range-diff.",
    )
    s.add_argument("range", metavar="BASE..TIP", help="the commits, oldest first")
    s.add_argument("--tree", metavar="DIR", help="kernel git tree (default: $NOFSBOT_TREE or .)")
    s.add_argument("--out", metavar="DIR", required=True, help="where the series go")
    s.add_argument("-v", "--reroll-count", type=int, metavar="N", help="version to write")
    s.add_argument("--signoff", metavar="'NAME <MAIL>'", help="default: git user.name/email")
    s.add_argument("--to", action="append", default=[], metavar="ADDR", help="extra To")
    s.add_argument("--cc", action="append", default=[], metavar="ADDR", help="extra Cc")
    s.add_argument("--max-patches", type=int, default=15, metavar="N")
    s.add_argument("--json", action="store_true", help="print the result as JSON")
    s.set_defaults(func=cmd_series)

    m = sub.add_parser(
        "send",
        help="mail series with git send-email (a dry run unless --send)",
        description="Send the series in DIR (a directory `nofsbot series` wrote, or one that "
        "holds several) with git send-email, the cover letter first and every patch in "
        "reply to it. Without --send it is a dry run that prints what would go out. A "
        "version once sent is not sent again without --force.",
    )
    m.add_argument("directory", metavar="DIR")
    m.add_argument("--send", action="store_true", help="really send")
    m.add_argument("--force", action="store_true", help="send a version sent before again")
    m.add_argument("--smtp-server", metavar="HOST", help="default: git's sendemail.smtpServer")
    m.add_argument("--smtp-port", type=int, metavar="PORT")
    m.add_argument("--smtp-encryption", choices=("tls", "ssl", "none"))
    m.add_argument("--from", dest="sender", metavar="ADDR", help="default: git's identity")
    m.add_argument("--json", action="store_true", help="print the result as JSON")
    m.set_defaults(func=cmd_send)


def series_range(tree: Path, rev_range: str) -> tuple[str, tuple[str, ...]]:
    base, sep, tip = rev_range.partition("..")
    if not sep or not base or not tip or tip.startswith("."):
        raise RangeError(f"{rev_range!r}: give a range BASE..TIP")
    commits = tuple(gitcli.rev_list(tree, rev_range))
    if not commits:
        raise RangeError(f"{rev_range}: no commits")
    return gitcli.rev_parse(tree, base), commits


def cmd_series(args: argparse.Namespace) -> int:
    from nofsbot.cli import UsageError, _tree

    tree = _tree(args.tree)
    try:
        base, commits = series_range(tree, args.range)
    except RangeError as e:
        raise UsageError(str(e)) from e
    result = publish(
        PublishOptions(
            tree=tree,
            base=base,
            commits=commits,
            out=Path(args.out),
            verified=tuple((c, UNVERIFIED) for c in commits),
            version=args.reroll_count,
            signoff=args.signoff,
            max_patches=args.max_patches,
            to=tuple(args.to),
            cc=tuple(args.cc),
        )
    )
    return report_series(result, as_json=args.json)


def series_json(result: PublishResult) -> list[dict[str, object]]:
    return [
        {
            "directory": s.directory,
            "section": s.section,
            "change_id": s.change_id,
            "version": s.version,
            "subject": s.subject,
            "files": list(s.files),
            "mbox": s.mbox,
            "to": list(s.to),
            "cc": list(s.cc),
            "missing": list(s.missing),
            "base": s.base,
            "tip": s.tip,
        }
        for s in result.series
    ]


def report_series(result: PublishResult, *, as_json: bool) -> int:
    if as_json:
        sys.stdout.write(json.dumps({"series": series_json(result)}, indent=2) + "\n")
    else:
        for s in result.series:
            n = len(s.files) - 1
            print(f"{s.directory}: v{s.version} {s.subject} ({n} patch{'es' if n != 1 else ''})")
            print(f"  mbox {s.mbox}")
            print(f"  To: {', '.join(s.to)}")
            if s.cc:
                print(f"  Cc: {', '.join(s.cc)}")
            for m in s.missing:
                print(f"  not addressed: {m}")
    return EXIT_FINDINGS if any(s.missing for s in result.series) else EXIT_OK


def cmd_send(args: argparse.Namespace) -> int:
    sent = send(
        SendOptions(
            directory=Path(args.directory),
            smtp=Smtp(args.smtp_server, args.smtp_port, args.smtp_encryption),
            send=args.send,
            force=args.force,
            sender=args.sender,
        )
    )
    if args.json:
        doc = [
            {
                "directory": s.directory,
                "version": s.version,
                "dry_run": s.result.dry_run,
                "messages": s.result.messages,
                "files": list(s.files),
            }
            for s in sent
        ]
        sys.stdout.write(json.dumps({"sent": doc}, indent=2) + "\n")
        return EXIT_OK
    for s in sent:
        what = "would send" if s.result.dry_run else "sent"
        print(f"{s.directory}: v{s.version}: {what} {s.result.messages} of {len(s.files)} messages")
        if s.result.dry_run:
            sys.stdout.write(s.result.log)
    return EXIT_OK
