"""The kernel-macro pass keeps every byte at its offset and every line in place."""

from __future__ import annotations

from nofsbot import config
from nofsbot.analyse.extract import Extractor
from nofsbot.analyse.preprocess import DISABLED, MACRO_BODY, Preprocessor

SRC = b"""#define FOO(x) bar(x, \\
		GFP_NOFS)
STATIC int __init
xfs_thing(struct inode *ip) __releases(ip->lock)
{
	list_for_each_entry(p, &head, list) {
		x = offsetof(struct s, a[N]);
	}
#if 0
	dead();
#else
	live();
#endif
	return 0;
}
"""


def test_same_length_and_lines() -> None:
    p = Preprocessor(config.load().macros).prepare(SRC)
    assert len(p.text) == len(SRC)
    assert [i for i, c in enumerate(p.text) if c == 0x0A] == [
        i for i, c in enumerate(SRC) if c == 0x0A
    ]


def test_rewrites() -> None:
    p = Preprocessor(config.load().macros).prepare(SRC)
    text = p.text.decode()
    assert "static int" in text and "STATIC" not in text
    assert "__init" not in text and "__releases" not in text
    assert "while" in text and "list_for_each_entry" not in text
    assert "offsetof" not in text
    assert "dead" not in text and "live" in text
    cats = {r.category for r in p.regions}
    assert MACRO_BODY in cats and DISABLED in cats
    assert p.macro_calls["FOO"] == ("bar",)


def test_parses_clean_after_rewrite() -> None:
    ex = Extractor(config.load())
    facts = ex.extract("fs/x/x.c", SRC)
    (fn,) = facts.functions
    assert (fn.name, fn.static, fn.error) == ("xfs_thing", True, False)
    assert [c for c, _ in fn.calls] == ["live"]


def test_iterator_not_renamed_in_expression_or_definition() -> None:
    src = b"int foo_for_each(int a)\n{\n\treturn x = bar_for_each(a);\n}\n"
    p = Preprocessor(config.load().macros).prepare(src)
    assert p.text == src


def test_facts_do_not_depend_on_what_was_parsed_before() -> None:
    from tests.conftest import DATA

    files = sorted((DATA / "scan").glob("*.c"))
    fresh = {p.name: Extractor(config.load()).extract(p.name, p.read_bytes()) for p in files}
    reused = Extractor(config.load())
    for p in files + files[::-1]:
        assert reused.extract(p.name, p.read_bytes()) == fresh[p.name], p.name
