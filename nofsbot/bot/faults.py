"""Faults on purpose, for the crash tests: the bot calls `at(step)` at each
step boundary, and `$NOFSBOT_BOT_FAULT` may name steps where something
goes wrong, as a comma-separated list of STEP=ACTION (STEP is a step's
name, or NAME:DETAIL for one tag or series):

- kill: SIGKILL this process alone (its children live on);
- killpg: SIGKILL its whole process group;
- enospc: fail as a full disk does, naming the file the step writes.

Unset (always, outside tests), `at` does nothing.
"""

from __future__ import annotations

import errno
import os
import signal
from pathlib import Path

VARIABLE = "NOFSBOT_BOT_FAULT"


def at(step: str, detail: str = "", path: Path | None = None) -> None:
    spec = os.environ.get(VARIABLE)
    if not spec:
        return
    for item in spec.split(","):
        where, _, action = item.strip().partition("=")
        if where not in (step, f"{step}:{detail}"):
            continue
        if action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        elif action == "killpg":
            os.killpg(os.getpgrp(), signal.SIGKILL)
        elif action == "enospc":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path or Path.cwd()))
