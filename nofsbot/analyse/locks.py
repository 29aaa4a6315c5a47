"""Lock operations in a function, with lock classes named the way lockdep does.

A lock class is the struct type and field of the lock (`xfs_inode.i_lock`
for `xfs_ilock(ip, XFS_ILOCK_EXCL)` or `mutex_lock(&ip->i_lock)` with
`struct xfs_inode *ip`), or a global's name (`dquot_srcu`). A chain through
several structs (`&ip->i_mount->m_growlock`) is kept as `xfs_inode.i_mount.
m_growlock` here and resolved with the struct field types of all files by
`resolve_class` (xfs_mount.m_growlock). What cannot be typed starts with `?`.
"""

from __future__ import annotations

import re

import tree_sitter_c
from tree_sitter import Language, Node, Query, QueryCursor

from nofsbot.config_reclaim import LockWrapper, Reclaim

ACQUIRE, TRYLOCK, RELEASE = "acquire", "trylock", "release"
PAGE_LOCK = "<page lock>"
# a folio this task set under writeback (config/reclaim.toml [page_locks])
WRITEBACK = "<folio writeback>"
# a class standing for the locks a call returns holding: "=callee"
RETURNED = "="

_CHAIN_RE = re.compile(r"(->|\.)\s*([A-Za-z_]\w*)")
_SUBSCRIPT = re.compile(r"\[[^\[\]]*\]")
_INODE_OF = ("VFS_I", "d_inode", "file_inode", "d_backing_inode", "igrab")

_DECLS = """
(parameter_declaration type: [(struct_specifier name: (type_identifier) @t) (type_identifier) @t]
  declarator: [(identifier) @v (pointer_declarator declarator: (identifier) @v)])
(declaration type: [(struct_specifier name: (type_identifier) @t) (type_identifier) @t]
  declarator: [(identifier) @v
               (pointer_declarator declarator: (identifier) @v)
               (array_declarator declarator: (identifier) @v)
               (init_declarator declarator: (identifier) @v)
               (init_declarator declarator: (pointer_declarator declarator: (identifier) @v))])
"""

_FIELDS = """
(struct_specifier name: (type_identifier) @s
  body: (field_declaration_list
    (field_declaration type: [(struct_specifier name: (type_identifier) @t) (type_identifier) @t]
      declarator: [(field_identifier) @f (pointer_declarator declarator: (field_identifier) @f)])))
(struct_specifier name: (type_identifier) @d body: (field_declaration_list))
"""


class LockReader:
    """Per worker: compiled queries and the configured lock functions."""

    def __init__(self, reclaim: Reclaim) -> None:
        lang = Language(tree_sitter_c.language())
        self.decls = Query(lang, _DECLS)
        self.fields = Query(lang, _FIELDS)
        self.cfg = reclaim
        self.wrappers = {w.name: (ACQUIRE, w) for w in reclaim.wrappers}
        self.wrappers.update({w.trylock: (TRYLOCK, w) for w in reclaim.wrappers})
        self.wrappers.update({w.release: (RELEASE, w) for w in reclaim.wrappers})
        # handoffs by their join, and the calls that release what was joined
        self.joins = {h.join: h for h in reclaim.handoffs}
        self.releases_joined: dict[str, tuple[str, ...]] = {}
        for h in reclaim.handoffs:
            for r in h.release:
                self.releases_joined[r] = (*self.releases_joined.get(r, ()), h.join)

    def op(self, name: str) -> str | None:
        c = self.cfg
        if name in c.acquire or name in c.page_acquire or name in c.writeback_start:
            return ACQUIRE
        if name in c.trylock or name in c.page_trylock:
            return TRYLOCK
        if name in c.release or name in c.page_release or name in c.writeback_end:
            return RELEASE
        if name in self.wrappers:
            return self.wrappers[name][0]
        return None

    def struct_fields(self, root: Node) -> dict[str, dict[str, str]]:
        """struct name -> field -> type name, for the structs defined in a file
        (every one of them, also those with no struct-typed field)."""
        out: dict[str, dict[str, str]] = {}
        for _, caps in QueryCursor(self.fields).matches(root):
            s, t, f, d = caps.get("s"), caps.get("t"), caps.get("f"), caps.get("d")
            if s and t and f:
                out.setdefault(_text(s[0]), {})[_text(f[0])] = _text(t[0])
            elif d:  # every struct defined here, also one of function pointers only
                out.setdefault(_text(d[0]), {})
        return out

    def var_types(self, fnode: Node) -> dict[str, str]:
        out: dict[str, str] = {}
        for _, caps in QueryCursor(self.decls).matches(fnode):
            t, v = caps.get("t"), caps.get("v")
            if t and v:
                out.setdefault(_text(v[0]), _text(t[0]))
        return out

    def handed(self, name: str, call: Node, body: str) -> tuple[str, ...]:
        """The lock classes a handoff call NAME (xfs_trans_ijoin(tp, ip,
        XFS_ILOCK_EXCL)) gives away: none for flags 0; the one class of a
        handoff that names it (xfs_trans_dqjoin(tp, dqp))."""
        h = self.joins[name]
        if h.lock:
            return (h.lock,)
        args = call.child_by_field_name("arguments")
        argv = [a for a in args.named_children if a.type != "comment"] if args else []
        flags = _text(argv[h.arg]) if len(argv) > h.arg else ""
        return self._decode(self.wrappers[h.wrapper][1], flags, body)

    def classes(
        self, name: str, call: Node, types: dict[str, str], body: str = ""
    ) -> tuple[str, ...]:
        """The lock classes a lock call NAME operates on. BODY is the text of
        the function, where a flags variable gets its values."""
        c = self.cfg
        args = call.child_by_field_name("arguments")
        argv = [a for a in args.named_children if a.type != "comment"] if args else []
        if name in c.page_acquire or name in c.page_trylock or name in c.page_release:
            return (PAGE_LOCK,)
        if name in c.writeback_start or name in c.writeback_end:
            return (WRITEBACK,)
        if name in self.wrappers:
            w = self.wrappers[name][1]
            return self._decode(w, _text(argv[w.arg]) if len(argv) > w.arg else "", body)
        if not argv:
            return ()
        # lockdep: a nonzero subclass (`inode_lock_nested(ea_inode,
        # I_MUTEX_XATTR)`, `down_write_nested(.., SINGLE_DEPTH_NESTING)`) is
        # a class of its own
        sub = _text(argv[1]).strip() if name.endswith("_nested") and len(argv) > 1 else "0"
        suffix = "" if sub in ("0", "") else f"/{sub}"
        if name in c.inode_field:
            base = argv[0]
            if base.type == "call_expression" and _callee(base) in _INODE_OF:
                return (f"inode.{c.inode_field[name]}{suffix}",)
            return (self.chain(base, types, c.inode_field[name]) + suffix,)
        return (self.chain(argv[0], types, "") + suffix,)

    def _decode(self, w: LockWrapper, flags: str, body: str) -> tuple[str, ...]:
        out: list[str] = []
        for text in _values(flags, body):
            if text.startswith(RETURNED):
                out.append(text)  # the locks that call returns holding
                continue
            got = [cls for token, cls in sorted(w.classes.items()) if token in text]
            # lockdep subclasses (XFS_ILOCK_RTBITMAP) are classes of their own
            for token, sub in sorted(w.subclasses.items()):
                plain = sub.partition("/")[0]
                if token in text and plain in got:
                    got[got.index(plain)] = sub
            out += got
        return tuple(dict.fromkeys(out))

    def chain(self, expr: Node, types: dict[str, str], extra: str = "") -> str:
        text = " ".join(_text(expr).split()).lstrip("&").strip()
        text = text.removeprefix("(").removesuffix(")")
        m = re.match(r"[A-Za-z_]\w*", text)
        if not m:
            return "?"
        base = m.group(0)
        # `handlers[i].fn`: an element of an array has the array's type
        fields = [f for _, f in _CHAIN_RE.findall(_SUBSCRIPT.sub("", text[m.end() :]))]
        if extra:
            fields += extra.split(".")
        if not fields:
            return base if base not in types else f"{types[base]}.?"
        return ".".join([types.get(base, "?"), *fields])


def _values(flags: str, body: str) -> list[str]:
    """The texts a flags argument can have: itself, or, for a local variable,
    what it is initialised and assigned to in BODY (`lock_mode =
    xfs_ilock_data_map_shared(ip)` is `=xfs_ilock_data_map_shared`)."""
    if not re.fullmatch(r"[a-z_]\w*", flags) or not body:
        return [flags]
    out = []
    for m in re.finditer(rf"(?<![\w.>]){flags}\s*(\|)?=(?!=)\s*([^;]+);", body):
        value = " ".join(m.group(2).split())
        call = re.fullmatch(r"(\w+)\s*\(.*\)", value)
        out.append(RETURNED + call.group(1) if call else value)
    return out or [flags]


def resolve_class(cls: str, structs: dict[str, dict[str, str]]) -> str:
    """xfs_inode.i_mount.m_growlock -> xfs_mount.m_growlock, using struct field types."""
    parts = cls.split(".")
    while len(parts) > 2:
        nxt = structs.get(parts[0], {}).get(parts[1])
        if nxt is None:
            break
        parts = [nxt, *parts[2:]]
    return ".".join(parts)


def _text(n: Node) -> str:
    return (n.text or b"").decode(errors="replace")


def _callee(call: Node) -> str:
    fn = call.child_by_field_name("function")
    return _text(fn) if fn is not None else ""
