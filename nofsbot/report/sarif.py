"""SARIF 2.1.0 for code-scanning viewers: one result per site."""

from __future__ import annotations

import json

from nofsbot import __version__
from nofsbot.model import Class, Evidence
from nofsbot.report.scan import ScanResult

_RULES = {
    Class.REDUNDANT: ("NOFS001", "GFP_NOFS inside a NOFS scope on every path", "warning"),
    Class.NOOP_MASK: ("NOFS002", "GFP_KERNEL | GFP_NOFS is GFP_KERNEL", "warning"),
    Class.MIXED: (
        "NOFS003",
        "GFP_NOFS only silences lockdep: GFP_KERNEL | __GFP_NOLOCKDEP",
        "note",
    ),
    Class.UNNEEDED: ("NOFS004", "GFP_NOFS not needed: no scope, no lock reclaim takes", "note"),
    Class.NEEDS_SCOPE: ("NOFS005", "GFP_NOFS under a lock reclaim takes: needs a scope", "warning"),
    Class.KEEP: ("NOFS006", "GFP_NOFS that must stay as it is", "none"),
}


_HAZARDS = {
    "fs-reclaim-under-lock": (
        "NOFSH01",
        "allocation may enter FS reclaim under a lock reclaim takes",
    ),
    "alloc-under-folio-lock": ("NOFSH02", "sleeping allocation under a page/folio lock"),
    "work-waited-in-scope": ("NOFSH03", "scoped wait for work that allocates with __GFP_FS"),
    "unbalanced-scope": ("NOFSH04", "memalloc_*_save()/restore() not balanced on every path"),
    "stored-gfp-under-lock": ("NOFSH05", "a stored __GFP_FS mask used under a lock reclaim takes"),
    "reclaim-flushes-unrescued-work": (
        "NOFSH06",
        "reclaim waits for work on a workqueue without WQ_MEM_RECLAIM",
    ),
}


def _related(evidence: tuple[Evidence, ...]) -> list[dict[str, object]]:
    """Evidence steps as SARIF related locations."""
    return [
        {
            "id": i,
            "physicalLocation": {
                "artifactLocation": {"uri": e.path, "uriBaseId": "SRCROOT"},
                "region": {"startLine": max(1, e.line)},
            },
            "message": {"text": e.note},
        }
        for i, e in enumerate(evidence)
    ]


def _hazard_results(r: ScanResult) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    rules: list[dict[str, object]] = [
        {
            "id": rid,
            "name": kind,
            "shortDescription": {"text": text},
            "defaultConfiguration": {"level": "error"},
        }
        for kind, (rid, text) in _HAZARDS.items()
    ]
    index = {kind: i for i, kind in enumerate(_HAZARDS)}
    results: list[dict[str, object]] = []
    for h in r.analysis.hazards:
        results.append(
            {
                "ruleId": _HAZARDS[h.kind][0],
                "ruleIndex": index[h.kind],
                "level": "error",
                "message": {"text": h.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": h.path, "uriBaseId": "SRCROOT"},
                            "region": {"startLine": h.line},
                        }
                    }
                ],
                "relatedLocations": _related(h.evidence),
            }
        )
    return rules, results


def to_sarif(r: ScanResult, *, hazards: bool = False) -> str:
    rules: list[dict[str, object]] = [
        {
            "id": rid,
            "name": str(klass),
            "shortDescription": {"text": text},
            "defaultConfiguration": {"level": level},
        }
        for klass, (rid, text, level) in _RULES.items()
    ]
    index = {klass: i for i, klass in enumerate(_RULES)}
    results: list[dict[str, object]] = []
    for f in r.findings:
        rid, _, level = _RULES[f.klass]
        s = f.site
        results.append(
            {
                "ruleId": rid,
                "ruleIndex": index[f.klass],
                "level": level,
                "message": {"text": f"{s.expression}: {f.klass} ({f.context}): {f.reason}"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": s.path, "uriBaseId": "SRCROOT"},
                            "region": {"startLine": s.line, "startColumn": s.col},
                        },
                        "logicalLocations": [{"name": s.function, "kind": "function"}]
                        if s.function
                        else [],
                    }
                ],
                "relatedLocations": _related(f.evidence),
                "properties": {"kind": str(s.kind), "context": str(f.context)},
            }
        )
    if hazards:
        rules, results = _hazard_results(r)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "nofsbot", "version": __version__, "rules": rules}},
                "originalUriBaseIds": {
                    "SRCROOT": {"uri": "file://" + r.analysis.tree.rstrip("/") + "/"}
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
