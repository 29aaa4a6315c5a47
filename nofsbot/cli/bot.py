"""The bot's commands: `bot` (one run, or one every N minutes), `bot
status`, `bot reject`, `bot retry`, `bot rebuild-state`, and `report
--html`. The package's __init__ owns error handling and exit codes."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from nofsbot.config import Config
from nofsbot.config import load as rules_load

if TYPE_CHECKING:
    from nofsbot.bot import RunResult
    from nofsbot.bot.config import BotConfig

EXIT_OK = 0
EXIT_UNSENT = 1
UNSENT = ("failed", "sent?")


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cfg_help = "the bot's TOML file (default: $NOFSBOT_BOT_CONFIG or ~/.config/nofsbot/bot.toml)"
    b = sub.add_parser(
        "bot",
        help="the scheduled linux-next bot: new tags, regressions, series, once",
        description="Fetch the configured remote; for each tag not yet processed, analyse "
        "what changed, report regressions (new NOFS sites, mapping masks, hazards) with the "
        "commit and author that introduced them, and mark series applied; then draft series "
        "for new conversion opportunities within the limits and mail them per policy. The "
        "state (SQLite) makes sure nothing is mailed twice. Run it from a timer with --once.",
    )
    b.add_argument("--config", metavar="FILE", help=cfg_help)
    b.add_argument("--once", action="store_true", help="one run, then exit (for timers)")
    b.add_argument("--every", type=int, metavar="MINUTES", help="run again every MINUTES")
    b.add_argument("--json", action="store_true", help="print the result as JSON")
    b.set_defaults(func=cmd_bot)
    actions = b.add_subparsers(dest="action", metavar="ACTION")
    s = actions.add_parser(
        "status", help="open sites by subsystem and class, series and their status"
    )
    s.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS, help=cfg_help)
    s.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    s.set_defaults(func=cmd_status)
    for name, what in (
        ("reject", "give a series up: its sites are not proposed again"),
        ("retry", "mail a series marked sent? again on the next run (it was not sent)"),
    ):
        r = actions.add_parser(name, help=what, description=what)
        r.add_argument("change_id", metavar="CHANGE-ID")
        r.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS, help=cfg_help)
        r.set_defaults(func=cmd_operator)

    rb = actions.add_parser(
        "rebuild-state",
        help="rebuild a missing, empty or corrupt state from the series' records",
        description="Make a new state database from what the bot records outside it: "
        "each series.json next to the mails (and the sent refs in the clone). A corrupt "
        "database is moved aside first. The next run takes the newest tag as a baseline and "
        "never mails a recorded series again.",
    )
    rb.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS, help=cfg_help)
    rb.set_defaults(func=cmd_rebuild)

    p = sub.add_parser(
        "report",
        help="the burndown of NOFS sites over the bot's tags, as one static HTML page",
        description="Write one HTML page (inline SVG charts, no script, no network): per "
        "subsystem and class the open NOFS sites at each processed tag, as a chart and a "
        "table, then every series with its status.",
    )
    p.add_argument("--html", metavar="FILE", required=True, help="where the page goes")
    p.add_argument("--config", metavar="FILE", help=cfg_help)
    p.set_defaults(func=cmd_report)


def _config(args: argparse.Namespace) -> BotConfig:
    from nofsbot.bot.config import default_path, load

    return load(Path(args.config) if args.config else default_path())


def _rules(args: argparse.Namespace) -> Config:
    return rules_load(Path(args.config_dir) if args.config_dir else None)


def cmd_bot(args: argparse.Namespace) -> int:
    from nofsbot.bot import bot
    from nofsbot.cli.common import UsageError

    if not args.once and not args.every:
        raise UsageError("bot: pass --once (from a timer or cron) or --every MINUTES")
    cfg = _config(args)
    rules = _rules(args)
    while True:
        result = bot(cfg, rules)
        if args.json:
            sys.stdout.write(json.dumps(dataclasses.asdict(result), indent=1) + "\n")
        else:
            _print_run(result)
        sys.stdout.flush()
        unsent = [f"{m.change_id} v{m.version}" for m in result.mailed if m.status in UNSENT]
        if args.once and unsent:
            sys.stderr.write(f"error: not mailed in full: {', '.join(unsent)} (see above)\n")
            return EXIT_UNSENT
        if args.once:
            return EXIT_OK
        time.sleep(args.every * 60)


def _print_run(r: RunResult) -> None:
    from nofsbot.bot.notify import line

    for note in r.recovered:
        print(f"recovered: {note}")
    for s in r.reconciled:
        print(
            f"reconciled: {s.change_id} v{s.version} was being sent when a run died: "
            "now sent? (not mailed again; see `nofsbot bot status`)"
        )
    if not r.tags:
        print("no new tag")
    for t in r.tags:
        since = f"since {t.previous}: {t.changed} files changed" if t.previous else "baseline"
        shown = ", ".join(t.analysed[:4]) + (
            f", ... ({len(t.analysed)} paths)" if len(t.analysed) > 4 else ""
        )
        what = f"analysed {shown} in {t.seconds:.1f}s" if t.analysed else "nothing to analyse again"
        print(f"{t.tag} ({since}; {what}): {len(t.new)} new sites, {len(t.gone)} gone")
        for reg in t.regressions:
            print(f"  regression: {line(reg)}")
        for s in t.applied:
            print(f"  applied: {s.change_id} v{s.version} ({s.note})")
        if t.posted:
            print(f"  reported at {t.posted}")
    if r.paused:
        print(f"no series: {r.paused}")
    for s in r.drafted:
        print(
            f"drafted: {s.change_id} v{s.version} {s.section}: {s.subject} "
            f"({len(s.patch_ids)} patches) in {s.directory}"
        )
    for m in r.mailed:
        did = {
            "drafted": "would send",
            "sent": "sent",
            "sent?": "maybe sent",
            "failed": "not sent",
        }.get(m.status, m.status)
        print(
            f"{did}: {m.change_id} v{m.version}: {m.messages} messages to {', '.join(m.recipients)}"
        )
        if m.note:
            print(f"  {m.note}")
    for n in r.notes:
        print(f"waits: {n}")


def cmd_status(args: argparse.Namespace) -> int:
    from nofsbot.bot.notify import line
    from nofsbot.bot.status import status

    st = status(_config(args))
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps(dataclasses.asdict(st), indent=1) + "\n")
        return EXIT_OK
    last = f"{st.last.name} ({st.last.processed_at})" if st.last else "none"
    print(f"state {st.database}: {st.tags} tags processed, last {last}")
    total = sum(n for _, _, n in st.open)
    print(f"open sites: {total}")
    for sub, klass, n in st.open:
        print(f"  {sub:<24} {klass:<12} {n:>5}")
    print(f"open hazards: {st.hazards}")
    for title, rows in (
        ("in flight", st.in_flight),
        ("drafted", st.with_status("drafted")),
        ("applied", st.with_status("applied")),
        ("rejected", st.with_status("rejected")),
    ):
        print(f"series {title}: {len(rows)}")
        for s in rows:
            when = s.sent_at or s.drafted_at
            print(
                f"  {s.change_id} v{s.version} [{s.status}] {s.section}: {s.subject} "
                f"({len(s.patch_ids)} patches, {when})"
            )
            if s.note:
                print(f"    {s.note}")
    if st.regressions:
        print(f"regressions in {st.last.name if st.last else ''}: {len(st.regressions)}")
        for reg in st.regressions:
            print(f"  {line(reg)}")
    return EXIT_OK


def cmd_operator(args: argparse.Namespace) -> int:
    from nofsbot.bot import reject, retry

    row = (reject if args.action == "reject" else retry)(_config(args), args.change_id)
    print(f"{row.change_id} v{row.version}: {row.status}")
    return EXIT_OK


def cmd_rebuild(args: argparse.Namespace) -> int:
    from nofsbot.bot.rebuild import rebuild

    done = rebuild(_config(args))
    if done.moved:
        print(f"moved the corrupt database to {done.moved}")
    print(f"rebuilt {done.database}: {len(done.series)} series")
    for s in done.series:
        print(f"  {s.change_id} v{s.version} [{s.status}] {s.section}: {s.subject}")
    for ref in done.unmatched:
        print(f"  sent {ref} (a ref in the clone) has no series.json: not rebuilt")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from nofsbot import outputs
    from nofsbot.bot.status import history
    from nofsbot.report.burndown import to_html

    outputs.check_file(Path(args.html))
    h = history(_config(args))
    outputs.write_text(Path(args.html), to_html(h))
    print(f"{args.html}: {len(h.tags)} tags, {len(h.series)} series")
    return EXIT_OK
