"""A session transcript in swaks' convention, with every secret scrubbed before it is kept.

`->` a line sent and `<-` a line received in the clear, `~>` and `<~` the same inside
TLS, `===` information from the kit. Lines that carry a secret are never written with
it: the probe writes them already masked, and every line passes the `Redactor` too.
"""

from __future__ import annotations

from .protocol import Reply
from .secret import Redactor


class Transcript:
    """Collects the lines of one session."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._lines: list[str] = []
        self.encrypted = False

    def info(self, text: str) -> None:
        for line in text.splitlines() or [""]:
            self._add(f"=== {line}")

    def sent(self, line: str) -> None:
        self._add(f"{'~>' if self.encrypted else '->'} {line}")

    def received(self, reply: Reply) -> None:
        arrow = "<~" if self.encrypted else "<-"
        for line in reply.lines():
            self._add(f"{arrow} {line}")

    def _add(self, line: str) -> None:
        self._lines.append(self._redactor.scrub(line))

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(self._lines)
