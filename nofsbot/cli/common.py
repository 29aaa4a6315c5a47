"""What the command modules share: the usage error, exit codes, the tree."""

from __future__ import annotations

import os
from pathlib import Path


class UsageError(Exception):
    """Arguments that parse but make no sense; exit 2 like argparse."""


EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def tree_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    return Path(os.environ.get("NOFSBOT_TREE") or ".")
