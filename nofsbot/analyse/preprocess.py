"""Make kernel C palatable to tree-sitter-c while keeping every byte in place.

tree-sitter has no preprocessor. Kernel sources are full of attribute macros,
iterator macros and conditional compilation that derail it. Each rewrite here
replaces bytes by bytes of the same length (newlines stay newlines), so a byte
offset or line number in the prepared text is the same in the real file:

- preprocessor directives (with continuation lines) become spaces; both
  branches of #if/#else are kept, except code under `#if 0`, which is blanked
- attribute words (`__init`, `__must_check`) and attribute calls
  (`__releases(x)`, `__attribute__((...))`) become spaces
- constant macros taking a type (`offsetof(struct x, a[N])`) become `0`
- renamed words keep their length (`STATIC` -> `static`)
- iterator macros in statement position (`list_for_each_entry(...) {`) become
  `while` padded with spaces, so their bodies parse as loops

The regions blanked are returned with a category, so a GFP_NOFS inside a macro
body or dead code is accounted for rather than lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from nofsbot.config import Macros

# Categories of blanked regions.
DIRECTIVE = "directive"
MACRO_BODY = "macro-body"
DEFINITION = "definition"
DISABLED = "disabled"

_DIRECTIVE_RE = re.compile(rb"#(?:[^\n\\]|\\.)*", re.S)  # with line_start_matches
_DEFINE_RE = re.compile(rb"[ \t]*#[ \t]*define[ \t]+(\w+)(\()?")
_COND_RE = re.compile(rb"[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b[ \t]*(.*)", re.S)
_MACRO_CALLS_RE = re.compile(rb"\b([A-Za-z_]\w*)\s*\(")


def line_start_matches(
    pattern: re.Pattern[bytes], src: bytes
) -> Iterator[tuple[int, re.Match[bytes]]]:
    """The matches of PATTERN (which starts with `#`) that only blanks precede
    on their line, each with where its line starts: what `^[ \t]*` + PATTERN
    finds under re.M, without `re` trying that at every line of the file
    (ten times slower: it cannot skip ahead to a `#`)."""
    pos = 0
    while (m := pattern.search(src, pos)) is not None:
        line = src.rfind(b"\n", 0, m.start()) + 1
        if src[line : m.start()].strip(b" \t"):
            pos = m.start() + 1  # a `#` inside a line: not a directive
            continue
        yield line, m
        pos = max(m.end(), m.start() + 1)


@dataclass(frozen=True)
class Region:
    start: int
    end: int
    category: str
    name: str = ""  # the macro a #define defines


@dataclass(frozen=True)
class Prepared:
    text: bytes
    regions: tuple[Region, ...]
    # function-like macros: name -> identifiers called in the body
    macro_calls: dict[str, tuple[str, ...]]
    # conditional directives, in order: (start byte, kind, condition text);
    # kind is if/ifdef/ifndef/elif/else/endif, or "if0" for a `#if 0`
    # whose dead branch is blanked
    conds: tuple[tuple[int, str, str], ...] = ()


class Preprocessor:
    """Compiled rewrites for one Macros configuration (built once per worker)."""

    def __init__(self, macros: Macros) -> None:
        self.macros = macros

    @cached_property
    def _blank_words(self) -> frozenset[bytes]:
        return frozenset(w.encode() for w in self.macros.blank)

    @cached_property
    def _blank_re(self) -> re.Pattern[bytes]:
        # A long alternation of words is slow in `re`; match any `__word` (and
        # the few others literally) and look the match up in a set instead.
        others = sorted(
            (w for w in self._blank_words if not w.startswith(b"__")), key=len, reverse=True
        )
        return re.compile(rb"\b(?:__\w+" + b"".join(b"|" + re.escape(w) for w in others) + rb")\b")

    @cached_property
    def _blank_call_re(self) -> re.Pattern[bytes]:
        words = sorted(set(self.macros.blank_call), key=len, reverse=True)
        return re.compile(rb"\b(?:" + b"|".join(re.escape(w.encode()) for w in words) + rb")\s*\(")

    @cached_property
    def _zero_call_re(self) -> re.Pattern[bytes]:
        words = sorted(set(self.macros.zero_call), key=len, reverse=True)
        return re.compile(rb"\b(?:" + b"|".join(re.escape(w.encode()) for w in words) + rb")\s*\(")

    @cached_property
    def _rename_re(self) -> re.Pattern[bytes]:
        words = sorted(self.macros.rename, key=len, reverse=True)
        return re.compile(rb"\b(?:" + b"|".join(re.escape(w.encode()) for w in words) + rb")\b")

    @cached_property
    def _iter_re(self) -> re.Pattern[bytes]:
        inner = self.macros.iterator_pattern.encode()
        return re.compile(rb"\b(\w*(?:" + inner + rb")\w*)[ \t]*\(")

    def prepare(self, src: bytes) -> Prepared:
        buf = bytearray(src)
        regions: list[Region] = []
        macro_calls: dict[str, tuple[str, ...]] = {}
        conds: list[tuple[int, str, str]] = []
        self._directives(src, buf, regions, macro_calls, conds)
        words = self._blank_words
        for m in self._blank_re.finditer(buf):
            if m.group() in words:
                buf[m.start() : m.end()] = b" " * (m.end() - m.start())
        for m in self._blank_call_re.finditer(buf) if b"__" in src else ():
            end = _balanced(buf, m.end() - 1)
            if end is not None:
                _blank(buf, m.start(), end)
        if self.macros.zero_call and any(w.encode() in src for w in self.macros.zero_call):
            for m in self._zero_call_re.finditer(buf):
                end = _balanced(buf, m.end() - 1)
                if end is not None:
                    _blank(buf, m.start(), end)
                    buf[m.start()] = 0x30  # "0"
        if self.macros.rename:
            for m in self._rename_re.finditer(buf):
                new = self.macros.rename[m.group().decode()].encode()
                buf[m.start() : m.end()] = new.ljust(m.end() - m.start())
        self._iterators(buf)
        return Prepared(
            bytes(buf), tuple(sorted(regions, key=lambda r: r.start)), macro_calls, tuple(conds)
        )

    def _directives(
        self,
        src: bytes,
        buf: bytearray,
        regions: list[Region],
        macro_calls: dict[str, tuple[str, ...]],
        conds: list[tuple[int, str, str]],
    ) -> None:
        # Depth of the open #if nesting, and where a dead `#if 0` branch began.
        depth = 0
        dead_level: int | None = None
        dead_from = 0
        for start, m in line_start_matches(_DIRECTIVE_RE, src):
            end = m.end()
            text = src[start:end]
            # A comment opened on the directive line and closed later.
            opened = text.rfind(b"/*")
            if opened != -1 and text.find(b"*/", opened) == -1:
                close = src.find(b"*/", end)
                if close != -1:
                    end = close + 2
            d = _DEFINE_RE.match(text)
            if d:
                name = d.group(1).decode()
                regions.append(Region(start, end, MACRO_BODY, name))
                if d.group(2):
                    body = text[d.end() :]
                    close = body.find(b")")
                    called = _MACRO_CALLS_RE.findall(body[close + 1 :] if close >= 0 else b"")
                    if called:
                        macro_calls[name] = tuple(dict.fromkeys(c.decode() for c in called))
            else:
                regions.append(Region(start, end, DIRECTIVE))
            cond = _COND_RE.match(text)
            if cond:
                kind, arg = cond.group(1), cond.group(2).split(b"/*")[0].strip()
                shown = kind.decode()
                if kind in (b"if", b"ifdef", b"ifndef"):
                    depth += 1
                    if dead_level is None and kind == b"if" and arg == b"0":
                        dead_level, dead_from = depth, end
                    if kind == b"if" and arg in (b"0", b"1"):
                        shown = "if0"  # one branch is dead, or always taken
                elif dead_level == depth and kind in (b"else", b"elif", b"endif"):
                    regions.append(Region(dead_from, start, DISABLED))
                    _blank(buf, dead_from, start)
                    dead_level = None
                conds.append((start, shown, " ".join(arg.decode(errors="replace").split())))
                if kind == b"endif":
                    depth = max(0, depth - 1)
            _blank(buf, start, end)

    def _iterators(self, buf: bytearray) -> None:
        for m in self._iter_re.finditer(buf):
            name = m.group(1)
            if len(name) < 5 or not _statement_position(buf, m.start()):
                continue
            buf[m.start(1) : m.end(1)] = b"while".ljust(len(name))


def _blank(buf: bytearray, start: int, end: int) -> None:
    for i in range(start, min(end, len(buf))):
        if buf[i] != 0x0A:
            buf[i] = 0x20


def _balanced(buf: bytearray, open_at: int) -> int | None:
    depth = 0
    for i in range(open_at, min(len(buf), open_at + 4000)):
        c = buf[i]
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return i + 1
    return None


_WORD_BEFORE = re.compile(rb"(\w+)\s*$")


def _statement_position(buf: bytearray, at: int) -> bool:
    i = at - 1
    while i >= 0 and buf[i] in b" \t\r\n":
        i -= 1
    if i < 0:
        return False
    c = buf[i]
    if c in b";{}:":
        return True
    if c == 0x29:  # ')' closing an if/for/while head
        return True
    m = _WORD_BEFORE.search(bytes(buf[max(0, i - 10) : i + 1]))
    return bool(m and m.group(1) in (b"else", b"do"))
