"""Comparing a patch with its pre-image: warning sets and checkpatch findings.

Both compare without line numbers: a patch that adds lines above an old
warning moves it, and a moved warning is not new.
"""

from __future__ import annotations

from collections.abc import Iterable

from nofsbot.tools.checkpatch import Finding
from nofsbot.tools.kbuild import Diagnostic

FATAL = ("ERROR", "WARNING")


def normalise(d: Diagnostic) -> str:
    """A warning as compared across builds: path, severity, message and flag,
    no line or column."""
    flag = f" [{d.flag}]" if d.flag else ""
    return f"{d.path}: {d.severity}: {d.message}{flag}"


def located(d: Diagnostic) -> str:
    """A diagnostic as shown to the user, with its position."""
    where = f"{d.path}:{d.line}:{d.col}" if d.line else d.path
    flag = f" [{d.flag}]" if d.flag else ""
    return f"{where}: {d.severity}: {d.message}{flag}"


def warnings(diags: Iterable[Diagnostic]) -> set[str]:
    return {normalise(d) for d in diags if d.severity == "warning"}


def new_warnings(diags: Iterable[Diagnostic], baseline: set[str]) -> list[str]:
    """The normalised warnings in DIAGS that the BASELINE set does not hold."""
    return sorted(warnings(diags) - baseline)


def errors(diags: Iterable[Diagnostic]) -> list[str]:
    return sorted({located(d) for d in diags if d.severity == "error"})


def new_findings(patch: Iterable[Finding], pre_image: Iterable[Finding]) -> list[Finding]:
    """Findings on a patch not already present in the files it touches before
    it (same type, file and source line, wherever the line is now)."""
    old = {f.key for f in pre_image}
    return sorted(
        {f for f in patch if f.key not in old},
        key=lambda f: (f.path or "", f.line, f.type),
    )


def blamed(findings: Iterable[Finding], *, messages: bool) -> list[Finding]:
    """The findings that fail a patch: errors and warnings in the code, and
    with MESSAGES those about the commit message too (CHECKs never)."""
    return [f for f in findings if f.severity in FATAL and (messages or f.path is not None)]


def describe(f: Finding) -> str:
    where = f"{f.path}:{f.line}: " if f.path else "commit message: "
    return f"{where}{f.severity}:{f.type}: {f.message}"
