"""`nofsbot send DIR`: mail a series `nofsbot series` wrote, once.

A dry run unless asked to send. The series directory's series.json records
each version sent; sending the same version again needs --force, so a
maintainer never gets the same series twice by accident.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from nofsbot.errors import PublishError
from nofsbot.tools.mail import SendResult, send_email
from nofsbot.tools.mail import Smtp as Smtp  # part of SendOptions


@dataclass(frozen=True)
class SendOptions:
    directory: Path  # a series directory, or a directory of them
    smtp: Smtp
    send: bool = False
    force: bool = False
    sender: str | None = None


@dataclass(frozen=True)
class Sent:
    directory: str
    version: int
    files: tuple[str, ...]
    result: SendResult


def series_dirs(directory: Path) -> list[Path]:
    """DIRECTORY itself when it holds a series, else the series under it."""
    if (directory / "series.json").is_file():
        return [directory]
    found = sorted(p.parent for p in directory.glob("*/series.json"))
    if not found:
        raise PublishError(f"{directory}: no series.json here or one level down")
    return found


def send(opts: SendOptions) -> list[Sent]:
    todo = []
    for d in series_dirs(opts.directory):
        state = json.loads((d / "series.json").read_text())
        version = int(state["version"])
        if not opts.force and opts.send and any(s["version"] == version for s in state["sent"]):
            raise PublishError(
                f"{d}: v{version} was sent already; publish a new version, or --force"
            )
        files = [d / name for name in state["files"]]
        if missing := [str(f) for f in files if not f.is_file()]:
            raise PublishError(f"{d}: missing {', '.join(missing)}")
        todo.append((d, state, files))
    out = []
    for d, state, files in todo:
        result = send_email(files, cwd=d, smtp=opts.smtp, dry_run=not opts.send, sender=opts.sender)
        if opts.send:
            if result.messages != len(files):
                raise PublishError(
                    f"{d}: git send-email reported {result.messages} of {len(files)} "
                    f"messages sent:\n{result.log[-2000:]}"
                )
            state["sent"].append(
                {
                    "version": state["version"],
                    "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                    "message_id": state["message_id"],
                    "messages": result.messages,
                }
            )
            (d / "series.json").write_text(json.dumps(state, indent=1) + "\n")
        out.append(Sent(str(d), int(state["version"]), tuple(str(f) for f in files), result))
    return out
