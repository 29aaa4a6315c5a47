"""Speed and memory of `nofsbot scan` against `git grep` and Coccinelle on one kernel path.

Five commands run on the same tree and path (default: fs of the Debian 6.1
tree that `nofsbot kernel 6.1` extracts):

  git grep      git grep -lw GFP_NOFS -- PATH         (the cheapest possible prefilter)
  spatch        spatch --sp-file cocci/nofs_sites.cocci -D report --dir PATH -j N
                       --no-includes --include-headers  (a bare site finder)
  parse floor   bench/parse_floor.py --tree T PATH -j N: tree-sitter parsing, and
                nothing else, of every file the scan reads (its subsystems and
                their include/ headers), on N processes: what any cold
                analysis built on tree-sitter spends before it analyses
  nofsbot cold  nofsbot scan --tree T PATH --json -o FILE -j N, with NOFSBOT_CACHE
                pointed at a fresh empty directory
  nofsbot warm  the same command again with the same cache directory

For each command it records (bench/measure.py) the wall-clock seconds and two memory figures:

  peak MiB      the peak of the summed VmRSS of the whole process tree (the
                command and every descendant, e.g. nofsbot's worker processes),
                polled from /proc every --interval ms by a thread of this script.
                Pages shared between processes count once per process, and a
                peak shorter than the interval can be missed.
  max proc MiB  ru_maxrss from wait4() of the command: the largest RSS any
                single process of the tree reached (the kernel folds in the
                children each process reaped). This is the per-command value
                getrusage(RUSAGE_CHILDREN) would show; that call itself keeps a
                running maximum over every child of this script, so its
                before/after deltas read 0 for any command smaller than an
                earlier one. Linux records the RSS of the mm a process had before
                exec() (here a vfork of this script), so a command that stays
                below this script's own RSS shows that RSS; the table prints such
                a value as "<=X".

Also recorded: user+system CPU seconds of each command (wait4), and the share
of its wall time some task waited for a CPU (/proc/pressure/cpu), which shows
when other work on the machine skewed the seconds.

Targets: nofsbot cold <= 1.6x spatch, nofsbot warm <= 0.1x spatch (seconds).
The cold target was 0.5x for the lock-only analysis; the whole-tree
analysis (summaries, links, waits) may cost up to 1.6x.
With --repeat N every figure is the median of N rounds (a fresh cache each round).
nofsbot is the working tree's by default; --rev REV runs a snapshot of a
commit instead (bench/source.py), and a round during which nofsbot/ or config/
changed is flagged. The warm run's JSON is compared with the cold run's.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from measure import Run, measure
from source import REPO, Source, add_scan_args, scan_target

COCCI = REPO / "cocci" / "nofs_sites.cocci"
COMMANDS = ("git grep", "spatch", "parse floor", "nofsbot cold", "nofsbot warm")
TARGETS = (("nofsbot cold", 1.6), ("nofsbot warm", 0.1))  # seconds, as a fraction of spatch
MIB = 1024 * 1024


# -- the benchmark -------------------------------------------------------------


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine skews every figure."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


@dataclass(frozen=True)
class Setup:
    tree: Path
    path: str
    jobs: int
    interval: float
    source: Source
    argv: dict[str, list[str]]


@dataclass
class Round:
    runs: dict[str, Run] = field(default_factory=dict)
    output: dict[str, str] = field(default_factory=dict)  # a short sanity figure per command
    warm_same_as_cold: bool = False
    warm_diff: list[str] = field(default_factory=list)  # sites whose JSON differs, if any
    source_changed: bool = False  # nofsbot/ or config/ changed while the round ran


def _change(name: str, a: dict[str, Any], b: dict[str, Any]) -> str:
    old, new = (json.dumps(x.get(name)) for x in (a, b))
    if len(old) + len(new) > 80:
        return f"{name} differs"
    return f"{name} {old} -> {new}"


def site_diff(cold: bytes, warm: bytes) -> list[str]:
    """One line per site whose JSON differs between two scan outputs."""
    a = {(x["path"], x["line"], x["column"]): x for x in json.loads(cold)["sites"]}
    b = {(x["path"], x["line"], x["column"]): x for x in json.loads(warm)["sites"]}
    out = []
    for k in sorted(set(a) | set(b)):
        if k not in a or k not in b:
            out.append(f"{k[0]}:{k[1]}: only in the {'warm' if k in b else 'cold'} output")
        elif a[k] != b[k]:
            fields = sorted(f for f in a[k] if a[k][f] != b[k].get(f))
            out.append(f"{k[0]}:{k[1]}: " + ", ".join(_change(f, a[k], b[k]) for f in fields))
    return out


def commands(
    tree: Path, path: str, jobs: int, source: Source, json_out: Path
) -> dict[str, list[str]]:
    where = ["--dir", path] if (tree / path).is_dir() else [path]
    scan = [
        *source.argv,
        "scan",
        "--tree",
        str(tree),
        path,
        "--json",
        "-o",
        str(json_out),
        "-j",
        str(jobs),
    ]
    return {
        "git grep": ["git", "grep", "-lw", "GFP_NOFS", "--", path],
        "spatch": [
            "spatch",
            "--sp-file",
            str(COCCI),
            "-D",
            "report",
            *where,
            "-j",
            str(jobs),
            "--no-includes",
            "--include-headers",
        ],
        "parse floor": [
            sys.executable,
            str(REPO / "bench" / "parse_floor.py"),
            "--tree",
            str(tree),
            path,
            "-j",
            str(jobs),
        ],
        "nofsbot cold": scan,
        "nofsbot warm": scan,
    }


def one_round(setup: Setup, scratch: Path) -> Round:
    r = Round()
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=scratch))
    env = setup.source.environ(NOFSBOT_CACHE=str(cache))
    outs = {name: scratch / name.replace(" ", "-") for name in COMMANDS}
    json_out = Path(setup.argv["nofsbot cold"][setup.argv["nofsbot cold"].index("-o") + 1])
    cold_json = b""
    digests = [setup.source.digest()]
    for name in COMMANDS:
        if json_out.exists():
            json_out.unlink()
        r.runs[name] = measure(
            setup.argv[name], cwd=setup.tree, env=env, out=outs[name], interval=setup.interval
        )
        if name == "git grep":
            r.output[name] = f"{len(outs[name].read_text().splitlines())} files"
        elif name == "spatch":
            reports = [ln for ln in outs[name].read_text().splitlines() if ": NOFS in " in ln]
            r.output[name] = f"{len(reports)} reports"
        elif name == "parse floor":
            r.output[name] = (outs[name].read_text().splitlines() or ["no output"])[0]
        else:
            doc = json_out.read_bytes()
            r.output[name] = f"{len(json.loads(doc)['sites'])} sites"
            digests.append(setup.source.digest())
            if name == "nofsbot cold":
                cold_json = doc
            else:
                r.warm_same_as_cold = doc == cold_json
                r.warm_diff = [] if r.warm_same_as_cold else site_diff(cold_json, doc)
    r.source_changed = len(set(digests)) > 1
    shutil.rmtree(cache)
    return r


def _median(rounds: list[Round], name: str, attr: str) -> float:
    return statistics.median(float(getattr(r.runs[name], attr)) for r in rounds)


def _ratio(a: float, b: float) -> float | None:
    return a / b if b > 0 else None


@dataclass(frozen=True)
class Row:
    command: str
    seconds: float
    peak_mib: float
    max_proc_mib: float
    max_proc_measurable: bool  # False: no process outgrew this script's own RSS (module doc)
    cpu_seconds: float
    stall: float | None
    samples: float
    processes: float
    output: str
    all_seconds: list[float]
    seconds_vs_spatch: float | None = None
    seconds_vs_git_grep: float | None = None
    cpu_vs_spatch: float | None = None
    peak_vs_spatch: float | None = None
    peak_vs_git_grep: float | None = None


def figures(setup: Setup, rounds: list[Round], load: tuple[str, str]) -> dict[str, object]:
    base = {
        name: Row(
            command=name,
            seconds=_median(rounds, name, "seconds"),
            peak_mib=_median(rounds, name, "peak_rss") / MIB,
            max_proc_mib=_median(rounds, name, "max_rss") / MIB,
            max_proc_measurable=all(
                r.runs[name].max_rss > r.runs[name].max_rss_floor for r in rounds
            ),
            cpu_seconds=_median(rounds, name, "cpu_seconds"),
            stall=None
            if any(r.runs[name].stall is None for r in rounds)
            else _median(rounds, name, "stall"),
            samples=_median(rounds, name, "samples"),
            processes=_median(rounds, name, "processes"),
            output=rounds[-1].output[name],
            all_seconds=[r.runs[name].seconds for r in rounds],
        )
        for name in COMMANDS
    }
    spatch, grep = base["spatch"], base["git grep"]
    rows = [
        replace(
            r,
            seconds_vs_spatch=_ratio(r.seconds, spatch.seconds),
            seconds_vs_git_grep=_ratio(r.seconds, grep.seconds),
            cpu_vs_spatch=_ratio(r.cpu_seconds, spatch.cpu_seconds),
            peak_vs_spatch=_ratio(r.peak_mib, spatch.peak_mib),
            peak_vs_git_grep=_ratio(r.peak_mib, grep.peak_mib),
        )
        for r in base.values()
    ]
    by_name = {r.command: r for r in rows}
    targets = []
    for name, limit in TARGETS:
        ratio = by_name[name].seconds_vs_spatch
        met = ratio is not None and ratio <= limit
        targets.append(
            {
                "command": name,
                "max_vs_spatch": limit,
                "ratio": ratio,
                "met": met,
                "cpu_ratio": by_name[name].cpu_vs_spatch,
            }
        )
    return {
        "tree": str(setup.tree),
        "path": setup.path,
        "repeat": len(rounds),
        "jobs": setup.jobs,
        "interval_ms": setup.interval * 1000,
        "machine": machine(setup.source),
        "nofsbot_source": setup.source.label,
        "load_before": load[0],
        "load_after": load[1],
        "commands": {k: _shown(setup, v) for k, v in setup.argv.items()},
        "results": [asdict(r) for r in rows],
        "targets": targets,
        "warm_output_same_as_cold": all(r.warm_same_as_cold for r in rounds),
        "warm_diffs": {i + 1: r.warm_diff for i, r in enumerate(rounds) if not r.warm_same_as_cold},
        "source_changed_rounds": [i + 1 for i, r in enumerate(rounds) if r.source_changed],
    }


def _shown(setup: Setup, argv: list[str]) -> str:
    env = [f"{k}={v}" for k, v in setup.source.env] if "scan" in argv else []
    return " ".join([*env, *argv])


def machine(source: Source) -> dict[str, object]:
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    versions = {}
    for tool, argv in (
        ("spatch", ["spatch", "--version"]),
        ("git", ["git", "--version"]),
        ("nofsbot", [*source.argv, "--version"]),
    ):
        try:
            out = subprocess.run(
                argv, capture_output=True, text=True, timeout=60, env=source.environ()
            )
            versions[tool] = (out.stdout.strip().splitlines() or [""])[0].split(" compiled")[0]
        except OSError as e:
            versions[tool] = f"unavailable: {e}"
    return {
        "cpus": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": versions,
    }


def _mib(v: float, measurable: bool) -> str:
    return f"{v:.1f}" if measurable else f"<={v:.1f}"


def _x(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}x"


def table(fig: dict[str, Any]) -> str:
    m = fig["machine"]
    out = [
        f"tree {fig['tree']}, path {fig['path']}, median of {fig['repeat']} round(s), "
        f"-j {fig['jobs']}",
        f"machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, "
        f"Linux {m['kernel']}, Python {m['python']}",
        f"nofsbot source: {fig['nofsbot_source']}; "
        + "; ".join(f"{v}" for v in m["versions"].values()),
        f"load average before: {fig['load_before']}, after: {fig['load_after']}",
        "",
        f"{'command':<13} {'seconds':>8} {'cpu s':>7} {'stall':>6} {'peak MiB':>9} "
        f"{'max proc MiB':>13} {'s/spatch':>9} {'s/grep':>9} {'MiB/spatch':>10} {'MiB/grep':>9}"
        "  output",
    ]
    for r in fig["results"]:
        stall = "-" if r["stall"] is None else f"{100 * r['stall']:.0f}%"
        out.append(
            f"{r['command']:<13} {r['seconds']:>8.2f} {r['cpu_seconds']:>7.2f} {stall:>6} "
            f"{r['peak_mib']:>9.1f} {_mib(r['max_proc_mib'], r['max_proc_measurable']):>13} "
            f"{_x(r['seconds_vs_spatch']):>9} {_x(r['seconds_vs_git_grep']):>9} "
            f"{_x(r['peak_vs_spatch']):>10} {_x(r['peak_vs_git_grep']):>9}  {r['output']}"
        )
    out += [
        "",
        f"peak MiB: summed VmRSS of the process tree, polled every {fig['interval_ms']:.0f} ms; "
        "max proc MiB: ru_maxrss (wait4) of the largest single process",
        "(<=X: no process outgrew X, this script's own RSS, which exec() records for its child)",
        "cpu s: user+system seconds of the process tree; stall: share of the wall time some "
        "runnable task on the machine waited for a CPU (/proc/pressure/cpu): other load, or "
        "the command's own threads outnumbering the CPUs",
        f"warm output identical to cold: {'yes' if fig['warm_output_same_as_cold'] else 'NO'}",
    ]
    for rnd, diff in fig["warm_diffs"].items():
        out.append(f"  round {rnd}: the JSON differs; {len(diff)} site(s) differ")
        out += [f"    {d}" for d in diff[:5]]
    if fig["source_changed_rounds"]:
        rounds = ", ".join(map(str, fig["source_changed_rounds"]))
        out.append(f"nofsbot/ or config/ changed during round(s) {rounds}: figures suspect")
    out.append("")
    for t in fig["targets"]:
        out.append(
            f"target {t['command']} <= {t['max_vs_spatch']:.2f}x spatch (seconds): "
            f"{_x(t['ratio'])}  {'met' if t['met'] else 'not met'}"
            f"  (cpu seconds: {_x(t['cpu_ratio'])})"
        )
    floor = next(r for r in fig["results"] if r["command"] == "parse floor")
    out.append(
        f"parse floor: parsing alone takes {_x(floor['seconds_vs_spatch'])} spatch's seconds "
        f"({_x(floor['cpu_vs_spatch'])} its cpu seconds)"
    )
    out += ["", "commands (cwd = tree):"]
    out += [f"  {name:<13} {argv}" for name, argv in fig["commands"].items()]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="bench/scan.py",
        description="Time and measure the memory of git grep, spatch (cocci/nofs_sites.cocci) "
        "and nofsbot scan (cold and warm cache) on one path of a kernel tree.",
        epilog="Memory: 'peak MiB' sums VmRSS over the command's process tree (polled); "
        "'max proc MiB' is ru_maxrss of its largest single process.",
    )
    add_scan_args(p, "parallel jobs for spatch and nofsbot (default: 2)")
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="rounds to run; figures are medians (default: 1)",
    )
    p.add_argument(
        "--interval",
        type=float,
        default=20.0,
        metavar="MS",
        help="memory polling interval in milliseconds (default: 20)",
    )
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = p.parse_args(argv)
    if args.repeat < 1 or args.jobs < 1 or args.interval <= 0:
        p.error("--repeat and --jobs must be >= 1 and --interval > 0")
    for tool in ("git", "spatch"):
        if shutil.which(tool) is None:
            p.error(f"{tool} not found on PATH")

    with tempfile.TemporaryDirectory(prefix="nofsbot-bench-") as tmp:
        scratch = Path(tmp)
        source, tree = scan_target(p, args, scratch)
        setup = Setup(
            tree,
            args.path,
            args.jobs,
            args.interval / 1000,
            source,
            commands(tree, args.path, args.jobs, source, scratch / "scan.json"),
        )
        rounds = []
        before = loadavg()
        for i in range(args.repeat):
            print(f"round {i + 1}/{args.repeat} ...", file=sys.stderr)
            rounds.append(one_round(setup, scratch))
        fig = figures(setup, rounds, (before, loadavg()))
    sys.stdout.write(json.dumps(fig, indent=2) + "\n" if args.json else table(fig))
    return 0


if __name__ == "__main__":
    sys.exit(main())
