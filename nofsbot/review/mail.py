"""`nofsbot review --format email`: one reply-ready mail per patch with findings.

Each reply quotes the hunks the findings are in, with each comment right
under the line it concerns, and threads under the patch (In-Reply-To and
References to its Message-ID, "Re: " subject, its author in To and its
recipients in Cc), the way kernel reviewers answer on a mailing list.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.policy import SMTP

from unidiff.patch import PatchSet

from nofsbot import __version__
from nofsbot.review.lines import strip_prefix
from nofsbot.review.render import finding_text
from nofsbot.review.series import Patch, ReviewFinding, ReviewResult

MBOX_FROM = "From nofsbot Thu Jan  1 00:00:00 1970\n"


def to_mails(r: ReviewResult, sender: str | None) -> list[tuple[str, str]]:
    """(file name, mail) for each patch with findings, in series order."""
    out = []
    for p in r.series.patches:
        mine = [f for f in r.findings if f.patch == p.index]
        if mine:
            name = f"{p.index:04d}-re-{_slug(p.subject)}.eml"
            out.append((name, _mail(p, mine, sender)))
    return out


def to_mbox(mails: list[tuple[str, str]]) -> str:
    return "".join(MBOX_FROM + text + ("" if text.endswith("\n") else "\n") for _, text in mails)


def _slug(subject: str) -> str:
    s = re.sub(r"^\[[^\]]*\]\s*", "", subject)
    return re.sub(r"[^A-Za-z0-9]+", "-", s).strip("-").lower()[:52] or "patch"


def _mail(p: Patch, findings: list[ReviewFinding], sender: str | None) -> str:
    msg = EmailMessage(policy=SMTP.clone(max_line_length=998))
    if sender:
        msg["From"] = sender
    if p.author:
        msg["To"] = p.author
    cc = [a for a in dict.fromkeys((*p.to, *p.cc)) if a != p.author]
    if cc:
        msg["Cc"] = ", ".join(cc)
    subject = p.subject if p.subject.lower().startswith("re:") else f"Re: {p.subject}"
    msg["Subject"] = subject
    if p.message_id:
        msg["In-Reply-To"] = p.message_id
        msg["References"] = " ".join(dict.fromkeys((*p.references, p.message_id)))
    msg.set_content(_body(p, findings), charset="utf-8", cte="8bit")
    return msg.as_string().replace("\r\n", "\n")


def _body(p: Patch, findings: list[ReviewFinding]) -> str:
    out = []
    if p.author:
        out += [f"On {p.date}, {p.author} wrote:" if p.date else f"{p.author} wrote:"]
    placed: set[ReviewFinding] = set()
    for pf in PatchSet(p.diff):
        path = strip_prefix(pf.target_file) or strip_prefix(pf.source_file) or pf.path
        here = {f.own_line: f for f in findings if f.path == path and f.own_line is not None}
        hunks = [h for h in pf if any(ln.target_line_no in here for ln in h)]
        if not hunks:
            continue
        out += [f"> diff --git a/{pf.path} b/{path}", f"> --- {pf.source_file}"]
        out.append(f"> +++ {pf.target_file}")
        for h in hunks:
            lines = list(h)
            last = max(i for i, ln in enumerate(lines) if ln.target_line_no in here)
            out.append(_quote(str(h).splitlines()[0]))
            for ln in lines[: last + 1]:
                out.append(_quote(f"{ln.line_type}{ln.value.rstrip(chr(10))}"))
                for f in findings:
                    on_line = ln.target_line_no is not None and f.own_line == ln.target_line_no
                    if f.path == path and on_line:
                        out += ["", *finding_text(f, place=False), ""]
                        placed.add(f)
            if last + 1 < len(lines):
                out.append("[...]")
    rest = [f for f in findings if f not in placed]
    if rest:
        out += ["", "And in the code this patch changes:", ""]
        for f in rest:
            out += [*finding_text(f), ""]
    out += ["", "-- ", f"nofsbot {__version__}"]
    return "\n".join(out) + "\n"


def _quote(line: str) -> str:
    return f"> {line}".rstrip() if line.strip() else ">"
