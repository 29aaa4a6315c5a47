"""Each finding kind on a small series, and a twin series that stays clean.

Every case edits one fixture of tests/data/review in a commit of its own and
reviews the revision range; the lines a finding must be on carry a
`/* review: KIND */` marker in the edited text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nofsbot import config
from nofsbot.review import ReviewOptions, review
from tests.conftest import DATA, committed, git

MARK = re.compile(r"/\* review: ([a-z -]+) \*/")
FIXTURES = DATA / "review"

# the critical section of sc_section() in scopes.c
SECTION = (
    "\tmutex_lock(&f->lock);\n"
    "\tf->a = kmalloc(8, GFP_KERNEL);\n"
    "\tf->b = kmalloc(8, GFP_KERNEL);\n"
    "\tif (err)\n"
    "\t\tgoto out;\n"
    "\tf->c = kmalloc(8, GFP_KERNEL);\n"
    "out:\n"
    "\tmutex_unlock(&f->lock);\n"
)


def scoped_section(error_path: str) -> str:
    """SECTION inside a NOFS scope, with ERROR_PATH after the second allocation."""
    return (
        "\tunsigned int nofs;\n\n"
        "\tmutex_lock(&f->lock);\n"
        "\tnofs = memalloc_nofs_save();\n"
        "\tf->a = kmalloc(8, GFP_KERNEL);\n"
        "\tf->b = kmalloc(8, GFP_KERNEL);\n"
        f"{error_path}"
        "\tf->c = kmalloc(8, GFP_KERNEL);\n"
        "out:\n"
        "\tmemalloc_nofs_restore(nofs);\n"
        "\tmutex_unlock(&f->lock);\n"
    )


# name: (fixture, text to replace, replacement)
CASES: dict[str, tuple[str, str, str]] = {
    "redundant-nofs": (
        "classes.c",
        "\tf->a = kmalloc(8, GFP_KERNEL);\n",
        "\tf->a = kmalloc(8, GFP_NOFS);\t/* review: redundant-nofs */\n",
    ),
    "redundant-nofs twin: GFP_KERNEL inside the handle": (
        "classes.c",
        "\tf->a = kmalloc(8, GFP_KERNEL);\n",
        "\tf->a = kmalloc(16, GFP_KERNEL);\n",
    ),
    "mixed-nofs": (
        "classes.c",
        "\tf->buf = kmalloc(8, GFP_KERNEL);\n",
        "\tf->buf = kmalloc(8, GFP_NOFS);\t/* review: mixed-nofs */\n",
    ),
    "unneeded-nofs": (
        "classes.c",
        "\tf->b = kmalloc(8, GFP_KERNEL);\n",
        "\tf->b = kmalloc(8, GFP_NOFS);\t/* review: unneeded-nofs */\n",
    ),
    "noop-mask": (
        "classes.c",
        "\tf->b = kmalloc(8, GFP_KERNEL);\n",
        "\tf->b = kmalloc(8, GFP_KERNEL | GFP_NOFS);\t/* review: noop-mask */\n",
    ),
    "single-allocation-scope": (
        "scopes.c",
        "\tf->a = kmalloc(8, GFP_KERNEL);\n\treturn 0;\n",
        "\tunsigned int nofs = memalloc_nofs_save();\t/* review: single-allocation-scope */\n"
        "\tf->a = kmalloc(8, GFP_KERNEL);\n"
        "\tmemalloc_nofs_restore(nofs);\n"
        "\treturn 0;\n",
    ),
    "single-allocation-scope twin: a scope over the critical section": (
        "scopes.c",
        SECTION,
        scoped_section("\tif (err)\n\t\tgoto out;\n"),
    ),
    "unbalanced-scope": (
        "scopes.c",
        SECTION,
        scoped_section(
            "\tif (err) {\n"
            "\t\tmutex_unlock(&f->lock);\n"
            "\t\treturn err;\t/* review: unbalanced-scope */\n"
            "\t}\n"
        ),
    ),
    "unbalanced-scope: a restore without its save": (
        "scopes.c",
        SECTION,
        "\tunsigned int nofs;\n\n"
        "\tmutex_lock(&f->lock);\n"
        "\tif (err)\n"
        "\t\tnofs = memalloc_nofs_save();\n"
        "\tf->a = kmalloc(8, GFP_KERNEL);\n"
        "\tf->b = kmalloc(8, GFP_KERNEL);\n"
        "\tf->c = kmalloc(8, GFP_KERNEL);\n"
        "\tmemalloc_nofs_restore(nofs);\t/* review: unbalanced-scope */\n"
        "\tmutex_unlock(&f->lock);\n",
    ),
    "fs-alloc-under-shared-lock": (
        "locks.c",
        "\tc->a = kmalloc(8, GFP_NOFS);\n\tc->b = kmalloc(8, GFP_NOFS);\n",
        "\tc->a = kmalloc(8, GFP_KERNEL);\t/* review: fs-alloc-under-shared-lock */\n"
        "\tc->b = kmalloc(8, GFP_KERNEL);\t/* review: fs-alloc-under-shared-lock */\n",
    ),
    "fs-alloc-under-shared-lock twin: a scope over the section": (
        "locks.c",
        "\tmutex_lock(&c->lock);\n"
        "\tc->a = kmalloc(8, GFP_NOFS);\n\tc->b = kmalloc(8, GFP_NOFS);\n"
        "\tmutex_unlock(&c->lock);\n",
        "\tunsigned int nofs;\n\n"
        "\tmutex_lock(&c->lock);\n\tnofs = memalloc_nofs_save();\n"
        "\tc->a = kmalloc(8, GFP_KERNEL);\n\tc->b = kmalloc(8, GFP_KERNEL);\n"
        "\tmemalloc_nofs_restore(nofs);\n\tmutex_unlock(&c->lock);\n",
    ),
    "fs-reclaim-under-lock": (
        "locks.c",
        "\tc->x = kmalloc(8, GFP_KERNEL);\n",
        "\tmutex_lock(&c->big);\n"
        "\tc->x = kmalloc(8, GFP_KERNEL);\t/* review: fs-reclaim-under-lock */\n"
        "\tmutex_unlock(&c->big);\n",
    ),
    "fs-reclaim-under-lock twin: allocate before the lock": (
        "locks.c",
        "\tc->x = kmalloc(8, GFP_KERNEL);\n",
        "\tc->x = kmalloc(8, GFP_KERNEL);\n\tmutex_lock(&c->big);\n\tmutex_unlock(&c->big);\n",
    ),
    "alloc-under-folio-lock": (
        "locks.c",
        "\tc->x = kmalloc(8, GFP_KERNEL);\n",
        "\tfolio_lock(c->folio);\n"
        "\tc->x = kmalloc(8, GFP_NOFS);\t/* review: alloc-under-folio-lock unneeded-nofs */\n"
        "\tfolio_unlock(c->folio);\n",
    ),
    "alloc-under-folio-lock twin: GFP_KERNEL before the folio lock": (
        "locks.c",
        "\tc->x = kmalloc(8, GFP_KERNEL);\n",
        "\tc->x = kmalloc(8, GFP_KERNEL);\n\tfolio_lock(c->folio);\n\tfolio_unlock(c->folio);\n",
    ),
    "stored-gfp-under-lock": (
        "locks.c",
        "\tc->x = kmalloc(8, GFP_KERNEL);\n",
        "\tc->x = kmalloc(8, GFP_KERNEL);\n"
        "\tmutex_lock(&c->big);\n"
        "\tradix_tree_insert(&c->tree, 1, c);\t/* review: stored-gfp-under-lock */\n"
        "\tmutex_unlock(&c->big);\n",
    ),
    "stored-gfp-under-lock twin: the insert after the unlock": (
        "locks.c",
        "\tc->x = kmalloc(8, GFP_KERNEL);\n",
        "\tc->x = kmalloc(8, GFP_KERNEL);\n"
        "\tmutex_lock(&c->big);\n"
        "\tmutex_unlock(&c->big);\n"
        "\tradix_tree_insert(&c->tree, 1, c);\n",
    ),
    "signal-gfp-changed: NOFS dropped": (
        "signal.c",
        "\tsg_may_block(f, GFP_NOFS);\n",
        "\tsg_may_block(f, GFP_KERNEL);\t/* review: signal-gfp-changed */\n",
    ),
    "signal-gfp-changed: NOFS added": (
        "signal.c",
        "\tsg_may_block(f, GFP_KERNEL);\n",
        "\tsg_may_block(f, GFP_NOFS);\t/* review: signal-gfp-changed */\n",
    ),
    "signal-gfp-changed twin: an allocation's mask": (
        "signal.c",
        "\tf->p = kmalloc(8, GFP_KERNEL);\n",
        "\tf->p = kmalloc(16, GFP_KERNEL);\n",
    ),
    "work-waited-in-scope": (
        "work.c",
        "\tmemalloc_nofs_restore(nofs);\n\tflush_work(&f->wk_work);\n",
        "\tflush_work(&f->wk_work);\t/* review: work-waited-in-scope */\n"
        "\tmemalloc_nofs_restore(nofs);\n",
    ),
    "work-waited-in-scope twin: queued, not waited for": (
        "work.c",
        "\tmemalloc_nofs_restore(nofs);\n\tflush_work(&f->wk_work);\n",
        "\tqueue_work(system_wq, &f->wk_work);\n\tmemalloc_nofs_restore(nofs);\n",
    ),
    "nofs-dropped": (
        "dropped.c",
        "\tf->p = kmalloc(8, GFP_NOFS);\n",
        "\tf->p = kmalloc(8, GFP_KERNEL);\t/* review: nofs-dropped */\n",
    ),
    "nofs-dropped twin: the work opens its own scope": (
        "dropped.c",
        "\tf->p = kmalloc(8, GFP_NOFS);\n\tf->q = kmalloc(8, GFP_NOFS);\n",
        "\tunsigned int nofs = memalloc_nofs_save();\n\n"
        "\tf->p = kmalloc(8, GFP_KERNEL);\n\tf->q = kmalloc(8, GFP_KERNEL);\n"
        "\tmemalloc_nofs_restore(nofs);\n",
    ),
    "nofs-dropped twin: inside a jbd2 handle": (
        "dropped.c",
        "\tf->a = kmalloc(8, GFP_NOFS);\n",
        "\tf->a = kmalloc(8, GFP_KERNEL);\n",
    ),
    "nofs-dropped: a stored mask": (
        "dropped.c",
        "\tINIT_RADIX_TREE(&f->tree, GFP_NOFS);\n",
        "\tINIT_RADIX_TREE(&f->tree, GFP_KERNEL);\t/* review: nofs-dropped */\n",
    ),
    "nofs-dropped-unproven": (
        "dropped.c",
        "\tf->r = kmalloc(8, GFP_NOFS);\n",
        "\tf->r = kmalloc(8, GFP_KERNEL);\t/* review: nofs-dropped-unproven */\n",
    ),
    "mapping-mask": (
        "mapping.c",
        "\tinode->i_mapping->a_ops = &mp_aops;\n",
        "\tinode->i_mapping->a_ops = &mp_aops;\n"
        "\tmapping_set_gfp_mask(inode->i_mapping,\n"
        "\t\t\t     mapping_gfp_mask(inode->i_mapping) & ~__GFP_FS);\t/* review: mapping-mask */\n",
    ),
    "mapping-mask twin: a mask with __GFP_FS": (
        "mapping.c",
        "\tinode->i_mapping->a_ops = &mp_aops;\n",
        "\tinode->i_mapping->a_ops = &mp_aops;\n"
        "\tmapping_set_gfp_mask(inode->i_mapping, GFP_KERNEL);\n",
    ),
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = {f"fs/rv/{p.name}": p.read_text() for p in sorted(FIXTURES.glob("*.c"))}
    return committed(tmp_path_factory.mktemp("review") / "linux", files)


def edit(repo: Path, branch: str, path: str, old: str, new: str) -> str:
    """Commit the edit OLD -> NEW of PATH on BRANCH (from master); return the
    text after it. The work tree stays on master."""
    text = (repo / path).read_text()
    assert text.count(old) == 1, f"{old!r} must occur once in {path}"
    git(repo, "checkout", "-q", "-b", branch, "master")
    (repo / path).write_text(text.replace(old, new))
    git(repo, "commit", "-q", "-am", f"rv: {branch}")
    git(repo, "checkout", "-q", "master")
    return text.replace(old, new)


def marked(text: str) -> set[tuple[str, int]]:
    """(kind, line) of each `/* review: KIND [KIND...] */` marker."""
    return {
        (kind, n)
        for n, ln in enumerate(text.splitlines(), 1)
        if (m := MARK.search(ln))
        for kind in m.group(1).split()
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_finding_kinds_and_clean_twins(repo: Path, name: str) -> None:
    fixture, old, new = CASES[name]
    branch = "case-" + re.sub(r"[^a-z]+", "-", name.lower()).strip("-")
    after = edit(repo, branch, f"fs/rv/{fixture}", old, new)
    try:
        r = review(ReviewOptions(tree=repo, inputs=(f"master..{branch}",)), config.load())
    finally:
        git(repo, "branch", "-q", "-D", branch)
    got = {(f.kind, f.line) for f in r.findings}
    assert got == marked(after)
    assert len(r.findings) == len(got)
    assert all(f.patch == 1 and f.path == f"fs/rv/{fixture}" for f in r.findings)
    if "twin" not in name:
        assert name.split(":")[0] in {k for k, _ in got}
