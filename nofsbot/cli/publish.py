"""The publishing commands of the command line: `series` and `send`, and
the publishing tail of `rewrite`. The package's __init__ owns error handling
and exit codes.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from nofsbot import kernels, outputs, pipeline, ranges
from nofsbot.cli.common import EXIT_FINDINGS, EXIT_OK, UsageError, tree_dir
from nofsbot.config import Config
from nofsbot.publish import PublishOptions, PublishResult, publish
from nofsbot.publish.send import SendOptions, Smtp, send
from nofsbot.rewrite import RewriteResult
from nofsbot.verify.workspace import tag


@dataclass(frozen=True)
class Shipped:
    """What `nofsbot rewrite` did after the branch: verify and publish."""

    dropped: tuple[tuple[str, str, str], ...]
    doc: dict[str, object]  # for --json
    lines: tuple[str, ...]  # for the terminal
    timings: dict[str, object]  # seconds per stage (verify's by step)


def ship(r: RewriteResult, args: argparse.Namespace, cfg: Config) -> Shipped:
    """Verify the rewrite's branch (unless --no-verify) and publish what is
    kept as series (into --out, or the cache)."""
    tree = Path(r.worktree)
    commits = tuple(c.sha for c in r.commits)
    name = r.branch.replace("/", "-")
    started = time.monotonic()
    if args.no_verify:
        checked = pipeline.unverified(commits)
    else:
        checked = pipeline.check(
            tree, r.base, commits, name, cfg, jobs=min(2, args.jobs), progress=None
        )
    verified_at = time.monotonic()
    lines = []
    if checked.result is not None:
        v = checked.result
        lines.append(
            f"verify: {len(checked.commits)} of {len(commits)} patches kept "
            f"(defconfig + {' '.join('CONFIG_' + s for s in v.symbols) or 'nothing'}, "
            f"build dir {v.build_dir})"
        )
    for sha, subject, why in checked.dropped:
        lines.append(f"  dropped: {sha[:12]} {subject}: {why}")
    # the default is per repository: another clone's series of the same
    # branch name and base are other series
    out = Path(args.out) if args.out else kernels.cache_root() / "series" / f"{tag(tree)}-{name}"
    result = (
        publish(PublishOptions(tree=tree, base=r.base, commits=checked.commits, out=out,
                               verified=checked.verified))
        if checked.commits
        else PublishResult(())
    )  # fmt: skip
    for s in result.series:
        n = len(s.files) - 1
        lines.append(f"series: {s.directory} (v{s.version}, {n} patch{'es' if n != 1 else ''})")
        lines.append(f"  mbox {s.mbox}; send with: nofsbot send {s.directory} --send")
        if s.local_base:
            lines.append(
                f"  base-commit {s.base[:12]} is a local import ({s.local_base}) that no "
                "public tree has; the cover letter says so"
            )
    doc: dict[str, object] = {
        "verify": None
        if checked.result is None
        else {
            "kept": list(checked.commits),
            "symbols": list(checked.result.symbols),
            "build_dir": checked.result.build_dir,
            "source": checked.result.source,
        },
        "dropped": [{"commit": c, "subject": s, "why": w} for c, s, w in checked.dropped],
        "series": series_json(result),
    }
    timings: dict[str, object] = {
        "verify": round(verified_at - started, 2),
        "publish": round(time.monotonic() - verified_at, 2),
    }
    if checked.result is not None:
        steps = dataclasses.asdict(checked.result.timings)
        timings["verify_steps"] = {k: round(v, 2) for k, v in steps.items()}
        timings["build_dir_reused"] = checked.result.cached
    return Shipped(checked.dropped, doc, tuple(lines), timings)


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

    v = sub.add_parser(
        "verify",
        help="build every prefix of a series and checkpatch each patch; drop failing ones",
        description="Build the objects a series touches at its base and after each patch "
        "(W=1, a config derived from the Kbuild Makefiles, in a full worktree and a cached "
        "build directory of nofsbot's own), run checkpatch --strict on each patch, and drop "
        "a patch that does not build, adds a warning or adds a checkpatch error or warning; "
        "the rest is cherry-picked again and verified on. Exit 1 if a patch was dropped.",
    )
    v.add_argument("range", metavar="REV-RANGE", help="BASE..TIP, e.g. master..nofsbot/nofs-fs_xfs")
    v.add_argument(
        "--tree", metavar="DIR", help="kernel tree, a git repository (default: $NOFSBOT_TREE or .)"
    )
    v.add_argument(
        "--name", help="the kept series goes to refs/nofsbot/verified/NAME (default: TIP)"
    )
    v.add_argument("--sparse", action="store_true", help="also run sparse (make C=1)")
    v.add_argument("--no-checkpatch", action="store_true", help="build only")
    v.add_argument("-j", "--jobs", type=int, default=min(2, os.cpu_count() or 1), metavar="N")
    v.add_argument("--json", action="store_true", help="print the result as JSON")
    v.set_defaults(func=cmd_verify)


def _range(tree: Path, text: str) -> ranges.Range:
    try:
        return ranges.resolve(tree, text)
    except ranges.RangeError as e:
        raise UsageError(str(e)) from e


def cmd_series(args: argparse.Namespace) -> int:
    tree = tree_dir(args.tree)
    outputs.check_dir(Path(args.out))
    revs = _range(tree, args.range)
    base, commits = revs.base, revs.commits
    result = publish(
        PublishOptions(
            tree=tree,
            base=base,
            commits=commits,
            out=Path(args.out),
            verified=pipeline.unverified(commits).verified,
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
            "local_base": s.local_base or None,
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
            if s.local_base:
                print(f"  base-commit {s.base[:12]} is a local import ({s.local_base})")
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


def cmd_verify(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from nofsbot import config
    from nofsbot.verify import VerifyOptions, verify

    tree = tree_dir(args.tree)
    revs = _range(tree, args.range)
    commits = revs.commits
    name = args.name or (revs.tip if revs.branch else commits[-1][:12])
    opts = VerifyOptions(
        tree=tree,
        base=revs.base,
        commits=commits,
        name=name,
        sparse=args.sparse,
        checkpatch=not args.no_checkpatch,
        jobs=args.jobs,
        progress=None,
    )
    cfg = config.load(Path(args.config_dir) if args.config_dir else None)
    r = verify(opts, cfg)
    status = EXIT_FINDINGS if r.dropped or not r.kept else EXIT_OK
    if args.json:
        sys.stdout.write(json.dumps(asdict(r), indent=2) + "\n")
        return status
    for v in r.verdicts:
        verdict = "ok" if v.ok else f"dropped: {v.reason}"
        built = ", ".join(v.built) or "nothing recompiled"
        print(f"{v.original[:12]} {v.subject}\n    {verdict} (built: {built})")
        for o, why in v.unbuildable:
            print(f"    not built: {o}: {why}")
        for f in v.checkpatch:
            print(f"    checkpatch {f.severity}:{f.type}: {f.path or 'message'}: {f.message}")
    for d in r.dropped:
        if not any(v.original == d.commit for v in r.verdicts):
            print(f"{d.commit[:12]} {d.subject}\n    dropped: {d.reason}")
    print(f"config: defconfig + {' '.join('CONFIG_' + s for s in r.symbols) or 'nothing'}")
    print(f"build dir: {r.build_dir}{' (reused)' if r.cached else ''}")
    t = r.timings
    print(
        f"time: worktree {t.worktree:.1f}s, config {t.config:.1f}s, prepare {t.prepare:.1f}s, "
        f"baseline {t.baseline:.1f}s, builds {t.builds:.1f}s, checkpatch {t.checkpatch:.1f}s"
    )
    print(
        f"{len(r.kept)} of {len(commits)} patches kept, {len(r.dropped)} dropped"
        + (f"; kept series at {r.ref}" if r.ref else "")
    )
    return status
