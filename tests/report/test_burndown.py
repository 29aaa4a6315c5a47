"""The burndown page: rendered by headless Chromium, the chart is there and
its numbers and the table's are the ones given."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from nofsbot.report.burndown import History, SeriesLine, to_html
from tests.conftest import need

Key = tuple[str, str, str]  # tag, subsystem, class


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[Key, int] = {}
        self.circles: dict[Key, int] = {}
        self.svgs: list[str] = []
        self.polylines = 0
        self.statuses: list[str] = []
        self._cell: Key | None = None
        self._status = False
        self._svg = ""

    def handle_starttag(self, name: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if name == "svg":
            self._svg = a.get("data-subsystem", "")
            self.svgs.append(self._svg)
        elif name == "polyline":
            self.polylines += 1
        elif name == "circle":
            self.circles[(a["data-tag"], self._svg, a["data-class"])] = int(a["data-count"])
        elif name == "td" and "data-class" in a:
            self._cell = (a["data-tag"], a["data-subsystem"], a["data-class"])
        elif name == "td" and a.get("class") == "status":
            self._status = True

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self.cells[self._cell] = int(data)
            self._cell = None
        elif self._status:
            self.statuses.append(data)
            self._status = False


def render(page: Path) -> _Dom:
    """The DOM headless Chromium builds from PAGE, parsed."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    need("chromium (apt-get install chromium)", chromium is not None)
    assert chromium is not None
    dom = subprocess.run(
        [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "<svg" in dom, dom[:2000]
    parsed = _Dom()
    parsed.feed(dom)
    return parsed


def rendered_counts(page: Path) -> tuple[dict[Key, int], dict[Key, int]]:
    """The table cells and the chart points of PAGE as Chromium renders it."""
    dom = render(page)
    assert dom.svgs and dom.polylines
    return dom.cells, dom.circles


def test_burndown_renders_in_chromium(tmp_path: Path) -> None:
    tags = ("next-20260101", "next-20260102", "next-20260103")
    counts = (
        ("next-20260101", "fs/xfs", "redundant", 7),
        ("next-20260101", "fs/xfs", "keep", 46),
        ("next-20260102", "fs/xfs", "redundant", 8),
        ("next-20260102", "fs/xfs", "keep", 46),
        ("next-20260103", "fs/xfs", "keep", 45),
        ("next-20260101", "fs/ext4", "needs-scope", 1),
        ("next-20260102", "fs/ext4", "needs-scope", 1),
        ("next-20260103", "fs/ext4", "needs-scope", 1),
    )
    series = (
        SeriesLine("20260101-nofs-xfs-0123456789ab", 1, "XFS FILESYSTEM", "xfs: <scoped>",
                   "applied", 6, "2026-01-01", "2026-01-01", "its patches are in the tree"),
    )  # fmt: skip
    page = tmp_path / "burndown.html"
    page.write_text(to_html(History("burndown", tags, counts, series)))
    dom = render(page)
    assert sorted(dom.svgs) == ["fs/ext4", "fs/xfs"]
    assert dom.polylines == 3  # xfs redundant and keep, ext4 needs-scope
    want = {(t, s, k): n for t, s, k, n in counts}
    assert {k: v for k, v in dom.cells.items() if v} == want
    # a tag without a row counts 0, in the table and on the chart
    assert dom.cells[("next-20260103", "fs/xfs", "redundant")] == 0
    assert dom.circles[("next-20260103", "fs/xfs", "redundant")] == 0
    assert {k: v for k, v in dom.circles.items() if v} == want
    assert dom.statuses == ["applied"]
    assert "&lt;scoped&gt;" in page.read_text()  # escaped


def test_burndown_without_tags() -> None:
    html = to_html(History("burndown", (), (), ()))
    assert "No tag processed yet." in html and "No series yet." in html
