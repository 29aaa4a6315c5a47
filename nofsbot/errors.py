"""The errors nofsbot raises on purpose. Only nofsbot.cli catches them."""

from __future__ import annotations


class NofsbotError(Exception):
    """A failure the user can act on; nofsbot.cli prints it as one line."""


class ConfigError(NofsbotError):
    def __init__(self, path: str, key: str, message: str) -> None:
        super().__init__(f"{path}: {key}: {message}")
        self.path = path
        self.key = key


class ToolMissingError(NofsbotError):
    def __init__(self, tool: str, hint: str) -> None:
        super().__init__(f"{tool} not found: {hint}")
        self.tool = tool


class ToolError(NofsbotError):
    """A tool that failed: one line naming the command, its exit code and
    the line of its output that says why; the whole output is kept."""

    def __init__(self, argv: list[str], returncode: int, output: str) -> None:
        lines = [x.strip() for x in output.strip().splitlines() if x.strip()]
        said = [x for x in lines if x.startswith(("fatal:", "error:", "Error:", "ERROR:"))]
        why = (said or lines or [""])[-1]
        super().__init__(f"{' '.join(argv)} exited with {returncode}" + (f": {why}" if why else ""))
        self.argv = argv
        self.returncode = returncode
        self.output = output


class TreeError(NofsbotError):
    """The directory given is not a usable kernel tree, or a path leaves it."""


class ParseError(NofsbotError):
    def __init__(self, path: str, line: int, col: int, message: str) -> None:
        super().__init__(f"{path}:{line}:{col}: {message}")
        self.path = path
        self.line = line
        self.col = col


class OutputError(NofsbotError):
    """An output file or directory nofsbot cannot write."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot write {path}: {reason}")
        self.path = path


class PublishError(NofsbotError):
    pass


class PatchError(NofsbotError):
    """A series nofsbot cannot review: not mail or a diff, a binary diff, a
    path that leaves the tree, a patch that does not apply, too many patches."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with what the interrupted work left behind and how to remove it."""
