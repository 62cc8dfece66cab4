"""The Outlook stand-in on aiosmtpd: an SMTP subclass for the protocol, a handler for the rules.

`OutlookSMTP` (one per connection) speaks Exchange's dialect: the banner, STARTTLS,
AUTH only after TLS and only LOGIN and XOAUTH2, Exchange's reply texts, and the
network faults. `OutlookHandler` applies the mailbox rules (`rules`) and counters
(`limits`) at MAIL, RCPT and DATA and stores what is accepted. Per-connection state
lives on the `OutlookSMTP` instance; everything shared lives in `Backend`.
"""

from __future__ import annotations

import asyncio
import binascii
import collections
import functools
import logging
import re
import ssl
import uuid
from base64 import b64decode
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, LoginPassword, Session

from outlook_kit.protocol import Stage
from outlook_kit.simulator import replies, rules
from outlook_kit.simulator.clock import Clock
from outlook_kit.simulator.faults import Faults
from outlook_kit.simulator.limits import Entry, Ledger
from outlook_kit.simulator.mailbox import Delivered, Mailbox
from outlook_kit.simulator.roster import Account

HEADER_PARSER = BytesHeaderParser(policy=default_policy)
log = logging.getLogger("outlook_kit.simulator")

MAX_SIZE = 157_286_400
"""The SIZE Exchange Online advertises (150 MiB)."""
AUTH_MECHANISMS = ("LOGIN", "XOAUTH2")
LONG_LINE = 8192
"""Room for an XOAUTH2 initial response (a bearer token runs to a few KiB)."""

# Parameters of DSN (RFC 3461), advertised and accepted; a sink sends no notifications.
_DSN_MAIL = re.compile(r"\s+(?:RET|ENVID)=\S+", re.IGNORECASE)
_DSN_RCPT = re.compile(r"\s+(?:NOTIFY|ORCPT)=\S+", re.IGNORECASE)

# aiosmtpd's fixed replies, in Exchange's words (from Exchange session transcripts).
_EXCHANGE_WORDING = {
    "220 Ready to start TLS": replies.STARTTLS_READY,
    "354 End data with <CR><LF>.<CR><LF>": replies.START_MAIL_INPUT,
    "503 Error: send HELO first": "503 5.5.2 Send hello first",
    "503 Error: send EHLO first": "503 5.5.2 Send hello first",
    "503 Error: need MAIL command": "503 5.5.2 Need mail command",
    "503 Error: need RCPT command": "503 5.5.2 Need rcpt command",
    "503 Error: nested MAIL command": "503 5.5.2 Sender already specified",
    "503 Already authenticated": "503 5.5.2 Already authenticated",
}


@dataclass
class Backend:
    """What every connection of one simulator shares."""

    directory: rules.Directory
    ledger: Ledger
    mailbox: Mailbox
    clock: Clock
    faults: Callable[[], Faults]
    tls_context: ssl.SSLContext
    connections: set[OutlookSMTP] = field(default_factory=set)


class OutlookSMTP(SMTP):
    """One client connection, answered the way smtp-mail.outlook.com answers."""

    AuthLoginUsernameChallenge = "Username:"
    AuthLoginPasswordChallenge = "Password:"
    line_length_limit = LONG_LINE

    def __init__(
        self, backend: Backend, handler: OutlookHandler, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.backend = backend
        self.stamp = replies.Stamp()
        self.pending: list[Entry] = []
        self.signed_in: Account | None = None
        self._in_multiline = False
        self._closed_once = False
        super().__init__(
            handler,
            hostname=self.stamp.fqdn,
            ident=self.stamp.banner_ident(backend.clock.now()),
            tls_context=backend.tls_context,
            require_starttls=False,
            auth_required=False,
            auth_require_tls=True,
            auth_exclude_mechanism=["PLAIN"],
            authenticator=self._check_login,
            data_size_limit=MAX_SIZE,
            enable_SMTPUTF8=True,
            loop=loop,
        )
        # aiosmtpd keeps these limits in a class-wide dict; give each connection its own.
        self.command_size_limits = collections.defaultdict(
            lambda: SMTP.command_size_limit, {"AUTH": LONG_LINE}
        )
        self._smtp_methods = {
            name: self._droppable(name, m) for name, m in self._smtp_methods.items()
        }

    # --- replies ----------------------------------------------------------------------------

    def render(self, template: str, **values: str) -> str:
        return self.stamp.render(template, self.backend.clock.now(), **values)

    async def push(self, status: str | bytes) -> None:
        line = (
            status if isinstance(status, bytes) else _EXCHANGE_WORDING.get(status, status).encode()
        )
        delay = self.backend.faults().reply_delay_s
        if delay and not self._in_multiline:  # one delay per reply, not per line of it
            await asyncio.sleep(delay)
        self._in_multiline = line[3:4] == b"-"
        await super().push(line)

    # --- connection and faults --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._original_transport is None:
            self.backend.connections.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if not self._closed_once:
            self._closed_once = True
            self._release_pending()
            if self.signed_in is not None:
                self.backend.ledger.close_session(self.signed_in.address, self)
            self.backend.connections.discard(self)
        super().connection_lost(error)
        # asyncio parks a reset (ECONNRESET) in a future nobody awaits; mark it seen, or it
        # is printed as "Future exception was never retrieved" when collected.
        closed = getattr(self, "_closed", None)
        if closed is not None and closed.done() and not closed.cancelled():
            closed.exception()

    def kill(self) -> None:
        """Cut the connection at once (the simulator is stopping)."""
        transport = self._original_transport or self.transport
        if transport is not None:
            transport.abort()  # type: ignore[attr-defined]

    async def _handle_client(self) -> None:
        faults = self.backend.faults()
        if faults.drop_at is Stage.BANNER:
            self._drop()
            return
        if faults.silent_banner:
            await asyncio.Event().wait()  # until the client gives up (connection_lost cancels us)
        if faults.banner_421:
            await self.push(replies.SERVICE_NOT_AVAILABLE)
            self._drop()
            return
        await super()._handle_client()

    def _drop(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _stage_of(self, command: str) -> Stage | None:
        if command in ("EHLO", "HELO"):
            return Stage.EHLO_TLS if self._tls_protocol is not None else Stage.EHLO
        return {
            "STARTTLS": Stage.STARTTLS,
            "AUTH": Stage.AUTH,
            "MAIL": Stage.MAIL_FROM,
            "RCPT": Stage.RCPT_TO,
            "DATA": Stage.DATA,
            "QUIT": Stage.QUIT,
        }.get(command)

    def _droppable(
        self, command: str, method: Callable[[str | None], Any]
    ) -> Callable[[str | None], Any]:
        @functools.wraps(method)  # keeps aiosmtpd's HELP text
        async def run(arg: str | None) -> None:
            drop_at = self.backend.faults().drop_at
            if drop_at is not None and drop_at == self._stage_of(command):
                log.info("fault: dropping the connection at %s", drop_at)
                self._drop()
                return
            await method(arg)

        return run

    # --- transactions -----------------------------------------------------------------------

    def _release_pending(self) -> None:
        if self.pending:
            self.backend.ledger.release(self.pending)
            self.pending = []

    def _set_post_data_state(self) -> None:
        # Recipients counted at RCPT for a message that was not accepted are given back.
        self._release_pending()
        super()._set_post_data_state()  # type: ignore[no-untyped-call]

    async def smtp_MAIL(self, arg: str | None) -> None:
        await super().smtp_MAIL(_DSN_MAIL.sub("", arg) if arg else arg)

    async def smtp_RCPT(self, arg: str | None) -> None:
        await super().smtp_RCPT(_DSN_RCPT.sub("", arg) if arg else arg)

    # --- authentication ---------------------------------------------------------------------

    async def smtp_AUTH(self, arg: str) -> None:
        assert self.session is not None
        if not self.session.host_name or not arg:
            await super().smtp_AUTH(arg)
            return
        mechanism, _, rest = arg.strip().partition(" ")
        mechanism = mechanism.upper()
        if self._tls_protocol is None or mechanism not in AUTH_MECHANISMS:
            await self.push(self.render(replies.AUTH_UNRECOGNIZED))
            return
        await super().smtp_AUTH(f"{mechanism} {rest}".strip())

    def _result(self, sign_in: rules.SignIn, mechanism: str, login: str) -> AuthResult:
        if sign_in.account is None or sign_in.refusal is not None:
            log.info("AUTH %s refused for %s", mechanism, login)
            return AuthResult(
                success=False,
                handled=False,
                message=self.render(sign_in.refusal or replies.AUTH_FAILED),
            )
        self.signed_in = sign_in.account
        self.backend.ledger.open_session(sign_in.account.address, self)
        log.info("AUTH %s accepted for %s", mechanism, sign_in.account.address)
        return AuthResult(success=True, auth_data=sign_in.account.address, message=replies.AUTH_OK)

    def _check_login(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        try:
            login, secret = data.login.decode("utf-8"), data.password.decode("utf-8")
        except UnicodeDecodeError:
            return self._result(
                rules.SignIn(refusal=replies.AUTH_FAILED), mechanism, "(undecodable)"
            )
        return self._result(
            rules.sign_in_with_password(self.backend.directory, login, secret), mechanism, login
        )

    async def auth_XOAUTH2(self, _server: SMTP, args: list[str]) -> AuthResult:
        """SASL XOAUTH2, with the initial response on the AUTH line or after an empty `334 `."""
        if len(args) == 1:
            answer = await self.challenge_auth("", encode_to_b64=False)
            if answer is MISSING:
                return AuthResult(success=False, handled=True)
            assert isinstance(answer, bytes)
            blob = answer
        else:
            try:
                blob = b64decode(args[1], validate=True)
            except (binascii.Error, ValueError):
                await self.push("501 5.5.2 Cannot Decode base64 string")
                return AuthResult(success=False, handled=True)
        parsed = rules.parse_xoauth2(blob)
        if parsed is None:
            return self._result(rules.SignIn(refusal=replies.AUTH_FAILED), "XOAUTH2", "(malformed)")
        user, token = parsed
        return self._result(
            rules.sign_in_with_token(self.backend.directory, user, token), "XOAUTH2", user
        )


def ehlo_lines(server: OutlookSMTP, session: Session) -> list[str]:
    """Exchange's EHLO reply; STARTTLS before TLS, AUTH after it.

    BINARYMIME and CHUNKING, which Exchange also lists, are left out: BDAT is not
    implemented here, and a client that chose it would fail for the simulator's sake.
    """
    peer = session.peer[0] if isinstance(session.peer, tuple) else "127.0.0.1"
    tls = server._tls_protocol is not None
    words = [
        f"{server.stamp.fqdn} Hello [{peer}]",
        f"SIZE {MAX_SIZE}",
        "PIPELINING",
        "DSN",
        "ENHANCEDSTATUSCODES",
        "AUTH " + " ".join(AUTH_MECHANISMS) if tls else "STARTTLS",
        "8BITMIME",
        "SMTPUTF8",
    ]
    return [f"250-{w}" for w in words[:-1]] + [f"250 {words[-1]}"]


class OutlookHandler:
    """The aiosmtpd handler: Outlook's rules at EHLO, MAIL, RCPT and DATA."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    async def handle_EHLO(
        self,
        server: OutlookSMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        if not rules.valid_ehlo_name(hostname):
            return [server.render(replies.INVALID_DOMAIN)]
        session.host_name = hostname
        return ehlo_lines(server, session)

    async def handle_HELO(
        self, server: OutlookSMTP, session: Session, envelope: Envelope, hostname: str
    ) -> str:
        if not rules.valid_ehlo_name(hostname):
            return server.render(replies.INVALID_DOMAIN)
        session.host_name = hostname
        return ehlo_lines(server, session)[0].replace("250-", "250 ", 1)

    async def handle_MAIL(
        self,
        server: OutlookSMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        account = server.signed_in
        if not session.authenticated or account is None:
            return server.render(replies.NOT_AUTHENTICATED)
        if not self.backend.ledger.may_submit(account.address, server):
            return server.render(replies.THREAD_LIMIT)
        if not rules.may_send_as(account, address):
            return server.render(replies.SEND_AS_DENIED)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return replies.SENDER_OK

    async def handle_RCPT(
        self,
        server: OutlookSMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        account = server.signed_in
        if account is None:  # MAIL would have refused; kept for safety
            return server.render(replies.NOT_AUTHENTICATED)
        if rules.is_microsoft_hosted(address) and not self.backend.directory.exists(address):
            return server.render(replies.RECIPIENT_UNKNOWN)
        if account.traits.cap_reply == "guide":
            entry = self.backend.ledger.take(account.address, 1)
            if entry is None:
                return server.render(replies.CAP_GUIDE)
            server.pending.append(entry)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return replies.RECIPIENT_OK

    async def handle_DATA(self, server: OutlookSMTP, session: Session, envelope: Envelope) -> str:
        account = server.signed_in
        data = envelope.original_content or b""
        if account is None or envelope.mail_from is None:
            return server.render(replies.NOT_AUTHENTICATED)
        if rules.has_bare_linefeed(data):
            return server.render(replies.BARE_LINEFEEDS)
        if account.traits.spam_verdict:
            return server.render(replies.SPAM_HOLD, verdict=account.traits.spam_verdict)
        quota = account.traits.cap_reply == "quota"
        if quota and self.backend.ledger.take(account.address, len(envelope.rcpt_tos)) is None:
            return server.render(replies.CAP_QUOTA)
        server.pending = []  # the counted recipients stay counted: the message is accepted
        headers = HEADER_PARSER.parsebytes(data)
        message_id = str(headers.get("Message-ID", "")).strip().strip("<>") or _message_id(server)
        if account.traits.pop_smtp_enabled or account.traits.pop_off_behaviour != "silent":
            now = self.backend.clock.now()
            self.backend.mailbox.add(
                [
                    _delivered(account, envelope.mail_from, rcpt, data, now)
                    for rcpt in envelope.rcpt_tos
                ]
            )
        else:
            log.info("POP/SMTP off (silent): %s accepted a message and dropped it", account.address)
        return server.render(replies.QUEUED, message_id=message_id)

    async def handle_RSET(self, server: OutlookSMTP, session: Session, envelope: Envelope) -> str:
        return replies.RESET_OK

    async def handle_NOOP(
        self, server: OutlookSMTP, session: Session, envelope: Envelope, arg: str
    ) -> str:
        return replies.NOOP_OK

    async def handle_QUIT(self, server: OutlookSMTP, session: Session, envelope: Envelope) -> str:
        return replies.CLOSING

    async def handle_exception(self, error: Exception) -> str:
        log.warning("simulator session error: %s", type(error).__name__)
        return replies.TEMPORARY_ERROR


def _message_id(server: OutlookSMTP) -> str:
    stamp = server.stamp
    return f"{uuid.uuid4().hex.upper()}@{stamp.store_host}.{stamp.region}.prod.outlook.com"


def _delivered(
    account: Account, mail_from: str, recipient: str, data: bytes, now: datetime
) -> Delivered:
    return Delivered(
        account=account.address,
        mail_from=mail_from,
        recipient=recipient,
        data=data,
        received_at=now,
    )
