"""Did the test mail arrive? The one module that talks IMAP: it looks, read-only, and says where.

After a test send a 250 proves only that the server took the message. With the same
credentials the kit signs in over IMAP (outlook.office365.com:993, TLS from the first byte;
LOGIN with the App Password, or XOAUTH2 with a token that carries the IMAP scope), looks in
the Inbox, the Junk folder and Sent Items for the test's token, and polls until it shows up
or the time is up. Folders are found by their SPECIAL-USE flags (RFC 6154) or, failing that,
by the names Outlook, Exchange, Dovecot and others give them. Nothing is flagged, moved or
deleted (EXAMINE and BODY.PEEK only). The result is an `Arrival` value; a refused sign-in or
an unreachable server is a finding in it, never an exception, and no secret reaches it.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import re
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .accounts import Credentials, SecretKind, SmtpSettings
from .secret import Redactor
from .tls import client_context

IMAP_HOST = "outlook.office365.com"
IMAP_PORT = 993
IMAP_SCOPE = "https://outlook.office.com/IMAP.AccessAsUser.All"
DEFAULT_TIMEOUT_S = 60.0

Role = Literal["inbox", "junk", "sent"]
Reason = Literal["signin_refused", "unreachable", "folder_missing", "not_found"]

# What each role's folder is called where the server marks no SPECIAL-USE flag: Outlook.com
# and Exchange Online ("Junk Email", "Sent Items"), Dovecot's and Thunderbird's defaults, Gmail.
_NAMES: dict[Role, tuple[str, ...]] = {
    "inbox": ("inbox",),
    "junk": ("junk", "junk email", "junk e-mail", "spam", "bulk mail", "[gmail]/spam"),
    "sent": ("sent items", "sent", "sent mail", "sent messages", "[gmail]/sent mail"),
}
_FLAGS: dict[Role, str] = {"junk": "\\junk", "sent": "\\sent"}
_LIST_LINE = re.compile(rb'\((?P<flags>[^)]*)\) (?:"(?:[^"\\]|\\.)*"|NIL) (?P<name>.+)$')


@dataclass(frozen=True)
class ImapSettings:
    """Where to look: the IMAP host and port (TLS from the first byte), and whom to trust."""

    host: str = IMAP_HOST
    port: int = IMAP_PORT
    cafile: str | None = None
    insecure: bool = False

    @classmethod
    def beside(cls, smtp: SmtpSettings, port: int | None = None) -> ImapSettings:
        """The IMAP server that goes with a submission server: Microsoft's for Microsoft's
        hosts (outlook.office365.com:993 serves Outlook.com and Microsoft 365 alike), else
        the same host."""
        host = IMAP_HOST if smtp.is_microsoft else smtp.host
        return cls(host, port or IMAP_PORT, cafile=smtp.cafile, insecure=smtp.insecure)


@dataclass(frozen=True)
class Arrival:
    """Where the test message was found, after how long; or why it was not.

    Attributes:
        found: the message is where it was meant to arrive (the Inbox or Junk when it was
            sent to this mailbox itself; Sent Items when it went only to others).
        folder: that folder's name as the server lists it.
        folders: every folder that holds it (Sent Items too, where the server saves sends).
        after_s: seconds from the start of the check to the find.
        reason: when not found: "signin_refused" (IMAP refused the credentials),
            "unreachable", "folder_missing" (no folder to look in) or "not_found".
        detail: the finding in plain words, the server's reply included.
        searched: the folders looked in; missing: the roles no folder was found for.
    """

    found: bool
    folder: str | None = None
    folders: tuple[str, ...] = ()
    after_s: float | None = None
    reason: Reason | None = None
    detail: str = ""
    searched: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    host: str = ""
    port: int = 0
    to_self: bool = True
    waited_s: float = 0.0
    roles: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def checked(self) -> bool:
        """Whether the mailbox could be searched at all."""
        return self.reason not in ("signin_refused", "unreachable")

    @property
    def arrived(self) -> str | None:
        """The answer to "did it arrive?" as the diagnosis reads it: "yes", "junk", "no", or
        None when the check could not tell (sign-in refused, server unreachable, or a send to
        others only, whose arrival this mailbox cannot show)."""
        if not self.checked or not self.to_self:
            return None
        if not self.found:
            return "no" if self.reason == "not_found" else None
        return "junk" if self.roles.get(self.folder or "") == "junk" else "yes"

    @property
    def refused(self) -> bool:
        return self.reason == "signin_refused"

    def to_dict(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "folder": self.folder,
            "folders": list(self.folders),
            "after_s": None if self.after_s is None else round(self.after_s, 2),
            "reason": self.reason,
            "detail": self.detail,
            "searched": list(self.searched),
            "missing": list(self.missing),
            "host": self.host,
            "port": self.port,
            "waited_s": round(self.waited_s, 2),
        }

    def __str__(self) -> str:
        return self.detail


async def check_arrival(
    settings: ImapSettings,
    credentials: Credentials,
    token: str,
    *,
    to_self: bool = True,
    timeout: float = DEFAULT_TIMEOUT_S,
    interval: float = 1.0,
    connect_timeout: float = 10.0,
) -> Arrival:
    """Look for the test message whose subject holds `token`, until found or `timeout` s.

    Args:
        settings: the IMAP server (`ImapSettings.beside(smtp_settings)`).
        credentials: the same credentials the send used (an OAuth2 token must carry the
            IMAP scope, `IMAP_SCOPE`).
        token: the test message's token (`ProbeReport.token`).
        to_self: the message was sent to this mailbox itself (the default test); else only
            Sent Items can show it.
        timeout: how long to keep looking (Outlook can take a minute; the simulator files
            at once).
        interval: seconds between looks.
    """
    if timeout < 0 or interval <= 0:
        raise ValueError("timeout must be >= 0 and interval > 0 seconds")
    look = _Look(settings, credentials, token, to_self, connect_timeout)
    return await asyncio.to_thread(look.run, timeout, interval)


class _Look:
    """One arrival check while it runs, in a worker thread (imaplib blocks)."""

    def __init__(
        self,
        settings: ImapSettings,
        credentials: Credentials,
        token: str,
        to_self: bool,
        connect_timeout: float,
    ) -> None:
        self.settings, self.credentials, self.token = settings, credentials, token
        self.to_self, self.connect_timeout = to_self, connect_timeout
        self.redactor = Redactor([credentials.secret])

    def run(
        self, timeout: float, interval: float, now: Callable[[], float] = time.monotonic
    ) -> Arrival:
        start = now()
        try:
            imap = self._sign_in()
        except _Finding as finding:
            return self._result(False, reason=finding.reason, detail=finding.detail, start=start)
        try:
            roles = self._folders(imap)
            wanted: tuple[Role, ...] = ("inbox", "junk") if self.to_self else ("sent",)
            searched = tuple(roles[r] for r in ("inbox", "junk", "sent") if r in roles)
            missing = tuple(r for r in ("inbox", "junk", "sent") if r not in roles)
            if not any(r in roles for r in wanted):
                names = " or ".join(wanted)
                return self._result(
                    False,
                    reason="folder_missing",
                    detail=f"the mailbox lists no {names} folder to look in",
                    start=start,
                    searched=searched,
                    missing=missing,
                )
            while True:
                holding = tuple(name for name in searched if self._holds(imap, name))
                target = next((roles[r] for r in wanted if roles.get(r) in holding), None)
                if target is not None:
                    after = now() - start
                    return self._result(
                        True,
                        folder=target,
                        folders=holding,
                        after=after,
                        start=start,
                        searched=searched,
                        missing=missing,
                        roles={name: role for role, name in roles.items()},
                        detail=f"found in {target} after {after:.1f} s" + _also(holding, target),
                    )
                if now() - start + interval > timeout:
                    where = " or ".join(roles[r] for r in wanted if r in roles)
                    detail = f"not in {where} after {now() - start:.0f} s"
                    if holding:
                        detail += f" (only in {', '.join(holding)})"
                    return self._result(
                        False,
                        reason="not_found",
                        folders=holding,
                        detail=detail,
                        start=start,
                        searched=searched,
                        missing=missing,
                    )
                time.sleep(interval)
        except (imaplib.IMAP4.error, OSError) as exc:
            return self._result(
                False,
                reason="unreachable",
                detail=f"the IMAP session broke off: {self._words(exc)}",
                start=start,
            )
        finally:
            _logout(imap)

    # --- steps -------------------------------------------------------------------------------

    def _sign_in(self) -> imaplib.IMAP4_SSL:
        s = self.settings
        where = f"{s.host}:{s.port}"
        try:
            context = client_context(cafile=s.cafile, insecure=s.insecure)
            imap = imaplib.IMAP4_SSL(
                s.host, s.port, ssl_context=context, timeout=self.connect_timeout
            )
        except ssl.SSLError as exc:
            raise _Finding("unreachable", f"TLS with {where} failed: {exc.reason or exc}") from None
        except (OSError, imaplib.IMAP4.error) as exc:
            raise _Finding(
                "unreachable", f"could not reach IMAP at {where}: {self._words(exc)}"
            ) from None
        user, secret = self.credentials.user, self.credentials.secret.reveal()
        try:
            if self.credentials.kind is SecretKind.OAUTH_TOKEN:
                blob = f"user={user}\x01auth=Bearer {secret}\x01\x01".encode()
                imap.authenticate("XOAUTH2", lambda _challenge: blob)
            else:
                imap.login(user, secret)
        except imaplib.IMAP4.error as exc:
            _logout(imap)
            said = self._words(exc)
            if "[UNAVAILABLE]" in said.upper():  # RFC 5530: could not check, not a refusal
                raise _Finding(
                    "unreachable",
                    f"IMAP at {where} could not check the sign-in just now ({said}); "
                    "try again in a few minutes",
                ) from None
            raise _Finding(
                "signin_refused",
                f"IMAP at {where} refused the sign-in ({said}) with the credentials the send used",
            ) from None
        except OSError as exc:
            _logout(imap)
            raise _Finding(
                "unreachable", f"IMAP at {where} broke off: {self._words(exc)}"
            ) from None
        finally:
            del secret
        return imap

    def _folders(self, imap: imaplib.IMAP4_SSL) -> dict[Role, str]:
        """The folder name for each role: by SPECIAL-USE flag first, then by known names."""
        typ, lines = imap.list()
        listed: list[tuple[str, str]] = []  # (name, lowercased flags)
        for line in lines if typ == "OK" else []:
            if not isinstance(line, bytes):
                continue
            match = _LIST_LINE.match(line)
            if match:
                name = match["name"].decode("utf-8", "replace").strip()
                if name.startswith('"') and name.endswith('"'):
                    name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
                listed.append((name, match["flags"].decode("ascii", "replace").lower()))
        roles: dict[Role, str] = {}
        for role, flag in _FLAGS.items():
            hit = next((n for n, flags in listed if flag in flags.split()), None)
            if hit:
                roles[role] = hit
        for role, names in _NAMES.items():
            if role not in roles:
                hit = next((n for n, _ in listed if n.casefold() in names), None)
                if hit:
                    roles[role] = hit
        if "inbox" in roles:
            roles["inbox"] = "Inbox"  # INBOX is case-insensitive (RFC 3501); Outlook says Inbox
        return roles

    def _holds(self, imap: imaplib.IMAP4_SSL, folder: str) -> bool:
        """Whether the folder holds a message whose Subject carries the token (read-only)."""
        typ, _ = imap.select(_quoted(folder), readonly=True)  # EXAMINE
        if typ != "OK":
            return False
        typ, data = imap.search(None, "SUBJECT", _quoted(self.token))
        numbers = data[0].split() if typ == "OK" and data and data[0] else []
        for number in numbers[-5:]:
            typ, parts = imap.fetch(number, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            if typ == "OK" and any(
                isinstance(p, tuple) and self.token.encode() in p[1] for p in parts
            ):
                return True
        return False

    # --- helpers -----------------------------------------------------------------------------

    def _words(self, exc: BaseException) -> str:
        arg = exc.args[0] if exc.args else exc
        text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
        if isinstance(exc, socket.timeout | TimeoutError):
            text = f"no answer within {self.connect_timeout:g} s (timed out)"
        elif isinstance(exc, ConnectionRefusedError):
            text = "connection refused (nothing listens there, or a firewall refuses)"
        return self.redactor.scrub(text.strip() or type(exc).__name__)

    def _result(
        self,
        found: bool,
        *,
        start: float,
        reason: Reason | None = None,
        detail: str = "",
        folder: str | None = None,
        folders: tuple[str, ...] = (),
        after: float | None = None,
        searched: tuple[str, ...] = (),
        missing: tuple[str, ...] = (),
        roles: dict[str, str] | None = None,
    ) -> Arrival:
        return Arrival(
            found=found,
            folder=folder,
            folders=folders,
            after_s=after,
            reason=reason,
            detail=self.redactor.scrub(detail),
            searched=searched,
            missing=missing,
            host=self.settings.host,
            port=self.settings.port,
            to_self=self.to_self,
            waited_s=time.monotonic() - start,
            roles=roles or {},
        )


class _Finding(Exception):
    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _also(holding: tuple[str, ...], target: str) -> str:
    others = [name for name in holding if name != target]
    return f" (also in {', '.join(others)})" if others else ""


def _logout(imap: imaplib.IMAP4_SSL | None) -> None:
    if imap is None:
        return
    with contextlib.suppress(imaplib.IMAP4.error, OSError):
        imap.logout()
