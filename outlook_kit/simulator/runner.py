"""`Simulator`: the Outlook stand-in, served from a background thread with its own event loop.

The listening socket is bound in the caller's thread (so port 0 gets its number,
and a busy port fails at once), then handed to `loop.create_server(sock=...)` in
the simulator's thread. `stop()` closes the listener, cuts open connections,
cancels their tasks, closes the loop, joins the thread and removes the CA file.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta
from types import TracebackType

from outlook_kit.arrival import ImapSettings
from outlook_kit.caps import CapModel
from outlook_kit.simulator import redaction
from outlook_kit.simulator.certs import TlsMaterial, make_tls
from outlook_kit.simulator.clock import Clock, SystemClock
from outlook_kit.simulator.faults import Faults
from outlook_kit.simulator.limits import Ledger
from outlook_kit.simulator.mailbox import Mailbox
from outlook_kit.simulator.roster import Account, default_roster
from outlook_kit.simulator.rules import Directory
from outlook_kit.simulator.server import Backend, OutlookHandler, OutlookSMTP

START_TIMEOUT_S = 10.0


class Simulator:
    """A local smtp-mail.outlook.com: real SMTP and STARTTLS on loopback, Outlook's replies.

    Args:
        host: the address to listen on.
        port: the port; 0 lets the OS choose (read it from `.port` after `start()`).
        roster: the accounts; default `default_roster()`.
        clock: `SystemClock()` by default; pass a `SimClock` to move time by hand.
        cap_model: the daily cap by account age; default `CapModel()`.
        faults: network faults; may be replaced while running (`sim.faults = Faults(...)`).
        tls_interception: None, or the name of a foreign root (e.g. "Some AV Root") whose
            certificate the server presents instead of the one `ca_file` verifies.
        extra_mailboxes: more addresses that exist as recipients at Microsoft domains.
        imap_port: serve the mailboxes' folders (Inbox, Junk, Sent Items) over IMAP with TLS
            from the first byte on this port, as outlook.office365.com:993 does; 0 (the
            default) takes any free one (read it from `.imap_port` after `start()`), None
            serves SMTP only.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        roster: Iterable[Account] | None = None,
        clock: Clock | None = None,
        cap_model: CapModel | None = None,
        faults: Faults | None = None,
        tls_interception: str | None = None,
        extra_mailboxes: Iterable[str] = (),
        imap_port: int | None = 0,
    ) -> None:
        for name, value in (("port", port), ("imap_port", imap_port)):
            if value is not None and not 0 <= value <= 65535:
                raise ValueError(f"{name} must be 0 (any free port) or 1-65535, got {value}")
        self.host = host
        self.port = port
        self.imap_port = imap_port
        self.roster: list[Account] = list(default_roster() if roster is None else roster)
        self.faults = faults or Faults()
        self.tls_interception = tls_interception
        self.mailbox = Mailbox()
        self._clock: Clock = clock or SystemClock()
        self._cap_model = cap_model or CapModel()
        self._directory = Directory(self.roster, extra_mailboxes)
        now = self._clock.now()
        created = {a.address: _created_at(a, now) for a in self.roster}
        self._ledger = Ledger(self._cap_model, self._clock, created)
        for account in self.roster:
            self._ledger.preload(account.address, account.traits.preload_recipients)
        self._tls: TlsMaterial | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._startup_error: BaseException | None = None
        self._stopped = False

    # --- what tests and notebooks read ------------------------------------------------------

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def cap_model(self) -> CapModel:
        return self._cap_model

    @property
    def ca_file(self) -> str:
        """Path of the PEM CA file that verifies the server certificate (after `start()`)."""
        if self._tls is None:
            raise RuntimeError("the CA file is made by start(); call sim.start() first")
        return str(self._tls.ca_file)

    def imap_settings(self) -> ImapSettings | None:
        """Where the arrival check signs in (None when this simulator serves no IMAP)."""
        if self.imap_port is None:
            return None
        return ImapSettings(self.host, self.imap_port, cafile=self.ca_file)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stopped

    def account(self, address: str) -> Account:
        """The roster account signing in as `address`."""
        account = self._directory.account(address)
        if account is None:
            known = ", ".join(a.address for a in self.roster)
            raise KeyError(f"no account {address!r} in the simulator's roster (known: {known})")
        return account

    def cap(self, address: str) -> int:
        """The mailbox's cap today, from its age on the simulator's clock."""
        return self._ledger.cap(self.account(address).address)

    def window_count(self, address: str) -> int:
        """Recipients accepted in the current rolling window for that mailbox."""
        return self._ledger.window_count(self.account(address).address)

    def paused_until(self, address: str) -> datetime | None:
        """When the mailbox's pause after its cap ends, or None when it is not paused."""
        return self._ledger.paused_until(self.account(address).address)

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Serve in a background thread with its own event loop; returns self."""
        if self._stopped:
            raise RuntimeError("a stopped Simulator cannot be restarted; create a new one")
        if self._thread is not None:
            return self
        redaction.install()
        self._tls = make_tls(self.tls_interception)
        try:
            sock = self._bind(self.port, "port")
            self.port = sock.getsockname()[1]
        except BaseException:
            self._tls.remove()
            raise
        imap_sock: socket.socket | None = None
        if self.imap_port is not None:
            try:
                imap_sock = self._bind(self.imap_port, "imap_port")
            except BaseException:
                sock.close()
                self._tls.remove()
                raise
            self.imap_port = imap_sock.getsockname()[1]
        backend = Backend(
            directory=self._directory,
            ledger=self._ledger,
            mailbox=self.mailbox,
            clock=self._clock,
            faults=lambda: self.faults,
            tls_context=self._tls.context,
        )
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._loop = loop
        self._thread = threading.Thread(
            target=self._run,
            args=(loop, sock, imap_sock, backend, ready),
            name=f"outlook-kit-simulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        if not ready.wait(START_TIMEOUT_S) or self._startup_error is not None:
            self.stop()
            raise RuntimeError(
                f"the simulator did not start on {self.host}:{self.port}"
            ) from self._startup_error
        return self

    def stop(self) -> None:
        """Stop serving, close every socket, join the thread. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop already closed after a failed start
                loop.call_soon_threadsafe(loop.stop)
            thread.join(START_TIMEOUT_S)
        if self._tls is not None:
            self._tls.remove()

    def serve_forever(self) -> None:
        """Serve until KeyboardInterrupt (Ctrl-C), then stop. Blocks the calling thread."""
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped" if self._stopped else "not started"
        return f"<Simulator {self.host}:{self.port} {state}, {len(self.roster)} accounts>"

    # --- internals --------------------------------------------------------------------------

    async def _serve_imap(
        self, loop: asyncio.AbstractEventLoop, sock: socket.socket, backend: Backend
    ) -> asyncio.base_events.Server:
        from outlook_kit.simulator import imap  # pymap loads only when IMAP is served

        folders = imap.Folders(self._directory)
        self.mailbox.subscribe(
            lambda copies: asyncio.run_coroutine_threadsafe(folders.deliver(copies), loop)
        )
        return await imap.serve(sock, self._directory, folders, backend.tls_context)

    def _bind(self, port: int, name: str) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto=IPPROTO_TCP, so asyncio sets TCP_NODELAY on accepted connections (it checks
        # the protocol number); with proto 0, Nagle holds each multi-line reply for ~40 ms.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, port))
            sock.listen(128)
            sock.setblocking(False)
        except OSError as error:
            sock.close()
            raise OSError(
                error.errno,
                f"the simulator cannot listen on {self.host}:{port} ({error.strerror}); "
                f"choose another port, or {name}=0 for any free one",
            ) from error
        return sock

    def _run(
        self,
        loop: asyncio.AbstractEventLoop,
        sock: socket.socket,
        imap_sock: socket.socket | None,
        backend: Backend,
        ready: threading.Event,
    ) -> None:
        asyncio.set_event_loop(loop)
        handler = OutlookHandler(backend)
        servers: list[asyncio.base_events.Server] = []
        try:
            servers.append(
                loop.run_until_complete(
                    loop.create_server(lambda: OutlookSMTP(backend, handler, loop), sock=sock)
                )
            )
            if imap_sock is not None:
                servers.append(loop.run_until_complete(self._serve_imap(loop, imap_sock, backend)))
        except BaseException as error:
            self._startup_error = error
            for server in servers:
                server.close()
            sock.close()
            if imap_sock is not None:
                imap_sock.close()
            loop.close()
            ready.set()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(_shutdown(servers, backend))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()


async def _shutdown(servers: list[asyncio.base_events.Server], backend: Backend) -> None:
    for server in servers:
        server.close()
    for connection in list(backend.connections):
        connection.kill()
    for _ in range(3):  # let connection_lost callbacks run
        await asyncio.sleep(0)
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for server in servers:
        await server.wait_closed()


def _created_at(account: Account, now: datetime) -> datetime:
    created = account.traits.created
    return created if isinstance(created, datetime) else now - timedelta(days=created)
