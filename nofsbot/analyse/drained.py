"""Operations whose removal a reclaim path waits for.

debugfs_create_file() hands the file's operations to a proxy that counts
the calls running on the file, and debugfs_remove() waits until that count
drains (config/roots.toml [drained]). A task inside such an operation that
enters FS reclaim may meet a reclaim path that removes the file: gfs2's
eviction withdraws on an I/O error, unmounts its DLM lockspace, and
dlm_release_lockspace() removes the lockspace's debugfs files. Reclaim then
waits for the operation, which waits for reclaim. Like work reclaim waits
for (waits.py), such an operation needs a scope from its top.

The file a removal removes is matched to the file a registration made by
where the registration keeps the dentry and where the removal reads it,
classed like locks (`ls->ls_debug_rsb_dentry`: dlm_ls.ls_debug_rsb_dentry).
An operation of a file a reclaim path may remove, but not one matched so
(a directory removed with its files, a dentry not kept), keeps NOFS.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from nofsbot.analyse import reclaim, reclaimpath, via, waits, workitems
from nofsbot.analyse.facts import Ref
from nofsbot.analyse.held import Node
from nofsbot.analyse.locks import resolve_class
from nofsbot.analyse.program import Program
from nofsbot.model import Evidence


@dataclass(frozen=True)
class Registered:
    obj: str  # the ops object (`format1_fops`)
    kept: str  # where the dentry is kept, classed ("" if not)
    # the registration, and the operations that hand this function on
    steps: tuple[Evidence, ...] = ()
    # the call that handed it on to run within an operation (seq_open()),
    # if it was: that operation is code outside, which a scope here does
    # not cover
    within: str = ""


def reclaim_drained(prog: Program, m: reclaim.Model) -> dict[int, waits.Waited]:
    """Function -> the operation a reclaim path may wait to drain that it
    runs in, outside a scope."""
    removals = _reclaim_removals(prog, m)
    if not removals:
        return {}
    out: dict[int, waits.Waited] = {}
    for fid, reg in sorted(operations(prog).items()):
        hit = next((r for r in removals if reg.kept and workitems.same(r[2], reg.kept)), None)
        node, ci, cls = hit or removals[0]
        call = prog.fns[node[0]].facts.calls[ci][0]
        note = f"reclaim calls {call}(), which waits for the operations running on {cls}"
        path = reclaimpath.path_to(prog, m, node, ci, note)
        through = ""
        if reg.within:
            through = (
                f"it runs within an operation {reg.within}() sets up, which code outside "
                "the analysed tree carries out and may allocate in itself: a scope here "
                "would not cover that operation"
            )
        elif hit is None:
            where = f"it keeps the file in {reg.kept}" if reg.kept else "it does not keep the file"
            through = (
                f"that a removal reclaim reaches removes the file of {reg.obj} is not "
                f"shown ({where})"
            )
        found = (path + list(reg.steps), len(path) - 2, through)
        waits.mark(prog, prog.fns[fid], found, out, (reg.obj, call))
    return out


def operations(prog: Program) -> dict[int, Registered]:
    """The functions of ops objects registered for a removal that waits
    ([drained] register), and those an operation hands on to run within
    it ([drained] within): function -> the registration."""
    objects = via.ops_objects(prog)
    out: dict[int, Registered] = {}
    # function -> (path, the name it hands on, the ref) of [drained] within
    handed: dict[str, list[tuple[str, Ref]]] = {}
    todo: deque[int] = deque()
    for f in prog.files.values():
        for r in f.refs:
            if r.role == "drained":
                kept = resolve_class(r.obj, prog.structs) if r.obj else ""
                call = r.detail.partition("#")[0]
                where = f", and keeps its dentry in {kept}" if kept else ""
                note = f"{call}() makes a file whose operations are {r.name}{where}"
                step = Evidence(f.path, r.line, r.function or "", note)
                reg = Registered(r.name, kept, (step,))
                for _st, _fld, fid in objects.get(r.name, ()):
                    if fid not in out or (reg.kept and not out[fid].kept):
                        out[fid] = reg
                        todo.append(fid)
            elif r.role == "within" and r.function:
                handed.setdefault(r.function, []).append((f.path, r))
    while todo:
        fid = todo.popleft()
        fn = prog.fns[fid]
        for path, r in handed.get(fn.name, ()):
            if path != fn.path:
                continue
            inner = [t for _st, _fld, t in objects.get(r.name, ())]
            inner += list(prog.resolve(path, r.name, 1))
            call = r.detail.partition("#")[0]
            note = f"hands {r.name} to {call}(), which runs it within this operation"
            step = Evidence(path, r.line, fn.name, note)
            for t in inner:
                if t not in out:
                    reg = out[fid]
                    out[t] = Registered(reg.obj, reg.kept, (*reg.steps, step), call)
                    todo.append(t)
    return out


def _reclaim_removals(prog: Program, m: reclaim.Model) -> list[tuple[Node, int, str]]:
    """The calls reclaim paths make to a removal that waits for running
    operations ([drained] remove), nearest first, each with the class of
    what it removes."""
    remove = set(prog.cfg.roots.drained.remove)
    out: list[tuple[Node, int, str]] = []
    seen: set[tuple[int, int]] = set()
    for node, ci, cls in waits.reclaim_sleeps(prog, m):
        if (node[0], ci) not in seen and prog.fns[node[0]].facts.calls[ci][0] in remove:
            seen.add((node[0], ci))
            out.append((node, ci, resolve_class(cls, prog.structs)))
    return out
