"""bench/upstream.py: matching a site across two trees and reading upstream's outcome."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import upstream  # noqa: E402
import upstream_index  # noqa: E402
from upstream_match import align, family, match  # noqa: E402
from upstream_outcome import Outcome, Site, mask_kind  # noqa: E402

pytest.importorskip("tree_sitter_c")

OLD = """\
struct ops { int (*run)(int); };

static void *fs_alloc_a(int n)
{
\treturn kmem_zalloc(n, KM_NOFS);
}

static void *fs_alloc_b(int n)
{
\tvoid *p = kmalloc(8, GFP_KERNEL);
\tvoid *q = kmem_alloc(n, KM_NOFS);
\treturn q;
}

static void *fs_keep(int n)
{
\treturn kmalloc(n, GFP_NOFS);
}

static void *fs_gone(int n)
{
\treturn kmalloc(n, GFP_NOFS);
}

static void *fs_pushed(int n)
{
\treturn kmalloc(n, GFP_NOFS);
}

static void fs_push_work(struct work_struct *w)
{
\tfs_pushed(1);
}

static void *fs_shared(int n)
{
\treturn kmalloc(n, GFP_NOFS);
}

static void fs_one(void)
{
\tfs_shared(1);
}

static void fs_two(void)
{
\tfs_shared(2);
}

static int fs_recover(int n)
{
\treturn kmalloc(n, GFP_NOFS) != NULL;
}

static const struct ops fs_ops = { .run = fs_recover };

static int fs_run_all(struct ops *o)
{
\treturn o->run(1);
}

static void fs_finish(struct ops *o)
{
\tfs_run_all(o);
}

static void fs_init(struct q *qi)
{
\tINIT_RADIX_TREE(&qi->tree, GFP_NOFS);
}

static int fs_insert(struct q *qi, int id, void *p)
{
\treturn radix_tree_insert(&qi->tree, id, p);
}

static int fs_old_name(struct thing *t, int n)
{
\tint a = t->first + n;
\tint b = t->second * n;
\tt->buf = kmalloc(a + b, GFP_NOFS);
\treturn t->buf ? 0 : -ENOMEM;
}

static void fs_mask(int n)
{
\tgfp_t gfp = GFP_NOFS;
\tvoid *p = kmalloc(n, gfp);
}

static void *fs_two_allocs(int n)
{
\tvoid *a = kmem_cache_alloc(cache_a, GFP_NOFS);
\tvoid *b = kmem_cache_alloc(cache_b, GFP_NOFS);
\treturn b;
}

static void fs_mark(struct tree *t, int start, int end)
{
\told_api_set(t, start, end, GFP_NOFS);
}

static void *fs_ticket(int n)
{
\treturn kmalloc(n, GFP_NOFS);
}

static void *fs_ticket_get(int n)
{
\treturn fs_ticket(n);
}

static void fs_ticket_work(struct work_struct *w)
{
\tfs_ticket_get(1);
}

static void fs_ticket_mount(void)
{
\tfs_ticket_get(2);
}
"""

NEW = """\
struct ops { int (*run)(int); };

static void *fs_alloc_a(int n)
{
\treturn kzalloc(n, GFP_KERNEL | __GFP_NOFAIL);
}

static void *fs_alloc_b(int n)
{
\tvoid *p = kmalloc(8, GFP_KERNEL);

\tvoid *q = kmalloc(n, GFP_KERNEL | __GFP_NOLOCKDEP);
\treturn q;
}

static void *fs_keep(int n)
{
\treturn kmalloc(n, GFP_NOFS);
}

static void *fs_pushed(int n)
{
\treturn kmalloc(n, GFP_KERNEL);
}

static void fs_push_work(struct work_struct *w)
{
\tunsigned int flags = memalloc_nofs_save();

\tfs_pushed(1);
\tmemalloc_nofs_restore(flags);
}

static void *fs_shared(int n)
{
\treturn kmalloc(n, GFP_KERNEL);
}

static void fs_one(void)
{
\tfs_shared(1);
}

static void fs_two(void)
{
\tfs_shared(2);
}

static void fs_helper_caller(void)
{
\tfs_two();
}

static int fs_recover(int n)
{
\treturn kmalloc(n, GFP_KERNEL) != NULL;
}

static const struct ops fs_ops = { .run = fs_recover };

static int fs_run_all(struct ops *o)
{
\treturn o->run(1);
}

static void fs_finish(struct ops *o)
{
\tunsigned int flags = memalloc_nofs_save();

\tfs_run_all(o);
\tmemalloc_nofs_restore(flags);
}

static void fs_init(struct q *qi)
{
\tINIT_RADIX_TREE(&qi->tree, GFP_KERNEL);
}

static int fs_insert(struct q *qi, int id, void *p)
{
\tunsigned int flags = memalloc_nofs_save();
\tint error = radix_tree_insert(&qi->tree, id, p);

\tmemalloc_nofs_restore(flags);
\treturn error;
}

static int fs_new_name(struct thing *t, int n)
{
\tint a = t->first + n;
\tint b = t->second * n;
\tt->buf = kmalloc(a + b, GFP_KERNEL);
\treturn t->buf ? 0 : -ENOMEM;
}

static void fs_mask(int n)
{
\tgfp_t gfp = GFP_KERNEL | __GFP_NOLOCKDEP;
\tvoid *p = kmalloc(n, gfp);
}

static void fs_alloc_pair(void **a, void **b)
{
\t*a = kmem_cache_alloc(cache_a, GFP_KERNEL);
\t*b = kmem_cache_alloc(cache_b, GFP_NOFS);
}

static void *fs_two_allocs(int n)
{
\tvoid *a, *b;

\tfs_alloc_pair(&a, &b);
\treturn b;
}

static int new_api_set(struct tree *t, int start, int end, int bits)
{
\tstruct state *s = kmalloc(sizeof(*s), GFP_NOFS);

\treturn s ? 0 : -ENOMEM;
}

static void fs_mark(struct tree *t, int start, int end)
{
\tnew_api_set(t, start, end, BIT_DIRTY);
}

static void *fs_ticket(int n)
{
\treturn kmalloc(n, GFP_KERNEL);
}

static void *fs_ticket_get(int n)
{
\treturn fs_ticket(n);
}

static void fs_ticket_work(struct work_struct *w)
{
\tunsigned int flags = memalloc_nofs_save();

\tfs_ticket_get(1);
\tmemalloc_nofs_restore(flags);
}

static void fs_ticket_mount(void)
{
\tfs_ticket_get(2);
}
"""

PATH = "fs/demo/demo.c"


def _index(tmp: Path, name: str, text: str) -> upstream_index.Index:
    root = tmp / name
    (root / "fs" / "demo").mkdir(parents=True)
    (root / PATH).write_text(text)
    return upstream_index.build(root, "fs", 1, cache=False)


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> tuple[upstream_index.Index, ...]:
    tmp = tmp_path_factory.mktemp("upstream")
    return _index(tmp, "old", OLD), _index(tmp, "new", NEW)


def _site(function: str, token: str, *, kind: str = "alloc-arg", klass: str = "keep") -> Site:
    lines = OLD.splitlines()
    start = next(i for i, t in enumerate(lines) if t.startswith("static") and f"{function}(" in t)
    line = next(i for i in range(start, len(lines)) if token in lines[i]) + 1
    text = lines[line - 1]
    callee = None
    names = ("kmem_zalloc", "kmem_alloc", "kmalloc", "INIT_RADIX_TREE", "kmem_cache_alloc")
    for name in (*names, "old_api_set"):
        if f"{name}(" in text:
            callee = name
            break
    variable = "gfp" if kind == "mask-var" else None
    index = text.split("(", 1)[1].count(",") if callee else None
    return Site(
        PATH,
        line,
        function,
        kind,
        None if variable else callee,
        variable,
        token,
        klass,
        ("kmalloc",) if variable else (),
        None if variable else index,
    )


def _match(trees: tuple[upstream_index.Index, ...], site: Site) -> Outcome:
    old, new = trees
    return match(site, old, new)


def test_kmem_to_gfp_kernel(trees: tuple[upstream_index.Index, ...]) -> None:
    got = _match(trees, _site("fs_alloc_a", "KM_NOFS"))
    assert got.outcome == "kernel"
    assert got.line == 5


def test_order_and_moved_lines_find_the_nolockdep_call(
    trees: tuple[upstream_index.Index, ...],
) -> None:
    got = _match(trees, _site("fs_alloc_b", "KM_NOFS"))
    assert (got.outcome, got.line) == ("nolockdep", 12)


def test_nofs_kept_and_function_removed(trees: tuple[upstream_index.Index, ...]) -> None:
    assert _match(trees, _site("fs_keep", "GFP_NOFS")).outcome == "kept"
    assert _match(trees, _site("fs_gone", "GFP_NOFS")).outcome == "removed"


def test_new_scope_in_the_work_function_that_calls_it(
    trees: tuple[upstream_index.Index, ...],
) -> None:
    got = _match(trees, _site("fs_pushed", "GFP_NOFS"))
    assert got.outcome == "scope"
    assert "fs_push_work" in got.how


def test_new_scope_in_the_work_function_that_calls_its_helper(
    trees: tuple[upstream_index.Index, ...],
) -> None:
    # fs_ticket_work gained a scope around fs_ticket_get(), which calls
    # fs_ticket(); the mount path through the same helper has none
    got = _match(trees, _site("fs_ticket", "GFP_NOFS"))
    assert got.outcome == "scope"
    assert "before fs_ticket_work() calls fs_ticket_get()" in got.how


def test_callers_without_a_new_scope_leave_it_plain_gfp_kernel(
    trees: tuple[upstream_index.Index, ...],
) -> None:
    # fs_shared's callers gained no scope (fs_helper_caller is new, but opens none)
    assert _match(trees, _site("fs_shared", "GFP_NOFS")).outcome == "kernel"


def test_scope_reached_through_an_ops_field(trees: tuple[upstream_index.Index, ...]) -> None:
    got = _match(trees, _site("fs_recover", "GFP_NOFS"))
    assert got.outcome == "scope"
    assert "fs_finish" in got.how


def test_stored_mask_covered_where_the_tree_is_inserted(
    trees: tuple[upstream_index.Index, ...],
) -> None:
    got = _match(trees, _site("fs_init", "GFP_NOFS", kind="stored"))
    assert got.outcome == "scope"
    assert "fs_insert" in got.how


def test_renamed_function(trees: tuple[upstream_index.Index, ...]) -> None:
    got = _match(trees, _site("fs_old_name", "GFP_NOFS"))
    assert (got.outcome, got.function) == ("kernel", "fs_new_name")


def test_mask_variable_followed_to_its_use(trees: tuple[upstream_index.Index, ...]) -> None:
    got = _match(trees, _site("fs_mask", "GFP_NOFS", kind="mask-var"))
    assert got.outcome == "nolockdep"


def test_allocations_moved_into_a_new_helper(trees: tuple[upstream_index.Index, ...]) -> None:
    lines = OLD.splitlines()
    first = next(i for i, t in enumerate(lines) if "cache_a" in t) + 1
    a = replace(_site("fs_two_allocs", "GFP_NOFS"), line=first)
    b = replace(_site("fs_two_allocs", "GFP_NOFS"), line=first + 1)
    assert (_match(trees, a).outcome, _match(trees, b).outcome) == ("kernel", "kept")
    assert _match(trees, a).function == "fs_alloc_pair"


def test_api_gone_from_the_tree_read_inside_its_replacement(
    trees: tuple[upstream_index.Index, ...],
) -> None:
    got = _match(trees, _site("fs_mark", "GFP_NOFS", kind="call-arg"))
    assert got.outcome == "kept"
    assert "new_api_set" in got.how


def test_align_keeps_order_and_prefers_similar_text() -> None:
    assert align(["a, 1", "b, 2"], ["x", "a, 1", "b, 2"]) == {0: 1, 1: 2}
    assert align(["n", "m"], ["m"]) == {1: 0}
    assert align([], ["a"]) == {}


def test_families_and_masks() -> None:
    assert "kzalloc" in family("kmem_zalloc")
    assert "kmalloc" in family("kmem_alloc")
    assert "kvfree" not in family("kmem_alloc")
    assert mask_kind("GFP_NOFS | __GFP_NOFAIL") == "kept"
    assert mask_kind("gfp & ~__GFP_FS") == "kept"
    assert mask_kind("GFP_KERNEL | __GFP_NOLOCKDEP") == "nolockdep"
    assert mask_kind("GFP_KERNEL | __GFP_NOFAIL") == "kernel"
    assert mask_kind("GFP_NOIO") == "other"


def test_figures_list_converted_but_kept_and_dangerous() -> None:
    def row(klass: str, outcome: str) -> upstream.Row:
        s = Site("fs/x/a.c", 1, "f", "alloc-arg", "kmalloc", None, "GFP_NOFS", klass)
        return upstream.Row(s, "fs/x", Outcome(outcome, "how"))

    rows = [
        row("redundant", "kernel"),
        row("keep", "kernel"),
        row("redundant", "kept"),
        row("mixed", "scope"),
        row("needs-scope", "scope"),
        row("keep", "nolockdep"),
    ]
    fig = upstream.figures(rows)
    assert fig["recall"]["kernel"] == {"hit": 1, "of": 2, "share": 0.5}  # type: ignore[index]
    assert fig["recall"]["converted"]["hit"] == 3  # type: ignore[index]
    assert fig["recall"]["same class"]["hit"] == 2  # type: ignore[index]
    assert [e["class"] for e in fig["converted_but_kept"]] == ["redundant"]  # type: ignore[union-attr]
    assert [e["class"] for e in fig["dangerous"]] == ["mixed"]  # type: ignore[union-attr]
    assert upstream.subsystem("fs/xfs/libxfs/a.c") == "fs/xfs"
    assert upstream.subsystem("fs/buffer.c") == "fs"


def test_main_prints_the_tables_and_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    monkeypatch.setenv("NOFSBOT_CACHE", str(tmp_path / "cache"))
    for name, text in (("old", OLD), ("new", NEW)):
        (tmp_path / name / "fs" / "demo").mkdir(parents=True)
        (tmp_path / name / PATH).write_text(text)
    redundant = _site("fs_pushed", "GFP_NOFS", klass="redundant")
    kept = _site("fs_keep", "GFP_NOFS", klass="needs-scope")
    sites = [{**s.__dict__, "class": s.klass, "uses": list(s.uses)} for s in (redundant, kept)]
    scan = tmp_path / "scan.json"
    scan.write_text(json.dumps({"sites": sites}))
    argv = ["--tree", str(tmp_path / "old"), "--new-tree", str(tmp_path / "new")]
    argv += ["--scan", str(scan), "-j", "1"]

    assert upstream.main(argv) == 0
    out = capsys.readouterr().out
    assert f"{PATH}:{redundant.line} fs_pushed redundant -> scope" in out  # dangerous
    assert f"{PATH}:{kept.line} fs_keep needs-scope -> kept" in out

    assert upstream.main([*argv, "--json", "--subsys", "fs/demo"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["all"]["outcomes"]["scope"] == 1
    assert [e["function"] for e in doc["all"]["dangerous"]] == ["fs_pushed"]
    assert [e["function"] for e in doc["all"]["converted_but_kept"]] == ["fs_keep"]

    with pytest.raises(SystemExit, match="no site in fs/none"):
        upstream.main([*argv, "--subsys", "fs/none"])
    scan.write_text(json.dumps({"sites": [{"path": "fs/demo/demo.c"}]}))
    with pytest.raises(SystemExit, match="site 0 of the scan JSON is malformed"):
        upstream.main(argv)
