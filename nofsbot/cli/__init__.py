"""The command line: the parser and the error boundary, the only place that
catches errors and picks exit codes. Each command group has a module of its
own (scan, rewrite, publish: series/send/verify, review, bot: bot/report,
kernel) with its options and its command functions; they share common.py
and never import this module.

Exit codes: 0 ok, 1 findings asked to fail on / an error the user can fix,
2 usage, 3 internal error (traceback in a log file), 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import signal
import sys
import tempfile
import traceback

from nofsbot import __version__
from nofsbot.cli import bot, kernel, publish, review, rewrite, scan
from nofsbot.cli.common import (
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
)
from nofsbot.errors import NofsbotError, ToolError

log = logging.getLogger("nofsbot")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nofsbot",
        description="Find GFP_NOFS sites in a Linux kernel tree, decide with evidence which are "
        "already inside a memalloc_nofs_save() scope, and convert them.",
    )
    p.add_argument("--version", action="version", version=f"nofsbot {__version__}")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more logging on stderr")
    p.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    p.add_argument(
        "--config-dir",
        metavar="DIR",
        help="directory with the *.toml rules "
        "(default: the config/ shipped with nofsbot, or $NOFSBOT_CONFIG)",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    scan.add_commands(sub)
    rewrite.add_commands(sub)
    publish.add_commands(sub)
    review.add_commands(sub)
    bot.add_commands(sub)
    kernel.add_commands(sub)
    _everywhere(sub)
    return p


def _everywhere(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """-v/-q (and --config-dir) after the command name too, at every level
    (`nofsbot bot status -v`); where a command uses -v for itself (`series
    -v N`, git's reroll count), --verbose. And a description for every
    command's --help."""
    for choice in sub._choices_actions:
        # `--help` of a command says what it does, however it was declared
        parser = sub.choices[choice.dest]
        if not parser.description:
            parser.description = choice.help
    for parser in set(sub.choices.values()):
        taken = parser._option_string_actions
        verbose = [o for o in ("-v", "--verbose") if o not in taken]
        parser.add_argument(
            *verbose, action="count", default=argparse.SUPPRESS, help="more logging on stderr"
        )
        if "-q" not in taken:
            parser.add_argument(
                "-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                help="only errors on stderr",
            )  # fmt: skip
        if "--config-dir" not in taken:
            parser.add_argument(
                "--config-dir", metavar="DIR", default=argparse.SUPPRESS,
                help="directory with the *.toml rules",
            )  # fmt: skip
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                _everywhere(action)


def _internal_error(exc: BaseException) -> int:
    fd, path = tempfile.mkstemp(prefix="nofsbot-crash-", suffix=".log")
    with os.fdopen(fd, "w") as f:
        f.write(
            f"nofsbot {__version__}, Python {platform.python_version()}, {platform.platform()}\n"
        )
        f.write(f"argv: {sys.argv}\n\n")
        f.write("".join(traceback.format_exception(exc)))
    sys.stderr.write(f"nofsbot: internal error: {type(exc).__name__}: {exc}\ndetails in {path}\n")
    return EXIT_INTERNAL


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = (
        logging.ERROR
        if args.quiet
        else [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    )
    logging.basicConfig(level=level, format="nofsbot: %(message)s", stream=sys.stderr)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    # SIGTERM (kill, a scheduler's timeout) unwinds like Ctrl-C: a review's
    # or rewrite's worktree is removed, or named, not left registered
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return _run(args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt("terminated")


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args))
    except UsageError as e:
        sys.stderr.write(f"nofsbot: {e}\n")
        return EXIT_USAGE
    except NofsbotError as e:
        if isinstance(e, ToolError) and e.output.strip():
            log.info("output of %s:\n%s", e.argv[0], "\n".join(e.output.splitlines()[-15:]))
        sys.stderr.write(f"error: {e}\n")
        return EXIT_FINDINGS
    except KeyboardInterrupt as e:
        sys.stderr.write(f"interrupted: {e}\n" if str(e) else "interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:
        return _internal_error(e)
