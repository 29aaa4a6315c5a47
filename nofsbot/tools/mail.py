"""git send-email, for a series nofsbot wrote: the headers in the files
(To, Cc, Message-ID, In-Reply-To) decide who gets what and how it threads."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from nofsbot.tools.proc import run

_SENT_RE = re.compile(r"^Result: (?:250|OK)", re.M)
_DRY_RE = re.compile(r"^Dry-OK\. Log says:", re.M)
# everything but the Cc: headers format-patch wrote (and the To: ones)
_SUPPRESS = ("author", "self", "bodycc", "sob", "misc-by", "cccmd")


@dataclass(frozen=True)
class SendResult:
    dry_run: bool
    messages: int  # how many git send-email reported sent (or would send)
    log: str
    returncode: int = 0


@dataclass(frozen=True)
class Smtp:
    server: str | None = None  # host or sendmail-like program; None: git's sendemail.*
    port: int | None = None
    encryption: str | None = None  # tls, ssl or none


def send_email(
    files: list[Path],
    *,
    cwd: Path,
    smtp: Smtp,
    dry_run: bool,
    sender: str | None = None,
    check: bool = True,
) -> SendResult:
    """Send FILES in order with git send-email (cover letter first): no
    threading or Cc of its own (format-patch made those), no prompts.
    Without CHECK, a failing git send-email returns its exit code and how
    many messages it reported sent before it stopped."""
    argv = [
        "git",
        "send-email",
        "--confirm=never",
        "--no-thread",
        *(f"--suppress-cc={c}" for c in _SUPPRESS),
        "--no-validate",
        "--8bit-encoding=UTF-8",
    ]
    if dry_run:
        argv.append("--dry-run")
    if smtp.server:
        argv.append(f"--smtp-server={smtp.server}")
    if smtp.port:
        argv.append(f"--smtp-server-port={smtp.port}")
    if smtp.encryption:
        argv.append(f"--smtp-encryption={smtp.encryption}")
    if sender:
        argv.append(f"--from={sender}")
    res = run([*argv, *(str(f) for f in files)], cwd=cwd, timeout=600, input="", check=check)
    out = res.stdout + res.stderr
    sent = len((_DRY_RE if dry_run else _SENT_RE).findall(out))
    return SendResult(dry_run, sent, out, res.returncode)
