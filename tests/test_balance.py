"""cocci/nofs_scope_balance.cocci reports exactly the marked leaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from nofsbot.tools import spatch as coccinelle

pytestmark = pytest.mark.spatch

ROOT = Path(__file__).parent.parent
CASE = Path(__file__).parent / "cases" / "nofs_scope_balance" / "balance.c"


def test_reports_exactly_the_leaks(spatch: str) -> None:
    found = coccinelle.report(
        ROOT / "cocci" / "nofs_scope_balance.cocci", [CASE.name], cwd=CASE.parent
    )
    marked = {n for n, line in enumerate(CASE.read_text().splitlines(), 1) if "/* leak */" in line}
    assert {line for _, line, _ in found} == marked
    assert len(marked) == 2
