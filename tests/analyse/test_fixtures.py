"""Each fixture in tests/data/scan marks its sites: /* expect: CLASS [CONTEXT] [KIND] */.

Every site found must carry a marker on its line and agree with it, and
every marker must have a site.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nofsbot.model import Class, Context, Kind
from nofsbot.plan import plan

FIXTURES = sorted((Path(__file__).parent.parent / "data" / "scan").glob("*.c"))
MARK = re.compile(r"/\* expect: ([^*]+?) \*/")
CLASSES = {str(c) for c in Class}
CONTEXTS = {str(c) for c in Context}
KINDS = {str(k) for k in Kind}


def expectations(path: Path) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        m = MARK.search(line)
        if not m:
            continue
        want: dict[str, str] = {}
        for word in m.group(1).split():
            if word in CLASSES:
                want["class"] = word
            elif word in CONTEXTS:
                want["context"] = word
            elif word in KINDS:
                want["kind"] = word
            else:
                raise AssertionError(f"{path.name}:{n}: unknown word {word!r} in marker")
        out[n] = want
    return out


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_fixture(fixture: Path, fixture_tree) -> None:  # type: ignore[no-untyped-def]
    analysis = fixture_tree(f"scan/{fixture.name}")
    found = {}
    for f in plan(analysis.placed):
        assert f.site.line not in found, f"two sites on line {f.site.line}"
        found[f.site.line] = {
            "class": str(f.klass),
            "context": str(f.context),
            "kind": str(f.site.kind),
        }
    want = expectations(fixture)
    assert set(found) == set(want), "sites found vs. lines marked"
    for line, w in want.items():
        got = {k: found[line][k] for k in w}
        assert got == w, f"{fixture.name}:{line}"
    assert not analysis.unaccounted
    assert not analysis.problems
