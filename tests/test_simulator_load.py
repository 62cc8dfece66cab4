"""Given 50 concurrent clients against a cap of 15, the simulator counts exactly.

25 healthy accounts, 2 clients each (under the 3-session sender thread limit).
Each client holds ONE connection (STARTTLS, AUTH LOGIN) and sends 20 one-recipient
messages through it, so both clients of an account race for the same last places in
its window. With `new_account_cap=15`, exactly 15 of each account's 40 messages must
be accepted and the other 25 refused with the cap reply.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import Counter
from email.message import EmailMessage

import aiosmtplib
import pytest

from outlook_kit.caps import CapModel
from outlook_kit.simulator import Account, SimClock, Simulator
from outlook_kit.simulator.roster import Traits

ACCOUNTS = 25
CLIENTS_PER_ACCOUNT = 2
MESSAGES_PER_CLIENT = 20
CAP = 15


def load_roster(cap_reply: str) -> list[Account]:
    return [
        Account(
            address=f"load{i:02d}@outlook.com",
            password=f"Demo-Password-load{i:02d}",
            app_passwords=(f"loadapppassword{chr(97 + i)}",),
            scenario="healthy",
            lesson="A mailbox of the load test.",
            traits=Traits(created=0.0, cap_reply=cap_reply),  # type: ignore[arg-type]
        )
        for i in range(ACCOUNTS)
    ]


async def run_client(
    sim: Simulator, context: ssl.SSLContext, account: Account, client: int
) -> tuple[list[str], list[tuple[int, str]]]:
    """Send MESSAGES_PER_CLIENT messages on one connection; return accepted tokens and refusals."""
    accepted: list[str] = []
    refused: list[tuple[int, str]] = []
    smtp = aiosmtplib.SMTP(
        hostname=sim.host,
        port=sim.port,
        start_tls=True,
        tls_context=context,
        local_hostname="load.example",
        username=account.address,
        password=account.secret("app_password"),
        timeout=20,
    )
    async with smtp:
        for n in range(MESSAGES_PER_CLIENT):
            token = f"{account.address}/{client}/{n}"
            message = EmailMessage()
            message["From"] = message["To"] = account.address
            message["Subject"] = token
            message.set_content("load test")
            try:
                await smtp.send_message(message)
                accepted.append(token)
            except aiosmtplib.SMTPRecipientsRefused as error:
                refused += [(e.code, e.message) for e in error.recipients]
            except aiosmtplib.SMTPDataError as error:
                refused.append((error.code, error.message))
    return accepted, refused


CAP_REPLIES = {
    "guide": (550, "5.4.1 Recipient address rejected: Access denied ["),
    "quota": (554, "5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException;"),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("cap_reply", ["guide", "quota"])
async def test_fifty_concurrent_clients_meet_the_cap_exactly(cap_reply: str) -> None:
    roster = load_roster(cap_reply)
    model = CapModel(new_account_cap=CAP)
    with Simulator(roster=roster, cap_model=model, clock=SimClock()) as sim:
        context = ssl.create_default_context(cafile=sim.ca_file)
        started = time.monotonic()
        jobs = [
            run_client(sim, context, account, client)
            for account in roster
            for client in range(CLIENTS_PER_ACCOUNT)
        ]
        results = await asyncio.gather(*jobs)
        elapsed = time.monotonic() - started

        accepted = [token for tokens, _ in results for token in tokens]
        refusals = [r for _, refused in results for r in refused]
        per_account = Counter(token.split("/")[0] for token in accepted)
        assert per_account == {a.address: CAP for a in roster}
        total = ACCOUNTS * CLIENTS_PER_ACCOUNT * MESSAGES_PER_CLIENT
        assert len(refusals) == total - ACCOUNTS * CAP
        code, text = CAP_REPLIES[cap_reply]
        assert all(c == code and m.startswith(text) for c, m in refusals), refusals[:3]

        stored = [m.subject for m in sim.mailbox.messages()]
        assert sorted(stored) == sorted(accepted)  # every accepted message, nothing else
        for account in roster:
            assert sim.window_count(account.address) == CAP
            assert sim.paused_until(account.address) is not None
        assert elapsed < 30, f"the load took {elapsed:.1f} s"
