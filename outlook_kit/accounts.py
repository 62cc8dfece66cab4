"""From an address to the settings that send through it; credentials with their secret hidden.

Personal Microsoft accounts (outlook.com, hotmail.com, live.com, msn.com and their country
variants) submit through smtp-mail.outlook.com:587 with STARTTLS. Another domain may be a
Microsoft 365 work or school account (smtp.office365.com:587) or not Microsoft at all.
"""

from __future__ import annotations

import enum
import re
import socket
from dataclasses import dataclass, field

from .errors import AddressError, SecretError, SettingsError
from .secret import Secret

OUTLOOK_HOST = "smtp-mail.outlook.com"
OFFICE365_HOST = "smtp.office365.com"
SUBMISSION_PORT = 587
MICROSOFT_HOSTS = frozenset({OUTLOOK_HOST, OFFICE365_HOST, "smtp.live.com", "smtp.outlook.com"})

PERSONAL_DOMAIN = re.compile(
    r"^(?:(?:outlook|hotmail|live)\.(?:com|[a-z]{2}|(?:co|com)\.[a-z]{2})"
    r"|msn\.com|passport\.com|windowslive\.com)$"
)
# Large mailbox providers that are certainly not Microsoft: their users need their own
# provider's SMTP settings, not Outlook's.
_NOT_MICROSOFT_RE = re.compile(
    r"^(?:gmail\.com|googlemail\.com|yahoo\.[a-z.]+|ymail\.com|rocketmail\.com|aol\.com"
    r"|icloud\.com|me\.com|mac\.com|gmx\.[a-z.]+|web\.de|t-online\.de|mail\.ru|yandex\.[a-z.]+"
    r"|proton\.me|protonmail\.com|pm\.me|zoho\.com|fastmail\.com|qq\.com|163\.com|126\.com"
    r"|orange\.fr|free\.fr|libero\.it|comcast\.net|btinternet\.com)$"
)


class Provider(enum.StrEnum):
    """Who hosts the mailbox, as far as the address tells."""

    PERSONAL = "personal"  # Outlook.com / Hotmail / Live / MSN
    MAYBE_WORK = "maybe_work"  # perhaps Microsoft 365 (work or school)
    NOT_MICROSOFT = "not_microsoft"


class TlsMode(enum.StrEnum):
    """How TLS starts. Outlook.com serves STARTTLS on 587 only."""

    STARTTLS = "starttls"
    IMPLICIT = "implicit"


class SecretKind(enum.StrEnum):
    """What the secret is; the diagnosis reads a refused login differently for each."""

    APP_PASSWORD = "app_password"
    PASSWORD = "password"
    OAUTH_TOKEN = "oauth_token"


_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_LOCAL_DOMAIN_RE = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?")


def validate_address(address: str, *, local_ok: bool = False) -> str:
    """The address, normalised; raises AddressError saying what is wrong with a malformed one.

    Args:
        address: an email address as typed.
        local_ok: also accept a local mail server's own domains (`localhost`, `mail.local`,
            `example.test`), which no Internet mail system delivers to. For a probe of a
            server that is not Microsoft's (the simulator, a local Postfix).
    """
    if not isinstance(address, str) or not address.strip():
        raise AddressError(
            "the email address is empty; enter the full address, e.g. you@outlook.com"
        )
    import email_validator  # here, not at the top: its import costs ~25 ms of every start

    address = address.strip()
    try:
        result = email_validator.validate_email(
            address, check_deliverability=False, test_environment=True
        )
    except email_validator.EmailNotValidError as exc:
        local = _local_address(address)
        if local is not None and local_ok:
            return local
        why = f"{address!r} is not a valid email address: {str(exc).rstrip('.')}"
        if local is not None:
            why += (
                " (a local server's own domain is accepted only with a local server as the "
                "host, such as the simulator or your own mail server; a real Outlook send "
                "would refuse it, since Outlook delivers only to Internet domains)"
            )
        raise AddressError(f"{why}. Enter the full address, e.g. you@outlook.com") from None
    return str(result.normalized)


def _local_address(address: str) -> str | None:
    """`user@localhost`, `user@mail.local`: valid but for a local domain, else None."""
    import email_validator

    user, at, domain = address.rpartition("@")
    if not at or not _LOCAL_DOMAIN_RE.fullmatch(domain):
        return None
    try:  # the part before the @ by the same rules as any address's
        email_validator.validate_email(
            f"{user}@example.com", check_deliverability=False, test_environment=True
        )
    except email_validator.EmailNotValidError:
        return None
    return f"{user}@{domain.rstrip('.').lower()}"


def provider_of(address: str) -> Provider:
    """Whether the address's domain is a personal Microsoft domain, maybe Microsoft 365, or not."""
    domain = validate_address(address).rsplit("@", 1)[1].lower()
    if PERSONAL_DOMAIN.match(domain):
        return Provider.PERSONAL
    if _NOT_MICROSOFT_RE.match(domain):
        return Provider.NOT_MICROSOFT
    return Provider.MAYBE_WORK


def default_ehlo_name() -> str:
    """A valid EHLO name: the FQDN without its trailing dot (Outlook answers `laptop.` with 501)."""
    name = socket.getfqdn().rstrip(".")
    if re.fullmatch(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})+", name):
        return name
    return "localhost.localdomain"


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to connect.

    Args:
        host: the submission host.
        port: the submission port (587 for Outlook.com).
        tls: only STARTTLS is served by Outlook.com; IMPLICIT is refused with the fix.
        cafile: a PEM file of CAs to trust instead of the system's (the simulator's CA).
        insecure: skip certificate verification (for the simulator and tests only).
        ehlo_name: the name sent with EHLO; a valid FQDN by default.
    """

    host: str = OUTLOOK_HOST
    port: int = SUBMISSION_PORT
    tls: TlsMode = TlsMode.STARTTLS
    cafile: str | None = None
    insecure: bool = False
    ehlo_name: str = field(default_factory=default_ehlo_name)

    def __post_init__(self) -> None:
        if not self.host or any(c.isspace() for c in self.host):
            raise SettingsError(f"host {self.host!r} is not a host name; use {OUTLOOK_HOST}")
        if not isinstance(self.port, int) or not 0 < self.port < 65536:
            raise SettingsError(f"port {self.port!r} is not a TCP port; Outlook.com uses 587")
        if self.port == 465 or TlsMode(self.tls) is TlsMode.IMPLICIT:
            raise SettingsError(
                "port 465 / implicit TLS is not served by Outlook.com; "
                f"use port 587 with STARTTLS ({OUTLOOK_HOST}:587)"
            )
        if self.cafile and self.insecure:
            raise SettingsError("give either a CA file or insecure=True, not both")
        if self.host.lower() == "smtp.live.com":
            raise SettingsError(f"smtp.live.com is retired; use {OUTLOOK_HOST}:587")
        if self.host.lower().endswith(".mail.protection.outlook.com"):
            raise SettingsError(
                f"{self.host} is a domain's inbound MX, not a submission host; "
                f"use {OUTLOOK_HOST}:587 (personal) or {OFFICE365_HOST}:587 (work or school)"
            )

    @property
    def is_microsoft(self) -> bool:
        return self.host.lower() in MICROSOFT_HOSTS


@dataclass(frozen=True)
class AccountSettings:
    """What an address tells: the provider, the submission settings, and a note for people."""

    address: str
    provider: Provider
    smtp: SmtpSettings | None
    note: str


def settings_for(address: str) -> AccountSettings:
    """The submission settings for an address (raises AddressError for a malformed one)."""
    address = validate_address(address)
    provider = provider_of(address)
    if provider is Provider.PERSONAL:
        return AccountSettings(
            address,
            provider,
            SmtpSettings(OUTLOOK_HOST, SUBMISSION_PORT),
            f"personal Microsoft account: {OUTLOOK_HOST}:587 with STARTTLS, "
            "user name the full address, an App Password as the password",
        )
    if provider is Provider.MAYBE_WORK:
        return AccountSettings(
            address,
            provider,
            SmtpSettings(OFFICE365_HOST, SUBMISSION_PORT),
            f"may be a Microsoft 365 work or school account ({OFFICE365_HOST}:587); "
            "if it is not hosted by Microsoft, use your provider's SMTP settings",
        )
    return AccountSettings(
        address,
        provider,
        None,
        "not a Microsoft address: this mailbox does not send through Outlook.com; "
        "use its own provider's SMTP settings",
    )


APP_PASSWORD_SHAPE = re.compile(r"[A-Za-z]{16}")


def normalise_app_password(value: str) -> str:
    """An App Password as pasted, without the spaces and dashes it is shown with.

    Only a value of the App Password's shape (16 letters once spaces and dashes are gone,
    as Microsoft shows them: `abcd efgh ijkl mnop`) is changed; anything else is returned
    as typed, since a dash or a space may belong to the secret (`Postfix-Pass-42`).
    """
    compact = re.sub(r"[\s-]+", "", value)
    return compact if APP_PASSWORD_SHAPE.fullmatch(compact) else value


@dataclass(frozen=True)
class Credentials:
    """The user name and its secret. Build with `app_password`, `password` or `oauth_token`.

    Their `local_ok` accepts a local server's own domains as the user (`user@localhost`).
    """

    user: str
    secret: Secret = field(repr=True)
    kind: SecretKind = SecretKind.APP_PASSWORD
    hints: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.secret, Secret):
            raise SecretError("wrap the secret: Credentials.app_password(user, value)")
        if not self.secret or not self.secret.reveal().strip():
            what = {
                SecretKind.APP_PASSWORD: "the App Password is empty; paste the one from step 3",
                SecretKind.PASSWORD: "the password is empty",
                SecretKind.OAUTH_TOKEN: "the OAuth2 access token is empty",
            }[SecretKind(self.kind)]
            raise SecretError(what)
        if any(c in self.secret.reveal() for c in "\r\n\0"):
            raise SecretError("the secret contains a line break; paste it again on one line")

    @classmethod
    def app_password(cls, user: str, value: str | Secret, *, local_ok: bool = False) -> Credentials:
        raw = value.reveal() if isinstance(value, Secret) else value
        if not isinstance(raw, str) or not re.sub(r"[\s-]+", "", raw):
            raise SecretError("the App Password is empty; paste the one from step 3")
        clean = normalise_app_password(raw)
        hints: list[str] = []
        if not APP_PASSWORD_SHAPE.fullmatch(clean):
            hints.append(
                "sent exactly as typed, spaces and dashes kept: this does not look like the "
                "App Passwords Microsoft usually shows (16 letters, whose spaces and dashes "
                "are dropped); if it is your sign-in password, create an App Password (step 3)"
            )
        return cls(
            validate_address(user, local_ok=local_ok),
            Secret(clean),
            SecretKind.APP_PASSWORD,
            tuple(hints),
        )

    @classmethod
    def password(cls, user: str, value: str | Secret, *, local_ok: bool = False) -> Credentials:
        raw = value.reveal() if isinstance(value, Secret) else value
        return cls(validate_address(user, local_ok=local_ok), Secret(raw), SecretKind.PASSWORD)

    @classmethod
    def oauth_token(cls, user: str, token: str | Secret, *, local_ok: bool = False) -> Credentials:
        raw = token.reveal() if isinstance(token, Secret) else token
        return cls(
            validate_address(user, local_ok=local_ok), Secret(raw.strip()), SecretKind.OAUTH_TOKEN
        )
