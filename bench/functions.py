"""Function attribution accuracy of `nofsbot scan` against Coccinelle.

For every line of PATH (default: fs of the Debian 6.1 tree that `nofsbot kernel
6.1` extracts) that holds GFP_NOFS or KM_NOFS in code, compare the enclosing
function nofsbot reports (`function` of its JSON sites whose token is GFP_NOFS
or KM_NOFS) with the oracle: the function Coccinelle puts the same token in
(`p[0].current_element` in cocci/nofs_sites.cocci, run as

    spatch --sp-file cocci/nofs_sites.cocci -D report --dir PATH -j N
           --no-includes --include-headers

with cwd = the tree). Both sides are keyed by (path, line); a line with two
tokens counts once. Agreement is the share of lines both sides report on which
they name the same function. Lines only one side has are listed separately:
spatch silently skips functions it cannot parse, and nofsbot also reports sites
outside any function (function null). For lines only the oracle has, the
category nofsbot gave the grep hit (comment, string, ...) is shown if any.

Target: agreement >= 99%. --rev REV runs a snapshot of a commit of nofsbot
instead of the working tree (bench/source.py). Standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from source import REPO, Source, add_scan_args, scan_target

COCCI = REPO / "cocci" / "nofs_sites.cocci"
TOKENS = ("GFP_NOFS", "KM_NOFS")
TARGET = 0.99
REPORT_RE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):\d+-\d+: NOFS in (?P<function>.*)$")

Key = tuple[str, int]


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    out = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise SystemExit(f"error: {' '.join(argv)} exited {out.returncode}\n{out.stderr[-2000:]}")
    return out.stdout


# -- the two sides ---------------------------------------------------------------


def oracle(report: str) -> dict[Key, set[str]]:
    """(path, line) -> functions, from spatch's `path:line:c0-c1: NOFS in fn` lines."""
    out: dict[Key, set[str]] = {}
    for line in report.splitlines():
        m = REPORT_RE.match(line)
        if m:
            out.setdefault((m["path"], int(m["line"])), set()).add(m["function"])
    return out


def run_spatch(tree: Path, path: str, jobs: int) -> str:
    where = ["--dir", path] if (tree / path).is_dir() else [path]
    argv = ["spatch", "--sp-file", str(COCCI), "-D", "report", *where, "-j", str(jobs)]
    return _run([*argv, "--no-includes", "--include-headers"], tree)


def nofsbot_lines(doc: dict[str, Any]) -> tuple[dict[Key, set[str | None]], dict[Key, str]]:
    """(path, line) -> functions of nofsbot's GFP_NOFS/KM_NOFS sites; and the
    category of every grep hit nofsbot accounted for as not a site."""
    sites: dict[Key, set[str | None]] = {}
    for s in doc["sites"]:
        if s["token"] in TOKENS:
            sites.setdefault((s["path"], s["line"]), set()).add(s["function"])
    other: dict[Key, str] = {}
    for o in [*doc.get("accounted", []), *doc.get("unaccounted", [])]:
        other[(o["path"], o["line"])] = o.get("category", "unaccounted")
    return sites, other


def run_nofsbot(source: Source, tree: Path, path: str, jobs: int, scratch: Path) -> dict[str, Any]:
    out = scratch / "scan.json"
    argv = [*source.argv, "scan", "--tree", str(tree), path, "--json", "-o", str(out)]
    _run([*argv, "-j", str(jobs)], tree, source.environ())
    return json.loads(out.read_text())


# -- the comparison --------------------------------------------------------------


def _name(fns: set[str | None] | set[str]) -> str:
    return " | ".join(sorted(f or "(none)" for f in fns))


@dataclass(frozen=True)
class Line:
    path: str
    line: int
    spatch: str | None
    nofsbot: str | None
    note: str = ""


def grep_lines(tree: Path, path: str) -> set[Key]:
    """Every (path, line) that `git grep -w` finds GFP_NOFS or KM_NOFS on, code or not."""
    argv = ["git", "grep", "-nwE", "|".join(TOKENS), "--", path]
    out = subprocess.run(argv, cwd=tree, capture_output=True, text=True, timeout=600)
    if out.returncode not in (0, 1):
        raise SystemExit(f"error: {' '.join(argv)} exited {out.returncode}\n{out.stderr}")
    lines: set[Key] = set()
    for hit in out.stdout.splitlines():
        f, n, _ = hit.split(":", 2)
        lines.add((f, int(n)))
    return lines


@dataclass(frozen=True)
class Comparison:
    grep_lines: int
    neither: dict[str, int]  # grep hits no side reports, by nofsbot's category for them
    oracle_lines: int
    nofsbot_lines: int
    both: int
    agree: int
    agreement: float | None
    met: bool
    disagreements: list[Line]
    only_spatch: list[Line]
    only_nofsbot: list[Line]


def compare(
    spatch: dict[Key, set[str]],
    nofsbot: dict[Key, set[str | None]],
    accounted: dict[Key, str],
    grep: set[Key],
) -> Comparison:
    both = sorted(set(spatch) & set(nofsbot))
    agree = [k for k in both if set(spatch[k]) == set(nofsbot[k])]
    dis = [
        Line(k[0], k[1], _name(spatch[k]), _name(nofsbot[k]))
        for k in both
        if set(spatch[k]) != set(nofsbot[k])
    ]
    only_s = [
        Line(k[0], k[1], _name(spatch[k]), None, accounted.get(k, "not reported"))
        for k in sorted(set(spatch) - set(nofsbot))
    ]
    only_n = [
        Line(
            k[0], k[1], None, _name(nofsbot[k]), "outside a function" if None in nofsbot[k] else ""
        )
        for k in sorted(set(nofsbot) - set(spatch))
    ]
    share = len(agree) / len(both) if both else None
    neither: dict[str, int] = {}
    for k in grep - set(spatch) - set(nofsbot):
        cat = accounted.get(k, "not accounted for")
        neither[cat] = neither.get(cat, 0) + 1
    return Comparison(
        grep_lines=len(grep),
        neither=dict(sorted(neither.items())),
        oracle_lines=len(spatch),
        nofsbot_lines=len(nofsbot),
        both=len(both),
        agree=len(agree),
        agreement=share,
        met=share is not None and share >= TARGET,
        disagreements=dis,
        only_spatch=only_s,
        only_nofsbot=only_n,
    )


def table(c: Comparison, header: list[str], limit: int) -> str:
    pct = "-" if c.agreement is None else f"{100 * c.agreement:.2f}%"
    out = [
        *header,
        "",
        f"git grep -w GFP_NOFS|KM_NOFS lines (code or not):    {c.grep_lines}",
        "  of which neither side reports:                     "
        + (", ".join(f"{n} {cat}" for cat, n in c.neither.items()) or "0"),
        f"GFP_NOFS/KM_NOFS code lines in the oracle (spatch):  {c.oracle_lines}",
        f"GFP_NOFS/KM_NOFS code lines in nofsbot:              {c.nofsbot_lines}",
        f"in both:                                             {c.both}",
        f"same function on lines in both:                      {c.agree}/{c.both} = {pct}",
        f"target >= {100 * TARGET:.0f}% agreement: {'met' if c.met else 'not met'}",
        "",
        f"disagreements ({len(c.disagreements)}"
        + (f", first {limit}" if len(c.disagreements) > limit else "")
        + "):",
    ]
    out += [
        f"  {d.path}:{d.line}: spatch {d.spatch}, nofsbot {d.nofsbot}"
        for d in c.disagreements[:limit]
    ] or ["  none"]
    out += ["", f"only in the oracle ({len(c.only_spatch)}):"]
    out += [
        f"  {d.path}:{d.line}: spatch {d.spatch}; nofsbot: {d.note}" for d in c.only_spatch[:limit]
    ] or ["  none"]
    out += ["", f"only in nofsbot ({len(c.only_nofsbot)}):"]
    out += [
        f"  {d.path}:{d.line}: nofsbot {d.nofsbot}" + (f" ({d.note})" if d.note else "")
        for d in c.only_nofsbot[:limit]
    ] or ["  none"]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="bench/functions.py",
        description="Compare the enclosing function nofsbot scan gives each GFP_NOFS/KM_NOFS "
        "line with the one spatch (cocci/nofs_sites.cocci, p[0].current_element) gives.",
    )
    add_scan_args(p, "parallel jobs for spatch and nofsbot (default: 2)")
    p.add_argument(
        "--spatch-report",
        metavar="FILE",
        help="use this saved spatch -D report output instead of running spatch",
    )
    p.add_argument(
        "--nofsbot-json",
        metavar="FILE",
        help="use this saved `nofsbot scan --json` output instead of running nofsbot",
    )
    p.add_argument(
        "--limit",
        type=int,
        default=30,
        metavar="N",
        help="list at most N lines of each kind (default: 30)",
    )
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    args = p.parse_args(argv)

    if not args.spatch_report and shutil.which("spatch") is None:
        p.error("spatch not found on PATH (apt-get install coccinelle)")
    with tempfile.TemporaryDirectory(prefix="nofsbot-bench-") as tmp:
        scratch = Path(tmp)
        source, tree = scan_target(p, args, scratch)
        report = (
            Path(args.spatch_report).read_text()
            if args.spatch_report
            else run_spatch(tree, args.path, args.jobs)
        )
        if args.nofsbot_json:
            doc = json.loads(Path(args.nofsbot_json).read_text())
        else:
            digest = source.digest()
            doc = run_nofsbot(source, tree, args.path, args.jobs, scratch)
            if source.digest() != digest:
                print("warning: nofsbot/ or config/ changed during the scan", file=sys.stderr)
    sites, accounted = nofsbot_lines(doc)
    c = compare(oracle(report), sites, accounted, grep_lines(tree, args.path))
    if args.json:
        label = None if args.nofsbot_json else source.label
        fig = {"tree": str(tree), "path": args.path, "source": label, "target": TARGET}
        fig.update(asdict(c))
        sys.stdout.write(json.dumps(fig, indent=2) + "\n")
    else:
        header = [
            f"tree {tree}, path {args.path}",
            f"oracle: {'saved report ' + args.spatch_report if args.spatch_report else 'spatch'}"
            f" ({COCCI.relative_to(REPO)}); nofsbot: "
            + (f"saved JSON {args.nofsbot_json}" if args.nofsbot_json else "nofsbot scan"),
            f"nofsbot source: {'-' if args.nofsbot_json else source.label}",
        ]
        sys.stdout.write(table(c, header, args.limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
