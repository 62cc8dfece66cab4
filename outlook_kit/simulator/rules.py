"""Outlook.com's decisions as pure functions: who may sign in, send as whom, mail whom.

No I/O and no state beyond the roster: the server module calls these and turns the
result into a reply line. Each refusal is a template from `replies`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from outlook_kit.simulator import replies
from outlook_kit.simulator.roster import Account

# Microsoft's consumer and tenant domains: outlook.com, hotmail.*, live.*, msn.com, outlook.*
# (including country variants such as hotmail.co.uk, outlook.fr, live.de) and *.onmicrosoft.com.
_MICROSOFT_DOMAIN = re.compile(
    r"^(?:(?:outlook|hotmail|live)\.(?:com|[a-z]{2}|co\.[a-z]{2}|com\.[a-z]{2})"
    r"|msn\.com|(?:[a-z0-9-]+\.)+onmicrosoft\.com)$"
)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EHLO_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_EHLO_LITERAL = re.compile(r"^\[(?:\d{1,3}(?:\.\d{1,3}){3}|IPv6:[0-9A-Fa-f:.]+)\]$")
_BARE_LF = re.compile(rb"(?<!\r)\n")


def is_microsoft_hosted(address: str) -> bool:
    """True when the address's domain is one Microsoft hosts (and so checks recipients for)."""
    return bool(_MICROSOFT_DOMAIN.match(address.rpartition("@")[2].casefold()))


def valid_ehlo_name(name: str) -> bool:
    """True for a domain name or an address literal; False for e.g. `laptop.` (trailing dot)."""
    return bool(_EHLO_DOMAIN.match(name) or _EHLO_LITERAL.match(name)) and len(name) <= 255


def has_bare_linefeed(data: bytes) -> bool:
    """True when the message has an LF not preceded by CR."""
    return bool(_BARE_LF.search(data))


class Directory:
    """The roster indexed by address: the mailboxes that exist on the simulated service."""

    def __init__(self, roster: Iterable[Account], extra_mailboxes: Iterable[str] = ()) -> None:
        self._accounts: dict[str, Account] = {}
        self._owners: dict[str, Account] = {}
        for account in roster:
            for address in account.addresses:
                key = address.casefold()
                if key in self._owners:
                    raise ValueError(f"{address} appears twice in the roster (address or alias)")
                self._owners[key] = account
            self._accounts[account.address.casefold()] = account
        self._extra = frozenset(a.casefold() for a in extra_mailboxes)

    def account(self, address: str) -> Account | None:
        """The account whose sign-in name this is."""
        return self._accounts.get(address.strip().casefold())

    def owner(self, address: str) -> Account | None:
        """The account that receives at this address (its own or an alias)."""
        return self._owners.get(address.strip().casefold())

    def exists(self, address: str) -> bool:
        """True when a mailbox receives at this address (roster, alias or extra mailbox)."""
        key = address.casefold()
        return key in self._owners or key in self._extra


@dataclass(frozen=True)
class SignIn:
    """The outcome of one AUTH: the account signed in, or the refusal template."""

    account: Account | None = None
    refusal: str | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None


def _mailbox_gate(account: Account) -> str | None:
    """Refusals that hold whatever the credential is, once the credential itself is right."""
    if not account.traits.smtp_auth_enabled:
        return replies.AUTH_SMTP_DISABLED
    if not account.traits.pop_smtp_enabled and account.traits.pop_off_behaviour == "reject":
        return replies.AUTH_POP_DISABLED
    return None


def sign_in_with_password(directory: Directory, login: str, secret: str) -> SignIn:
    """AUTH LOGIN: the user name and a password or an App Password."""
    account = directory.account(login)
    if account is None:
        return SignIn(refusal=replies.AUTH_FAILED)
    if secret == account.password:
        kind = "password"
    elif secret in account.app_passwords:
        kind = "app_password"
    else:
        return SignIn(refusal=replies.AUTH_FAILED)
    gate = _mailbox_gate(account)
    if gate:
        return SignIn(refusal=gate)
    if kind == "password":
        # Personal accounts refuse the sign-in password over SMTP (the guide's first table row).
        return SignIn(refusal=replies.AUTH_REGULAR_PASSWORD)
    if account.traits.basic_auth == "disabled":
        return SignIn(refusal=replies.AUTH_BASIC_DISABLED)
    return SignIn(account=account)


def sign_in_with_token(directory: Directory, user: str, token: str) -> SignIn:
    """AUTH XOAUTH2: the token must be one of this account's; any other answers 5.7.3."""
    account = directory.account(user)
    if account is None or token not in account.oauth_tokens:
        return SignIn(refusal=replies.AUTH_FAILED)
    gate = _mailbox_gate(account)
    if gate:
        return SignIn(refusal=gate)
    return SignIn(account=account)


def imap_sign_in(
    directory: Directory, login: str, *, secret: str | None = None, token: str | None = None
) -> Account | None:
    """IMAP LOGIN / AUTHENTICATE: the account, or None (Exchange answers every refusal alike).

    The SMTP side's switches (POP/SMTP access, SMTP AUTH for the mailbox) do not govern IMAP;
    its own switch does, and the sign-in password and App Passwords are judged as over SMTP:
    the password is refused, an App Password only while basic authentication is allowed.
    """
    account = directory.account(login)
    if account is None or not account.traits.imap_enabled:
        return None
    if token is not None:
        return account if token in account.oauth_tokens else None
    if secret is None or secret not in account.app_passwords:
        return None
    return account if account.traits.basic_auth == "app_password" else None


def may_send_as(account: Account, mail_from: str) -> bool:
    """True when MAIL FROM is the mailbox itself or one of its aliases."""
    return mail_from.casefold() in {a.casefold() for a in account.addresses}


def parse_xoauth2(blob: bytes) -> tuple[str, str] | None:
    """Split `user=<address>^Aauth=Bearer <token>^A^A` into (user, token); None if malformed."""
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError:
        return None
    fields = dict(part.partition("=")[::2] for part in text.split("\x01") if part)
    user, auth = fields.get("user"), fields.get("auth", "")
    scheme, _, token = auth.partition(" ")
    if not user or scheme.casefold() != "bearer" or not token:
        return None
    return user, token.strip()
