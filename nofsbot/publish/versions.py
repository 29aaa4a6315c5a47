"""A series' versions: which earlier one a new version is compared with and
links to, and the history series.json keeps.

A new version is compared with the newest earlier version that was sent
(`nofsbot send` and the bot record that in series.json), and only a sent
version gets a link: a reader never saw one that was not. When none was
sent, the changelog is against the newest earlier version, without a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nofsbot.publish.cover import PatchRecord

State = dict[str, Any]  # series.json as read


@dataclass(frozen=True)
class Earlier:
    version: int
    base: str
    start: str  # where its patches start (a prerequisite series' tip, else base)
    tip: str
    patches: list[PatchRecord]
    link: str | None  # lore link of its cover letter, when it was sent


def entry(state: State) -> State:
    """What the history keeps of the version STATE describes."""
    keys = ("version", "message_id", "base", "start", "tip", "patches")
    return {k: state.get(k) for k in keys}


def history(state: State) -> list[State]:
    """Every version written so far, oldest first (a series.json from before
    the history was kept has only its last version)."""
    kept = state.get("versions")
    return list(kept) if isinstance(kept, list) else [entry(state)]


def against(state: State, version: int) -> Earlier | None:
    """The earlier version VERSION is compared with, if any."""
    sent = {int(s["version"]): str(s["message_id"]) for s in state.get("sent", [])}
    older = [v for v in history(state) if int(v["version"]) < version]
    if not older:
        return None
    shown = [v for v in older if int(v["version"]) in sent] or older
    chosen = max(shown, key=lambda v: int(v["version"]))
    n = int(chosen["version"])
    return Earlier(
        n,
        chosen["base"],
        chosen.get("start") or chosen["base"],
        chosen["tip"],
        [PatchRecord(p["subject"], p["patch_id"]) for p in chosen["patches"]],
        f"https://lore.kernel.org/r/{sent[n].strip('<>')}" if n in sent else None,
    )
