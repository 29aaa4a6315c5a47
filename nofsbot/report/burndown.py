"""`nofsbot report --html`: the burndown of NOFS sites over the processed
tags, as one static page: per subsystem, a chart (inline SVG, no script, no
network) and a table of the open sites per class at each tag, then the
series and their status.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from nofsbot.model import Class

CLASSES = tuple(str(c) for c in Class)
COLOURS = dict(
    zip(CLASSES, ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#999999"), strict=True)
)
WIDTH, HEIGHT, PAD = 640, 240, 40


@dataclass(frozen=True)
class SeriesLine:
    change_id: str
    version: int
    section: str
    subject: str
    status: str
    patches: int
    drafted: str
    sent: str
    note: str


@dataclass(frozen=True)
class History:
    title: str
    tags: tuple[str, ...]  # processed, oldest first
    counts: tuple[tuple[str, str, str, int], ...]  # (tag, subsystem, class, open sites)
    series: tuple[SeriesLine, ...]


def _table(h: History) -> dict[str, dict[str, dict[str, int]]]:
    """subsystem -> class -> tag -> count (0 where the state has no row)."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for _, sub, _, _ in h.counts:
        out.setdefault(sub, {c: dict.fromkeys(h.tags, 0) for c in CLASSES})
    for tag, sub, klass, n in h.counts:
        if klass in out[sub] and tag in out[sub][klass]:
            out[sub][klass][tag] = n
    return dict(sorted(out.items()))


def _chart(sub: str, tags: tuple[str, ...], rows: dict[str, dict[str, int]]) -> str:
    top = max([1, *(n for r in rows.values() for n in r.values())])
    span = max(1, len(tags) - 1)

    def x(i: int) -> float:
        return PAD + i * (WIDTH - 2 * PAD) / span

    def y(n: int) -> float:
        return HEIGHT - PAD - n * (HEIGHT - 2 * PAD) / top

    parts = [
        f'<svg class="chart" data-subsystem="{escape(sub)}" xmlns="http://www.w3.org/2000/svg" '
        f'width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">',
        f"<title>NOFS sites in {escape(sub)} per class over {len(tags)} tags</title>",
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        'stroke="#333"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#333"/>',
        f'<text x="{PAD - 6}" y="{PAD + 4}" text-anchor="end" font-size="11">{top}</text>',
        f'<text x="{PAD - 6}" y="{HEIGHT - PAD + 4}" text-anchor="end" font-size="11">0</text>',
    ]
    for i, t in enumerate(tags):
        if i in (0, len(tags) - 1) or len(tags) <= 8:
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - PAD + 16}" text-anchor="middle" '
                f'font-size="10">{escape(t)}</text>'
            )
    for klass, series in rows.items():
        if not any(series.values()):
            continue
        pts = " ".join(f"{x(i):.1f},{y(series[t]):.1f}" for i, t in enumerate(tags))
        colour = COLOURS[klass]
        parts.append(
            f'<polyline class="line" data-class="{klass}" points="{pts}" fill="none" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        for i, t in enumerate(tags):
            n = series[t]
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(n):.1f}" r="3" fill="{colour}" '
                f'data-tag="{escape(t)}" data-class="{klass}" data-count="{n}">'
                f"<title>{escape(t)} {klass}: {n}</title></circle>"
            )
    legend = [k for k, s in rows.items() if any(s.values())]
    for j, klass in enumerate(legend):
        lx = WIDTH - PAD - 110
        parts.append(
            f'<rect x="{lx}" y="{PAD + j * 14 - 8}" width="10" height="10" '
            f'fill="{COLOURS[klass]}"/><text x="{lx + 14}" y="{PAD + j * 14}" '
            f'font-size="11">{klass}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _counts_table(sub: str, tags: tuple[str, ...], rows: dict[str, dict[str, int]]) -> str:
    head = "".join(f"<th>{k}</th>" for k in CLASSES) + "<th>total</th>"
    body = []
    for t in tags:
        cells = "".join(
            f'<td data-subsystem="{escape(sub)}" data-tag="{escape(t)}" data-class="{k}">'
            f"{rows[k][t]}</td>"
            for k in CLASSES
        )
        total = sum(rows[k][t] for k in CLASSES)
        body.append(f"<tr><th>{escape(t)}</th>{cells}<td class='total'>{total}</td></tr>")
    return (
        f'<table class="counts" data-subsystem="{escape(sub)}"><thead><tr><th>tag</th>{head}'
        f"</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _series_table(series: tuple[SeriesLine, ...]) -> str:
    if not series:
        return "<p>No series yet.</p>"
    rows = "".join(
        f'<tr data-change-id="{escape(s.change_id)}"><td>{escape(s.change_id)}</td>'
        f"<td>v{s.version}</td><td>{escape(s.section)}</td><td>{escape(s.subject)}</td>"
        f'<td class="status">{escape(s.status)}</td><td>{s.patches}</td>'
        f"<td>{escape(s.drafted)}</td><td>{escape(s.sent)}</td><td>{escape(s.note)}</td></tr>"
        for s in series
    )
    return (
        '<table class="series"><thead><tr><th>change-id</th><th>version</th><th>section</th>'
        "<th>subject</th><th>status</th><th>patches</th><th>drafted</th><th>sent</th>"
        f"<th>note</th></tr></thead><tbody>{rows}</tbody></table>"
    )


_STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: right; font-size: 13px; }
table.series td { text-align: left; }
"""


def to_html(h: History) -> str:
    table = _table(h)
    blocks = []
    for sub, rows in table.items():
        blocks.append(
            f'<section class="subsystem" data-subsystem="{escape(sub)}">'
            f"<h2>{escape(sub)}</h2>\n{_chart(sub, h.tags, rows)}\n"
            f"{_counts_table(sub, h.tags, rows)}</section>"
        )
    if not blocks:
        blocks.append("<p>No tag processed yet.</p>")
    span = f"{h.tags[0]} to {h.tags[-1]}" if h.tags else "no tags"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(h.title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(h.title)}</h1><p>Open NOFS sites per class, {escape(span)} "
        f"({len(h.tags)} tags).</p>\n" + "\n".join(blocks) + "\n<h2>Series</h2>\n"
        f"{_series_table(h.series)}\n</body></html>\n"
    )
