"""What a tag holds: analyse what changed, compare with the state, find
regressions and who introduced them.

Incremental: a subsystem (an analysis unit: fs/xfs, or the files directly
in fs/) is analysed again only when a file in it changed since the last
processed tag, or a header it may read changed (include/, arch/*/include/,
a header in a parent directory): the call graph needs the whole unit, and
the analysis cache hands back every unchanged file's facts. Other units keep
their sites from the state as they were.

A site's identity survives line moves: path, function, callee (or
variable), the mask expression without whitespace, and its index among the
sites with the same four in that function.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import nofsbot.tools.githistory as githistory
from nofsbot import discover
from nofsbot.analyse import Options, analyse
from nofsbot.analyse.outside import Unit, in_unit
from nofsbot.bot.state import HazardRow, Regression, SiteRow, State
from nofsbot.config import Config
from nofsbot.model import Finding, Hazard, Kind
from nofsbot.plan import plan


@dataclass(frozen=True)
class Observed:
    tag: str
    analysed: tuple[str, ...]  # the paths analysed again (() when nothing changed)
    findings: tuple[tuple[str, Finding], ...]  # (identity, finding) of those paths
    new: tuple[SiteRow, ...]
    gone: tuple[SiteRow, ...]
    regressions: tuple[Regression, ...]
    seconds: float


def identities(findings: tuple[Finding, ...]) -> list[tuple[str, Finding]]:
    seen: dict[str, int] = {}
    out = []
    for f in sorted(findings, key=lambda f: f.site.key):
        s = f.site
        base = "|".join(
            (
                s.path,
                s.function or "",
                s.callee or s.variable or "",
                re.sub(r"\s+", "", s.expression),
            )
        )
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.append((f"{base}|{n}", f))
    return out


def hazard_identity(h: Hazard) -> str:
    return "|".join((h.kind, h.path, h.function or "", re.sub(r"\d+", "N", h.message)))


def subsystem(path: str) -> str:
    return discover.analysis_root(path)[0]


def _units(tree: Path, path: str) -> list[tuple[Unit, list[str]]]:
    """The analysis units PATH covers, each with the paths to analyse in it."""
    out: list[tuple[Unit, list[str]]] = []
    for u in discover.subsystems(tree, *discover.analysis_root(path)):
        if u[1]:
            out.append((u, [u[0] if discover.in_paths(u[0], (path,)) else path]))
        elif path.endswith(discover.SOURCE_SUFFIXES):
            out.append((u, [path]))
        else:
            out.append((u, discover.source_files(tree, [u])))
    return out


def _reads_header(changed: str, units: list[Unit]) -> bool:
    if not changed.endswith(".h"):
        return False
    if changed.startswith("include/") or re.match(r"arch/[^/]+/include/", changed):
        return True
    parent = changed.rsplit("/", 1)[0]
    return any(u[0].startswith(parent + "/") for u in units)


def to_analyse(tree: Path, paths: tuple[str, ...], changed: list[str] | None) -> tuple[str, ...]:
    """The paths to analyse again: all of them on the first tag (CHANGED is
    None) or when a header they may read changed, else those in changed units."""
    units = [x for p in paths for x in _units(tree, p)]
    every = [u for u, _ in units]
    if changed is None or any(_reads_header(c, every) for c in changed):
        return tuple(sorted(set(paths)))
    hit = {u for u in every if any(in_unit(c, u) for c in changed)}
    return tuple(sorted({p for u, ps in units if u in hit for p in ps}))


def observe(
    state: State,
    tree: Path,
    tag: str,
    paths: tuple[str, ...],
    changed: list[str] | None,
    cfg: Config,
    jobs: int,
) -> Observed:
    """Analyse TAG (checked out in TREE) where it changed and update the
    sites and hazards in STATE (not committed: the caller does)."""
    started = time.monotonic()
    scope = to_analyse(tree, paths, changed)
    if not scope:
        state.db.execute("UPDATE sites SET last_tag = ? WHERE status = 'open'", (tag,))
        return Observed(tag, (), (), (), (), (), time.monotonic() - started)
    analysis = analyse(tree, list(scope), cfg, Options(jobs=jobs, hazards=True))
    found = identities(plan(analysis.placed))
    seconds = time.monotonic() - started
    baseline = changed is None
    known = {s.identity: s for s in state.sites(None)}
    new: list[SiteRow] = []
    regressions: list[Regression] = []
    for ident, f in found:
        s = f.site
        old = known.get(ident)
        first = old.first_tag if old and old.status == "open" else tag
        row = SiteRow(
            ident, subsystem(s.path), s.path, s.function or "", s.expression, str(s.kind),
            str(f.klass), s.line, first, tag, "open",
        )  # fmt: skip
        state.put_site(row)
        if old is None or old.status != "open":
            new.append(row)
            if not baseline:
                what = "new-mapping-mask" if s.kind is Kind.MAPPING else "new-site"
                detail = f"{s.callee or s.variable or s.kind}: {s.expression} ({f.klass})"
                regressions.append(
                    _regression(tree, tag, what, ident, s.path, s.line, row.function, detail)
                )
    now_ids = {i for i, _ in found}
    gone = [
        g
        for g in known.values()
        if g.status == "open" and discover.in_paths(g.path, scope) and g.identity not in now_ids
    ]
    for g in gone:
        state.db.execute(
            "UPDATE sites SET status = 'gone', gone_tag = ? WHERE identity = ?", (tag, g.identity)
        )
    state.db.execute("UPDATE sites SET last_tag = ? WHERE status = 'open'", (tag,))
    regressions += _hazards(state, tree, tag, scope, analysis.hazards, baseline)
    for r in regressions:
        state.add_regression(r)
    return Observed(tag, scope, tuple(found), tuple(new), tuple(gone), tuple(regressions), seconds)


def _hazards(
    state: State,
    tree: Path,
    tag: str,
    scope: tuple[str, ...],
    hazards: tuple[Hazard, ...],
    baseline: bool,
) -> list[Regression]:
    known = {h.identity: h for h in state.hazards()}
    out = []
    now: set[str] = set()
    for h in hazards:
        ident = hazard_identity(h)
        now.add(ident)
        old = known.get(ident)
        first = old.first_tag if old else tag
        state.put_hazard(
            HazardRow(
                ident, h.kind, h.path, h.function or "", h.line, h.message, first, tag, "open"
            )
        )
        if old is None and not baseline:
            out.append(
                _regression(
                    tree,
                    tag,
                    "new-hazard",
                    ident,
                    h.path,
                    h.line,
                    h.function or "",
                    f"{h.kind}: {h.message}",
                )
            )
    for ident, old in known.items():
        if ident not in now and discover.in_paths(old.path, scope):
            state.db.execute("UPDATE hazards SET status = 'gone' WHERE identity = ?", (ident,))
    return out


def _regression(
    tree: Path, tag: str, what: str, ident: str, path: str, line: int, function: str, detail: str
) -> Regression:
    b = githistory.blame_line(tree, tag, path, line)
    if b is None:
        return Regression(tag, what, ident, path, line, function, detail, "", "unknown", "")
    return Regression(tag, what, ident, path, line, function, detail, b.sha, b.author, b.summary)
