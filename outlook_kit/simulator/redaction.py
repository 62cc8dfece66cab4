"""Keep sign-in secrets out of aiosmtpd's log.

aiosmtpd logs every command line it reads through the `mail.log` logger (at DEBUG
and INFO). It masks the payload of `AUTH <mech> <payload>` itself, but a line a
client sends where a command is expected (a base64 credential pipelined after a
refused `AUTH PLAIN`, say) is logged as read, and a continuation line that is not
valid base64 is logged whole. This filter lets only the verbs of SMTP commands
through for lines the client sent, masks AUTH payloads, and drops aiosmtpd's
`Session.login_data is deprecated` line that follows every AUTH.
"""

from __future__ import annotations

import logging
import re
from typing import Any

AIOSMTPD_LOGGER = "mail.log"
REDACTED = "[redacted]"
_SAFE_VERBS = frozenset(
    {
        "EHLO",
        "HELO",
        "MAIL",
        "RCPT",
        "DATA",
        "RSET",
        "NOOP",
        "QUIT",
        "STARTTLS",
        "VRFY",
        "EXPN",
        "HELP",
        "AUTH",
    }
)
_AUTH_PAYLOAD = re.compile(r"(AUTH\s+\S+\s+)[^\s'\"\\]+", re.IGNORECASE)
# aiosmtpd's message formats whose arguments carry what the client sent, and at which position.
_CLIENT_TEXT_ARG = {
    "_handle_client readline: %r": 0,
    "%r >> %r": 1,
    "%r unrecognised: %s": 1,
    "%r can't decode base64: %s": 1,
}


def _scrub(value: Any, *, always: bool) -> Any:
    """Replace client text unless it starts with an SMTP verb; mask AUTH payloads."""
    if isinstance(value, bytes | bytearray):
        text = bytes(value).decode("utf-8", "replace")
    elif isinstance(value, str):
        text = value
    else:
        return value
    verb = text.strip().split(" ", 1)[0].upper() if text.strip() else ""
    if always or verb not in _SAFE_VERBS:
        return REDACTED
    return _AUTH_PAYLOAD.sub(r"\1" + REDACTED, text)


class RedactAuth(logging.Filter):
    """A filter for the `mail.log` logger that lets no AUTH payload through."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "login_data is deprecated" in record.msg:
            return False
        position = _CLIENT_TEXT_ARG.get(record.msg) if isinstance(record.msg, str) else None
        if position is not None and isinstance(record.args, tuple) and len(record.args) > position:
            args = list(record.args)
            args[position] = _scrub(args[position], always="base64" in str(record.msg))
            record.args = tuple(args)
        message = record.getMessage()
        masked = _AUTH_PAYLOAD.sub(r"\1" + REDACTED, message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def install() -> None:
    """Attach the filter to aiosmtpd's logger once."""
    logger = logging.getLogger(AIOSMTPD_LOGGER)
    if not any(isinstance(f, RedactAuth) for f in logger.filters):
        logger.addFilter(RedactAuth())
