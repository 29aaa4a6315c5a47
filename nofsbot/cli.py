"""The command line. The only place that catches errors and picks exit codes.

Exit codes: 0 ok, 1 findings asked to fail on / an error the user can fix,
2 usage, 3 internal error (traceback in a log file), 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nofsbot import __version__, cli_bot, cli_publish, config, outputs
from nofsbot.errors import Interrupted, NofsbotError, ToolError
from nofsbot.model import Class
from nofsbot.runner import default_jobs

log = logging.getLogger("nofsbot")


class UsageError(Exception):
    """Arguments that parse but make no sense; exit 2 like argparse."""


EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


@dataclass(frozen=True)
class ScanOptions:
    tree: Path
    paths: tuple[str, ...]
    fmt: str
    jobs: int
    cache: bool
    evidence: bool
    fail_on: frozenset[Class]
    output: Path | None
    hazards: bool
    fail_on_hazard: bool


def _tree(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    return Path(os.environ.get("NOFSBOT_TREE") or ".")


def cmd_scan(args: argparse.Namespace) -> int:
    from nofsbot.analyse import Options, analyse
    from nofsbot.plan import plan
    from nofsbot.report.sarif import to_sarif
    from nofsbot.report.scan import ScanResult, hazards_json, hazards_text, to_json, to_text

    words = [c for c in (args.fail_on or "").split(",") if c]
    try:
        fail_on = frozenset(Class(c) for c in words if c != "hazard")
    except ValueError as e:
        raise UsageError(f"--fail-on: {e}; classes: {', '.join(map(str, Class))}, hazard") from e
    opts = ScanOptions(
        tree=_tree(args.tree),
        paths=tuple(args.paths),
        fmt=args.format,
        jobs=args.jobs,
        cache=not args.no_cache,
        evidence=not args.brief,
        fail_on=fail_on,
        output=Path(args.output) if args.output else None,
        hazards=args.hazards,
        fail_on_hazard="hazard" in words,
    )
    if opts.output:
        outputs.check_file(opts.output)
    cfg = config.load(Path(args.config_dir) if args.config_dir else None)
    analysis = analyse(
        opts.tree,
        list(opts.paths),
        cfg,
        Options(jobs=opts.jobs, cache=opts.cache, progress=None, hazards=opts.hazards),
    )
    result = ScanResult(analysis, plan(analysis.placed))
    render: dict[str, Callable[[ScanResult], str]] = {
        "json": to_json,
        "sarif": to_sarif,
        "text": lambda r: to_text(r, evidence=opts.evidence),
    }
    if opts.hazards:
        render = {
            "json": hazards_json,
            "sarif": lambda r: to_sarif(r, hazards=True),
            "text": lambda r: hazards_text(r, evidence=opts.evidence),
        }
    text = render[opts.fmt](result)
    if opts.output:
        outputs.write_text(opts.output, text)
    else:
        sys.stdout.write(text)
    if opts.hazards and analysis.hazards and opts.fail_on_hazard:
        return EXIT_FINDINGS
    hit = [f for f in result.findings if f.klass in opts.fail_on]
    if hit:
        log.info("%d sites of class %s", len(hit), ",".join(sorted(map(str, opts.fail_on))))
        return EXIT_FINDINGS
    return EXIT_OK


def cmd_rewrite(args: argparse.Namespace) -> int:
    import json

    from nofsbot.rewrite import RewriteOptions, leftovers, rewrite

    opts = RewriteOptions(
        tree=_tree(args.tree),
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
    try:
        shipped = cli_publish.ship(r, args, cfg) if r.commits and not args.no_publish else None
    except KeyboardInterrupt:
        raise Interrupted(leftovers(opts.tree.resolve(), r.branch, Path(r.worktree))) from None
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
        return EXIT_FINDINGS if r.unbalanced or (shipped and shipped.dropped) else EXIT_OK
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
    if shipped:
        print("\n".join(shipped.lines))
    return EXIT_FINDINGS if r.unbalanced or (shipped and shipped.dropped) else EXIT_OK


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
        tree=_tree(args.tree),
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


def cmd_kernel(args: argparse.Namespace) -> int:
    from nofsbot import kernels

    for v in args.versions:
        print(kernels.provision(v))
    return EXIT_OK


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

    s = sub.add_parser(
        "scan",
        help="list NOFS sites with their scope context and class",
        description="List every GFP_NOFS / KM_NOFS / ~__GFP_FS site under PATH..., whether it "
        "runs inside a NOFS scope on every path (with the evidence), and its class: "
        "redundant, mixed, unneeded, needs-scope (with where the scope goes), noop-mask, "
        "or keep (with the reason). --hazards lists likely bugs instead.",
    )
    s.add_argument("paths", nargs="+", metavar="PATH", help="files or directories in the tree")
    s.add_argument("--tree", metavar="DIR", help="kernel tree (default: $NOFSBOT_TREE or .)")
    s.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    s.add_argument(
        "--json", dest="format", action="store_const", const="json", help="same as --format json"
    )
    s.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")
    s.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=default_jobs(),
        metavar="N",
        help="parallel workers (default: the number of CPUs)",
    )
    s.add_argument("--no-cache", action="store_true", help="ignore and do not fill the cache")
    s.add_argument("--brief", action="store_true", help="text: leave out the evidence lines")
    s.add_argument(
        "--fail-on",
        metavar="CLASS[,CLASS]",
        help="exit 1 if any site has one of these classes (e.g. redundant,noop-mask), "
        "or, with --hazards, 'hazard' if any hazard is found",
    )
    s.add_argument(
        "--hazards",
        action="store_true",
        help="report likely bugs instead of sites: allocations that may enter FS reclaim "
        "under a lock reclaim takes, allocations under a folio lock, scoped waits for work "
        "that allocates with __GFP_FS, unbalanced scopes",
    )
    s.set_defaults(func=cmd_scan)

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

    cli_publish.add_commands(sub)
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
    cli_bot.add_commands(sub)

    k = sub.add_parser(
        "kernel",
        help="extract a Debian linux-source tarball once into the cache and print its path",
        description="Extract /usr/src/linux-source-VERSION.tar.xz into the cache directory "
        "($XDG_CACHE_HOME/nofsbot/kernels), import it into git, and print the path. "
        "Later calls just print the path.",
    )
    k.add_argument("versions", nargs="+", metavar="VERSION", help="e.g. 6.1 or 6.12")
    k.set_defaults(func=cmd_kernel)
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
