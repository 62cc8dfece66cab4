"""The demo accounts: one mailbox per lesson, its traits, and what a test send from it yields.

Every address is at a Microsoft consumer domain but never leaves the machine: the
simulator is the only server that knows it. Passwords, App Passwords and tokens are
props printed for the lesson, not secrets. `Account.expect` says what a test send
with `expect.secret`, from `expect.from_address or address` to the account's own
address, gives; the simulator's tests hold every account to it.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from outlook_kit.accounts import Credentials
from outlook_kit.protocol import Stage

SecretKind = Literal["app_password", "password", "oauth_token"]
SECRET_KINDS: tuple[SecretKind, ...] = ("app_password", "password", "oauth_token")


@dataclass(frozen=True)
class Traits:
    """How a mailbox is set up on the Microsoft side.

    Attributes:
        pop_smtp_enabled: Outlook.com's "Let devices and apps use POP" switch (guide step 1).
        pop_off_behaviour: with the switch off, "reject" refuses AUTH with a 535; "silent"
            answers 250 to everything and drops the message (the guide's "silent killer").
        two_step: two-step verification is on (without it there are no App Passwords).
        basic_auth: "app_password" accepts App Passwords; "disabled" refuses them with
            "basic authentication is disabled" (the situation since 2024-09-16), OAuth works.
        smtp_auth_enabled: False refuses every sign-in, even OAuth, with "SmtpClientAuthentication
            is disabled for the Mailbox".
        created: the account's creation time, or its age in days when the simulator starts.
        aliases: other addresses of this mailbox; it may send as them and receive at them.
        spam_verdict: None, or the WASCL verdict that holds every message (e.g.
            "RefuseQuota, ShowTierUpgrade" for an unverified account).
        cap_reply: how the daily cap answers: "guide" (550 5.4.1 at RCPT, as the guide says)
            or "quota" (554 5.2.0 SubmissionQuotaExceededException at DATA, as seen in practice).
        preload_recipients: recipients already sent in the cap window when the simulator starts.
        imap_enabled: False refuses every IMAP sign-in (`NO LOGIN failed.`), as a mailbox whose
            IMAP is off; SMTP is not affected.
        junk_inbound: mail to this mailbox lands in its Junk folder (Outlook's filter).
    """

    pop_smtp_enabled: bool = True
    pop_off_behaviour: Literal["reject", "silent"] = "reject"
    two_step: bool = True
    basic_auth: Literal["app_password", "disabled"] = "app_password"
    smtp_auth_enabled: bool = True
    created: datetime | float = 400.0
    aliases: tuple[str, ...] = ()
    spam_verdict: str | None = None
    cap_reply: Literal["guide", "quota"] = "guide"
    preload_recipients: int = 0
    imap_enabled: bool = True
    junk_inbound: bool = False

    def __post_init__(self) -> None:
        if self.pop_off_behaviour not in ("reject", "silent"):
            raise ValueError(
                f"pop_off_behaviour must be 'reject' or 'silent', not {self.pop_off_behaviour!r}"
            )
        if self.basic_auth not in ("app_password", "disabled"):
            raise ValueError(
                f"basic_auth must be 'app_password' or 'disabled', not {self.basic_auth!r}"
            )
        if self.cap_reply not in ("guide", "quota"):
            raise ValueError(f"cap_reply must be 'guide' or 'quota', not {self.cap_reply!r}")
        if isinstance(self.created, datetime):
            if self.created.tzinfo is None:
                raise ValueError("Traits.created must be timezone-aware (or an age in days)")
        elif self.created < 0:
            raise ValueError(f"Traits.created as an age cannot be negative ({self.created} days)")
        if self.preload_recipients < 0:
            raise ValueError("Traits.preload_recipients cannot be negative")
        object.__setattr__(self, "aliases", tuple(self.aliases))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["aliases"] = list(self.aliases)
        if isinstance(self.created, datetime):
            out["created"] = self.created.isoformat()
        return out


@dataclass(frozen=True)
class Expect:
    """What a test send yields: where it stops and with which reply, or that it delivers.

    Attributes:
        secret: which secret the send signs in with (the first App Password, the password,
            or the first OAuth token).
        stage: the stage that fails, or None when every stage succeeds.
        code, enhanced: the failing reply's code and enhanced status code.
        from_address: the From the lesson uses when it is not the account's address.
        delivered: whether the message lands in the mailbox.
        category: the diagnosis category the outcome must be diagnosed as (see
            outlook_kit.diagnosis.Category), given the learner's checklist answers.
        checklist: the learner's answers to the guide's checklist that the lesson supplies,
            as (name, value) pairs of diagnosis.Context fields (e.g. ("two_step_on", False)).
    """

    secret: SecretKind = "app_password"
    stage: Stage | None = None
    code: int | None = None
    enhanced: str | None = None
    from_address: str | None = None
    delivered: bool = True
    category: str = "no_failure"
    checklist: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.secret not in SECRET_KINDS:
            raise ValueError(f"Expect.secret must be one of {SECRET_KINDS}, not {self.secret!r}")
        if self.stage is not None:
            object.__setattr__(self, "stage", Stage(self.stage))
        if self.stage is not None and self.delivered:
            raise ValueError("an Expect that fails at a stage cannot also deliver")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["stage"] = None if self.stage is None else str(self.stage)
        out["checklist"] = dict(self.checklist)
        return out


@dataclass(frozen=True)
class Account:
    """One demo mailbox and the lesson it teaches."""

    address: str
    password: str
    app_passwords: tuple[str, ...] = ()
    oauth_tokens: tuple[str, ...] = ()
    scenario: str = "custom"
    lesson: str = "A mailbox added by hand."
    traits: Traits = field(default_factory=Traits)
    expect: Expect = field(default_factory=Expect)

    def __post_init__(self) -> None:
        if "@" not in self.address:
            raise ValueError(f"Account.address must be an email address, got {self.address!r}")
        object.__setattr__(self, "app_passwords", tuple(self.app_passwords))
        object.__setattr__(self, "oauth_tokens", tuple(self.oauth_tokens))
        if self.app_passwords and not self.traits.two_step:
            raise ValueError(
                f"{self.address}: App Passwords exist only with two-step verification on; "
                "set traits.two_step=True or drop the App Passwords"
            )
        if self.expect.secret == "app_password" and not self.app_passwords:
            raise ValueError(f"{self.address}: expect.secret is 'app_password' but it has none")
        if self.expect.secret == "oauth_token" and not self.oauth_tokens:
            raise ValueError(f"{self.address}: expect.secret is 'oauth_token' but it has none")

    @property
    def addresses(self) -> tuple[str, ...]:
        """The address and its aliases: what this mailbox may send as and receives at."""
        return (self.address, *self.traits.aliases)

    def secret(self, kind: SecretKind | None = None) -> str:
        """The secret of that kind a test send uses (default: the one `expect` names)."""
        kind = kind or self.expect.secret
        if kind == "password":
            return self.password
        values = self.app_passwords if kind == "app_password" else self.oauth_tokens
        if not values:
            raise LookupError(f"{self.address} has no {kind.replace('_', ' ')}")
        return values[0]

    def credentials(self, kind: SecretKind | None = None) -> Credentials:
        """The credentials a lesson's test send signs in with (its props, not secrets)."""
        kind = kind or self.expect.secret
        value = self.secret(kind)
        if kind == "oauth_token":
            return Credentials.oauth_token(self.address, value)
        if kind == "password":
            return Credentials.password(self.address, value)
        return Credentials.app_password(self.address, value)

    @property
    def sender(self) -> str:
        """The From a test send uses."""
        return self.expect.from_address or self.address

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "password": self.password,
            "app_passwords": list(self.app_passwords),
            "oauth_tokens": list(self.oauth_tokens),
            "scenario": self.scenario,
            "lesson": self.lesson,
            "traits": self.traits.to_dict(),
            "expect": self.expect.to_dict(),
        }


def _props(name: str) -> dict[str, Any]:
    """Demo credentials derived from the account's name, the same on every run.

    The App Password is 16 lowercase letters, the shape Microsoft's account page has
    shown; Microsoft publishes no format, and the simulator accepts any string.
    """
    digest = hashlib.sha256(name.encode()).digest()
    app_password = "".join(string.ascii_lowercase[b % 26] for b in digest[:16])
    return {
        "password": f"Demo-Password-{name}",
        "app_passwords": (app_password,),
        "oauth_tokens": (f"EwB-demo-oauth-token-{name}",),
    }


def default_roster() -> list[Account]:
    """The demo accounts, one per lesson, in the order the guide meets them."""
    return [
        Account(
            address="healthy@outlook.com",
            **_props("healthy"),
            scenario="healthy",
            lesson=(
                "Everything set up as the guide says: the App Password signs in and the test "
                "mail arrives."
            ),
            expect=Expect(secret="app_password"),
        ),
        Account(
            address="pop.off@hotmail.com",
            **_props("pop-off"),
            scenario="pop_disabled_reject",
            lesson="POP/SMTP access is off, so sign-in is refused with a 535: redo guide step 1.",
            traits=Traits(pop_smtp_enabled=False, pop_off_behaviour="reject"),
            expect=Expect(
                category="pop_smtp_disabled",
                stage=Stage.AUTH,
                code=535,
                enhanced="5.7.3",
                delivered=False,
            ),
        ),
        Account(
            address="pop.silent@live.com",
            **_props("pop-silent"),
            scenario="pop_disabled_silent",
            lesson=(
                "POP/SMTP access is off and every step answers 250, yet the mail never arrives "
                "(the silent killer)."
            ),
            traits=Traits(pop_smtp_enabled=False, pop_off_behaviour="silent"),
            expect=Expect(category="pop_smtp_disabled", delivered=False),
        ),
        Account(
            address="no.twostep@outlook.com",
            password="Demo-Password-no-twostep",
            oauth_tokens=("EwB-demo-oauth-token-no-twostep",),
            scenario="no_two_step",
            lesson=(
                "Two-step verification is off, so no App Password exists and the regular "
                "password is refused."
            ),
            traits=Traits(two_step=False),
            expect=Expect(
                category="two_step_required",
                checklist=(("two_step_on", False),),
                secret="password",
                stage=Stage.AUTH,
                code=535,
                enhanced="5.7.139",
                delivered=False,
            ),
        ),
        Account(
            address="regular.password@hotmail.co.uk",
            **_props("regular-password"),
            scenario="regular_password",
            lesson=(
                "The sign-in password was sent instead of the App Password: 535 5.7.139, as "
                "the guide's table says."
            ),
            expect=Expect(
                category="app_password_required",
                secret="password",
                stage=Stage.AUTH,
                code=535,
                enhanced="5.7.139",
                delivered=False,
            ),
        ),
        Account(
            address="basic.off@outlook.com",
            **_props("basic-off"),
            scenario="basic_auth_disabled",
            lesson=(
                "Basic authentication is off for this account: even a fresh App Password "
                "fails, OAuth2 works."
            ),
            traits=Traits(basic_auth="disabled"),
            expect=Expect(
                category="basic_auth_disabled",
                stage=Stage.AUTH,
                code=535,
                enhanced="5.7.139",
                delivered=False,
            ),
        ),
        Account(
            address="smtp.off@outlook.fr",
            **_props("smtp-off"),
            scenario="smtp_auth_disabled_mailbox",
            lesson=(
                "A new account with SMTP AUTH disabled for the mailbox: refused even with an "
                "OAuth2 token."
            ),
            traits=Traits(smtp_auth_enabled=False, created=2.0),
            expect=Expect(
                category="pop_smtp_disabled",
                secret="oauth_token",
                stage=Stage.AUTH,
                code=535,
                enhanced="5.7.139",
                delivered=False,
            ),
        ),
        Account(
            address="send.as@live.com",
            **_props("send-as"),
            scenario="send_as_denied",
            lesson=(
                "The From is neither the mailbox nor one of its aliases: 550 5.7.60 at MAIL FROM."
            ),
            traits=Traits(aliases=("send.as.alias@outlook.com",)),
            expect=Expect(
                category="send_as_denied",
                stage=Stage.MAIL_FROM,
                code=550,
                enhanced="5.7.60",
                from_address="newsletter@example.com",
                delivered=False,
            ),
        ),
        Account(
            address="cap.reached@outlook.com",
            **_props("cap-reached"),
            scenario="cap_reached",
            lesson=(
                "A young account already at its daily cap: the guide's 550 5.4.1 at RCPT, then "
                "a pause."
            ),
            traits=Traits(created=3.0, preload_recipients=300, cap_reply="guide"),
            expect=Expect(
                category="daily_limit_reached",
                stage=Stage.RCPT_TO,
                code=550,
                enhanced="5.4.1",
                delivered=False,
            ),
        ),
        Account(
            address="cap.quota@hotmail.com",
            **_props("cap-quota"),
            scenario="cap_reached_quota",
            lesson=(
                "The same cap as seen in practice: 554 5.2.0 SubmissionQuotaExceededException "
                "at DATA."
            ),
            traits=Traits(created=3.0, preload_recipients=300, cap_reply="quota"),
            expect=Expect(
                category="daily_limit_reached",
                stage=Stage.DATA,
                code=554,
                enhanced="5.2.0",
                delivered=False,
            ),
        ),
        Account(
            address="spam.hold@outlook.com",
            **_props("spam-hold"),
            scenario="spam_hold",
            lesson=(
                "An unverified account held by outbound spam rules (RefuseQuota, "
                "ShowTierUpgrade): verify it."
            ),
            traits=Traits(created=1.0, spam_verdict="RefuseQuota, ShowTierUpgrade"),
            expect=Expect(
                category="account_blocked_spam",
                stage=Stage.DATA,
                code=554,
                enhanced="5.2.0",
                delivered=False,
            ),
        ),
        Account(
            address="junk.routed@outlook.com",
            **_props("junk-routed"),
            scenario="delivered_to_junk",
            lesson=(
                "Every stage passes and the mail arrives, in the Junk folder: the setup works; "
                "mark the message Not junk and add the sender to Safe senders."
            ),
            traits=Traits(junk_inbound=True),
            expect=Expect(category="delivered_to_junk"),
        ),
    ]
