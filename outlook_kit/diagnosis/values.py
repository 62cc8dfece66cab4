"""The diagnosis's values: categories of causes, what is known beyond the text, the result."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ..accounts import Provider, SecretKind, provider_of
from ..errors import AddressError
from ..protocol import Stage

if TYPE_CHECKING:
    from ..arrival import Arrival

MAX_TEXT = 1 << 18  # 256 KiB are read (a long debug log); beyond it, the head and the tail


class Category(enum.StrEnum):
    """Stable ids of causes (used by the CLI's JSON, the simulator's lessons, the notebooks)."""

    # sign-in
    APP_PASSWORD_REQUIRED = "app_password_required"
    BASIC_AUTH_DISABLED = "basic_auth_disabled"
    POP_SMTP_DISABLED = "pop_smtp_disabled"
    WRONG_CREDENTIALS = "wrong_credentials"
    TWO_STEP_REQUIRED = "two_step_required"
    TENANT_SMTP_AUTH_DISABLED = "tenant_smtp_auth_disabled"
    SECURITY_DEFAULTS_BLOCK = "security_defaults_block"
    OAUTH_TOKEN_REJECTED = "oauth_token_rejected"
    AUTH_MECHANISM_UNSUPPORTED = "auth_mechanism_unsupported"
    AUTH_NOT_ATTEMPTED = "auth_not_attempted"
    SIGNIN_VERIFICATION_REQUIRED = "signin_verification_required"
    # transport
    TLS_REQUIRED = "tls_required"
    WRONG_TLS_MODE = "wrong_tls_mode"
    TLS_VERSION_UNSUPPORTED = "tls_version_unsupported"
    TLS_INTERCEPTION = "tls_interception"
    CONNECTION_BLOCKED = "connection_blocked"
    WRONG_ENDPOINT = "wrong_endpoint"
    INVALID_EHLO_HOSTNAME = "invalid_ehlo_hostname"
    CLIENT_PROTOCOL_ERROR = "client_protocol_error"
    # sending
    SEND_AS_DENIED = "send_as_denied"
    DAILY_LIMIT_REACHED = "daily_limit_reached"
    ACCOUNT_BLOCKED_SPAM = "account_blocked_spam"
    RATE_LIMITED_TEMPORARY = "rate_limited_temporary"
    RECIPIENT_REJECTED = "recipient_rejected"
    CONTENT_REJECTED = "content_rejected"
    EXTERNAL_FORWARDING_BLOCKED = "external_forwarding_blocked"
    BARE_LINEFEED = "bare_linefeed"
    MESSAGE_TOO_LARGE = "message_too_large"
    # no failure to explain (a clean probe), and anything else
    # arrival, after a clean send
    DELIVERED_TO_JUNK = "delivered_to_junk"
    IMAP_SIGNIN_REFUSED = "imap_signin_refused"
    NO_FAILURE = "no_failure"
    UNKNOWN = "unknown"


class Confidence(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


Arrived = str  # "yes", "no" or "junk": the answer to "did the test mail arrive?"


@dataclass(frozen=True)
class Context:
    """What the user or the probe knows beyond the error text. Every field is optional.

    Attributes:
        host, port: where the client connected.
        mechanism: the AUTH mechanism used (LOGIN, PLAIN, XOAUTH2), or "none" if the
            client was set not to sign in.
        secret_kind: whether the secret was an App Password, the regular password or a token.
        account: the signed-in address (its domain tells personal from work accounts).
        from_addr: the From used; compared with `account` for send-as problems.
        pop_smtp_on: the guide's step 1 answer ("Let devices and apps use POP" is Yes).
        two_step_on: the guide's step 2 answer (two-step verification is on).
        arrived: the answer to "did the test mail arrive?": "yes", "no" or "junk".
        recent_recipients_24h, cap: the account's recent volume and its (assumed) cap,
            to weigh the guide's reading of 5.4.1 as the daily cap.
        token_for: the account an OAuth2 token was issued to (the sign-in's account), to
            tell a token for another account from other refusals of a token.
        imap_refused: the arrival check's IMAP sign-in refused the credentials the send used.
    """

    host: str | None = None
    port: int | None = None
    mechanism: str | None = None
    secret_kind: SecretKind | None = None
    account: str | None = None
    from_addr: str | None = None
    pop_smtp_on: bool | None = None
    two_step_on: bool | None = None
    arrived: Arrived | None = None
    recent_recipients_24h: int | None = None
    cap: int | None = None
    token_for: str | None = None
    imap_refused: bool | None = None

    def __post_init__(self) -> None:
        if self.arrived is not None and self.arrived not in ("yes", "no", "junk"):
            raise ValueError(f"arrived must be 'yes', 'no' or 'junk', not {self.arrived!r}")
        if self.secret_kind is not None:
            object.__setattr__(self, "secret_kind", SecretKind(self.secret_kind))

    def with_arrival(self, arrival: Arrival | None) -> Context:
        """This context with what the arrival check found: where the mail arrived (kept as
        it was when the check could not tell), and whether IMAP refused the sign-in."""
        if arrival is None:
            return self
        return dataclasses.replace(
            self,
            arrived=arrival.arrived or self.arrived,
            imap_refused=True if arrival.refused else self.imap_refused,
        )

    @property
    def provider(self) -> Provider | None:
        if not self.account:
            return None
        try:
            return provider_of(self.account)
        except AddressError:
            return None

    @property
    def from_differs(self) -> bool | None:
        if not self.account or not self.from_addr:
            return None
        return self.account.strip().lower() != self.from_addr.strip().lower()

    @property
    def token_for_other(self) -> bool | None:
        if not self.account or not self.token_for:
            return None
        return self.account.strip().casefold() != self.token_for.strip().casefold()

    @property
    def near_cap(self) -> bool | None:
        if self.recent_recipients_24h is None or not self.cap:
            return None
        return self.recent_recipients_24h >= 0.9 * self.cap


@dataclass(frozen=True)
class Alternative:
    """Another likely cause, with the reason it is likely."""

    category: Category
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"category": str(self.category), "reason": self.reason}


@dataclass(frozen=True)
class Diagnosis:
    """The named cause of a failure, in plain words, with the fix."""

    category: Category
    title: str
    explanation: str
    fix: tuple[str, ...]
    confidence: Confidence
    evidence: tuple[str, ...]
    alternatives: tuple[Alternative, ...] = ()
    guide_step: int | None = None
    guide_says: str | None = None
    seen_in_practice: str | None = None
    code: int | None = None
    enhanced: str | None = None
    stage: Stage | None = None
    sources: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            category=str(self.category),
            confidence=str(self.confidence),
            fix=list(self.fix),
            evidence=list(self.evidence),
            alternatives=[a.to_dict() for a in self.alternatives],
            stage=str(self.stage) if self.stage else None,
            sources=list(self.sources),
        )
        return data

    def __str__(self) -> str:
        lines = [f"{self.title} [{self.category}, {self.confidence} confidence]", self.explanation]
        lines += [f"  {i}. {step}" for i, step in enumerate(self.fix, 1)]
        return "\n".join(lines)


# --- the catalogue ---------------------------------------------------------------------------
