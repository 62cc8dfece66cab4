"""The support bundle is Markdown a user can paste: the facts, the diagnosis, no secret."""

from __future__ import annotations

import base64
import dataclasses

from outlook_kit.accounts import Credentials, SmtpSettings
from outlook_kit.bundle import mask_addresses, support_bundle
from outlook_kit.probe import probe
from outlook_kit.simulator import Simulator, default_roster

CANARY = "canarybundlexyzq"


async def test_the_bundle_has_the_facts_and_the_diagnosis_and_no_secret() -> None:
    base = next(a for a in default_roster() if a.scenario == "healthy")
    canary = dataclasses.replace(base, app_passwords=(CANARY,))
    with Simulator(roster=[canary]) as sim:
        settings = SmtpSettings(sim.host, sim.port, cafile=sim.ca_file)
        creds = Credentials.app_password(canary.address, CANARY[::-1])  # refused: a bare 535
        report = await probe(settings, creds)
    text = support_bundle(report)
    for heading in (
        "## Versions",
        "## Settings",
        "## Stages",
        "## Last reply",
        "## Diagnosis",
        "## Transcript",
    ):
        assert heading in text
    assert "| auth | FAILED |" in text
    assert "535 5.7.3 Authentication unsuccessful" in text
    assert "POP/SMTP access is off" in text  # the diagnosis of a bare 535 with an App Password
    assert "aiosmtplib" in text and "OpenSSL" in text and "UTC" in text
    for secret in (CANARY[::-1], base64.b64encode(CANARY[::-1].encode()).decode()):
        assert secret not in text
    assert canary.address in text


def test_addresses_are_masked_on_request() -> None:
    assert mask_addresses("MAIL FROM:<healthy@outlook.com> to bob@example.org") == (
        "MAIL FROM:<h***@outlook.com> to b***@example.org"
    )


async def test_masked_bundle_shows_no_full_address() -> None:
    with Simulator() as sim:
        account = next(a for a in sim.roster if a.scenario == "healthy")
        settings = SmtpSettings(sim.host, sim.port, cafile=sim.ca_file)
        report = await probe(
            settings, Credentials.app_password(account.address, account.app_passwords[0])
        )
    text = support_bundle(report, mask=True)
    assert account.address not in text and "h***@outlook.com" in text
