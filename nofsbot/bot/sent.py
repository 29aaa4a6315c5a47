"""What went out, recorded outside the database too, as b4 records its sent
series: in the series' `series.json` next to the mails (the intent before
git send-email runs, each result after; `nofsbot send` reads the same
records) and as a ref `refs/nofsbot/sent/CHANGE-ID/vN` in the bot's clone
pointing at the series' tip. `nofsbot bot rebuild-state` reads them back.

series.json is replaced whole (written beside it, then renamed), so a
kill never leaves half of it.
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path
from typing import Any

import nofsbot.tools.git as gitcli
import nofsbot.tools.githistory as githistory
from nofsbot.bot.state import SeriesRow

REFS = "refs/nofsbot/sent"


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def load(directory: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((directory / "series.json").read_text())
    return doc


def _save(directory: Path, doc: dict[str, Any]) -> None:
    path = directory / "series.json"
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w") as f:
        f.write(json.dumps(doc, indent=1) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def remember_sites(directory: Path, sites: list[str]) -> None:
    """The identities of the sites the series in DIRECTORY converts."""
    doc = load(directory)
    doc["sites"] = sorted(sites)
    _save(directory, doc)


def refs(clone: Path) -> list[str]:
    """CHANGE-ID/vN of every series the clone records as sent."""
    return [r.removeprefix(REFS + "/") for r in githistory.refs(clone, REFS)]


def intent(row: SeriesRow) -> None:
    """ROW is about to be mailed with these Message-IDs."""
    directory = Path(row.directory)
    doc = load(directory)
    doc["intent"] = {"version": row.version, "date": _now(), "message_ids": list(row.message_ids)}
    _save(directory, doc)


def record(clone: Path, row: SeriesRow, status: str, messages: int) -> None:
    """ROW went out (STATUS sent, or sent? for part of it or unknown)."""
    directory = Path(row.directory)
    doc = load(directory)
    doc["sent"].append(
        {
            "version": row.version,
            "date": _now(),
            "message_id": doc["message_id"],
            "messages": messages,
            "status": status,
        }
    )
    _save(directory, doc)
    if doc.get("tip"):
        gitcli.update_ref(clone, f"{REFS}/{row.change_id}/v{row.version}", doc["tip"])
