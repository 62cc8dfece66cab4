"""Given probes of one account against the simulator, the sign-in verdict says what works."""

from __future__ import annotations

import dataclasses

from outlook_kit.accounts import Credentials, SmtpSettings
from outlook_kit.probe import ProbeReport, probe
from outlook_kit.protocol import Stage
from outlook_kit.simulator import Simulator
from outlook_kit.simulator.roster import Account
from outlook_kit.verdict import VerdictKind, signin_verdict


def account(sim: Simulator, scenario: str) -> Account:
    return next(a for a in sim.roster if a.scenario == scenario)


async def run(sim: Simulator, creds: Credentials) -> ProbeReport:
    settings = SmtpSettings(sim.host, sim.port, cafile=sim.ca_file)
    return await probe(settings, creds, stop_after="auth")


async def test_a_working_app_password(simulator: Simulator) -> None:
    a = account(simulator, "healthy")
    report = await run(simulator, Credentials.app_password(a.address, a.app_passwords[0]))
    verdict = signin_verdict([report])
    assert verdict.kind is VerdictKind.APP_PASSWORD_WORKS and str(verdict) == "App Password works"


async def test_basic_auth_disabled_offers_oauth_and_a_token_then_works(
    simulator: Simulator,
) -> None:
    a = account(simulator, "basic_auth_disabled")
    refused = await run(simulator, Credentials.app_password(a.address, a.app_passwords[0]))
    verdict = signin_verdict([refused])
    assert verdict.kind is VerdictKind.BASIC_AUTH_DISABLED and verdict.offer_oauth
    assert verdict.text == "basic auth is disabled for this account: use OAuth2"
    works = await run(simulator, Credentials.oauth_token(a.address, a.oauth_tokens[0]))
    assert signin_verdict([refused, works]).kind is VerdictKind.OAUTH_WORKS


async def test_smtp_auth_disabled_for_the_mailbox(simulator: Simulator) -> None:
    a = account(simulator, "smtp_auth_disabled_mailbox")
    report = await run(simulator, Credentials.oauth_token(a.address, a.oauth_tokens[0]))
    verdict = signin_verdict([report])
    assert verdict.kind is VerdictKind.SMTP_AUTH_DISABLED
    assert verdict.text == "SMTP AUTH is disabled for this mailbox"


async def test_only_the_regular_password_tried_cannot_tell_yet(simulator: Simulator) -> None:
    a = account(simulator, "regular_password")
    report = await run(simulator, Credentials.password(a.address, a.password))
    verdict = signin_verdict([report])
    assert verdict.kind is VerdictKind.CANNOT_TELL
    assert verdict.text.startswith("cannot tell yet, because") and "App Password" in verdict.text


async def test_a_bare_535_with_an_app_password_cannot_tell_yet_and_offers_oauth(
    simulator: Simulator,
) -> None:
    a = account(simulator, "pop_disabled_reject")
    report = await run(simulator, Credentials.app_password(a.address, a.app_passwords[0]))
    verdict = signin_verdict([report])
    assert verdict.kind is VerdictKind.CANNOT_TELL and verdict.offer_oauth
    assert "POP/SMTP" in verdict.text


async def test_the_password_is_wrong_when_the_server_says_so(simulator: Simulator) -> None:
    a = account(simulator, "healthy")
    report = await run(simulator, Credentials.app_password(a.address, a.app_passwords[0]))
    auth = next(s for s in report.stages if s.stage is Stage.AUTH)
    refused = dataclasses.replace(
        auth,
        ok=False,
        code=535,
        enhanced="5.7.139",
        text="Authentication unsuccessful, the user credentials were incorrect.",
    )
    stages = tuple(refused if s.stage is Stage.AUTH else s for s in report.stages)
    verdict = signin_verdict([dataclasses.replace(report, stages=stages)])
    assert verdict.kind is VerdictKind.WRONG_PASSWORD and verdict.text == "the password is wrong"


def test_no_probe_reached_the_sign_in(simulator: Simulator) -> None:
    import asyncio
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    creds = Credentials.app_password("me@outlook.com", "abcdefghijklmnop")
    report = asyncio.run(probe(SmtpSettings("127.0.0.1", port), creds))
    verdict = signin_verdict([report])
    assert verdict.kind is VerdictKind.CANNOT_TELL and "connect" in verdict.text
    assert signin_verdict([]).kind is VerdictKind.CANNOT_TELL
