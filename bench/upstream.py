"""nofsbot's classes on an old tree against what kernel maintainers did later.

Runs `nofsbot scan --tree OLD PATH --json` (default: fs of the Debian 6.1
tree, `nofsbot kernel 6.1`), finds every site in the new tree (default: 6.12,
`nofsbot kernel 6.12`) and reads the upstream outcome from the new code
(bench/upstream_match.py: kernel, nolockdep, scope, other, kept, removed,
unmatched). Then, per subsystem and for the whole path:

  outcomes        how many sites ended up in each outcome
  class x outcome nofsbot's class on the old tree against the outcome
  recall          same class: redundant/unneeded among the sites upstream made
                  GFP_KERNEL, mixed among GFP_KERNEL | __GFP_NOLOCKDEP,
                  needs-scope among those a new scope covers; "converted":
                  any class but keep among all three
  converted/kept  every site nofsbot converts (class not keep) that upstream
                  kept NOFS: each a discovery or a mistake, to read by hand
  dangerous       nofsbot says redundant, unneeded or mixed where upstream
                  added a scope

The functions of both trees are parsed once (bench/upstream_index.py) and
cached under the nofsbot cache directory by tree commit. nofsbot is the
working tree's by default; --rev REV runs a snapshot of a commit
(bench/source.py), so a "before" and an "after" can be compared; --scan FILE
reads a scan JSON made earlier instead of running one.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import upstream_index
from source import add_scan_args, default_tree, scan_target
from upstream_match import match
from upstream_outcome import CONVERTED, OUTCOMES, Outcome, Site

CLASSES = ("redundant", "unneeded", "mixed", "needs-scope", "noop-mask", "keep")
SAME = {"kernel": ("redundant", "unneeded"), "nolockdep": ("mixed",), "scope": ("needs-scope",)}
UNSAFE = ("redundant", "unneeded", "mixed")  # no scope added: dangerous where upstream added one


@dataclass(frozen=True)
class Row:
    site: Site
    subsystem: str
    upstream: Outcome


def subsystem(path: str) -> str:
    parts = path.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


def _ratio(hit: int, total: int) -> dict[str, object]:
    return {"hit": hit, "of": total, "share": hit / total if total else None}


def figures(rows: list[Row]) -> dict[str, object]:
    """Every figure of one group of sites."""
    outcomes = Counter(r.upstream.outcome for r in rows)
    table = Counter((r.site.klass, r.upstream.outcome) for r in rows)
    recall: dict[str, object] = {}
    for outcome, classes in SAME.items():
        of = [r for r in rows if r.upstream.outcome == outcome]
        recall[outcome] = _ratio(sum(r.site.klass in classes for r in of), len(of))
    converted = [r for r in rows if r.upstream.outcome in CONVERTED]
    recall["same class"] = _ratio(
        sum(r.site.klass in SAME[r.upstream.outcome] for r in converted), len(converted)
    )
    recall["converted"] = _ratio(sum(r.site.klass != "keep" for r in converted), len(converted))
    return {
        "sites": len(rows),
        "outcomes": {o: outcomes[o] for o in OUTCOMES},
        "class_x_outcome": {c: {o: table[c, o] for o in OUTCOMES} for c in CLASSES},
        "recall": recall,
        "converted_but_kept": [_entry(r) for r in rows if _kept(r)],
        "dangerous": [_entry(r) for r in rows if _dangerous(r)],
        "unmatched": [_entry(r) for r in rows if r.upstream.outcome == "unmatched"],
    }


def _kept(r: Row) -> bool:
    return r.site.klass != "keep" and r.upstream.outcome == "kept"


def _dangerous(r: Row) -> bool:
    return r.site.klass in UNSAFE and r.upstream.outcome == "scope"


def _entry(r: Row) -> dict[str, object]:
    return {
        "path": r.site.path,
        "line": r.site.line,
        "function": r.site.function,
        "class": r.site.klass,
        "callee": r.site.callee,
        "outcome": r.upstream.outcome,
        "new": ":".join(str(x) for x in (r.upstream.path, r.upstream.line) if x) or None,
        "text": r.upstream.text,
        "how": r.upstream.how,
    }


# -- text ---------------------------------------------------------------------------


def _pct(r: dict[str, object]) -> str:
    share = r["share"]
    return "-" if share is None else f"{r['hit']}/{r['of']} {100 * float(str(share)):.0f}%"


def _outcome_table(groups: dict[str, dict[str, object]]) -> list[str]:
    head = f"{'subsystem':<14} {'sites':>5} " + " ".join(f"{o:>9}" for o in OUTCOMES)
    head += f"  {'kernel: r/u':>12} {'mixed':>9} {'scope':>9} {'same cls':>12} {'converted':>12}"
    head += f" {'conv/kept':>9} {'danger':>6}"
    out = [head]
    for name, g in groups.items():
        oc, rc = g["outcomes"], g["recall"]
        assert isinstance(oc, dict) and isinstance(rc, dict)
        out.append(
            f"{name:<14} {g['sites']:>5} "
            + " ".join(f"{oc[o]:>9}" for o in OUTCOMES)
            + f"  {_pct(rc['kernel']):>12} {_pct(rc['nolockdep']):>9} {_pct(rc['scope']):>9}"
            f" {_pct(rc['same class']):>12} {_pct(rc['converted']):>12}"
            f" {len(g['converted_but_kept']):>9} {len(g['dangerous']):>6}"  # type: ignore[arg-type]
        )
    return out


def _class_table(name: str, g: dict[str, object]) -> list[str]:
    t = g["class_x_outcome"]
    assert isinstance(t, dict)
    out = [f"{name}: nofsbot class (rows) x upstream outcome (columns)"]
    out.append(f"  {'':<12}" + "".join(f"{o:>10}" for o in OUTCOMES) + f"{'total':>8}")
    for c in CLASSES:
        out.append(
            f"  {c:<12}" + "".join(f"{t[c][o]:>10}" for o in OUTCOMES) + f"{sum(t[c].values()):>8}"
        )
    return out


def _listing(title: str, entries: list[dict[str, object]]) -> list[str]:
    out = [f"{title} ({len(entries)}):"]
    for e in entries:
        out.append(f"  {e['path']}:{e['line']} {e['function']} {e['class']} -> {e['outcome']}")
        out.append(f"      {e['new'] or 'no counterpart'}: {e['text'] or '-'}; {e['how']}")
    return out if entries else [*out, "  none"]


def text(doc: dict[str, object], rows: list[Row], listed: bool) -> str:
    groups = doc["groups"]
    assert isinstance(groups, dict)
    every = doc["all"]
    assert isinstance(every, dict)
    shown = doc["shown"]
    assert isinstance(shown, list)
    total = f"all {doc['path']}" if not shown else "selected"
    out = [
        f"old tree {doc['old_tree']}, new tree {doc['new_tree']}, path {doc['path']}",
        f"nofsbot source: {doc['nofsbot_source']}; scan: {doc['scan']}",
        "",
        "upstream outcome per subsystem; recall: nofsbot's class on what upstream converted",
        "(kernel: redundant/unneeded among GFP_KERNEL; mixed among NOLOCKDEP; scope: "
        "needs-scope among new scopes;",
        " same cls: all three; converted: any class but keep), conv/kept: nofsbot converts, "
        "upstream kept NOFS;",
        " danger: redundant/unneeded/mixed where upstream added a scope",
        "",
        *_outcome_table({**groups, total: every}),
        "",
        *_class_table(total, every),
    ]
    for name in shown if len(shown) > 1 else []:
        out += ["", *_class_table(name, groups[name])]
    for title, key in (
        ("nofsbot converts, upstream kept NOFS", "converted_but_kept"),
        ("dangerous: nofsbot redundant/unneeded/mixed, upstream added a scope", "dangerous"),
        ("unmatched", "unmatched"),
    ):
        entries = every[key]
        assert isinstance(entries, list)
        out += ["", *_listing(title, entries)]
    if listed:
        out += ["", *_listing("every site", [_entry(r) for r in rows])]
    return "\n".join(out) + "\n"


# -- running ------------------------------------------------------------------------


def scan(
    source_argv: list[str], env: dict[str, str], tree: Path, path: str, jobs: int
) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        argv = [*source_argv, "scan", "--tree", str(tree), path, "--json", "-o", out.name]
        done = subprocess.run(
            [*argv, "-j", str(jobs)],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        if done.returncode != 0:
            tail = done.stderr.strip()[-500:]
            raise SystemExit(f"error: nofsbot scan failed ({done.returncode}): {tail}")
        doc: dict[str, Any] = json.loads(Path(out.name).read_text())
        return doc


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="bench/upstream.py", description=__doc__.splitlines()[0] if __doc__ else None
    )
    add_scan_args(p, "parallel jobs for nofsbot and the parser (default: 2)")
    p.add_argument(
        "--new-tree", metavar="DIR", help="the later tree (default: nofsbot kernel 6.12)"
    )
    p.add_argument("--scan", metavar="FILE", help="a `nofsbot scan --json` of the old tree to use")
    p.add_argument(
        "--subsys",
        action="append",
        default=[],
        metavar="DIR",
        help="restrict to this subsystem (fs/xfs); repeatable; its class table is printed",
    )
    p.add_argument(
        "--depth", type=int, default=4, metavar="N", help="caller levels searched for a scope"
    )
    p.add_argument("--no-cache", action="store_true", help="parse both trees again")
    p.add_argument(
        "--list", action="store_true", help="also list every site with its outcome and how"
    )
    p.add_argument("--json", action="store_true", help="print everything as JSON")
    args = p.parse_args(argv)
    if args.jobs < 1 or args.depth < 0:
        p.error("--jobs must be >= 1 and --depth >= 0")
    with tempfile.TemporaryDirectory(prefix="nofsbot-upstream-") as tmp:
        source, old_tree = scan_target(p, args, Path(tmp))
        later = args.new_tree
        new_tree = Path(later).resolve() if later else default_tree(source, "6.12")
        if not (new_tree / args.path).is_dir():
            raise SystemExit(f"error: {args.path} is not a directory of {new_tree}")
        if args.scan:
            try:
                doc = json.loads(Path(args.scan).read_text())
            except (OSError, ValueError) as e:
                raise SystemExit(f"error: cannot read {args.scan}: {e}") from None
            scanned = f"read from {args.scan}"
        else:
            doc = scan(list(source.argv), source.environ(), old_tree, args.path, args.jobs)
            scanned = f"nofsbot scan --tree {old_tree} {args.path} --json -j {args.jobs}"
    if not isinstance(doc, dict) or not isinstance(doc.get("sites"), list):
        raise SystemExit("error: the scan JSON has no list of sites")
    sites = []
    for i, d in enumerate(doc["sites"]):
        try:
            sites.append(Site.of(d))
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise SystemExit(f"error: site {i} of the scan JSON is malformed: {e!r}") from None
    wanted = {x.rstrip("/") for x in args.subsys}
    sites = [s for s in sites if not wanted or subsystem(s.path) in wanted]
    if wanted and not sites:
        raise SystemExit(f"error: no site in {', '.join(sorted(wanted))}")
    print("parsing the old and the new tree ...", file=sys.stderr)
    old = upstream_index.build(old_tree, args.path, args.jobs, cache=not args.no_cache)
    new = upstream_index.build(new_tree, args.path, args.jobs, cache=not args.no_cache)
    rows = [Row(s, subsystem(s.path), match(s, old, new, args.depth)) for s in sites]
    groups: dict[str, list[Row]] = {}
    for r in rows:
        groups.setdefault(r.subsystem, []).append(r)
    out = {
        "old_tree": str(old_tree),
        "new_tree": str(new_tree),
        "path": args.path,
        "nofsbot_source": source.label,
        "scan": scanned,
        "shown": sorted(groups) if args.subsys else [],
        "all": figures(rows),
        "groups": {name: figures(groups[name]) for name in sorted(groups)},
        "sites": [
            {**asdict(r.site), "subsystem": r.subsystem, "upstream": asdict(r.upstream)}
            for r in rows
        ],
    }
    shown = json.dumps(out, indent=2) + "\n" if args.json else text(out, rows, args.list)
    sys.stdout.write(shown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
