"""The kernel's own Kbuild, driven through tools.proc: configs, prepare, objects.

Every function takes the source tree SRC and an out-of-tree build directory
BUILD (`make O=BUILD`). A compile error is data, not an exception:
`build_objects` returns the parsed diagnostics and make's exit code.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from nofsbot.errors import ToolMissingError
from nofsbot.tools.proc import run

HINT = "apt-get install build-essential flex bison libelf-dev bc"
CONFIG_TIMEOUT = 600
BUILD_TIMEOUT = 3600

# gcc, sparse: "path:line:col: severity: message [-Wflag]"
_DIAG = re.compile(
    r"^(?P<path>[^\s:][^:]*):(?P<line>\d+):(?:(?P<col>\d+):)?\s+"
    r"(?P<sev>warning|error|fatal error):\s+(?P<msg>.*?)(?:\s+\[(?P<flag>-W[^\]]+)\])?$"
)
# objtool, the linker, modpost: "path: warning: message"
_TOOL_DIAG = re.compile(r"^(?P<path>[^\s:][^:]*):\s+(?P<sev>warning|error):\s+(?P<msg>.*)$")
_MAKE_ERROR = re.compile(r"^make(\[\d+\])?: \*\*\* ")
_COMPILED = re.compile(r"^\s+CC\s+(?P<obj>\S+\.o)$")


@dataclass(frozen=True)
class Diagnostic:
    path: str  # relative to the source tree when it lies inside it
    line: int  # 0 when the tool gives none
    col: int
    severity: str  # "warning" or "error"
    message: str
    flag: str | None  # "-Wunused-variable", or None


@dataclass(frozen=True)
class Build:
    objects: tuple[str, ...]
    returncode: int
    compiled: tuple[str, ...]  # objects make actually (re)compiled
    diagnostics: tuple[Diagnostic, ...]
    seconds: float
    output: str  # make's stderr tail, for a failure without a parsed diagnostic

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not any(d.severity == "error" for d in self.diagnostics)


def _require() -> None:
    for tool in ("make", "gcc", "flex", "bison", "bc"):
        if shutil.which(tool) is None:
            raise ToolMissingError(tool, HINT)


def _make(src: Path, build: Path, *targets: str, jobs: int = 1, check: bool = True) -> str:
    _require()
    argv = ["make", f"-j{max(1, jobs)}", f"O={build}", *targets]
    return run(argv, cwd=src, timeout=BUILD_TIMEOUT, check=check).stdout


def defconfig(src: Path, build: Path) -> None:
    build.mkdir(parents=True, exist_ok=True)
    _make(src, build, "defconfig")


def set_symbols(src: Path, build: Path, symbols: list[str]) -> None:
    """Turn SYMBOLS (without CONFIG_) on as y in BUILD/.config."""
    if not symbols:
        return
    argv = ["bash", "scripts/config", "--file", str(build / ".config")]
    for s in sorted(set(symbols)):
        argv += ["-e", s]
    run(argv, cwd=src, timeout=CONFIG_TIMEOUT)


def olddefconfig(src: Path, build: Path) -> None:
    _make(src, build, "olddefconfig")


def config_values(build: Path) -> dict[str, str]:
    """CONFIG values of BUILD/.config without the CONFIG_ prefix; unset ones absent."""
    values: dict[str, str] = {}
    path = build / ".config"
    if not path.is_file():
        return values
    for raw in path.read_text(errors="replace").splitlines():
        key, sep, value = raw.partition("=")
        if sep and key.startswith("CONFIG_"):
            values[key.removeprefix("CONFIG_")] = value
    return values


def prepare(src: Path, build: Path, jobs: int = 1) -> None:
    _make(src, build, "prepare", jobs=jobs)


def build_objects(
    src: Path, build: Path, objects: list[str], *, jobs: int = 1, sparse: bool = False
) -> Build:
    """`make O=BUILD W=1 [C=1] OBJECTS...`; the diagnostics as data, errors included."""
    _require()
    if sparse and shutil.which("sparse") is None:
        raise ToolMissingError("sparse", "apt-get install sparse")
    objs = sorted(set(objects))
    # -k: every object is tried, so one error does not hide the others
    argv = ["make", f"-j{max(1, jobs)}", "-k", "-Otarget", f"O={build}", "W=1"]
    argv += ["C=1"] if sparse else []
    started = time.monotonic()
    res = run([*argv, *objs], cwd=src, timeout=BUILD_TIMEOUT, check=False)
    seconds = time.monotonic() - started
    compiled = sorted(
        {m["obj"] for m in map(_COMPILED.match, res.stdout.splitlines()) if m and m["obj"]}
    )
    text = res.stdout + "\n" + res.stderr
    diags = parse_diagnostics(text, (src, build))
    tail = "\n".join(
        ln for ln in res.stderr.splitlines() if _MAKE_ERROR.match(ln) or "error" in ln.lower()
    )
    return Build(tuple(objs), res.returncode, tuple(compiled), tuple(diags), seconds, tail[-2000:])


def parse_diagnostics(text: str, roots: tuple[Path, ...] = ()) -> list[Diagnostic]:
    """gcc/sparse/objtool diagnostics in TEXT (notes left out), with ROOTS
    stripped from their paths; sorted and de-duplicated."""
    found: set[Diagnostic] = set()
    for raw in text.splitlines():
        m = _DIAG.match(raw)
        if m:
            sev = "error" if "error" in m["sev"] else "warning"
            found.add(
                Diagnostic(
                    relative(m["path"], roots),
                    int(m["line"]),
                    int(m["col"] or 0),
                    sev,
                    m["msg"].strip(),
                    m["flag"],
                )
            )
            continue
        t = _TOOL_DIAG.match(raw)
        if t and not raw.startswith("make"):
            found.add(
                Diagnostic(relative(t["path"], roots), 0, 0, t["sev"], t["msg"].strip(), None)
            )
    return sorted(found, key=lambda d: (d.path, d.line, d.col, d.message))


def relative(path: str, roots: tuple[Path, ...]) -> str:
    """PATH without any of ROOTS (absolute or as `../`) in front."""
    for root in roots:
        for prefix in (f"{root.resolve()}/", f"{root}/"):
            if path.startswith(prefix):
                return path[len(prefix) :]
    while path.startswith("../") or path.startswith("./"):
        path = path.split("/", 1)[1]
    return path
