"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import email
import email.message
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Inbox:
    port: int
    received: list[tuple[list[str], email.message.EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, email.message.EmailMessage)
        self.received.append((list(envelope.rcpt_tos), msg))
        return "250 OK"

    def mbox(self) -> str:
        """What was received, as an mbox (for b4 am)."""
        out = []
        for _, msg in self.received:
            text = msg.as_string(policy=email.policy.default.clone(linesep="\n"))
            out.append(f"From nofsbot@localhost Thu Jan  1 00:00:00 1970\n{text}\n")
        return "".join(out)


@contextmanager
def smtp_server() -> Iterator[Inbox]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox(port)
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
