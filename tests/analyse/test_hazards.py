"""Each hazard in tests/data/hazards fires on its marked line; the twins stay quiet."""

from __future__ import annotations

import re
from pathlib import Path

from nofsbot import config
from nofsbot.analyse import Options, analyse
from tests.conftest import DATA, make_tree

MARK = re.compile(r"/\* hazard: ([a-z-]+) \*/")
GATED = re.compile(r"/\* review: ([a-z-]+) \*/")


def _marked(src: str, mark: re.Pattern[str]) -> set[tuple[int, str]]:
    return {
        (n, m.group(1)) for n, line in enumerate(src.splitlines(), 1) if (m := mark.search(line))
    }


def test_hazards_fire_exactly_where_marked(tmp_path: Path) -> None:
    src = (DATA / "hazards" / "hazards.c").read_text()
    tree = make_tree(tmp_path / "t", {"fs/fx/h.c": src})
    a = analyse(tree, ["fs/fx"], config.load(), Options(jobs=1, cache=False, hazards=True))
    want = _marked(src, MARK)
    assert len(want) == 7
    assert {(h.line, h.kind) for h in a.hazards} == want
    for h in a.hazards:
        assert h.evidence and all(e.line > 0 for e in h.evidence)


def test_gated_adds_allocations_under_locks_gated_reclaim_takes(tmp_path: Path) -> None:
    # the allocation under the gated shrinker's lock: scan leaves it to the
    # site classes, review (gated=True) reports it
    src = (DATA / "hazards" / "hazards.c").read_text()
    tree = make_tree(tmp_path / "t", {"fs/fx/h.c": src})
    opts = Options(jobs=1, cache=False, hazards=True, gated=True)
    a = analyse(tree, ["fs/fx"], config.load(), opts)
    assert {(h.line, h.kind) for h in a.hazards} == _marked(src, MARK) | _marked(src, GATED)


def test_no_hazards_without_the_flag(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "t", {"fs/fx/h.c": (DATA / "hazards" / "hazards.c").read_text()})
    assert analyse(tree, ["fs/fx"], config.load(), Options(jobs=1, cache=False)).hazards == ()


def test_reclaim_flushing_work_without_a_rescuer(tmp_path: Path) -> None:
    src = (DATA / "hazards" / "workqueues.c").read_text()
    tree = make_tree(tmp_path / "t", {"fs/fx/wq.c": src})
    a = analyse(tree, ["fs/fx"], config.load(), Options(jobs=1, cache=False, hazards=True))
    assert {(h.line, h.kind) for h in a.hazards} == _marked(src, MARK)
    notes = {h.line: [e.note for e in h.evidence] for h in a.hazards}
    sys_line, plain_line = sorted(notes)
    system = "queues wq_state.sys_work on system_wq, a system workqueue: no rescuer"
    assert system in notes[sys_line]
    assert "alloc_workqueue() makes wq_state.plain_wq without WQ_MEM_RECLAIM" in notes[plain_line]
    assert all(any("reclaim calls it" in n for n in ns) for ns in notes.values())
