"""Object instances: a lock reclaim takes only on the object it frees is
never the one a task holding a reference holds (instance.c), unless some
reclaim path takes it on another object (instance_list.c)."""

from __future__ import annotations

from nofsbot.model import Class
from nofsbot.plan import classify
from tests.analyse.test_evidence import line_of, site


def test_lock_taken_only_on_the_evicted_inode(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    a = fixture_tree("scan/instance.c")
    p = site(a, line_of("instance.c", "GFP_NOFS);"))
    assert p.reclaim.instance == ("fx_inode.lock",) and p.reclaim.shared == ()
    f = classify(p)
    assert f.klass is Class.UNNEEDED
    # lockdep names both locks by one class: the conversion says so
    assert f.suggestion == "GFP_KERNEL | __GFP_NOLOCKDEP"
    notes = {(e.line, e.note) for e in f.evidence}
    # both sides: where this task takes it, and where reclaim does, from
    # ->evict_inode
    assert (
        line_of("instance.c", "mutex_lock(&fi->lock);", 2),
        "takes fx_inode.lock on an object it holds",
    ) in notes
    assert any("only on the object its entry point frees" in n for _, n in notes)
    assert any("fx_evict_inode" in e.function for e in f.evidence)


def test_lock_also_taken_on_a_listed_inode(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    a = fixture_tree("scan/instance_list.c")
    p = site(a, line_of("instance_list.c", "GFP_NOFS);"))
    assert p.reclaim.instance == () and p.reclaim.shared == ("fx_inode.lock",)
    assert classify(p).klass is Class.NEEDS_SCOPE
