"""One funnel for subprocesses: fixed locale, explicit cwd, always a timeout."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from nofsbot.errors import ToolError, ToolMissingError

log = logging.getLogger(__name__)

INSTALL_HINTS = {
    "git": "apt-get install git",
    "spatch": "apt-get install coccinelle",
    "make": "apt-get install make",
    "perl": "apt-get install perl",
    "tar": "apt-get install tar xz-utils",
    "xz": "apt-get install xz-utils",
    "gcc": "apt-get install gcc",
    "grep": "apt-get install grep",
    "git-send-email": "apt-get install git-email",
    "sparse": "apt-get install sparse",
    "b4": "pip install b4",
}


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def require(tool: str) -> str:
    """Return the path of TOOL or raise ToolMissingError with an install hint."""
    found = shutil.which(tool)
    if found is None:
        raise ToolMissingError(tool, INSTALL_HINTS.get(tool, f"install {tool}"))
    return found


def run(
    argv: list[str],
    *,
    cwd: Path | str,
    timeout: float,
    input: str | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
    ok_codes: tuple[int, ...] = (0,),
) -> Result:
    """Run ARGV in CWD and return its output; raise ToolError on failure."""
    require(argv[0])
    full_env = dict(os.environ)
    full_env["LC_ALL"] = "C"
    full_env["LANG"] = "C"
    if env:
        full_env.update(env)
    log.debug("run %s (cwd=%s)", " ".join(argv), cwd)
    started = time.monotonic()
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            input=input,
            env=full_env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:
        raise ToolError(argv, -1, f"timed out after {timeout:.0f}s") from e
    log.debug("ran %s in %.2fs", argv[0], time.monotonic() - started)
    result = Result(tuple(argv), proc.returncode, proc.stdout, proc.stderr)
    if check and proc.returncode not in ok_codes:
        raise ToolError(argv, proc.returncode, proc.stderr or proc.stdout)
    return result
