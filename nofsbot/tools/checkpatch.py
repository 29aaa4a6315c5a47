"""The tree's own scripts/checkpatch.pl, driven through tools.proc.

`check_patch` reads a patch (git format-patch output) on stdin, `check_files`
reads whole files (-f); both run in a full kernel tree and return the
findings parsed from `--show-types` output.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from nofsbot.errors import ToolMissingError
from nofsbot.tools.proc import require, run

SCRIPT = "scripts/checkpatch.pl"
TIMEOUT = 600
TYPO = "TYPO_SPELLING"  # the type of the findings --codespell adds

_HEAD = re.compile(r"^(?P<sev>ERROR|WARNING|CHECK):(?P<type>[A-Z0-9_]+):\s*(?P<msg>.*)$")
_WHERE = re.compile(r"^#\d+: FILE: (?P<path>.+?):(?P<line>\d+):\s*$")


@dataclass(frozen=True)
class Finding:
    severity: str  # ERROR, WARNING or CHECK
    type: str  # e.g. LONG_LINE
    message: str
    path: str | None  # None for findings about the commit message
    line: int
    source: str  # the offending source line, stripped; "" when none is shown

    @property
    def key(self) -> tuple[str, str | None, str]:
        """What identifies a finding across versions of a file: no line number."""
        return (self.type, self.path, self.source)


def codespell_dictionary() -> Path | None:
    """The dictionary of the pip package codespell, if it is installed."""
    spec = importlib.util.find_spec("codespell_lib")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "data" / "dictionary.txt"
    return path if path.is_file() else None


def _argv(tree: Path, *, codespell: bool, signoff: bool) -> list[str]:
    require("perl")
    if not (tree / SCRIPT).is_file():
        raise ToolMissingError(SCRIPT, f"{tree} has no {SCRIPT}: a full kernel tree is needed")
    argv = ["perl", SCRIPT, "--strict", "--show-types", "--color=never", "--no-summary"]
    argv += [] if signoff else ["--no-signoff"]
    dictionary = codespell_dictionary() if codespell else None
    if dictionary is not None:
        argv += ["--codespell", "--codespellfile", str(dictionary)]
    return argv


def check_patch(
    tree: Path, patch: str, *, codespell: bool = True, signoff: bool = False
) -> list[Finding]:
    """Findings on PATCH (an mbox-style patch) checked in TREE."""
    argv = [*_argv(tree, codespell=codespell, signoff=signoff), "-"]
    res = run(argv, cwd=tree, timeout=TIMEOUT, input=patch, ok_codes=(0, 1))
    return parse(res.stdout)


def check_files(tree: Path, files: list[str], *, codespell: bool = True) -> list[Finding]:
    """Findings on whole FILES (paths relative to TREE) as they are in TREE."""
    if not files:
        return []
    argv = [*_argv(tree, codespell=codespell, signoff=False), "-f", *sorted(set(files))]
    res = run(argv, cwd=tree, timeout=TIMEOUT, ok_codes=(0, 1))
    return parse(res.stdout)


def parse(text: str) -> list[Finding]:
    """checkpatch --show-types output: a heading line, maybe `#N: FILE: path:line:`,
    then the offending line(s); blocks end at a blank line."""
    found: list[Finding] = []
    block: list[str] = []
    for raw in [*text.splitlines(), ""]:
        if raw.strip():
            block.append(raw)
            continue
        finding = _finding(block)
        if finding is not None:
            found.append(finding)
        block = []
    return sorted(set(found), key=lambda f: (f.path or "", f.line, f.type, f.message))


def _finding(block: list[str]) -> Finding | None:
    heads = [i for i, ln in enumerate(block) if _HEAD.match(ln)]
    if not heads:
        return None
    head = _HEAD.match(block[heads[0]])
    assert head is not None
    path, line, source = None, 0, ""
    for i, ln in enumerate(block[heads[0] + 1 :]):
        where = _WHERE.match(ln)
        if where:
            path, line = where["path"], int(where["line"])
            rest = block[heads[0] + 2 + i :]
            shown = [x for x in rest if x.startswith("+")]
            source = shown[0][1:].strip() if shown else ""
            break
    return Finding(head["sev"], head["type"], head["msg"].strip(), path, line, source)
