"""Given the simulator, AUTH XOAUTH2 with a token: accepted for its own account, refused with
535 5.7.3 otherwise, named with the fix; the blob never shows, plain or base64."""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
from pathlib import Path

import pytest

from outlook_kit.accounts import Credentials, SecretKind, SmtpSettings
from outlook_kit.oauth import StaticToken, explain_xoauth2_refusal, oauth_credentials
from outlook_kit.probe import ProbeReport, probe
from outlook_kit.protocol import Stage
from outlook_kit.secret import base64_forms
from outlook_kit.sendlog import append_to_log
from outlook_kit.simulator import Simulator, default_roster

BASIC_OFF = "basic.off@outlook.com"


def settings(sim: Simulator) -> SmtpSettings:
    return SmtpSettings(sim.host, sim.port, cafile=sim.ca_file)


def token_of(sim: Simulator, address: str) -> str:
    return sim.account(address).oauth_tokens[0]


def blob_forms(user: str, token: str) -> list[str]:
    raw = token.encode()
    return [
        token,
        base64.b64encode(raw).decode(),
        base64.b64encode(f"user={user}\x01auth=Bearer {token}\x01\x01".encode()).decode(),
        *base64_forms(raw),
    ]


def everything(report: ProbeReport, log: Path | None = None) -> str:
    parts = [repr(report), str(report), json.dumps(report.to_dict()), "\n".join(report.transcript)]
    if log is not None:
        parts.append(log.read_text())
    return "\n".join(parts)


@pytest.mark.scenario("basic_auth_disabled")
async def test_the_accounts_own_token_signs_in_where_the_app_password_is_refused(
    simulator: Simulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    account = simulator.account(BASIC_OFF)
    refused = await probe(
        settings(simulator), Credentials.app_password(BASIC_OFF, account.app_passwords[0])
    )
    assert refused.failed_stage is Stage.AUTH and refused.reply is not None
    assert refused.reply.enhanced == "5.7.139" and "basic authentication is disabled" in (
        refused.reply.text
    )

    token = token_of(simulator, BASIC_OFF)
    credentials = await oauth_credentials(StaticToken(token), BASIC_OFF)
    report = await probe(settings(simulator), credentials)

    assert report.ok and report.sent, str(report)
    assert report.secret_kind is SecretKind.OAUTH_TOKEN
    assert report.stage(Stage.AUTH).code == 235  # type: ignore[union-attr]
    assert "~> AUTH XOAUTH2 ********" in report.transcript
    assert len(simulator.mailbox.find(report.token or "")) == 1
    assert explain_xoauth2_refusal(report) is None
    log = tmp_path / "sends.jsonl"
    append_to_log(log, report)
    seen = everything(report, log) + caplog.text
    for form in blob_forms(BASIC_OFF, token):
        assert form not in seen


async def test_an_unknown_token_is_refused_535_5_7_3_and_named(simulator: Simulator) -> None:
    token = "EwB-a-token-no-mailbox-knows-0123456789"
    report = await probe(settings(simulator), Credentials.oauth_token(BASIC_OFF, token))

    assert report.failed_stage is Stage.AUTH and not report.sent
    assert report.reply is not None and report.reply.code == 535
    assert report.reply.enhanced == "5.7.3"
    refusal = explain_xoauth2_refusal(report)
    assert refusal is not None and refusal.category == "oauth_token_rejected"
    assert "pop_smtp_disabled" in refusal.alt_categories
    assert "SMTP.Send" in refusal.fix
    for form in blob_forms(BASIC_OFF, token):
        assert form not in everything(report)


async def test_a_token_for_another_address_is_refused_and_the_other_account_named(
    simulator: Simulator,
) -> None:
    other = "healthy@outlook.com"
    token = token_of(simulator, other)
    report = await probe(settings(simulator), Credentials.oauth_token(BASIC_OFF, token))

    assert report.failed_stage is Stage.AUTH
    assert report.reply is not None and (report.reply.code, report.reply.enhanced) == (535, "5.7.3")
    refusal = explain_xoauth2_refusal(report, signed_in_as=other)
    assert refusal is not None and refusal.category == "oauth_token_rejected"
    assert f"the token is for {other}" in refusal.reason
    assert f"sign in again as {BASIC_OFF}" in refusal.fix
    for form in blob_forms(BASIC_OFF, token):
        assert form not in everything(report) + str(refusal)


async def test_smtp_auth_disabled_for_the_mailbox_refuses_even_a_good_token(
    simulator: Simulator,
) -> None:
    address = "smtp.off@outlook.fr"
    report = await probe(
        settings(simulator), Credentials.oauth_token(address, token_of(simulator, address))
    )
    assert report.reply is not None and report.reply.enhanced == "5.7.139"
    refusal = explain_xoauth2_refusal(report)
    assert refusal is not None
    # The diagnosis reads this reply for a personal mailbox as its POP/SMTP switch, with
    # SMTP AUTH disabled (the tenant form) as the runner-up; either way the token is fine.
    named = {refusal.category, *refusal.alt_categories}
    assert refusal.category in {"pop_smtp_disabled", "tenant_smtp_auth_disabled"}
    assert {"pop_smtp_disabled", "tenant_smtp_auth_disabled"} <= named
    assert refusal.category != "oauth_token_rejected"


async def test_pop_smtp_off_refuses_a_good_token_with_the_same_535(simulator: Simulator) -> None:
    address = "pop.off@hotmail.com"
    report = await probe(
        settings(simulator), Credentials.oauth_token(address, token_of(simulator, address))
    )
    assert report.reply is not None and report.reply.enhanced == "5.7.3"
    refusal = explain_xoauth2_refusal(report)
    assert refusal is not None and refusal.category == "oauth_token_rejected"
    assert "pop_smtp_disabled" in refusal.alt_categories


async def test_a_refusal_is_only_explained_for_an_oauth_sign_in(simulator: Simulator) -> None:
    report = await probe(
        settings(simulator), Credentials.app_password(BASIC_OFF, "wrongwrongwrongw")
    )
    assert report.failed_stage is Stage.AUTH
    assert explain_xoauth2_refusal(report) is None


async def test_a_multi_kilobyte_token_fits_on_the_auth_line(simulator: Simulator) -> None:
    token = "EwB" + "x" * 3000  # real bearer tokens run to a few KiB
    base = next(a for a in default_roster() if a.scenario == "healthy")
    big = dataclasses.replace(base, address="big.token@outlook.com", oauth_tokens=(token,))
    with Simulator(roster=[big]) as sim:
        report = await probe(settings(sim), Credentials.oauth_token(big.address, token))
    assert report.ok, str(report)
    for form in blob_forms(big.address, token)[:3]:
        assert form not in everything(report)
