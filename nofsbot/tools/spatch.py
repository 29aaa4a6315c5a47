"""Coccinelle's spatch, for applying nofsbot's semantic patches."""

from __future__ import annotations

import re
from pathlib import Path

from nofsbot.tools.proc import run


def version() -> str:
    """spatch's own version ("spatch version 1.1.1 compiled with OCaml version ...")."""
    out = run(["spatch", "--version"], cwd=Path.cwd(), timeout=60).stdout
    m = re.search(r"spatch version (\S+)", out)
    return m.group(1) if m else out.strip().split("\n")[0]


def patch(
    sp_file: Path,
    files: list[str],
    *,
    cwd: Path,
    sites: Path,
    jobs: int = 1,
    in_place: bool = False,
    timeout: float = 1800,
    env_name: str = "NOFSBOT_SITES",
) -> str:
    """Apply SP_FILE to FILES (paths relative to CWD) with the planned positions in
    the JSON file SITES, named to the rule by the environment variable ENV_NAME.
    Returns spatch's unified diff; with IN_PLACE the files are also rewritten
    (only ever in nofsbot's own worktree or a test tree)."""
    if not files:
        return ""
    argv = [
        "spatch",
        "--sp-file",
        str(sp_file.resolve()),
        "-D",
        "patch",
        "--very-quiet",
        "--no-includes",
        "--include-headers",
        "-j",
        str(jobs),
    ]
    if in_place:
        argv.append("--in-place")
    return run(
        [*argv, *files], cwd=cwd, timeout=timeout, env={env_name: str(sites.resolve())}
    ).stdout


_REPORT_RE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):\d+-\d+: (?P<msg>.*)$", re.M)


def report(
    sp_file: Path, files: list[str], *, cwd: Path, timeout: float = 1800
) -> list[tuple[str, int, str]]:
    """Run SP_FILE in report mode on FILES; its findings as (path, line, message)."""
    if not files:
        return []
    argv = [
        "spatch",
        "--sp-file",
        str(sp_file.resolve()),
        "-D",
        "report",
        "--very-quiet",
        "--no-includes",
        "--include-headers",
        *files,
    ]
    out = run(argv, cwd=cwd, timeout=timeout).stdout
    return sorted(
        {(m["path"].removeprefix("./"), int(m["line"]), m["msg"]) for m in _REPORT_RE.finditer(out)}
    )
