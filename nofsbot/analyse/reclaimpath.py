"""The reclaim side of the evidence: how reclaim gets to a take of a lock
class, from the take up through the callers to the entry point, choosing
the cheapest path (reach.cost()) and the take on an object made like the
holder's (fresh.made_by())."""

from __future__ import annotations

from nofsbot.analyse import evidence, fresh
from nofsbot.analyse.held import Node
from nofsbot.analyse.locks import ACQUIRE
from nofsbot.analyse.pointees import DEREF
from nofsbot.analyse.program import Fn, Program
from nofsbot.analyse.reach import Reach, cost
from nofsbot.analyse.reclaim import LINKED, Model, field_of
from nofsbot.analyse.records import FIELD
from nofsbot.model import Evidence


def reclaim_path(
    prog: Program,
    m: Model,
    cls: str,
    *,
    ungated: bool = False,
    made: tuple[str, tuple[str, ...]] | None = None,
    direct: bool = False,
) -> list[Evidence]:
    """How reclaim gets to the place that takes CLS: entry point, callers,
    lock. MADE (fresh.made_by()): the holder's lock is on an object a call
    with these constant arguments gave it, `ocfs2_get_system_file_inode(osb,
    GLOBAL_BITMAP_SYSTEM_INODE, ..)`; the cheapest take on an object made
    by the same call is shown where there is one (lockdep keys ocfs2's
    system inodes apart by that argument). DIRECT: the holder runs in a
    kernel thread, which kswapd never throttles; a path direct reclaim
    takes is shown where there is one."""
    got = shown_take(prog, m, cls, ungated, made, direct)
    if got is None:
        return []
    node, ci, reach = got
    return path_to(prog, m, node, ci, f"reclaim takes {cls} here", reach)


def shown_take(
    prog: Program,
    m: Model,
    cls: str,
    ungated: bool,
    made: tuple[str, tuple[str, ...]] | None,
    direct: bool,
) -> tuple[Node, int, Reach] | None:
    """The take of CLS reclaim_path() shows, and the reach it is on."""
    shared, reach = (m.shared_ungated, m.reach_ungated) if ungated else (m.shared, m.reach)
    if direct and not ungated and cls in m.shared_direct:
        shared, reach = m.shared_direct, m.reach_direct
    if cls not in shared:
        return None
    node, ci = shared[cls]
    if made is not None:
        node, ci = _take_on_alike(prog, m, reach, cls, made) or (node, ci)
    return node, ci, reach


def _take_on_alike(
    prog: Program, m: Model, reach: Reach, cls: str, made: tuple[str, tuple[str, ...]]
) -> tuple[Node, int] | None:
    """The cheapest take of CLS reclaim reaches on an object made by the
    call MADE describes."""
    best: tuple[int, Node, int] | None = None
    for node in reach.parent:
        fn = prog.fns[node[0]]
        for ci, op, c in m.classes.get(node[0], ()):
            if c != cls or op != ACQUIRE or fresh.made_by(fn, ci) != made:
                continue
            if fn.step(ci, node[1]) is None:
                continue
            far = cost(reach, m.rare, node, ci)
            if best is None or far < best[0]:
                best = (far, node, ci)
    return (best[1], best[2]) if best is not None else None


def unknown_path(prog: Program, m: Model, cls: str) -> list[Evidence]:
    """How reclaim gets to a lock of the same field as CLS, one side of
    them of unknown struct type."""
    f = field_of(cls)
    for known, (node, ci) in sorted(m.shared.items()) if cls.startswith("?") else ():
        if field_of(known) == f:
            return path_to(prog, m, node, ci, f"reclaim takes {known} here")
    if f in m.unknown_taken:
        node, ci = m.unknown_taken[f]
        return path_to(
            prog,
            m,
            node,
            ci,
            f"reclaim takes ?.{f} here (a lock of that field, struct type not known)",
        )
    return []


def path_to(
    prog: Program, m: Model, node: Node, ci: int, note: str, reach: Reach | None = None
) -> list[Evidence]:
    """Call CI of NODE (saying NOTE), then the callers up to the reclaim
    entry point that reaches it."""
    reach = reach or m.reach
    fn = prog.fns[node[0]]
    out = [Evidence(fn.path, fn.facts.calls[ci][1], fn.name, note + _only_where(prog, fn, ci))]
    cur = node
    for _ in range(16):
        entry, up = reach.parent[cur]
        if up is None:
            e = next(x for x in m.entries if x.fn == entry)
            if e.spec.gated == "kswapd":
                gate = "kswapd only: a task's __GFP_FS allocation may wait for it"
            elif e.gated:
                gate = "gated: stops when __GFP_FS is clear"
            else:
                gate = "not gated: runs even when __GFP_FS is clear"
            if e.spec.name == LINKED:
                note = f"{e.spec.note} ({gate})"
            elif e.spec.gated == "kswapd":
                note = f"{e.spec.name}: {e.spec.note}"
            else:
                note = f"{e.spec.name}: reclaim calls it ({gate})"
            where = e.at or prog.fns[entry].name
            if e.registrar:
                # the line is the walker's call, in the function making it
                note = (
                    f"hands {where}() to {e.walker}() as its {e.spec.name}: "
                    f"reclaim calls it ({gate})"
                )
                where = e.registrar
            out.append(Evidence(e.path, e.line, where, note))
            break
        node, call = up
        p = prog.fns[node[0]]
        line = p.facts.calls[call][1]
        # the function reached, also where the call names another: a
        # callback (block_write_full_page(.., udf_get_block, ..)); through
        # a function pointer parameter, both
        name = prog.fns[cur[0]].name
        target = evidence.called(p, call, name) if call in p.param_call else f"{name}()"
        called = f"calls {target}{_only_where(prog, p, call)}"
        out.append(Evidence(p.path, line, p.name, called))
        cur = node
    return out


def _only_where(prog: Program, fn: Fn, ci: int) -> str:
    """What call CI of FN needs of a carried field of its object
    (config/reclaim.toml [context]): eviction deletes an inode only where
    its i_nlink is 0, which reclaim meets only for an unlinked inode whose
    last reference a stacked filesystem drops; the note says how."""
    carried = prog.cfg.reclaim.carried
    needs = sorted(
        {
            f"{want[1:]} is {'0' if op == 'falsy' else 'not 0'}"
            for idx, op, want in fn.guarded(ci)
            if FIELD <= idx < DEREF and want[1:] in carried and op in ("truthy", "falsy")
        }
    )
    if fn.facts.calls[ci][0] in prog.cfg.reclaim.evicting:
        return (
            " (only in an unlinked inode's eviction: the inode shrinker evicts an inode"
            f" only once its mapping is empty, and {_UNLINKED_IN_RECLAIM})"
        )
    if not needs:
        return ""
    how = f": {_UNLINKED_IN_RECLAIM}" if "i_nlink is 0" in needs else ""
    return f" (only where {' and '.join(needs)}{how})"


# how reclaim meets an unlinked inode: the shrinker drops only unused
# dentries that stay hashed and inodes with links, but a stacked
# filesystem's dentry holds a lower dentry, which an unlink beneath it
# leaves unhashed (ecryptfs_d_release() -> path_put())
_UNLINKED_IN_RECLAIM = (
    "reclaim meets one where the dentry shrinker of a filesystem stacked on"
    " this one, such as ecryptfs, drops the last reference to a file unlinked"
    " beneath it"
)
