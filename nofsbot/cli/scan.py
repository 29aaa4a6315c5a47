"""`nofsbot scan`: list NOFS sites with their scope context and class."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nofsbot import config, outputs
from nofsbot.cli.common import EXIT_FINDINGS, EXIT_OK, UsageError, tree_dir
from nofsbot.model import Class
from nofsbot.runner import default_jobs

log = logging.getLogger("nofsbot")


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
        tree=tree_dir(args.tree),
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


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The scan command."""
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
