"""Mail a drafted series per policy, recording the intent first.

The rule that keeps a maintainer from getting the same series twice:
before git send-email runs, the series is stored as 'sending' with every
Message-ID it is about to use, and committed (and the intent written to its
series.json, see sent.py); the result is stored after: 'sent'; 'failed'
when the SMTP server accepted none of it (git send-email failed before the
first "Result: 250"), so the next run mails it again; 'sent?' when git
send-email stopped part way or did not finish. A
run that dies in between leaves 'sending'; the next run turns it into
'sent?' and reports it, and never mails it by itself: nothing short of the
operator knows whether the mails left (look for the Message-IDs in the
list archive). `nofsbot bot retry CHANGE-ID` makes it a draft again to be
mailed by the next run; `nofsbot bot reject CHANGE-ID` gives it up.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from nofsbot.bot import faults, sent
from nofsbot.bot.config import BotConfig
from nofsbot.bot.state import SeriesRow, State, now, with_status
from nofsbot.errors import NofsbotError, ToolMissingError
from nofsbot.tools.mail import SendResult, Smtp, send_email

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mailed:
    change_id: str
    version: int
    status: str  # drafted (a dry run), sent, sent?
    messages: int
    recipients: tuple[str, ...]
    log: str
    note: str = ""  # why not sent in full


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
        try:
            res = send_email(files, cwd=directory, smtp=smtp, dry_run=True, sender=sender)
        except NofsbotError as e:  # the report is printed all the same
            return Mailed(row.change_id, row.version, "failed", 0, row.recipients, "", str(e))
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
    if mode == "send":
        sent.intent(row)
    state.put_series(sending)
    state.commit()
    faults.at("intent", row.change_id)
    try:
        res = send_email(files, cwd=directory, smtp=smtp, dry_run=False, sender=sender, check=False)
    except ToolMissingError as e:  # git send-email never ran: nothing left
        res = SendResult(False, 0, str(e), -1)
    except NofsbotError as e:  # a time-out: what left is unknown
        res = SendResult(False, -1, str(e), -1)
    faults.at("mailed", row.change_id)
    status, note = _outcome(res, len(files))
    if mode == "preview":
        note = f"preview: mailed to {cfg.policy.preview_to} only. {note}".strip()
    state.put_series(with_status(sending, status, note, sent_at=now() if res.messages else None))
    if mode == "send" and status != "failed":
        sent.record(cfg.tree.clone, row, status, res.messages)
    state.commit()
    return Mailed(
        row.change_id, row.version, status, max(res.messages, 0), recipients, res.log, note
    )


def _outcome(res: SendResult, files: int) -> tuple[str, str]:
    """sent, failed (the SMTP server accepted nothing: mail it again) or
    sent? (part of it, or unknown), with a note."""
    tail = " ".join(res.log.strip().splitlines()[-2:])[-300:]
    if res.returncode == 0 and res.messages == files:
        return "sent", ""
    if res.messages == 0 and res.returncode != 0:
        return "failed", f"nothing was accepted, mailed again by the next run: {tail}"
    if res.messages < 0:
        return "sent?", f"git send-email did not finish: {tail}"
    return "sent?", f"git send-email reported {res.messages} of {files} sent: {tail}"
