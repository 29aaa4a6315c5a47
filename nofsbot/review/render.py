"""`nofsbot review` output: a terminal report grouped by patch, stable JSON,
and the review a pull request gets (body and line comments)."""

from __future__ import annotations

import json
from collections import Counter

from unidiff.patch import PatchSet

from nofsbot import __version__
from nofsbot.review.lines import strip_prefix
from nofsbot.review.series import ReviewFinding, ReviewResult
from nofsbot.tools.github import LineComment

JSON_SCHEMA_VERSION = 1


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'es' if word.endswith('ch') else 's'}" if count != 1 else f"1 {word}"


def summary_line(r: ReviewResult) -> str:
    n = len(r.findings)
    if not n:
        return f"clean: no findings in {_n(len(r.series.patches), 'patch')}"
    touched = len({f.patch for f in r.findings})
    return (
        f"{_n(n, 'finding')} ({_n(r.errors, 'error')}, {_n(r.warnings, 'warning')}) "
        f"in {touched} of {_n(len(r.series.patches), 'patch')}"
    )


def finding_text(f: ReviewFinding, *, indent: str = "", place: bool = True) -> list[str]:
    """F as lines: where (unless not PLACE), severity, kind, message; then the
    suggestion and the evidence, indented."""
    where = f"{f.path}:{f.line}" + (f" {f.function}()" if f.function else "") + ": "
    out = [f"{indent}{where if place else ''}{f.severity}: {f.kind}: {f.message}"]
    if f.suggestion:
        out.append(f"{indent}    suggestion: {f.suggestion}")
    out += [f"{indent}    {e}" for e in f.evidence]
    return out


def to_text(r: ReviewResult) -> str:
    out = [
        f"review of {r.series.source}: {_n(len(r.series.patches), 'patch')} on "
        f"{r.base[:12]}, {_n(len(r.analysed), 'C file')} analysed"
    ]
    for p in r.series.patches:
        mine = [f for f in r.findings if f.patch == p.index]
        out.append(f"{p.index:>3}: {p.subject}" + ("" if mine else ": clean"))
        for f in mine:
            out += finding_text(f, indent="     ")
    out.append(summary_line(r))
    return "\n".join(out) + "\n"


def to_json(r: ReviewResult) -> str:
    doc = {
        "tool": "nofsbot",
        "version": __version__,
        "schema": JSON_SCHEMA_VERSION,
        "source": r.series.source,
        "base": r.base,
        "analysed": list(r.analysed),
        "summary": {
            "patches": len(r.series.patches),
            "findings": len(r.findings),
            "errors": r.errors,
            "warnings": r.warnings,
            "kinds": dict(sorted(Counter(f.kind for f in r.findings).items())),
        },
        "patches": [
            {
                "index": p.index,
                "subject": p.subject,
                "message_id": p.message_id,
                "paths": list(p.paths),
            }
            for p in r.series.patches
        ],
        "findings": [
            {
                "patch": f.patch,
                "path": f.path,
                "line": f.line,
                "function": f.function,
                "severity": str(f.severity),
                "kind": f.kind,
                "message": f.message,
                "suggestion": f.suggestion,
                "evidence": [
                    {"path": e.path, "line": e.line, "function": e.function, "note": e.note}
                    for e in f.evidence
                ],
            }
            for f in r.findings
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


def pull_review(r: ReviewResult) -> tuple[str, list[LineComment]]:
    """The body and line comments of the one review a pull request gets. A
    finding on a line the diff shows (added or context) becomes a comment
    there; the others go in the body."""
    shown = {
        (strip_prefix(pf.target_file), ln.target_line_no)
        for p in r.series.patches
        for pf in PatchSet(p.diff)
        for h in pf
        for ln in h
        if not ln.is_removed
    }
    comments = []
    rest = []
    for f in r.findings:
        if f.own_line is not None and (f.path, f.own_line) in shown:
            body = "\n".join(finding_text(f, place=False))
            comments.append(LineComment(f.path, f.own_line, body))
        else:
            rest.append(f)
    lines = [f"**nofsbot {__version__}**: {summary_line(r)} (base {r.base[:12]})."]
    if rest:
        lines.append("")
        for f in rest:
            lines.append(f"- {finding_text(f)[0]}")
            if f.suggestion:
                lines.append(f"  suggestion: {f.suggestion}")
    return "\n".join(lines) + "\n", comments
