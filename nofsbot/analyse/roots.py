"""Entry contexts: where each function is first entered from, and with what
scope (in, out of any scope, unknown), before they flow along calls
(flow.py): the scoped functions and ops of config/providers.toml, the
entries of config/entries.toml, work and init callbacks, exported and
outside-named functions, and functions nothing calls."""

from __future__ import annotations

from nofsbot.analyse import flow, fnptrs
from nofsbot.analyse.facts import Ref
from nofsbot.analyse.program import IN, KTHREAD, OUT, TASK, UNK, Fn, Program, RootWitness


def _root(fn: Fn, elem: str, path: str, line: int, note: str, task: str = TASK) -> None:
    fn.runs_in.add(task)
    if elem not in fn.entry:
        fn.entry.add(elem)
        fn.why[elem] = RootWitness(path, line, note)


def contexts(prog: Program) -> None:
    cfg = prog.cfg
    scoped_fns = {name: sf for sf in cfg.providers.functions for name in sf.functions}
    exported: dict[str, tuple[str, int, str]] = {}  # name -> where and how it is exported
    for f in prog.files.values():
        for e, line, how in f.exports:
            exported.setdefault(e, (f.path, line, how))
    referenced: dict[int, list[tuple[str, Ref]]] = {}
    for f in prog.files.values():
        for r in f.refs:
            for t in prog.resolve(f.path, r.name, 1):
                if prog.fns[t].name == r.function and r.role != "work":
                    continue  # a function naming itself, e.g. recursion by pointer
                referenced.setdefault(t, []).append((f.path, r))

    held_in = _tables_held(prog)
    # names macros call (xfs_alert() -> xfs_printk_index_wrap() ->
    # xfs_printk_level()): a call through nested macros is not resolved
    in_macros = {c for f in prog.files.values() for cs in f.macro_calls.values() for c in cs}
    for fn in prog.fns:
        name = fn.name
        if name in scoped_fns:
            _root(
                fn,
                IN,
                fn.path,
                fn.facts.line,
                f"{scoped_fns[name].name}: {scoped_fns[name].note}",
            )
            continue
        if name in exported and not fn.facts.static:
            path, line, how = exported[name]
            _root(fn, UNK, path, line, f"exported with {how}: callable from other modules")
        if not fn.facts.static and name in prog.roots.external:
            _root(
                fn,
                UNK,
                prog.roots.external[name],
                0,
                f"mentioned outside the analysed code, in {prog.roots.external[name]}",
            )
        # the uses in the function's own file first: where two ops tables
        # hold it (ntfs_file_open() in the file and the directory
        # file_operations), the one beside it is the one a reader expects
        uses = sorted(referenced.get(fn.id, []), key=lambda u: u[0] != fn.path)
        for path, r in uses:
            role, detail, line = r.role, r.detail, r.line
            call = detail.split("#")[0]
            if role in ("callback", "via"):
                continue  # an edge of the call graph (_callbacks, _via)
            if role == "init":
                _root(fn, OUT, path, line, f"passed to {call}(): runs with no scope")
            elif role == "ops" and _ops_root(prog, fn, path, r, held_in):
                pass
            elif role == "work" and call in cfg.roots.threads:
                own = call in cfg.roots.own_threads
                fn.thread |= own
                _root(
                    fn,
                    OUT,
                    path,
                    line,
                    f"started by {call}(): a kernel thread of its own, running with no scope"
                    if own
                    else f"handed to {call}(): a worker thread (a kernel thread) runs it, "
                    "with no scope",
                    KTHREAD,
                )
            elif role == "work":
                _root(
                    fn,
                    OUT,
                    path,
                    line,
                    f"queued by {call}(): runs later in its own context, with no scope",
                )
            elif role == "scoped-ops":
                _root(fn, IN, path, line, f"stored in {detail}, only called inside a scope")
            elif role == "ops":
                _root(
                    fn,
                    UNK,
                    path,
                    line,
                    f"stored in {detail}: called through a pointer from unknown context",
                )
            elif path != fn.path or not fnptrs.calls_back(
                prog, path, call, int(detail.partition("#")[2] or -1)
            ):
                # every use in the file defining it is recorded (refs.py)
                _root(
                    fn,
                    UNK,
                    path,
                    line,
                    f"passed to {call}(): may be called back from unknown context",
                )
        _other_tables(prog, fn, uses, held_in)
        if not fn.callers and not fn.entry:
            if fn.path.endswith(".h") and fn.facts.static and fn.id not in referenced:
                # an inline of a header this code never calls: of the kernel's
                # headers, outside code calling it is what config/entries.toml
                # says; of the subsystem's own (xfs_buf_incore() in 6.1), only
                # the subsystem includes them
                prog.uncalled.add(fn.id)
            if (
                fn.facts.static
                or fn.id in referenced
                or name in in_macros
                or name in prog._lock_ops
            ):
                note = "no caller in the analysed code"
            else:
                # global, not exported, named by no header outside the
                # subsystem and called nowhere in it: nothing runs it,
                # so it gives its callees no context
                note = "is called nowhere: not in the analysed code, not named outside it"
                prog.uncalled.add(fn.id)
            _root(fn, UNK, fn.path, fn.facts.line, note)

    # propagate along the calls that can run
    flow.contexts(prog, scoped_fns)


# a table's name, and the file it is named in -> the slots holding it
HeldIn = dict[tuple[str, str], frozenset[str]]


def _tables_held(prog: Program) -> HeldIn:
    """Where tables are themselves stored, for the slots config/entries.toml
    `within` names: `.fops = &ctl_device_fops` in a `struct miscdevice`
    initialiser, `ls->ls_device.fops = &device_fops`. Keyed by the file
    naming the table and the table's name: a table stored in another file
    than its own is not seen (two files may each have a static table of
    one name)."""
    wanted = prog.cfg.entries.within_slots()
    out: dict[tuple[str, str], set[str]] = {}
    if not wanted:
        return {}
    for f in prog.files.values():
        for r in f.refs:
            if r.role != "ops" or (sf := prog.slot_of(r)) is None:
                continue
            slot = f"{sf[0]}.{sf[1]}"
            if slot in wanted:
                out.setdefault((f.path, r.name), set()).add(slot)
    return {k: frozenset(v) for k, v in out.items()}


def _held(held_in: HeldIn, path: str, table: str) -> frozenset[str]:
    """The slots PATH stores TABLE, a table it defines, in."""
    return held_in.get((path, table), frozenset())


def _other_tables(prog: Program, fn: Fn, uses: list[tuple[str, Ref]], held_in: HeldIn) -> None:
    """Where FN's entry witness is a table's field that other tables of
    the same struct hold it in too (dlm's device_write() in device_fops and
    ctl_device_fops), the note names them all: which table a file uses
    can decide what the function does (a lockspace is made only through
    the control device)."""
    w = fn.why.get(OUT)
    if not isinstance(w, RootWitness):
        return
    ops = [(p, r, sf) for p, r in uses if r.role == "ops" and r.obj and (sf := prog.slot_of(r))]
    first = next(((r, sf) for p, r, sf in ops if (p, r.line) == (w.path, w.line)), None)
    if first is None:
        return
    r0, (st, fld) = first
    spec = prog.cfg.entries.ops_for(st, fld, _held(held_in, w.path, r0.obj))
    if spec is None:
        return
    if w.note != f"stored in {st}.{fld}: {spec.note}":
        return  # the witness is not this table's (_ops_root())
    others = [(p, r) for p, r, sf in ops if sf == (st, fld) and r.obj != r0.obj]
    if not others:
        return
    shown = [
        f"{r.obj} (line {r.line})" if p == w.path else f"{r.obj} ({p}:{r.line})"
        for p, r in others[:2]
    ]
    more = len(others) - len(shown)
    where = ", ".join(shown) + (f" and {more} more" if more else "")
    fn.why[OUT] = RootWitness(
        w.path, w.line, f"stored in {st}.{fld} of {r0.obj} here, and of {where}: {spec.note}"
    )


def _ops_root(prog: Program, fn: Fn, path: str, r: Ref, held_in: HeldIn) -> bool:
    """The entry context of a function stored in STRUCT.FIELD, if it is
    known: configured (the VFS calls ->lookup with no scope and the
    parent's i_rwsem held), or every call through the field is in the
    analysed code (a struct of the subsystem's own). False: unknown."""
    sf = prog.slot_of(r)
    if sf is None:
        return False
    st, fld = sf
    spec = prog.cfg.entries.ops_for(st, fld, _held(held_in, path, r.obj))
    if spec is not None:
        if spec.outside:
            note = f"stored in {st}.{fld}: {spec.note}"
            _root(fn, OUT, path, r.line, note)
            held = prog.entry_holds.setdefault(fn.id, {})
            for cls in spec.holds:
                held.setdefault(cls, RootWitness(path, r.line, note))
        return True
    home = prog.struct_home.get(st, "")
    # a struct defined in the subsystem: nothing outside calls through it
    return (st, fld) in prog.indirect and bool(home) and not home.startswith("include/")


def kernel_threads(prog: Program) -> frozenset[int]:
    """The functions that only ever run in a kernel thread: reached by
    calls only from the functions that config/roots.toml [threads] starts
    (work items, kthreads). Such a task (PF_KTHREAD) is never throttled in
    throttle_direct_reclaim() to wait for kswapd, and direct reclaim never
    writes a page back: a lock only kswapd's ->writepage takes cannot
    close a cycle with it."""
    seen = {fn.id for fn in prog.fns if fn.runs_in - {KTHREAD}}
    work = list(seen)
    while work:
        for targets in prog.fns[work.pop()].callees:
            for t in targets:
                if t not in seen:
                    seen.add(t)
                    work.append(t)
    return frozenset(fn.id for fn in prog.fns if fn.id not in seen)
