"""The rewrite stage's commit message drafts: every claim true to the code it
describes, evidence that lists what it counts."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from nofsbot import edits, plan
from nofsbot.cli import main
from nofsbot.model import Boundary, Class, Context, Evidence, Finding, Kind, Site
from nofsbot.rewrite import messages
from tests.conftest import committed, git
from tests.publish.test_series import check_golden

PATH = "fs/xfs/x.c"
SITE2 = Site(PATH, 30, 20, "op", Kind.ALLOC_ARG, "GFP_NOFS", "GFP_NOFS", "kmalloc", 1)


def finding(
    klass: Class, token: str, callee: str, expression: str, evidence: tuple[Evidence, ...] = ()
) -> Finding:
    kind = Kind.KMEM_ARG if token == "KM_NOFS" else Kind.ALLOC_ARG
    site = Site(PATH, 10, 20, "op", kind, token, expression, callee, 1)
    return Finding(site, Context.ALWAYS, klass, "", evidence)


def ev(function: str, line: int, note: str) -> Evidence:
    return Evidence(PATH, line, function, note)


def test_every_call_site_it_counts_is_shown() -> None:
    chain = (
        ev("op", 3, "every one of its 5 call sites is inside a scope"),
        ev("a", 20, "calls op() inside a scope"),
        ev("a", 18, "xfs_trans_alloc() opens a NOFS scope (XFS transaction)"),
        ev("a", 24, "calls op() inside a scope"),
        ev("a", 18, "xfs_trans_alloc() opens a NOFS scope (XFS transaction)"),
        ev("b", 40, "calls op() inside a scope"),
        ev("b", 44, "calls op() inside a scope"),
        ev("b", 48, "calls op() inside a scope"),
    )
    text = messages.steps(chain, chain)
    assert text.splitlines() == [
        "  op(): every one of its 5 call sites is inside a scope",
        "  a(): calls op() inside a scope (2 call sites)",
        "  a(): xfs_trans_alloc() opens a NOFS scope (XFS transaction)",
        "  b(): calls op() inside a scope (3 call sites)",
    ]


def test_call_sites_the_analysis_did_not_list_are_counted() -> None:
    chain = (
        ev("op", 3, "every one of its 4 call sites is inside a scope"),
        ev("a", 20, "calls op() inside a scope"),
        ev("a", 24, "calls op() inside a scope"),
        ev("a", 18, "xfs_trans_alloc() opens a NOFS scope (XFS transaction)"),
        ev("wrap", 30, "every one of its 9 call sites is inside a scope"),
        ev("b", 40, "calls wrap() inside a scope"),
        ev("wrap", 30, "... and 8 more call sites, all inside a scope"),
    )
    assert messages.steps(chain).splitlines() == [
        "  op(): every one of its 4 call sites is inside a scope",
        "  a(): calls op() inside a scope (2 call sites)",
        "  op(): 2 more call sites, not listed here",
        "  a(): xfs_trans_alloc() opens a NOFS scope (XFS transaction)",
        "  wrap(): every one of its 9 call sites is inside a scope",
        "  b(): calls wrap() inside a scope",
        "  wrap(): ... and 8 more call sites, all inside a scope",
    ]


def test_a_no_op_mask_carries_no_evidence_about_callers() -> None:
    f = finding(
        Class.NOOP_MASK, "GFP_NOFS", "kmalloc", "GFP_KERNEL | GFP_NOFS",
        (ev("caller", 5, "calls op() inside a scope"),),
    )  # fmt: skip
    subject, body = messages.message(PATH, [f])
    assert subject == "xfs: drop the no-op GFP_NOFS in op()"
    assert "caller" not in body and "scope" not in body


def test_a_mask_the_callee_never_reads_says_so() -> None:
    site = Site(PATH, 10, 20, "op", Kind.CALL_ARG, "GFP_NOFS", "GFP_NOFS", "my_release", 1)
    reason = "the mask has no effect: my_release() (fs/xfs/x.c:3) never reads its gfp argument"
    f = Finding(site, Context.NEVER, Class.NOOP_MASK, reason, ())
    subject, body = messages.message(PATH, [f])
    assert subject == "xfs: drop the no-op GFP_NOFS in op()"
    assert "my_release() never reads the gfp argument it is given" in body
    assert "GFP_KERNEL | GFP_NOFS" not in body


@pytest.mark.parametrize(
    ("klass", "subject"),
    [
        (Class.REDUNDANT, "xfs: use kzalloc() for kmem_zalloc() in op(), in a NOFS scope"),
        (Class.UNNEEDED, "xfs: use kzalloc() for kmem_zalloc() in op()"),
        (Class.MIXED, "xfs: use kzalloc() with __GFP_NOLOCKDEP for kmem_zalloc() in op()"),
    ],
)
def test_kmem_subjects_name_the_new_call(klass: Class, subject: str) -> None:
    got, body = messages.message(PATH, [finding(klass, "KM_NOFS", "kmem_zalloc", "KM_NOFS")])
    assert got == subject
    text = " ".join(body.split())
    # 6.1: kmem_flags_convert() gives GFP_KERNEL | __GFP_NOWARN without __GFP_FS;
    # never failing comes from kmem_alloc()'s loop, not from the flags
    assert "turns KM_NOFS into GFP_KERNEL | __GFP_NOWARN without __GFP_FS" in text
    assert "kmem_alloc() retries until kmalloc() succeeds" in text
    assert "__GFP_NOWARN, which kmem_flags_convert() adds" in text
    assert "flags kmem_flags_convert() gives" not in text


def test_kmem_mayfail_keeps_the_allocation_silent() -> None:
    # a KM_MAYFAIL caller handles the failure: kmem_flags_convert()'s
    # __GFP_NOWARN stays, as upstream's scrub flags keep it (6.12
    # XCHK_GFP_FLAGS); only a __GFP_NOFAIL allocation drops it
    f = finding(Class.REDUNDANT, "KM_NOFS", "kmem_alloc", "KM_NOFS | KM_MAYFAIL")
    _, body = messages.message(PATH, [f])
    text = " ".join(body.split())
    assert "the same flags, __GFP_NOWARN included" in text
    assert "is not kept" not in text
    assert "__GFP_NOFAIL" not in text
    want = "kmalloc(.., GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL)"
    assert plan.suggest_kmem(f.site) == want


@pytest.mark.spatch
def test_kmem_message_golden(tmp_path: Path, spatch: str) -> None:
    """The draft for XFS 6.1's kmem_*() calls, as rewrite commits it."""
    cases = Path(__file__).parent / "cases" / "nofs_flags"
    tree = committed(tmp_path / "linux", {PATH: (cases / "kmem.before.c").read_text()})
    wt = tmp_path / "wt"
    assert main(["rewrite", "--no-publish", "--tree", str(tree), "fs/xfs", "--branch", "k",
                 "--worktree", str(wt)]) == 0  # fmt: skip
    check_golden("kmem-message.txt", git(tree, "log", "-1", "--format=%B", "k"))
    assert git(tree, "show", f"k:{PATH}") == (cases / "kmem.after.c").read_text()


def test_a_stored_mask_is_described_by_its_later_uses() -> None:
    # INIT_RADIX_TREE(&qi->qi_uquota_tree, GFP_NOFS) allocates nothing itself:
    # radix_tree_insert() under qi_tree_lock does, with the stored mask
    site = Site(PATH, 10, 20, "init", Kind.STORED, "GFP_NOFS", "GFP_NOFS", "INIT_RADIX_TREE", 1)
    use = ev("insert", 799, "radix_tree_insert() uses the stored mask inside a scope")
    f = Finding(site, Context.NEVER, Class.REDUNDANT, "", (use,))
    _, body = messages.message(PATH, [f])
    assert body.startswith("init() stores GFP_NOFS for allocations made later.")
    assert "Every path to" not in body and "insert(): radix_tree_insert() uses" in body
    b = Boundary(PATH, "insert", 798, "cache.lock", (802,))
    _, body = messages.scope_message(b, [f])
    assert "under it, with the mask init() stored for later allocations." in body.replace("\n", " ")


@pytest.mark.parametrize(
    "queued, thread, kind, what",
    [
        ("started by kthread_run()", True, "a kernel thread", "the thread"),
        ("queued by INIT_WORK()", False, "work", "the work"),
    ],
)
def test_a_worker_scope_shows_the_wait_and_what_ends_it(
    queued: str, thread: bool, kind: str, what: str
) -> None:
    # o2dlm's recovery thread: eviction waits in dlm_wait_for_recovery() for
    # dlm_end_recovery(), which the thread calls; the path to the site itself
    # is the flag commit's to show
    chain = (
        ev("remaster", 545, "calls op() outside any scope"),
        ev("thread", 183, f"{queued}: runs later in its own context, with no scope"),
        ev("wait_recovery", 397, "reclaim sleeps in wait_event() on ctxt.event"),
        ev("evict", 1268, "calls wait_recovery()"),
        ev("evict", 135, "superblock shrinker: reclaim calls it"),
        ev("end_recovery", 416, "wakes ctxt.event"),
        ev("thread", 287, "calls end_recovery()"),
        ev("thread", 277, "runs as work: it starts with no scope"),
    )
    f = finding(Class.NEEDS_SCOPE, "GFP_NOFS", "kzalloc", "GFP_NOFS", chain)
    b = Boundary(PATH, "thread", 277, "work reclaim waits for", (302,), top=True, thread=thread)
    subject, body = messages.scope_message(b, [f])
    assert subject == "xfs: run thread() in a NOFS scope"
    flat = body.replace("\n", " ")
    assert flat.startswith(f"thread() runs as {kind}, and memory reclaim waits for it")
    wait, wake = body.split(f"and {what} ends that wait:")
    assert "wait_recovery(): reclaim sleeps" in wait and "remaster()" not in wait
    assert "end_recovery(): wakes ctxt.event" in wake and "thread(): calls end_recovery()" in wake
    assert f"could end up waiting for {what} itself" in flat


def test_an_instance_disjoint_unneeded_site_says_nolockdep_and_why() -> None:
    # udf_symlink() holds the new inode's i_data_sem; eviction takes the
    # freed inode's: never the same object, one lockdep class
    plain = finding(Class.UNNEEDED, "GFP_NOFS", "kmalloc", "GFP_NOFS")
    plain = dataclasses.replace(plain, suggestion="GFP_KERNEL")
    inst = dataclasses.replace(plain, suggestion="GFP_KERNEL | __GFP_NOLOCKDEP")
    assert inst.nolockdep and not plain.nolockdep
    subject, body = messages.message(PATH, [inst])
    assert subject == "xfs: use __GFP_NOLOCKDEP instead of GFP_NOFS in op()"
    flat = body.replace("\n", " ")
    assert "only on the object it is freeing" in flat and "no lock that" not in flat
    assert messages.message(PATH, [plain])[0] == "xfs: use GFP_KERNEL in op()"
    rows = json.loads(edits.sites_json([plain, dataclasses.replace(inst, site=SITE2)]))
    assert [r["class"] for r in rows] == ["unneeded", "mixed"]
