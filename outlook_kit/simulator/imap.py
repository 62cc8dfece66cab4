"""The simulator's IMAP: each mailbox's Inbox, Junk and Sent Items over TLS, served by pymap.

pymap speaks the protocol (RFC 9051/3501 parsing, SEARCH, FETCH, EXAMINE, IDLE, SASL); this
module supplies what Outlook decides: who may sign in (`rules.imap_sign_in`), and what each
folder holds, fed from the one `Mailbox` the SMTP side delivers into. An accepted message is
saved once in the sender's Sent Items (as Outlook saves what SMTP AUTH submits) and lands in
each roster recipient's Inbox, or Junk where the recipient's traits route it there; a message
dropped by the silent trap lands nowhere. Refusals read as Exchange's do (`NO LOGIN failed.`),
whatever the reason, as on outlook.office365.com:993.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Final

from proxyprotocol.reader import ProxyProtocolReader
from proxyprotocol.version import ProxyProtocolVersion
from pymap.backend.dict import Session
from pymap.backend.dict.filter import FilterSet
from pymap.backend.dict.mailbox import MailboxSet
from pymap.concurrent import Subsystem
from pymap.config import BackendCapability, IMAPConfig
from pymap.context import current_command
from pymap.exceptions import InvalidAuth
from pymap.imap import IMAPServer
from pymap.interfaces.login import IdentityInterface, LoginInterface
from pymap.parsing.command.nonauth import LoginCommand
from pymap.parsing.message import AppendMessage
from pymap.parsing.response import ResponseNo
from pymap.parsing.specials.flag import Seen
from pymap.token import AllTokens
from pysasl import SASLAuth
from pysasl.creds.external import ExternalCredentials, ExternalVerificationRequired
from pysasl.creds.server import ServerCredentials
from pysasl.hashing import BuiltinHash
from pysasl.identity import ClearIdentity
from pysasl.mechanism.login import LoginMechanism
from pysasl.mechanism.oauth import OAuth2Mechanism
from pysasl.mechanism.plain import PlainMechanism

from outlook_kit.simulator import rules
from outlook_kit.simulator.mailbox import Delivered
from outlook_kit.simulator.roster import Account

log = logging.getLogger(__name__)

INBOX, JUNK, SENT = "INBOX", "Junk", "Sent Items"
FOLDERS: Final = (INBOX, JUNK, SENT)
GREETING = b"The Microsoft Exchange IMAP4 service is ready."


class _Refused(InvalidAuth):
    """A refused sign-in, worded as Exchange words it (no reason given)."""

    def get_response(self, tag: bytes) -> ResponseNo:
        command = current_command.get(None)
        verb = b"LOGIN" if isinstance(command, LoginCommand) else b"AUTHENTICATE"
        return ResponseNo(tag, verb + b" failed.")


class Folders:
    """Every mailbox's folders, in pymap's in-memory store, kept from the SMTP side's deliveries."""

    def __init__(self, directory: rules.Directory) -> None:
        self._directory = directory
        self._sets: dict[str, MailboxSet] = {}
        self._filters: dict[str, FilterSet] = {}

    async def of(self, account: Account) -> tuple[MailboxSet, FilterSet]:
        key = account.address.casefold()
        if key not in self._sets:
            mailboxes = MailboxSet()
            for name in FOLDERS[1:]:
                await mailboxes.add_mailbox(name)
            self._sets[key], self._filters[key] = mailboxes, FilterSet()
        return self._sets[key], self._filters[key]

    async def deliver(self, copies: list[Delivered]) -> None:
        """File one accepted message: the sender's Sent Items, each recipient's Inbox or Junk."""
        if not copies:
            return
        first = copies[0]
        sender = self._directory.account(first.account)
        if sender is not None:
            await self._append(sender, SENT, first.data, first.received_at, seen=True)
        for copy in copies:
            owner = self._directory.owner(copy.recipient)
            if owner is not None:
                folder = JUNK if owner.traits.junk_inbound else INBOX
                await self._append(owner, folder, copy.data, copy.received_at, seen=False)

    async def _append(
        self, account: Account, folder: str, data: bytes, when: datetime, *, seen: bool
    ) -> None:
        mailboxes, _ = await self.of(account)
        mailbox = await mailboxes.get_mailbox(folder)
        flags = frozenset({Seen}) if seen else frozenset()
        await mailbox.append(AppendMessage(data, when, flags), recent=not seen)


class _Config(IMAPConfig):
    """pymap's settings for the simulator: TLS from the first byte, PLAIN, LOGIN and XOAUTH2."""

    def __init__(self) -> None:
        args: Any = type("Args", (), {"passlib_cfg": None, "proxy_protocol": None})()
        super().__init__(
            args,
            host=None,
            port=0,
            tls_enabled=False,  # implicit TLS: the socket is already encrypted, no STARTTLS
            invalid_user_sleep=0.0,
            reject_dnsbl=False,
            hash_context=BuiltinHash(),
            cpu_subsystem=Subsystem.for_asyncio(),
            proxy_protocol=ProxyProtocolVersion.get(None),
            bad_command_limit=None,
        )

    @property
    def backend_capability(self) -> BackendCapability:
        return BackendCapability(idle=True, object_id=False, multi_append=True)

    @property
    def tls_auth(self) -> SASLAuth:
        return SASLAuth([PlainMechanism(), LoginMechanism(), OAuth2Mechanism()])

    @property
    def greeting(self) -> bytes:
        return GREETING


class _Identity(IdentityInterface):
    def __init__(self, account: Account, folders: Folders, config: _Config) -> None:
        self.account, self._folders, self._config = account, folders, config

    @property
    def name(self) -> str:
        return self.account.address

    @property
    def roles(self) -> frozenset[str]:
        return frozenset()

    @asynccontextmanager
    async def new_session(self) -> AsyncIterator[Session]:
        mailboxes, filters = await self._folders.of(self.account)
        yield Session(self.name, self._config, mailboxes, filters)  # type: ignore[arg-type]

    async def new_token(self, *, expiration: datetime | None = None) -> str | None:
        return None

    async def get(self) -> Any:
        raise NotImplementedError("the simulator keeps no IMAP user metadata")

    async def set(self, metadata: Any) -> int:
        raise NotImplementedError("the simulator keeps no IMAP user metadata")

    async def delete(self) -> None:
        raise NotImplementedError("the simulator's mailboxes are its roster")


class _Login(LoginInterface):
    def __init__(self, directory: rules.Directory, folders: Folders, config: _Config) -> None:
        self._directory, self._folders, self._config = directory, folders, config
        self._tokens = AllTokens(config)

    @property
    def tokens(self) -> AllTokens:
        return self._tokens

    async def authenticate(self, credentials: ServerCredentials) -> _Identity:
        if isinstance(credentials, ExternalCredentials):  # XOAUTH2
            try:
                credentials.verify(None)
            except ExternalVerificationRequired as needed:
                token = needed.token
            login = credentials.authzid
            account = rules.imap_sign_in(self._directory, login, token=token or "")
        else:  # LOGIN, or SASL PLAIN / LOGIN: pysasl reveals the secret only by comparison
            login = credentials.authcid
            known = self._directory.account(login)
            candidates = (known.password, *known.app_passwords) if known else ()
            secret = next(
                (c for c in candidates if credentials.verify(ClearIdentity(login, c))), None
            )
            account = rules.imap_sign_in(self._directory, login, secret=secret)
        if account is None:
            log.info("IMAP sign-in refused for %s", login)
            raise _Refused()
        log.info("IMAP sign-in accepted for %s", account.address)
        return _Identity(account, self._folders, self._config)

    async def authorize(self, authenticated: IdentityInterface, authzid: str) -> IdentityInterface:
        if authzid and authzid.casefold() != authenticated.name.casefold():
            raise _Refused()
        return authenticated


async def serve(
    sock: Any, directory: rules.Directory, folders: Folders, tls: Any
) -> asyncio.base_events.Server:
    """Start serving IMAP over TLS on the bound socket, in the running loop."""
    config = _Config()
    server = IMAPServer(_Login(directory, folders, config), config)
    callback = ProxyProtocolReader(config.proxy_protocol).get_callback(server)
    return await asyncio.start_server(callback, sock=sock, ssl=tls)
