"""`nofsbot scan` output: a text table per file, and stable JSON."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from nofsbot import __version__
from nofsbot.analyse import Analysis
from nofsbot.model import Class, Context, Evidence, Finding

JSON_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ScanResult:
    analysis: Analysis
    findings: tuple[Finding, ...]

    def summary(self) -> dict[str, object]:
        a = self.analysis
        classes = Counter(str(f.klass) for f in self.findings)
        contexts = Counter(str(f.context) for f in self.findings)
        return {
            "sites": len(self.findings),
            "classes": {str(c): classes.get(str(c), 0) for c in Class},
            "contexts": {str(c): contexts.get(str(c), 0) for c in Context},
            "kinds": dict(sorted(Counter(str(f.site.kind) for f in self.findings).items())),
            "grep_hits_not_sites": len(a.accounted) + len(a.unaccounted),
            "accounted": len(a.accounted),
            "unaccounted": len(a.unaccounted),
            "files_analysed": a.files_analysed,
            "functions": a.functions,
            "problems": len(a.problems),
        }


def evidence_json(evidence: tuple[Evidence, ...]) -> list[dict[str, object]]:
    return [
        {"path": e.path, "line": e.line, "function": e.function, "note": e.note} for e in evidence
    ]


def finding_json(f: Finding) -> dict[str, object]:
    s = f.site
    return {
        "path": s.path,
        "line": s.line,
        "column": s.col,
        "function": s.function,
        "kind": str(s.kind),
        "token": s.token,
        "expression": s.expression,
        "callee": s.callee,
        "arg_index": s.arg_index,
        "variable": s.variable,
        "uses": list(s.uses),
        "class": str(f.klass),
        "context": str(f.context),
        "reason": f.reason,
        "suggestion": f.suggestion,
        "locks_held": list(f.locks_held),
        "reclaim_shared": list(f.reclaim_shared),
        "boundary": None
        if f.boundary is None
        else {
            "path": f.boundary.path,
            "function": f.boundary.function,
            "line": f.boundary.line,
            "lock": f.boundary.lock,
            "exits": list(f.boundary.exits),
            "top": f.boundary.top,
            "tail": list(f.boundary.tail) if f.boundary.tail else None,
            "thread": f.boundary.thread,
        },
        "choke": None
        if f.choke is None
        else {
            "path": f.choke.path,
            "function": f.choke.function,
            "mapping": f.choke.mapping,
            "calls": list(f.choke.calls),
            "scoped": f.choke.scoped,
        },
        "evidence": evidence_json(f.evidence),
    }


def _header(r: ScanResult) -> dict[str, object]:
    return {
        "tool": "nofsbot",
        "version": __version__,
        "schema": JSON_SCHEMA_VERSION,
        "tree": r.analysis.tree,
        "paths": list(r.analysis.paths),
    }


def to_json(r: ScanResult) -> str:
    a = r.analysis
    doc = {
        **_header(r),
        "summary": r.summary(),
        "sites": [finding_json(f) for f in r.findings],
        "accounted": [
            {"path": o.path, "line": o.line, "token": o.token, "category": o.category}
            for o in a.accounted
        ],
        "unaccounted": [{"path": o.path, "line": o.line, "token": o.token} for o in a.unaccounted],
        "problems": [{"path": p.path, "line": p.line, "message": p.message} for p in a.problems],
    }
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def hazards_json(r: ScanResult) -> str:
    a = r.analysis
    doc = {
        **_header(r),
        "summary": {
            "hazards": len(a.hazards),
            "kinds": dict(sorted(Counter(h.kind for h in a.hazards).items())),
            "files_analysed": a.files_analysed,
        },
        "hazards": [
            {
                "kind": h.kind,
                "path": h.path,
                "line": h.line,
                "function": h.function,
                "message": h.message,
                "evidence": evidence_json(h.evidence),
            }
            for h in a.hazards
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


def hazards_text(r: ScanResult, *, evidence: bool = True) -> str:
    out = []
    for h in r.analysis.hazards:
        out.append(f"{h.path}:{h.line}: {h.function or '-'}: {h.kind}: {h.message}")
        if evidence:
            out += [f"    {e}" for e in h.evidence]
    kinds = Counter(h.kind for h in r.analysis.hazards)
    out.append(
        f"{len(r.analysis.hazards)} hazards"
        + (f" ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})" if kinds else "")
        + f"; {r.analysis.files_analysed} files analysed"
    )
    return "\n".join(out) + "\n"


def to_text(r: ScanResult, *, evidence: bool = True) -> str:
    out: list[str] = []
    by_file: dict[str, list[Finding]] = {}
    for f in r.findings:
        by_file.setdefault(f.site.path, []).append(f)
    for path in sorted(by_file):
        out.append(path)
        for f in by_file[path]:
            s = f.site
            out.append(
                f"  {s.line:>5}  {(s.function or '-'):<28.28} {f.klass!s:<10} "
                f"{f.context!s:<9} {s.kind!s:<12} {s.expression}"
            )
            out.append(f"         {f.reason}")
            if f.suggestion:
                out.append(f"         suggestion: {f.suggestion}")
            if f.boundary is not None:
                b = f.boundary
                exits = ", ".join(str(n) for n in b.exits)
                if b.top:
                    end = f" and after line {b.tail[0]}" if b.tail else ""
                    out.append(
                        f"         scope: all of {b.function}() ({b.path}), saved first, "
                        f"restored before each return{f' (line {exits})' if exits else ''}{end}"
                    )
                else:
                    out.append(
                        f"         scope: after line {b.line} of {b.function}() ({b.path}), "
                        f"restored before line {exits}"
                    )
            if f.choke is not None and not f.choke.scoped:
                c = f.choke
                calls = ", ".join(str(n) for n in c.calls)
                out.append(
                    f"         scope: around the page-cache call at line {calls} of "
                    f"{c.function}() ({c.path})"
                )
            if evidence:
                out += [f"           {e}" for e in f.evidence]
        out.append("")
    sm = r.summary()
    counts = Counter(str(f.klass) for f in r.findings)
    classes = ", ".join(f"{c} {counts.get(str(c), 0)}" for c in Class)
    out.append(
        f"{sm['sites']} sites in {len(by_file)} files ({classes}); "
        f"{sm['files_analysed']} files and {sm['functions']} functions analysed"
    )
    out.append(
        f"grep hits that are not sites: {sm['accounted']} accounted "
        f"(comments, macro bodies, ...), {sm['unaccounted']} unaccounted"
    )
    for p in r.analysis.problems[:20]:
        out.append(f"problem: {p.path}:{p.line}: {p.message}")
    if len(r.analysis.problems) > 20:
        out.append(f"... and {len(r.analysis.problems) - 20} more problems (see --format json)")
    return "\n".join(out) + "\n"
