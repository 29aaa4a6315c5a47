"""Mail a drafted series per policy, recording the intent first.

The rule that keeps a maintainer from getting the same series twice:
before git send-email runs, the series is stored as 'sending' with every
Message-ID it is about to use, and committed; the result ('sent', or 'sent?'
when git send-email failed or reported fewer messages) is stored after. A
run that dies in between leaves 'sending'; the next run turns it into
'sent?' and reports it, and never mails it by itself: nothing short of the
operator knows whether the mails left (look for the Message-IDs in the
list archive). `nofsbot bot retry CHANGE-ID` makes it a draft again to be
mailed by the next run; `nofsbot bot reject CHANGE-ID` gives it up.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from nofsbot.bot.config import BotConfig
from nofsbot.bot.state import SeriesRow, State, now, with_status
from nofsbot.errors import NofsbotError
from nofsbot.tools.mail import Smtp, send_email

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mailed:
    change_id: str
    version: int
    status: str  # drafted (a dry run), sent, sent?
    messages: int
    recipients: tuple[str, ...]
    log: str


def reconcile(state: State) -> list[SeriesRow]:
    """Series a dead run left between intent and result become 'sent?'."""
    out = []
    for row in state.series(("sending",)):
        note = (
            f"a run died after recording the intent to send at {row.intent_at} and before "
            f"its result: the mails may have left ({', '.join(row.message_ids[:1])} ...); "
            "not sent again: check the list archive, then `nofsbot bot retry` or `reject`"
        )
        fixed = with_status(row, "sent?", note)
        state.put_series(fixed)
        out.append(fixed)
    state.commit()
    return out


def readdress(text: str, to: str) -> str:
    """A patch mail with its To: and Cc: headers replaced by To: TO."""
    head, sep, body = text.partition("\n\n")
    kept: list[str] = []
    skipping = False
    for line in head.split("\n"):
        if line[:1] in (" ", "\t") and skipping:
            continue
        skipping = bool(re.match(r"(?i)^(to|cc):", line))
        if not skipping:
            kept.append(line)
    kept.insert(1, f"To: {to}")
    return "\n".join(kept) + sep + body


def deliver(cfg: BotConfig, state: State, row: SeriesRow) -> Mailed:
    mode = cfg.policy.mode
    directory = Path(row.directory)
    files = [Path(f) for f in row.files]
    smtp = Smtp(cfg.mail.smtp_server, cfg.mail.smtp_port, cfg.mail.smtp_encryption)
    sender = cfg.mail.sender or str(cfg.identity)
    if mode == "dry-run":
        res = send_email(files, cwd=directory, smtp=smtp, dry_run=True, sender=sender)
        return Mailed(row.change_id, row.version, row.status, res.messages, row.recipients, res.log)
    recipients = row.recipients
    if mode == "preview":
        assert cfg.policy.preview_to is not None
        recipients = (cfg.policy.preview_to,)
        preview = directory / "preview"
        preview.mkdir(exist_ok=True)
        copies = []
        for f in files:
            copies.append(preview / f.name)
            copies[-1].write_text(readdress(f.read_text(), cfg.policy.preview_to))
        files = copies
    sending = with_status(row, "sending", intent_at=now())
    state.put_series(sending)
    state.commit()
    try:
        res = send_email(files, cwd=directory, smtp=smtp, dry_run=False, sender=sender)
    except NofsbotError as e:
        state.put_series(with_status(sending, "sent?", f"git send-email failed: {e}"))
        state.commit()
        raise
    done = res.messages == len(files)
    note = "" if done else f"git send-email reported {res.messages} of {len(files)} sent"
    if mode == "preview":
        note = f"preview: mailed to {cfg.policy.preview_to} only. {note}".strip()
    status = "sent" if done else "sent?"
    state.put_series(with_status(sending, status, note, sent_at=now()))
    state.commit()
    if mode == "send":
        _record_in_series_json(directory, res.messages)
    return Mailed(row.change_id, row.version, status, res.messages, recipients, res.log)


def _record_in_series_json(directory: Path, messages: int) -> None:
    """What `nofsbot send` records too, so it will not send this again."""
    path = directory / "series.json"
    doc = json.loads(path.read_text())
    doc["sent"].append(
        {
            "version": doc["version"],
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "message_id": doc["message_id"],
            "messages": messages,
        }
    )
    path.write_text(json.dumps(doc, indent=1) + "\n")
