"""Why Outlook refused an OAuth2 token at AUTH XOAUTH2: a finding, named with the fix.

A token can be valid at Microsoft's sign-in and still be refused by the SMTP server. The
diagnosis (`diagnose`, from the catalogue) names the cause from the reply; the provider
adds the one thing the reply cannot tell: whom the token was issued to. A token for
another account is then named as the cause (Outlook answers it with a bare `535 5.7.3`,
the same reply as POP/SMTP access switched off).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..accounts import SecretKind
from ..diagnosis import Category, diagnose
from ..probe import ProbeReport
from ..protocol import Stage


@dataclass(frozen=True)
class XOAuth2Refusal:
    """Why the server refused the token, what to do, and the diagnosis category."""

    category: str
    reason: str
    fix: str
    alt_categories: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.reason} Fix: {self.fix}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "alt_categories": list(self.alt_categories),
            "reason": self.reason,
            "fix": self.fix,
        }


def explain_xoauth2_refusal(
    report: ProbeReport, *, signed_in_as: str | None = None
) -> XOAuth2Refusal | None:
    """The refusal of an OAuth2 sign-in at the AUTH stage, or None if the report shows none.

    Args:
        report: a probe run with `Credentials.oauth_token(...)`.
        signed_in_as: the account the token was issued to, where known
            (`MicrosoftIdentity.signed_in_as`); a different one is named as the cause.
    """
    failure = report.failure
    if report.secret_kind is not SecretKind.OAUTH_TOKEN or failure is None:
        return None
    if failure.stage is not Stage.AUTH:
        return None
    user = report.user
    if signed_in_as and signed_in_as.casefold() != user.casefold() and failure.code == 535:
        return XOAuth2Refusal(
            str(Category.OAUTH_TOKEN_REJECTED),
            f"the token is for {signed_in_as}, but the probe signed in as {user}; Outlook "
            "takes a token only for the account it was issued to (535 5.7.3).",
            f"sign in again as {user} at the device-code page (sign out of {signed_in_as} "
            f"there first), or probe with --user {signed_in_as}.",
            (str(Category.POP_SMTP_DISABLED),),
        )
    diagnosis = diagnose(report)
    if diagnosis.category in (Category.UNKNOWN, Category.NO_FAILURE):
        return None
    return XOAuth2Refusal(
        str(diagnosis.category),
        f"{diagnosis.title}: {' '.join(diagnosis.explanation.split())}",
        " ".join(diagnosis.fix),
        tuple(str(a.category) for a in diagnosis.alternatives),
    )
