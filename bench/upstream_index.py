"""The functions of a kernel tree's C files, as bench/upstream.py compares them.

Each function definition is reduced to what matching an allocation across
kernel versions needs: its calls in source order (callee and the folded text
of every argument), its assignments and initialised declarations (variable
and right-hand side); its lines are read from the tree when needed. Files
are parsed with tree-sitter-c after nofsbot's macro preprocessing
(nofsbot/analyse/preprocess.py, config/macros.toml, used read-only), so
function names agree with the ones `nofsbot scan` reports.

An index of a whole path (default fs/) is cached under the nofsbot cache
directory, keyed by the tree's git commit and the code that builds it: a
tree extracted by `nofsbot kernel` never changes. One entry is kept per tree
and path.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
_WS = re.compile(r"\s+")
_IDENT = re.compile(r"[A-Za-z_]\w*")
_DEFINE = re.compile(rb"^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]+((?:[^\n]*\\\n)*[^\n]*)", re.M)
_QUERY = """
(function_definition) @func
(call_expression) @call
(assignment_expression) @assign
(init_declarator) @init
(initializer_pair) @pair
"""


@dataclass(frozen=True)
class Call:
    callee: str
    line: int  # 1-based, where the call starts
    end_line: int
    args: tuple[str, ...]  # each argument's text, whitespace folded
    member: bool = False  # through a struct field: ops->callee(..)


@dataclass(frozen=True)
class Assign:
    variable: str  # the last identifier of the left-hand side: &a->b.gfp -> gfp
    op: str  # "=", "|=", "&=", ...
    line: int
    end_line: int
    value: str  # the right-hand side, whitespace folded


@dataclass(frozen=True)
class Func:
    name: str
    path: str
    line: int
    end_line: int
    params: tuple[str, ...]
    calls: tuple[Call, ...]  # in source order
    assigns: tuple[Assign, ...]  # in source order


@dataclass(frozen=True)
class Parsed:
    """What one file defines."""

    path: str
    funcs: list[Func]
    macros: dict[str, str]  # object-like macros: name -> value
    fields: list[tuple[str, str]]  # (function, field): `.field = function`, `x->field = function`


def fold(text: bytes | str | None) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return _WS.sub(" ", text or "").strip()


def last_name(text: str) -> str:
    names = _IDENT.findall(text)
    return names[-1] if names else ""


class Parser:
    """tree-sitter-c with nofsbot's macro preprocessing; one per process."""

    def __init__(self) -> None:
        import tree_sitter_c
        from tree_sitter import Language, Query
        from tree_sitter import Parser as TSParser

        if str(REPO) not in sys.path:
            sys.path.insert(0, str(REPO))
        from nofsbot import config
        from nofsbot.analyse.preprocess import Preprocessor

        lang = Language(tree_sitter_c.language())
        self._parser = TSParser(lang)
        self._query = Query(lang, _QUERY)
        self._pp = Preprocessor(config.load(REPO / "config").macros)

    def parse(self, path: str, src: bytes) -> Parsed:
        from tree_sitter import QueryCursor

        text = self._pp.prepare(src).text
        root = self._parser.parse(text).root_node
        caps = QueryCursor(self._query).captures(root)
        defs = sorted(caps.get("func", []), key=lambda n: n.start_byte)
        outer: list[Any] = []
        for d in defs:  # error recovery can nest definitions: keep the outermost
            if outer and d.start_byte < outer[-1].end_byte:
                continue
            outer.append(d)
        by_func: list[tuple[list[Call], list[Assign]]] = [([], []) for _ in outer]
        starts = [d.start_byte for d in outer]

        def owner(offset: int) -> int | None:
            lo, hi = 0, len(starts)
            while lo < hi:
                mid = (lo + hi) // 2
                if starts[mid] <= offset:
                    lo = mid + 1
                else:
                    hi = mid
            i = lo - 1
            return i if i >= 0 and offset < outer[i].end_byte else None

        for node in caps.get("call", []):
            i = owner(node.start_byte)
            fn = node.child_by_field_name("function")
            args = node.child_by_field_name("arguments")
            if i is None or fn is None or args is None:
                continue
            by_func[i][0].append(
                Call(
                    last_name(fold(fn.text)),
                    node.start_point[0] + 1,
                    node.end_point[0] + 1,
                    tuple(fold(a.text) for a in args.named_children if a.type != "comment"),
                    fn.type == "field_expression",
                )
            )
        fields: list[tuple[str, str]] = []
        for node in caps.get("pair", []):
            value = node.child_by_field_name("value")
            names = [fold(c.text) for c in node.named_children if c.type == "field_designator"]
            if value is not None and names and _IDENT.fullmatch(fold(value.text)):
                fields.append((fold(value.text), last_name(names[-1])))
        for node in caps.get("assign", []) + caps.get("init", []):
            i = owner(node.start_byte)
            left = node.child_by_field_name("left") or node.child_by_field_name("declarator")
            right = node.child_by_field_name("right") or node.child_by_field_name("value")
            if i is None or left is None or right is None:
                continue
            op = node.child_by_field_name("operator")
            if _IDENT.fullmatch(fold(right.text)) and node.type == "assignment_expression":
                fields.append((fold(right.text), last_name(fold(left.text))))
            by_func[i][1].append(
                Assign(
                    last_name(fold(left.text)),
                    fold(op.text) if op is not None else "=",
                    node.start_point[0] + 1,
                    node.end_point[0] + 1,
                    fold(right.text),
                )
            )
        out = []
        for d, (calls, assigns) in zip(outer, by_func, strict=True):
            name, params = _name(d)
            if not name:
                continue
            first, last = d.start_point[0] + 1, d.end_point[0] + 1
            out.append(
                Func(
                    name,
                    path,
                    first,
                    last,
                    params,
                    tuple(sorted(calls, key=lambda c: (c.line, c.end_line))),
                    tuple(sorted(assigns, key=lambda a: (a.line, a.end_line))),
                )
            )
        return Parsed(path, out, defines(src), sorted(set(fields)))


def _name(node: Any) -> tuple[str, tuple[str, ...]]:
    """The name and the parameter names of a function definition."""
    d = node.child_by_field_name("declarator")
    while d is not None and d.type != "function_declarator":
        d = d.child_by_field_name("declarator")
    if d is None:
        return "", ()
    inner = d.child_by_field_name("declarator")
    while inner is not None and inner.type not in ("identifier", "field_identifier"):
        inner = inner.child_by_field_name("declarator")
    plist = d.child_by_field_name("parameters")
    params = tuple(
        last_name(fold((p.child_by_field_name("declarator") or p).text))
        for p in (plist.named_children if plist is not None else [])
        if p.type == "parameter_declaration" and p.child_by_field_name("declarator") is not None
    )
    return (fold(inner.text) if inner is not None else ""), params


# -- a whole path, in worker processes, cached ----------------------------------

_WORKER: list[Parser] = []


def _init() -> None:
    _WORKER[:] = [Parser()]


def defines(src: bytes) -> dict[str, str]:
    """The object-like macros SRC defines: name -> value (whitespace folded)."""
    out: dict[str, str] = {}
    for m in _DEFINE.finditer(src):
        out.setdefault(m.group(1).decode(), fold(m.group(2).replace(b"\\\n", b" ")))
    return out


def _parse(job: tuple[str, list[str]]) -> list[Parsed]:
    tree, paths = job
    return [_WORKER[0].parse(p, (Path(tree) / p).read_bytes()) for p in paths]


class Index:
    """Every function defined under a path of a tree, by name."""

    def __init__(self, files: list[Parsed], root: Path) -> None:
        self.root = root
        self._text: dict[str, list[str]] = {}
        self.macros: dict[str, str] = {}
        self.by_name: dict[str, list[Func]] = {}
        self.fields: dict[str, set[str]] = {}  # function -> fields it is stored in
        self.callers: dict[str, list[tuple[Func, Call]]] = {}
        self.member_calls: dict[str, list[tuple[Func, Call]]] = {}  # field -> calls through it
        for p in files:
            for k, v in sorted(p.macros.items()):
                self.macros.setdefault(k, v)
            for fn, field in p.fields:
                self.fields.setdefault(fn, set()).add(field)
            for f in p.funcs:
                self.by_name.setdefault(f.name, []).append(f)
                for c in f.calls:
                    into = self.member_calls if c.member else self.callers
                    into.setdefault(c.callee, []).append((f, c))

    def lines(self, f: Func) -> tuple[str, ...]:
        """F's source lines, whitespace folded."""
        if f.path not in self._text:
            raw = (self.root / f.path).read_bytes().decode(errors="replace")
            self._text[f.path] = raw.split("\n")
        return tuple(fold(x) for x in self._text[f.path][f.line - 1 : f.end_line])

    def callers_of(self, f: Func) -> list[tuple[Func, Call]]:
        """Direct calls of F, and calls in F's subsystem through a field F is stored in."""
        out = list(self.callers.get(f.name, []))
        sub = "/".join(f.path.split("/")[:2]) + "/"
        for field in sorted(self.fields.get(f.name, ())):
            out += [(g, c) for g, c in self.member_calls.get(field, []) if g.path.startswith(sub)]
        return out

    def lookup(self, name: str, path: str, line: int | None = None) -> Func | None:
        """The definition of NAME: in PATH (the one spanning LINE, if any), else in
        the file with the same name, else in the same directory, else the only one."""
        cands = self.by_name.get(name, [])
        here = [f for f in cands if f.path == path]
        if line is not None:
            spans = [f for f in here if f.line <= line <= f.end_line]
            if spans:
                return spans[0]
        if here:
            return here[0]
        base = os.path.basename(path)
        for pick in (
            [f for f in cands if os.path.basename(f.path) == base],
            [f for f in cands if os.path.dirname(f.path) == os.path.dirname(path)],
            [f for f in cands if f.path.split("/")[:2] == path.split("/")[:2]],
            cands,
        ):
            if len(pick) >= 1 and len({f.path for f in pick}) == 1:
                return pick[0]
        return None


def _git(tree: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", *args], cwd=tree, capture_output=True, text=True, timeout=300, check=False
    )
    return out.stdout


def _files(tree: Path, path: str) -> list[str]:
    listed = _git(tree, "ls-files", "--", f"{path}/*.c", f"{path}/*.h").split()
    if not listed:  # not a git tree
        listed = [
            p.relative_to(tree).as_posix()
            for p in sorted((tree / path).rglob("*"))
            if p.suffix in (".c", ".h") and p.is_file()
        ]
    return sorted(listed)


def _entry(tree: Path, path: str) -> tuple[str, str]:
    """The cache entry's name for PATH of TREE: which tree and path, and a digest of
    its commit and of the code that builds the index."""
    where = hashlib.blake2b(f"{tree.resolve()}\0{path}".encode(), digest_size=8).hexdigest()
    h = hashlib.blake2b(digest_size=16)
    head = _git(tree, "rev-parse", "HEAD").strip()
    h.update(f"{head}\0".encode())
    if not head:
        h.update(str(sorted((p, (tree / p).stat().st_mtime) for p in _files(tree, path))).encode())
    for dep in (
        Path(__file__),
        REPO / "nofsbot" / "analyse" / "preprocess.py",
        REPO / "config" / "macros.toml",
    ):
        h.update(dep.read_bytes())
    return where, h.hexdigest()


def cache_dir() -> Path:
    env = os.environ.get("NOFSBOT_CACHE")
    if env:
        return Path(env) / "upstream"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nofsbot" / "upstream"


def build(tree: Path, path: str, jobs: int, *, cache: bool = True) -> Index:
    """The index of every .c and .h file under PATH of TREE (cached if CACHE)."""
    where, digest = _entry(tree, path)
    entry = cache_dir() / f"{where}-{digest}.pickle"
    if cache and entry.is_file():
        with entry.open("rb") as f:
            return Index(pickle.load(f), tree)
    files = _files(tree, path)
    shares = max(1, jobs * 8)
    work = [(str(tree), files[i::shares]) for i in range(shares)]
    if jobs <= 1:
        _init()
        done = [_parse(w) for w in work]
    else:
        with Pool(jobs, initializer=_init) as pool:
            done = pool.map(_parse, work, chunksize=1)
    parsed = sorted((p for part in done for p in part), key=lambda p: p.path)
    if cache:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(parsed, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, entry)
        for stale in entry.parent.glob(f"{where}-*.pickle"):
            if stale != entry:
                stale.unlink(missing_ok=True)
    return Index(parsed, tree)
