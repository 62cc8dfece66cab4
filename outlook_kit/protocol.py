"""SMTP vocabulary shared by the probe, the simulator and the diagnosis.

The stages of a submission, a server reply as a value, and the parsing of the
enhanced status code (RFC 3463) out of a reply text.
"""

from __future__ import annotations

import enum
import re
from typing import NamedTuple


class Stage(enum.StrEnum):
    """The stages of a staged test send, in the order they run."""

    DNS = "dns"
    CONNECT = "connect"
    BANNER = "banner"
    EHLO = "ehlo"
    STARTTLS = "starttls"
    EHLO_TLS = "ehlo_tls"
    AUTH = "auth"
    MAIL_FROM = "mail_from"
    RCPT_TO = "rcpt_to"
    DATA = "data"
    QUIT = "quit"

    @property
    def order(self) -> int:
        """The stage's position in the run (dns is 0)."""
        return _STAGE_ORDER[self]


_STAGE_ORDER = {stage: i for i, stage in enumerate(Stage)}

ENHANCED_RE = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})\b")


class Reply(NamedTuple):
    """One server reply: the code, the enhanced status code if any, and the text after it."""

    code: int
    enhanced: str | None
    text: str

    @classmethod
    def parse(cls, code: int, message: str) -> Reply:
        """Split aiosmtplib's (code, message) into code, enhanced code and text.

        Multi-line replies carry the enhanced code on every line; it is taken
        from the first line and removed from each.
        """
        lines = message.splitlines() or [""]
        match = ENHANCED_RE.match(lines[0])
        enhanced = match.group(0) if match else None
        if enhanced:
            lines = [
                ln[len(enhanced) :].lstrip() if ln.startswith(enhanced) else ln for ln in lines
            ]
        return cls(code, enhanced, "\n".join(lines))

    def __str__(self) -> str:
        head = f"{self.code} {self.enhanced}" if self.enhanced else str(self.code)
        return f"{head} {self.text}".rstrip()

    def lines(self) -> list[str]:
        """The reply as the server sent it, one string per line (`250-...`, `250 ...`)."""
        texts = self.text.splitlines() or [""]
        prefix = f"{self.enhanced} " if self.enhanced else ""
        out = []
        for i, text in enumerate(texts):
            sep = " " if i == len(texts) - 1 else "-"
            out.append(f"{self.code}{sep}{prefix}{text}".rstrip())
        return out
