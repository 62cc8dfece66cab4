"""Where accepted mail ends up: one store for every recipient, safe to read from any thread."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from functools import cached_property


@dataclass(frozen=True)
class Delivered:
    """One message as one recipient received it.

    Attributes:
        account: the mailbox that signed in and sent it.
        mail_from: the envelope sender (MAIL FROM).
        recipient: the envelope recipient this copy is for.
        data: the message bytes as received (dot-unstuffed).
        received_at: when the simulator accepted it, on the simulator's clock (UTC).
    """

    account: str
    mail_from: str
    recipient: str
    data: bytes = field(repr=False)
    received_at: datetime

    @cached_property
    def message(self) -> EmailMessage:
        """`data` parsed with `email.policy.default`, on first use."""
        return parse(self.data)

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    def body_text(self) -> str:
        """The plain-text (or else HTML) body, or "" when the message has none."""
        part = self.message.get_body(preferencelist=("plain", "html"))
        if part is None:
            return ""
        try:
            return str(part.get_content())
        except (LookupError, ValueError):
            payload = part.get_payload(decode=True)
            return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def parse(data: bytes) -> EmailMessage:
    """Parse message bytes the way `Delivered.message` holds them."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


class Mailbox:
    """Every message the simulator accepted, in arrival order.

    One `add` is one accepted message, a copy per recipient; whoever `subscribe`d (the IMAP
    side's folders) is told of each, after it is stored.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Delivered] = []
        self._listeners: list[Callable[[list[Delivered]], object]] = []

    def subscribe(self, listener: Callable[[list[Delivered]], object]) -> None:
        self._listeners.append(listener)

    def add(self, items: list[Delivered]) -> None:
        with self._lock:
            self._items.extend(items)
        for listener in self._listeners:
            listener(list(items))

    def messages(self, recipient: str | None = None) -> list[Delivered]:
        """A snapshot of the stored messages, all of them or one recipient's (case-insensitive)."""
        with self._lock:
            items = list(self._items)
        if recipient is None:
            return items
        wanted = recipient.casefold()
        return [item for item in items if item.recipient.casefold() == wanted]

    def find(self, text: str) -> list[Delivered]:
        """Messages whose Subject or body contains `text`."""
        return [
            item for item in self.messages() if text in item.subject or text in item.body_text()
        ]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
