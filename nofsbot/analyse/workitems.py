"""Work items and workqueues, classed like locks.

A work item or workqueue is named by the struct type and field it lives in
(`&ctx->push_work` is xfs_cil_ctx.push_work, resolved through the types
of struct fields), or by a global's name (`system_wq`). A class whose
struct type is not known (`?.i_work`) may be any object with that field;
one known only by its type (`work_struct.?`, a work parameter) is none in
particular and matches nothing. `&dwork->work` of a delayed or RCU work
is that work itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nofsbot.analyse import syntax
from nofsbot.analyse.locks import resolve_class

if TYPE_CHECKING:
    from tree_sitter import Node

    from nofsbot.analyse.program import Fn, Program


def normal(cls: str, structs: dict[str, dict[str, str]]) -> str:
    """CLS resolved through struct field types; "" when it names no object."""
    parts = cls.split(".")
    if len(parts) >= 3 and parts[-1] in ("work", "rcu"):
        parts = parts[:-1]
    if not cls or parts[-1] == "?":
        return ""
    return resolve_class(".".join(parts), structs)


def same(a: str, b: str) -> bool:
    """Two classes may be one object: equal, or one of unknown struct type
    with the other's field."""
    if a == b:
        return True
    fa, fb = a.rsplit(".", 1)[-1], b.rsplit(".", 1)[-1]
    return fa == fb and fa != "?" and (a.startswith("?.") or b.startswith("?."))


def matching(keys: Iterable[str], cls: str) -> list[str]:
    """The keys that may be the object CLS, sorted."""
    return sorted(k for k in keys if cls and same(k, cls))


def queued_work(prog: Program) -> dict[str, list[Fn]]:
    """Work functions by the work item they are set up on
    (INIT_WORK(&ctx->push_work, fn) -> xfs_cil_ctx.push_work)."""
    workers: dict[str, list[Fn]] = {}
    for f in prog.files.values():
        for r in f.refs:
            cls = normal(r.target, prog.structs) if r.role == "work" else ""
            if cls:
                workers.setdefault(cls, []).extend(
                    prog.fns[t] for t in prog.resolve(f.path, r.name, 1)
                )
    return workers


@dataclass(frozen=True)
class Queued:
    """A call that queues work on a workqueue."""

    fn: Fn
    call: int
    queue: str  # the workqueue's class


def work_queues(prog: Program) -> dict[str, list[Queued]]:
    """Work item -> where it is queued, and on which workqueue
    (queue_work(cil->xc_push_wq, &ctx->push_work))."""
    queues: dict[str, list[Queued]] = {}
    for fn in prog.fns:
        for ci, wq, work in fn.facts.queues:
            w, q = normal(work, prog.structs), normal(wq, prog.structs)
            if w and q:
                queues.setdefault(w, []).append(Queued(fn, ci, q))
    return queues


def waited(work: str, queues: dict[str, list[Queued]]) -> list[str]:
    """The objects a wait for WORK may be made on: the work item, and each
    workqueue it is queued on (flush_workqueue() waits for all its work)."""
    out = [work]
    for k in matching(queues, work):
        out += sorted({q.queue for q in queues[k]} - set(out))
    return out


@dataclass(frozen=True)
class Made:
    """A call that allocates a workqueue."""

    fn: Fn
    call: int
    rescued: int  # 1: WQ_MEM_RECLAIM, 0: not, -1: flags not known


def workqueues(prog: Program) -> dict[str, list[Made]]:
    """Workqueue class -> the calls that allocate it."""
    out: dict[str, list[Made]] = {}
    for fn in prog.fns:
        for ci, wq, rescued in fn.facts.workqueues:
            q = normal(wq, prog.structs)
            if q:
                out.setdefault(q, []).append(Made(fn, ci, rescued))
    return out


_WQ_CONSTANTS = re.compile(r"[\sA-Z0-9_|()]*")


def rescuer(call: Node, flags_at: int, rescuing: tuple[str, ...]) -> int:
    """Whether the work of the workqueue CALL allocates runs without a new
    worker: 1 when its flags name one of RESCUING (WQ_MEM_RECLAIM), 0 when
    they are only other WQ_* constants, -1 when they are something else (a
    variable, a macro of the caller's)."""
    flags = syntax.nth_arg(call, flags_at)
    text = syntax.fold(flags.text) if flags is not None else ""
    words = re.findall(r"[A-Za-z_]\w*", text)
    if any(w in rescuing for w in words):
        return 1
    if _WQ_CONSTANTS.fullmatch(text) and all(w.lstrip("_").startswith("WQ_") for w in words):
        return 0
    return -1
