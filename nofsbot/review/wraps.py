"""The anti-pattern maintainers reject: a NOFS scope around one allocation.

    nofs = memalloc_nofs_save();
    p = kmalloc(size, GFP_KERNEL);
    memalloc_nofs_restore(nofs);

only moves the flag (domain.md section 1). Found on the text after the
series: a save on an added line, the next restore in the same function,
and between them exactly one statement, which calls an allocation API.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from nofsbot.config import Config
from nofsbot.model import FunctionSpan
from nofsbot.review.lines import Changes

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def single_allocation_scopes(
    text: dict[str, list[str]],
    functions: dict[str, tuple[FunctionSpan, ...]],
    changes: Changes,
    cfg: Config,
) -> Iterator[tuple[str, int, str]]:
    """(path, line of the save, function) of each scope the series adds
    around a single allocation."""
    ex = cfg.providers.explicit
    save = _call_re([*ex.save, *ex.flags_save])
    restore = _call_re([*ex.restore, *ex.flags_restore])
    alloc = _call_re([*cfg.apis.alloc, *cfg.apis.kmem])
    for path, line in sorted(changes.added):
        lines = text.get(path)
        if lines is None or line > len(lines) or not save.search(lines[line - 1]):
            continue
        span = next((f for f in functions.get(path, ()) if f.line <= line <= f.end_line), None)
        if span is None:
            continue
        end = next(
            (n for n in range(line + 1, span.end_line + 1) if restore.search(lines[n - 1])), None
        )
        if end is None:
            continue
        statements = _statements("".join(lines[line : end - 1]))
        if len(statements) == 1 and alloc.search(statements[0]):
            yield path, line, span.name


def _call_re(names: list[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(set(names)))) + r")\s*\(")


def _statements(code: str) -> list[str]:
    """The statements of CODE, or two dummies when it is not plain statements
    (a block, a preprocessor line): then it is not one allocation."""
    code = _COMMENT.sub(" ", code)
    if any(c in code for c in "{}#"):
        return ["", ""]
    out, depth, cur = [], 0, []
    for ch in code:
        depth += (ch == "(") - (ch == ")")
        cur.append(ch)
        if ch == ";" and depth == 0:
            out.append("".join(cur).strip())
            cur = []
    rest = "".join(cur).strip()
    return [s for s in [*out, rest] if s and s != ";"]
