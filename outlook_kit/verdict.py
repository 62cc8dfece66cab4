"""The sign-in verdict: from one or more probes of an account, can it sign in, and how?

One of: the App Password (or OAuth2) works; basic auth is disabled for this account (use
OAuth2); SMTP AUTH is disabled for this mailbox; the password is wrong; or cannot tell
yet, with the reason and the next step.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from .accounts import SecretKind
from .diagnosis import Category, Context, diagnose
from .probe import ProbeReport
from .protocol import Stage


class VerdictKind(enum.StrEnum):
    APP_PASSWORD_WORKS = "app_password_works"
    OAUTH_WORKS = "oauth_works"
    PASSWORD_WORKS = "password_works"
    BASIC_AUTH_DISABLED = "basic_auth_disabled"
    SMTP_AUTH_DISABLED = "smtp_auth_disabled"
    WRONG_PASSWORD = "wrong_password"
    CANNOT_TELL = "cannot_tell"


@dataclass(frozen=True)
class SignInVerdict:
    """What the probes tell about signing in to this account."""

    kind: VerdictKind
    text: str
    offer_oauth: bool = False

    def __str__(self) -> str:
        return self.text


_WORKS = {
    SecretKind.APP_PASSWORD: (VerdictKind.APP_PASSWORD_WORKS, "App Password works"),
    SecretKind.OAUTH_TOKEN: (VerdictKind.OAUTH_WORKS, "OAuth2 sign-in works"),
    SecretKind.PASSWORD: (VerdictKind.PASSWORD_WORKS, "the password works"),
}


def signin_verdict(
    reports: Iterable[ProbeReport], *, context: Context | None = None
) -> SignInVerdict:
    """The verdict from the probes of one account (any order; each counts)."""
    reports = list(reports)
    reached = [r for r in reports if r.stage(Stage.AUTH) is not None]
    for report in reached:
        auth = report.stage(Stage.AUTH)
        if auth is not None and auth.ok:
            kind, text = _WORKS[report.secret_kind]
            return SignInVerdict(kind, text)
    if not reached:
        if not reports:
            return SignInVerdict(VerdictKind.CANNOT_TELL, "cannot tell yet, because no probe ran")
        where = reports[-1].failed_stage
        return SignInVerdict(
            VerdictKind.CANNOT_TELL,
            f"cannot tell yet, because no probe reached the sign-in (the last failed at {where})",
        )
    categories = {diagnose(r, context=context).category: r for r in reached}
    if Category.BASIC_AUTH_DISABLED in categories:
        return SignInVerdict(
            VerdictKind.BASIC_AUTH_DISABLED,
            "basic auth is disabled for this account: use OAuth2",
            offer_oauth=True,
        )
    if any("smtpclientauthentication is disabled" in ((r.reply and r.reply.text) or "").lower()
           for r in reached):  # fmt: skip
        return SignInVerdict(
            VerdictKind.SMTP_AUTH_DISABLED, "SMTP AUTH is disabled for this mailbox"
        )
    if Category.WRONG_CREDENTIALS in categories:
        return SignInVerdict(VerdictKind.WRONG_PASSWORD, "the password is wrong")
    if all(r.secret_kind is SecretKind.PASSWORD for r in reached):
        return SignInVerdict(
            VerdictKind.CANNOT_TELL,
            "cannot tell yet, because only the regular password was tried, and Outlook refuses "
            "it by design: create an App Password (guide step 3) and probe again",
        )
    if any(r.secret_kind is SecretKind.OAUTH_TOKEN for r in reached):
        return SignInVerdict(
            VerdictKind.CANNOT_TELL,
            "cannot tell yet, because the OAuth2 token was refused: sign in again for a fresh "
            "token, as the address you send from",
        )
    return SignInVerdict(
        VerdictKind.CANNOT_TELL,
        "cannot tell yet, because a bare 535 can mean POP/SMTP access is off, basic auth is "
        "disabled, or the App Password is wrong: turn on POP/SMTP (guide step 1), make a new "
        "App Password (step 3) and probe again; if it is still refused, use OAuth2",
        offer_oauth=True,
    )
