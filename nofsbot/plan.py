"""The plan stage: a class for every site, with the reason.

At this stage the classes are those the scope analysis alone can prove:
redundant (inside a scope on every path), noop-mask (GFP_KERNEL | GFP_NOFS),
keep (with the reason it must not be touched) and unscoped (not always inside
a scope; refined by the reclaim analysis). Without proof, never redundant.
"""

from __future__ import annotations

import re

from nofsbot.analyse import Placed
from nofsbot.model import Class, Context, Finding, Kind

_NOOP_RE = re.compile(r"^\(?\s*(GFP_KERNEL\s*\|\s*GFP_NOFS|GFP_NOFS\s*\|\s*GFP_KERNEL)\s*\)?$")

_KEEP_KINDS = {
    Kind.STORED: "the mask is stored for allocations made later elsewhere ({detail}); "
    "converting it is right only if every later use is scoped",
    Kind.MAPPING: "mapping-wide mask: every page-cache allocation on the mapping is affected; "
    "whether it can be localised is decided by the reclaim analysis",
    Kind.RETURN: "the mask is returned to callers, who allocate with it",
    Kind.OTHER: "a use of the mask nofsbot does not recognise ({detail})",
    Kind.UNPARSED: "the code around it does not parse",
}


def classify(p: Placed) -> Finding:
    s = p.site
    detail = s.callee or s.variable or s.expression
    if s.function is None and s.kind not in (Kind.UNPARSED,):
        return Finding(
            s, p.context, Class.KEEP, "not inside a function (an initialiser)", p.evidence
        )
    if s.kind is Kind.SIGNAL:
        why = "the mask is read as a signal"
        if s.callee:
            why += f": {s.callee}() tests __GFP_FS"
        elif "shrink" in s.expression or (s.variable or "").endswith("gfp_mask"):
            why += ": a shrink_control mask allocates nothing"
        else:
            why += f": compared in `{s.expression}`"
        return Finding(s, p.context, Class.KEEP, why, p.evidence)
    if p.signal:
        return Finding(
            s, p.context, Class.KEEP, f"the mask is read as a signal: {p.signal}", p.evidence
        )
    if s.kind in _KEEP_KINDS:
        return Finding(
            s, p.context, Class.KEEP, _KEEP_KINDS[s.kind].format(detail=detail), p.evidence
        )
    if _NOOP_RE.match(s.expression):
        return Finding(
            s, p.context, Class.NOOP_MASK, "GFP_KERNEL | GFP_NOFS is GFP_KERNEL", p.evidence
        )
    if p.context is Context.ALWAYS:
        return Finding(
            s,
            p.context,
            Class.REDUNDANT,
            "every path to this allocation is inside a NOFS scope",
            p.evidence,
        )
    reasons = {
        Context.SOMETIMES: "inside a scope on some paths only",
        Context.NEVER: "never inside a scope",
        Context.UNKNOWN: "reachable from callers nofsbot cannot see",
    }
    return Finding(s, p.context, Class.UNSCOPED, reasons[p.context], p.evidence)


def plan(placed: tuple[Placed, ...]) -> tuple[Finding, ...]:
    return tuple(classify(p) for p in placed)
