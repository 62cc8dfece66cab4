"""The test message: built with the standard `email` package, findable by a short token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from .accounts import validate_address
from .errors import HeaderError

SUBJECT_PREFIX = "outlook-kit test"


def new_token() -> str:
    """A short unique token for a test message's subject, e.g. `ok-7f3a9c2e`."""
    return f"ok-{secrets.token_hex(4)}"


def check_header_value(name: str, value: str) -> str:
    """`value`, or HeaderError if it holds CR or LF (header injection, or a paste gone wrong)."""
    if "\r" in value or "\n" in value:
        raise HeaderError(
            f"the {name} contains a line break; enter it on one line "
            "(a line break inside a header would start a new header)"
        )
    return value


@dataclass(frozen=True)
class TestMessage:
    """A short test message from one address to one or more recipients.

    The token goes into the subject, so the user can search the inbox or the junk
    folder for it. `local_ok` accepts a local server's own domains (`user@localhost`), for
    a probe of a server that is not Microsoft's.
    """

    __test__ = False  # not a pytest test class

    from_addr: str
    to: tuple[str, ...]
    subject: str | None = None
    token: str = field(default_factory=new_token)
    local_ok: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        check_header_value("From address", self.from_addr)
        from_addr = validate_address(self.from_addr, local_ok=self.local_ok)
        object.__setattr__(self, "from_addr", from_addr)
        to = (self.to,) if isinstance(self.to, str) else tuple(self.to)
        if not to:
            raise HeaderError("the test message needs at least one recipient (To)")
        for addr in to:
            check_header_value("To address", addr)
        object.__setattr__(
            self, "to", tuple(validate_address(a, local_ok=self.local_ok) for a in to)
        )
        if self.subject is not None:
            check_header_value("subject", self.subject)

    @property
    def full_subject(self) -> str:
        base = self.subject or SUBJECT_PREFIX
        return f"{base} [{self.token}]"

    def build(self, *, now: datetime | None = None) -> EmailMessage:
        """The message as the standard library's EmailMessage, with Date and Message-ID."""
        msg = EmailMessage()
        msg["From"] = self.from_addr
        msg["To"] = ", ".join(self.to)
        msg["Subject"] = self.full_subject
        msg["Date"] = format_datetime(now or datetime.now(UTC))
        msg["Message-ID"] = make_msgid(idstring=self.token, domain=self.from_addr.rsplit("@", 1)[1])
        msg["X-Outlook-Kit-Token"] = self.token
        msg.set_content(
            "This is a test message sent by outlook-kit to check that this account can send.\n"
            f"Its token is {self.token}: look for it in the inbox and in the junk folder.\n"
        )
        return msg
