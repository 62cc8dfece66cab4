"""The staged test send: the one module that talks to aiosmtplib.

Each stage (dns, connect, banner, ehlo, starttls, ehlo_tls, auth, mail_from, rcpt_to,
data, quit) runs and is timed on its own, so a failure is pinned to one stage with the
server's reply. The result is a `ProbeReport` value; failures of the far side are
findings in it, never exceptions. AUTH is never sent in the clear, and no secret, plain
or base64, reaches the report, its transcript or its text.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiosmtplib
from aiosmtplib.esmtp import parse_esmtp_extensions
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings

from .accounts import Credentials, SecretKind, SmtpSettings
from .message import TestMessage
from .protocol import Reply, Stage
from .secret import Redactor
from .tls import TlsInfo, certificate_names, client_context, tls_info
from .transcript import Transcript


@dataclass(frozen=True)
class Timeouts:
    """Seconds each stage may take: `connect` for dns and connect, `command` for each reply."""

    connect: float = 10.0
    command: float = 30.0

    def __post_init__(self) -> None:
        if self.connect <= 0 or self.command <= 0:
            raise ValueError("timeouts must be positive numbers of seconds")


@dataclass(frozen=True)
class StageResult:
    """One stage: whether it passed, how long it took, and the server's reply if any."""

    stage: Stage
    ok: bool
    elapsed_ms: float
    code: int | None = None
    enhanced: str | None = None
    text: str | None = None
    note: str | None = None  # the kit's words where there is no reply (a timeout, a drop)

    @property
    def reply(self) -> Reply | None:
        return Reply(self.code, self.enhanced, self.text or "") if self.code is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": str(self.stage),
            "ok": self.ok,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "code": self.code,
            "enhanced": self.enhanced,
            "text": self.text,
            "note": self.note,
        }

    def __str__(self) -> str:
        said = str(self.reply) if self.reply else (self.note or "")
        if self.ok:
            return f"{self.stage} ok ({self.elapsed_ms:.0f} ms)"
        return f"{self.stage} failed: {said}".rstrip()


@dataclass(frozen=True)
class ProbeReport:
    """The outcome of one staged test send."""

    host: str
    port: int
    user: str
    secret_kind: SecretKind
    from_addr: str
    recipients: tuple[str, ...]
    started_at: datetime
    stages: tuple[StageResult, ...]
    transcript: tuple[str, ...]
    extensions: tuple[str, ...] = ()
    auth_mechanisms: tuple[str, ...] = ()
    tls: TlsInfo | None = None
    token: str | None = None
    message_id: str | None = None
    stop_after: Stage | None = None
    hints: tuple[str, ...] = field(default=())

    @property
    def failure(self) -> StageResult | None:
        return next((s for s in self.stages if not s.ok), None)

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def failed_stage(self) -> Stage | None:
        failure = self.failure
        return failure.stage if failure else None

    @property
    def reply(self) -> Reply | None:
        """The failing stage's reply (None on success, or where the server said nothing)."""
        failure = self.failure
        return failure.reply if failure else None

    @property
    def sent(self) -> bool:
        """Whether the server accepted the message (the data stage passed)."""
        return any(s.stage is Stage.DATA and s.ok for s in self.stages)

    @property
    def elapsed_ms(self) -> float:
        return sum(s.elapsed_ms for s in self.stages)

    def stage(self, stage: Stage | str) -> StageResult | None:
        return next((s for s in self.stages if s.stage == stage), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "failed_stage": str(self.failed_stage) if self.failed_stage else None,
            "sent": self.sent,
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "secret_kind": str(self.secret_kind),
            "from": self.from_addr,
            "recipients": list(self.recipients),
            "started_at": self.started_at.isoformat(),
            "elapsed_ms": round(self.elapsed_ms, 1),
            "stages": [s.to_dict() for s in self.stages],
            "extensions": list(self.extensions),
            "auth_mechanisms": list(self.auth_mechanisms),
            "tls": self.tls.to_dict() if self.tls else None,
            "token": self.token,
            "message_id": self.message_id,
            "stop_after": str(self.stop_after) if self.stop_after else None,
            "hints": list(self.hints),
            "transcript": list(self.transcript),
        }

    def __str__(self) -> str:
        head = f"probe of {self.user} at {self.host}:{self.port}: "
        if self.ok:
            head += "sent, token " + str(self.token) if self.sent else "ok (no mail sent)"
        else:
            head += str(self.failure)
        return "\n".join([head, *(f"  {s}" for s in self.stages)])


class _StageFailed(Exception):
    """Raised inside a stage to end it as failed, with the reply or the kit's note."""

    def __init__(self, reply: Reply | None = None, note: str | None = None) -> None:
        super().__init__(note or str(reply))
        self.reply = reply
        self.note = note


class _Session:
    """The state of one probe while it runs."""

    def __init__(
        self,
        settings: SmtpSettings,
        credentials: Credentials,
        timeouts: Timeouts,
        on_stage: Callable[[StageResult], None] | None,
    ) -> None:
        self.settings = settings
        self.credentials = credentials
        self.timeouts = timeouts
        self.on_stage = on_stage
        self.redactor = Redactor([credentials.secret])
        self.transcript = Transcript(self.redactor)
        self.stages: list[StageResult] = []
        self.smtp: aiosmtplib.SMTP | None = None
        self.extensions: dict[str, str] = {}
        self.auth_mechanisms: list[str] = []
        self.tls: TlsInfo | None = None
        self.address: tuple[Any, ...] | None = None
        self.sock: socket.socket | None = None
        self._last: Reply | None = None  # the latest reply of the running stage

    @contextmanager
    def stage(self, stage: Stage) -> Iterator[None]:
        """Run one stage: time it, and turn what goes wrong into a failed StageResult."""
        start = time.perf_counter()
        self._last = None
        reply: Reply | None = None
        note: str | None = None
        try:
            yield
        except _StageFailed as failed:
            reply, note = failed.reply, failed.note
        except aiosmtplib.SMTPResponseException as exc:  # a refusal raised by aiosmtplib itself
            reply = Reply.parse(exc.code, self.redactor.scrub(exc.message))
            self.transcript.received(reply)
        except (aiosmtplib.SMTPTimeoutError, TimeoutError):
            if stage in (Stage.DNS, Stage.CONNECT):
                note = f"no answer within {self.timeouts.connect:g} s (timed out)"
                if stage is Stage.CONNECT:
                    note += "; the port may be blocked by a firewall or the network provider"
            else:
                note = f"no answer within {self.timeouts.command:g} s (timed out)"
        except aiosmtplib.SMTPServerDisconnected:
            note = "the server closed the connection"
        except ssl.SSLError as exc:
            note = f"TLS failed: {exc.reason or exc}"
        except OSError as exc:  # refused, unreachable, reset
            note = _os_error_note(exc, self.settings)
        except aiosmtplib.SMTPException as exc:
            note = str(exc)
        else:
            last = self._last
            self._record(
                StageResult(
                    stage,
                    True,
                    _ms(start),
                    last.code if last else None,
                    last.enhanced if last else None,
                    last.text if last else None,
                )
            )
            return
        if reply is None and note is not None:
            self.transcript.info(f"{stage} failed: {note}")
        result = StageResult(
            stage,
            False,
            _ms(start),
            reply.code if reply else None,
            reply.enhanced if reply else None,
            reply.text if reply else None,
            self.redactor.scrub(note) if note else None,
        )
        self._record(result)
        raise _Stop from None

    def _record(self, result: StageResult) -> None:
        self.stages.append(result)
        if self.on_stage is not None:
            self.on_stage(result)

    async def command(
        self, line: str, *, shown: str | None = None, expect: tuple[int, ...]
    ) -> Reply:
        """Send one command line, record it (masked as `shown`) and its reply."""
        assert self.smtp is not None
        self.transcript.sent(shown if shown is not None else line)
        response = await self.smtp.execute_command(
            *line.encode("utf-8").split(b" ", 1), timeout=self.timeouts.command
        )
        return self.reply(response.code, response.message, expect)

    def reply(self, code: int, message: str, expect: tuple[int, ...]) -> Reply:
        reply = Reply.parse(code, self.redactor.scrub(message))
        self.transcript.received(reply)
        self._last = reply
        if code not in expect:
            raise _StageFailed(reply)
        return reply


class _Stop(Exception):
    """Ends the staged run after a failed stage."""


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


async def probe(
    settings: SmtpSettings,
    credentials: Credentials,
    /,
    *,
    message: TestMessage | None = None,
    stop_after: Stage | str | None = None,
    timeouts: Timeouts = Timeouts(),
    on_stage: Callable[[StageResult], None] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> ProbeReport:
    """Run a staged test send and report each stage.

    Args:
        settings: where to connect (`settings_for(address).smtp`, or the simulator's).
        credentials: the user name and its secret (`Credentials.app_password(...)`).
        message: the test message; by default one from the user to the user.
        stop_after: end after this stage (e.g. `"auth"` to check the sign-in without
            sending mail); QUIT is still sent.
        timeouts: per-stage time limits.
        on_stage: called with each StageResult as it completes (for live progress).
        clock: where `started_at` comes from (UTC now by default; the simulator's clock when
            a lesson or sample data runs on simulated time).

    Returns:
        A ProbeReport; `report.ok`, `report.failed_stage` and `report.reply` tell the outcome.
    """
    stop = Stage(stop_after) if stop_after is not None else None
    message = message or TestMessage(credentials.user, (credentials.user,))
    session = _Session(settings, credentials, timeouts, on_stage)
    email = message.build()
    started = clock() if clock is not None else datetime.now(UTC)
    try:
        await _run(session, email.as_bytes(), message, stop)
    except _Stop:
        pass
    finally:
        await _quit(session)
    return ProbeReport(
        host=settings.host,
        port=settings.port,
        user=credentials.user,
        secret_kind=credentials.kind,
        from_addr=message.from_addr,
        recipients=message.to,
        started_at=started,
        stages=tuple(session.stages),
        transcript=session.transcript.lines,
        extensions=tuple(session.extensions),
        auth_mechanisms=tuple(session.auth_mechanisms),
        tls=session.tls,
        token=message.token,
        message_id=str(email["Message-ID"]),
        stop_after=stop,
        hints=credentials.hints,
    )


async def _run(s: _Session, data: bytes, message: TestMessage, stop: Stage | None) -> None:
    settings, t = s.settings, s.transcript
    loop = asyncio.get_running_loop()

    def done(stage: Stage) -> bool:
        return stop is not None and stage.order >= stop.order

    with s.stage(Stage.DNS):
        t.info(f"Trying {settings.host}:{settings.port}...")
        infos = await asyncio.wait_for(
            loop.getaddrinfo(settings.host, settings.port, type=socket.SOCK_STREAM),
            s.timeouts.connect,
        )
        if not infos:
            raise _StageFailed(note=f"{settings.host} has no address")
    if done(Stage.DNS):
        return

    with s.stage(Stage.CONNECT):
        sock = s.sock = await _connect(infos, s.timeouts.connect)
        s.address = sock.getpeername()
        t.info(f"Connected to {s.address[0]} port {s.address[1]}.")
    if done(Stage.CONNECT):
        return

    with s.stage(Stage.BANNER):
        s.smtp = aiosmtplib.SMTP(
            hostname=settings.host,
            sock=sock,
            local_hostname=settings.ehlo_name,
            timeout=s.timeouts.command,
            start_tls=False,
            use_tls=False,
        )
        try:
            banner = await s.smtp.connect()
        except aiosmtplib.SMTPConnectResponseError as exc:
            s.reply(exc.code, exc.message, expect=(220,))
        except aiosmtplib.SMTPConnectTimeoutError as exc:
            raise TimeoutError from exc
        except aiosmtplib.SMTPConnectError as exc:
            raise aiosmtplib.SMTPServerDisconnected(str(exc)) from exc
        else:
            s.reply(banner.code, banner.message, expect=(220,))
    if done(Stage.BANNER):
        return

    with s.stage(Stage.EHLO):
        await _ehlo(s)
    if done(Stage.EHLO):
        return

    with s.stage(Stage.STARTTLS):
        await _starttls(s)
    if done(Stage.STARTTLS):
        return

    with s.stage(Stage.EHLO_TLS):
        await _ehlo(s)
    if done(Stage.EHLO_TLS):
        return

    with s.stage(Stage.AUTH):
        await _auth(s)
    if done(Stage.AUTH):
        return

    with s.stage(Stage.MAIL_FROM):
        await s.command(f"MAIL FROM:<{message.from_addr}>", expect=(250,))
    if done(Stage.MAIL_FROM):
        return

    with s.stage(Stage.RCPT_TO):
        for rcpt in message.to:
            await s.command(f"RCPT TO:<{rcpt}>", expect=(250, 251))
    if done(Stage.RCPT_TO):
        return

    with s.stage(Stage.DATA):
        await s.command("DATA", expect=(354,))
        assert s.smtp is not None and s.smtp.protocol is not None
        payload = PERIOD_REGEX.sub(b"..", normalize_message_line_endings(data)) + b".\r\n"
        for line in payload.decode("utf-8", "replace").splitlines():
            t.sent(line)
        s.smtp.protocol.write(payload)
        response = await s.smtp.protocol.read_response(timeout=s.timeouts.command)
        s.reply(response.code, response.message, expect=(250,))


async def _connect(infos: list[Any], timeout: float) -> socket.socket:
    """A connected non-blocking socket to the first address that answers."""
    loop = asyncio.get_running_loop()
    last: OSError | None = None
    deadline = loop.time() + timeout
    for family, kind, proto, _name, address in infos:
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, address), deadline - loop.time())
        except (OSError, TimeoutError) as exc:
            sock.close()
            if isinstance(exc, TimeoutError):
                raise
            last = exc
            continue
        return sock
    raise last or OSError("no address to connect to")


async def _ehlo(s: _Session) -> None:
    assert s.smtp is not None
    name = s.settings.ehlo_name
    s.transcript.sent(f"EHLO {name}")
    try:
        response = await s.smtp.ehlo(hostname=name, timeout=s.timeouts.command)
    except aiosmtplib.SMTPHeloError as exc:
        s.reply(exc.code, exc.message, expect=(250,))
        return
    s.reply(response.code, response.message, expect=(250,))
    extensions, mechanisms = parse_esmtp_extensions(response.message)
    s.extensions = {k.upper(): v for k, v in extensions.items()}
    s.auth_mechanisms = [m.upper() for m in mechanisms]


async def _starttls(s: _Session) -> None:
    assert s.smtp is not None
    settings, t = s.settings, s.transcript
    if "STARTTLS" not in s.extensions:
        raise _StageFailed(
            note="the server does not offer STARTTLS, so the kit stops here: it never sends "
            "a password in the clear. Outlook.com offers STARTTLS on "
            "smtp-mail.outlook.com:587; check the host and port"
        )
    context = client_context(cafile=settings.cafile, insecure=settings.insecure)
    t.sent("STARTTLS")
    try:
        response = await s.smtp.starttls(
            server_hostname=settings.host, tls_context=context, timeout=s.timeouts.command
        )
    except ssl.SSLCertVerificationError as exc:
        why = exc.verify_message or exc.reason or str(exc)
        t.info(f"STARTTLS accepted; the TLS handshake failed certificate verification: {why}")
        s.tls = await _inspect_certificate(s, why)
        raise _StageFailed(
            note=f"certificate not trusted ({why}); presented subject {s.tls.subject}, "
            f"issuer {s.tls.issuer}. No AUTH was sent"
        ) from None
    s.reply(response.code, response.message, expect=(220,))
    t.encrypted = True
    s.tls = tls_info(s.smtp.get_transport_info("ssl_object"), verified=not settings.insecure)
    t.info(f"TLS started with {s.tls.version}, cipher {s.tls.cipher}")
    t.info(f"TLS peer subject: {s.tls.subject}")
    t.info(f"TLS peer issuer: {s.tls.issuer}")


async def _inspect_certificate(s: _Session, error: str) -> TlsInfo:
    """Reconnect once without verification to read the certificate; no AUTH is sent."""
    s.transcript.info("Reconnecting once without verification to read the certificate (no AUTH)")
    if s.smtp is not None:
        s.smtp.close()
        s.smtp = None
    assert s.address is not None
    inspector = aiosmtplib.SMTP(
        hostname=s.address[0],
        port=s.address[1],
        local_hostname=s.settings.ehlo_name,
        timeout=s.timeouts.command,
        start_tls=False,
    )
    subject = issuer = not_after = version = cipher = None
    try:
        await inspector.connect()
        await inspector.ehlo()
        await inspector.starttls(tls_context=client_context(insecure=True))
        ssl_object = inspector.get_transport_info("ssl_object")
        if ssl_object is not None:
            version, cipher = ssl_object.version(), (ssl_object.cipher() or (None,))[0]
            subject, issuer, not_after = certificate_names(ssl_object.getpeercert(True))
        await inspector.quit()
    except (aiosmtplib.SMTPException, OSError, ssl.SSLError):
        inspector.close()
    s.transcript.info(f"Presented certificate subject: {subject}")
    s.transcript.info(f"Presented certificate issuer: {issuer}")
    return TlsInfo(version, cipher, subject, issuer, False, not_after, error)


async def _auth(s: _Session) -> None:
    creds, t = s.credentials, s.transcript
    if not t.encrypted:  # pragma: no cover - the stages before guarantee TLS
        raise _StageFailed(note="no TLS: the kit never sends AUTH in the clear")
    offered = s.auth_mechanisms
    user = creds.user
    secret = creds.secret.reveal()
    if creds.kind is SecretKind.OAUTH_TOKEN:
        if "XOAUTH2" not in offered:
            raise _StageFailed(note=f"the server offers no AUTH XOAUTH2 (offers: {_list(offered)})")
        blob = _b64(f"user={user}\x01auth=Bearer {secret}\x01\x01")
        reply = await s.command(
            f"AUTH XOAUTH2 {blob}", shown="AUTH XOAUTH2 ********", expect=(235, 334)
        )
        if reply.code == 334:  # the error details come base64-encoded; an empty line ends it
            await s.command("", shown="", expect=(235,))
        return
    if "LOGIN" in offered:
        await s.command("AUTH LOGIN", expect=(334,))
        await s.command(_b64(user), shown="******** (user name, base64)", expect=(334,))
        await s.command(_b64(secret), shown="******** (password, base64)", expect=(235,))
        return
    if "PLAIN" in offered:
        blob = _b64(f"\0{user}\0{secret}")
        await s.command(f"AUTH PLAIN {blob}", shown="AUTH PLAIN ********", expect=(235,))
        return
    raise _StageFailed(
        note="the server offers no usable AUTH mechanism after STARTTLS "
        f"(offers: {_list(offered)}); this host does not take submissions "
        "(Outlook.com: smtp-mail.outlook.com:587)"
    )


async def _quit(s: _Session) -> None:
    """Say QUIT where the connection still stands; close everything either way."""
    smtp = s.smtp
    try:
        if smtp is not None and smtp.is_connected:
            with s.stage(Stage.QUIT):
                await s.command("QUIT", expect=(221,))
    except _Stop:
        pass
    finally:
        if smtp is not None:
            # Abort at once: after STARTTLS, close() starts a TLS shutdown that keeps the
            # socket registered with the loop, and closing it under that transport lets the
            # next probe's socket reuse its number ("File descriptor N is used by transport").
            if isinstance(smtp.transport, asyncio.Transport):
                smtp.transport.abort()
            smtp.close()
        if s.sock is not None:
            s.sock.close()


def _os_error_note(exc: OSError, settings: SmtpSettings) -> str:
    where = f"{settings.host}:{settings.port}"
    if isinstance(exc, socket.gaierror):
        return f"the name {settings.host} does not resolve ({exc.strerror}); check the host name"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused: nothing listens on {where}, or a firewall refuses it"
    if isinstance(exc, ConnectionResetError):
        return "the connection was reset by the server or a firewall"
    return f"{exc.strerror or exc or type(exc).__name__} ({where})"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _list(items: list[str]) -> str:
    return ", ".join(items) or "none"
