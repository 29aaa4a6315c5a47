"""What a series changes, as findings: the analysis after it against before.

Sites and hazards are matched across the series by path (renames followed),
function and normalised expression or message, never by line, as a
multiset: what is left over after the series is new. Only what sits on a
line the series added, or in a function it touched, is reported, and it is
laid on the patch that made that change.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from nofsbot.analyse import Placed
from nofsbot.config import Config
from nofsbot.model import Class, Finding, FunctionSpan, Hazard, Kind
from nofsbot.review.lines import Changes, Touch
from nofsbot.review.series import ReviewFinding, Severity
from nofsbot.review.wraps import single_allocation_scopes

E, W = Severity.ERROR, Severity.WARNING

# hazard kinds the analysis reports, and how serious each is in a review
HAZARDS = {
    "unbalanced-scope": E,
    "fs-reclaim-under-lock": E,
    "fs-alloc-under-shared-lock": E,
    "stored-gfp-under-lock": E,
    "work-waited-in-scope": E,
    "alloc-under-folio-lock": W,
}

_NOFS_CLASSES = {
    Class.REDUNDANT: "redundant-nofs",
    Class.MIXED: "mixed-nofs",
    Class.UNNEEDED: "unneeded-nofs",
    Class.NOOP_MASK: "noop-mask",
}

_SAYS = {
    Class.REDUNDANT: "{expr} is redundant: {reason}",
    Class.MIXED: "{expr} is not needed here: {reason}",
    Class.UNNEEDED: "{expr} is not needed here: {reason}",
    Class.NOOP_MASK: "{reason}",
}


@dataclass(frozen=True)
class Image:
    """What the analysis says about the touched files on one side of the series."""

    placed: tuple[Placed, ...] = ()
    findings: tuple[Finding, ...] = ()  # plan(placed), in the same order
    hazards: tuple[Hazard, ...] = ()
    functions: dict[str, tuple[FunctionSpan, ...]] = field(default_factory=dict)
    text: dict[str, list[str]] = field(default_factory=dict)  # the lines of each file


@dataclass(frozen=True)
class Dropped:
    """A NOFS site of the tree before the series whose line a patch rewrote
    so that the mask lost NOFS: where the allocation is after the series,
    and that line with the old text put back, for the plan to decide it in
    the code after the series."""

    path: str  # after the series
    line: int
    restored: str  # the line as it was before the series


_SITE_KINDS = (
    Kind.ALLOC_ARG,
    Kind.KMEM_ARG,
    Kind.CALL_ARG,
    Kind.MASK_VAR,
    Kind.STORED,
    Kind.MAPPING,
)


def dropped(pre: Image, post: Image, changes: Changes) -> list[Dropped]:
    """The sites a series takes NOFS away from (`GFP_NOFS` -> `GFP_KERNEL`,
    `KM_NOFS` -> 0), matched by line: the pre-image site's line was
    rewritten by a patch, the post-image has no such site any more, and a
    line that patch added next to it is the same line with another mask."""
    after = Counter(_site_key(f, f.site.path, with_class=False) for f in post.findings)
    rewritten = []
    for f, p in zip(pre.findings, pre.placed, strict=True):
        carried = changes.carry(f.site.path, f.site.line)
        if carried is None:
            continue
        key = _site_key(f, carried[0], with_class=False)
        if carried[2] and f.site.kind in _SITE_KINDS and not _is_signal(p):
            rewritten.append((f, carried, key))
        elif after[key] > 0:
            after[key] -= 1  # lines no patch rewrote match first
    out = []
    for f, (path, line, patch), key in rewritten:
        s = f.site
        if after[key] > 0:
            after[key] -= 1
            continue
        old = pre.text.get(s.path, [])
        new = post.text.get(path, [])
        if not 0 < s.line <= len(old):
            continue
        was = old[s.line - 1]
        near = [
            (difflib.SequenceMatcher(None, _code(was), _code(new[n - 1])).ratio(), n)
            for n in range(max(1, line - 3), min(line + 4, len(new) + 1))
            if (t := changes.added.get((path, n))) is not None and t.patch >= patch
        ]
        ratio, n = max(near, default=(0.0, 0))
        if ratio >= 0.6 and (s.callee is None or s.callee in was) and s.token not in new[n - 1]:
            out.append(Dropped(path, n, was))
    return out


def compare(
    pre: Image,
    post: Image,
    changes: Changes,
    cfg: Config,
    restored: dict[tuple[str, int], Finding] | None = None,
) -> list[ReviewFinding]:
    """The findings on what CHANGES does between PRE and POST, sorted.
    RESTORED: for each line of `dropped()`, the plan's finding on it with
    its NOFS put back in the code after the series."""
    out = _sites(pre, post, changes)
    out += _vanished_signals(pre, post, changes)
    out += _hazards(pre, post, changes)
    out += _dropped(restored or {}, changes, {(f.path, f.line) for f in out if f.severity is E})
    for path, line, function in single_allocation_scopes(post.text, post.functions, changes, cfg):
        t = changes.added[(path, line)]
        out.append(
            ReviewFinding(
                t.patch,
                path,
                line,
                "single-allocation-scope",
                W,
                function,
                "a NOFS scope around a single allocation only moves the flag: it is not a "
                "conversion to the scope API",
                "pass GFP_NOFS to the allocation, or open the scope where the reclaim-unsafe "
                "section starts (a lock reclaim takes, a transaction) and say why in a comment",
                own_line=t.own,
            )
        )
    return sorted(set(out))


_COMMENT = re.compile(r"/\*.*?\*/|//.*$")


def _code(line: str) -> str:
    """LINE without its comments and with its blanks folded."""
    return " ".join(_COMMENT.sub(" ", line).split())


def _dropped(
    restored: dict[tuple[str, int], Finding], changes: Changes, flagged: set[tuple[str, int]]
) -> list[ReviewFinding]:
    """A patch lets an allocation enter FS reclaim where the plan, deciding
    the code after the series, keeps NOFS or wants a scope: an error with the
    plan's chain when it names what reclaim would wait on, a warning when
    the plan only lacks the evidence to convert. Lines already given an
    error (a hazard on the same lock) are not reported twice."""
    out = []
    for (path, line), f in sorted(restored.items()):
        if f.klass not in (Class.KEEP, Class.NEEDS_SCOPE) or (path, line) in flagged:
            continue
        t = changes.added[(path, line)]
        chain = f.klass is Class.NEEDS_SCOPE or bool(f.reclaim_shared)
        what = "keeps NOFS here" if f.klass is Class.KEEP else "needs a NOFS scope here"
        out.append(
            ReviewFinding(
                t.patch,
                path,
                line,
                "nofs-dropped" if chain else "nofs-dropped-unproven",
                E if chain else W,
                f.site.function,
                f"{f.site.expression} loses NOFS, so what allocates with it may enter FS "
                f"reclaim, but the plan {what}: {f.reason}",
                "keep GFP_NOFS here, or open a NOFS scope where the critical section starts"
                if chain
                else "keep GFP_NOFS until the callers that cannot be seen are shown safe",
                f.evidence,
                t.own,
            )
        )
    return out


def _norm(expression: str) -> str:
    return re.sub(r"[\s()]", "", expression)


def _site_key(f: Finding, path: str, with_class: bool = True) -> tuple[Hashable, ...]:
    s = f.site
    key = (path, s.function, str(s.kind), s.callee, s.variable, _norm(s.expression))
    return (*key, str(f.klass)) if with_class else key


def _leftover(before: Iterable[Hashable], after: Sequence[tuple[Hashable, bool]]) -> list[int]:
    """Indexes of AFTER (key, on a changed line) that BEFORE does not account
    for; unchanged items use up the matches first."""
    count = Counter(before)
    left = []
    for i in sorted(range(len(after)), key=lambda i: after[i][1]):
        k = after[i][0]
        if count[k] > 0:
            count[k] -= 1
        else:
            left.append(i)
    return sorted(left)


def _function_touch(
    post: Image, changes: Changes, path: str, function: str | None, line: int
) -> Touch | None:
    """The last patch that touched the function holding PATH:LINE."""
    for span in post.functions.get(path, ()):
        if span.line <= line <= span.end_line and (function is None or span.name == function):
            touches = changes.within(path, span.line, span.end_line)
            return max(touches, key=lambda t: (t.patch, t.added)) if touches else None
    return None


def _is_signal(p: Placed) -> bool:
    return p.signal is not None or (p.site.kind is Kind.SIGNAL and p.site.callee is not None)


def _sites(pre: Image, post: Image, changes: Changes) -> list[ReviewFinding]:
    before = [
        _site_key(f, c[0])
        for f in pre.findings
        if (c := changes.carry(f.site.path, f.site.line)) is not None
    ]
    after = [
        (_site_key(f, f.site.path), (f.site.path, f.site.line) in changes.added)
        for f in post.findings
    ]
    out = []
    for i in _leftover(before, after):
        f, p = post.findings[i], post.placed[i]
        s = f.site
        added = changes.added.get((s.path, s.line))
        touch = added or _function_touch(post, changes, s.path, s.function, s.line)
        if touch is None:
            continue
        own = changes.back(s.path, s.line, touch.patch)
        if _is_signal(p) and added:
            out.append(
                ReviewFinding(
                    touch.patch,
                    s.path,
                    s.line,
                    "signal-gfp-changed",
                    W,
                    s.function,
                    f"the mask given to {s.callee or 'the callee'}() is changed to "
                    f"{s.expression}, and the callee reads it as a signal: {p.signal or f.reason}",
                    "keep the mask the callee expects, unless its change of behaviour is the "
                    "point of the patch",
                    f.evidence[:4],
                    own,
                )
            )
        elif f.klass in _NOFS_CLASSES:
            out.append(
                ReviewFinding(
                    touch.patch,
                    s.path,
                    s.line,
                    _NOFS_CLASSES[f.klass],
                    W,
                    s.function,
                    _SAYS[f.klass].format(expr=s.expression, reason=f.reason),
                    f.suggestion,
                    f.evidence,
                    own,
                )
            )
        elif s.kind is Kind.MAPPING and added:
            out.append(
                ReviewFinding(
                    touch.patch,
                    s.path,
                    s.line,
                    "mapping-mask",
                    W,
                    s.function,
                    "a mapping-wide mask without __GFP_FS makes every page-cache allocation "
                    f"on the mapping NOFS, also outside any critical section: {f.reason}",
                    "open a NOFS scope where the mapping's page cache is allocated inside "
                    "the critical section instead",
                    f.evidence[:4],
                    own,
                )
            )
    return out


def _vanished_signals(pre: Image, post: Image, changes: Changes) -> list[ReviewFinding]:
    """Signal masks (a callee tests __GFP_FS) that the series changed away
    from NOFS: the pre-image site is gone, the call is still there."""
    after = Counter(_site_key(f, f.site.path, with_class=False) for f in post.findings)
    out = []
    for f, p in zip(pre.findings, pre.placed, strict=True):
        carried = changes.carry(f.site.path, f.site.line)
        if not _is_signal(p) or carried is None:
            continue
        path, line, removed_by = carried
        key = _site_key(f, path, with_class=False)
        if after[key] > 0:
            after[key] -= 1
            continue
        callee = f.site.callee or ""
        text = post.text.get(path, [])
        near = [
            n
            for n in range(line, min(line + 6, len(text) + 1))
            if (t := changes.added.get((path, n))) is not None and t.patch == removed_by
        ]
        if not removed_by or not callee or not any(callee in text[n - 1] for n in near):
            continue
        where = next(n for n in near if callee in text[n - 1])
        out.append(
            ReviewFinding(
                removed_by,
                path,
                where,
                "signal-gfp-changed",
                W,
                f.site.function,
                f"{f.site.expression} given to {callee}() is changed, and the callee reads it "
                f"as a signal: {p.signal or f.reason}",
                "keep the mask the callee expects, unless its change of behaviour is the "
                "point of the patch",
                f.evidence[:4],
                changes.added[(path, where)].own,
            )
        )
    return out


def _hazard_key(h: Hazard, path: str) -> tuple[Hashable, ...]:
    return (h.kind, path, h.function, h.message)


def _hazards(pre: Image, post: Image, changes: Changes) -> list[ReviewFinding]:
    before = [
        _hazard_key(h, c[0])
        for h in pre.hazards
        if h.kind in HAZARDS and (c := changes.carry(h.path, h.line)) is not None
    ]
    found = [h for h in post.hazards if h.kind in HAZARDS]
    after = [(_hazard_key(h, h.path), changes.touch(h.path, h.line) is not None) for h in found]
    out = []
    for i in _leftover(before, after):
        h = found[i]
        at = changes.touch(h.path, h.line)
        touch = (
            at
            or next(
                (t for e in h.evidence if (t := changes.added.get((e.path, e.line))) is not None),
                None,
            )
            or _function_touch(post, changes, h.path, h.function, h.line)
        )
        if touch is None:
            continue
        out.append(
            ReviewFinding(
                touch.patch,
                h.path,
                h.line,
                h.kind,
                HAZARDS[h.kind],
                h.function,
                h.message,
                _HAZARD_FIX.get(h.kind),
                h.evidence,
                changes.back(h.path, h.line, touch.patch),
            )
        )
    return out


_HAZARD_FIX = {
    "unbalanced-scope": "pair every memalloc_nofs_save() with a memalloc_nofs_restore() on "
    "every path, the error paths included",
    "fs-reclaim-under-lock": "allocate before taking the lock, or make the reclaim path stop "
    "taking it",
    "fs-alloc-under-shared-lock": "open a NOFS scope right after the lock is taken and restore "
    "it where the lock is released (or keep GFP_NOFS here)",
    "stored-gfp-under-lock": "store a mask without __GFP_FS, or scope the later use",
    "work-waited-in-scope": "open a NOFS scope at the top of the work function",
    "alloc-under-folio-lock": "allocate before locking the folio",
}
