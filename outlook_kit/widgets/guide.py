"""The setup guide the kit teaches, as data: its four steps in order, each with its why, where
to click, and the checklist question the kit remembers the answer to.

The words follow the guide in substance. The wizard, the diagnosis cards (their "back to
step N" links) and the teaching lab all read them from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GuideStep:
    """One step of the setup guide."""

    number: int
    key: str
    title: str
    why: str
    where: tuple[str, ...]
    question: str | None = None  # the checklist question; None where the test send answers
    checklist: str | None = None  # the diagnosis Context field the answer feeds, if any

    @property
    def anchor(self) -> str:
        """The id of the step's heading in the notebook (`#step-1`)."""
        return f"step-{self.number}"

    @property
    def label(self) -> str:
        return f"Step {self.number}: {self.title}"


STEPS: tuple[GuideStep, ...] = (
    GuideStep(
        number=1,
        key="pop_smtp",
        title="Enable POP/SMTP access",
        why=(
            "Outlook.com lets other programs send through its mail server (SMTP, the Simple "
            "Mail Transfer Protocol) only when the switch \u201cLet devices and apps use "
            "POP\u201d is on. With it off, the sign-in is refused, or worse, every step "
            "answers OK and the mail never arrives. The guide calls this the trap most people "
            "miss: the silent killer."
        ),
        where=(
            "Open outlook.live.com and sign in.",
            "Click the gear (Settings), then \u201cView all Outlook settings\u201d.",
            "Go to Mail, then Sync email, then \u201cPOP and IMAP\u201d.",
            "Set \u201cLet devices and apps use POP\u201d to Yes.",
            "Click Save.",
        ),
        question="Is \u201cLet devices and apps use POP\u201d set to Yes, and saved?",
        checklist="pop_smtp_on",
    ),
    GuideStep(
        number=2,
        key="two_step",
        title="Turn on two-step verification",
        why=(
            "App Passwords exist only on accounts with two-step verification on. Without it, "
            "the \u201cApp passwords\u201d section is simply absent from the security page, "
            "with no error to tell you why."
        ),
        where=(
            "Open account.microsoft.com/security and sign in.",
            "Open \u201cAdvanced security options\u201d (or \u201cManage how I sign in\u201d).",
            "Under Two-step verification, choose Turn on and follow the prompts.",
        ),
        question="Is two-step verification on for this account?",
        checklist="two_step_on",
    ),
    GuideStep(
        number=3,
        key="app_password",
        title="Create an App Password",
        why=(
            "Outlook refuses your regular sign-in password from other programs (the reply is "
            "535 5.7.139 Authentication unsuccessful). An App Password is a long, random "
            "password made for one program. Microsoft shows it only once: paste it "
            "immediately."
        ),
        where=(
            "On account.microsoft.com/security, open \u201cAdvanced security options\u201d.",
            "Find \u201cApp passwords\u201d and click \u201cCreate a new app password\u201d.",
            "Copy the password it shows, and paste it at once where you need it.",
        ),
        question="Have you created an App Password and copied it?",
        checklist="app_password_made",
    ),
    GuideStep(
        number=4,
        key="connect",
        title="Connect and send a test",
        why=(
            "The test send proves the settings: a final 250 reply means the sign-in and the "
            "From address are right. A 535 here means: go back to step 1. Then check that the "
            "test mail arrived, in the inbox or the junk folder."
        ),
        where=(
            "Server: smtp-mail.outlook.com, port 587, with STARTTLS (encryption started after "
            "connecting; port 465 is not served).",
            "User name: your full email address.",
            "Password: the App Password from step 3.",
        ),
    ),
)


def step(number: int) -> GuideStep:
    """The guide's step `number` (1 to 4)."""
    for item in STEPS:
        if item.number == number:
            return item
    raise ValueError(f"the guide has steps 1 to {len(STEPS)}, not {number}")


LIMITS = (
    "About 300 messages a day on a new account (observed, not published); the cap grows as "
    "the account ages and earns reputation. Outlook.com suits transactional and low-volume "
    "mail, not marketing or cold outreach. Hitting the cap answers 550 5.4.1 and outbound "
    "mail pauses for about 24 hours."
)
