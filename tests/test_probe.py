"""Given the simulator (real SMTP over loopback, real STARTTLS), the probe pins each outcome
to a stage with the server's reply."""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from outlook_kit.accounts import Credentials, SmtpSettings
from outlook_kit.message import TestMessage
from outlook_kit.probe import ProbeReport, StageResult, Timeouts, probe
from outlook_kit.protocol import Stage
from outlook_kit.simulator import Faults, Simulator, default_roster
from outlook_kit.simulator.roster import Account

ALL_STAGES = [str(s) for s in Stage]


def settings(sim: Simulator) -> SmtpSettings:
    return SmtpSettings(sim.host, sim.port, cafile=sim.ca_file)


def healthy(sim: Simulator) -> Account:
    return next(a for a in sim.roster if a.scenario == "healthy")


async def test_a_healthy_account_passes_every_stage_and_the_mail_arrives(
    simulator: Simulator,
) -> None:
    account = healthy(simulator)
    report = await probe(settings(simulator), account.credentials())

    assert report.ok and report.failed_stage is None and report.sent
    assert [str(s.stage) for s in report.stages] == ALL_STAGES
    assert all(s.elapsed_ms >= 0 for s in report.stages)
    assert report.stage(Stage.AUTH).code == 235  # type: ignore[union-attr]
    assert report.stage(Stage.DATA).code == 250  # type: ignore[union-attr]
    assert set(report.auth_mechanisms) == {"LOGIN", "XOAUTH2"}
    assert "STARTTLS" not in report.extensions  # what the server offers after TLS
    assert report.tls is not None and report.tls.verified
    assert report.tls.version in ("TLSv1.2", "TLSv1.3") and report.tls.cipher
    assert report.tls.subject and report.tls.issuer
    arrived = simulator.mailbox.find(report.token or "")
    assert len(arrived) == 1
    assert arrived[0].message["Message-ID"] == report.message_id


async def test_the_transcript_follows_swaks_convention(simulator: Simulator) -> None:
    report = await probe(settings(simulator), healthy(simulator).credentials())
    lines = report.transcript
    assert lines[0].startswith("=== Trying ")
    assert any(line.startswith("<- 220 ") for line in lines)
    assert any(line.startswith("-> EHLO ") for line in lines)
    assert "-> STARTTLS" in lines
    tls_at = lines.index("-> STARTTLS")
    assert all(not line.startswith(("~>", "<~")) for line in lines[:tls_at])
    after = [line for line in lines[tls_at + 1 :] if not line.startswith("===")]
    assert after[0].startswith("<- 220")  # STARTTLS's own reply comes in the clear
    assert all(line.startswith(("~>", "<~")) for line in after[1:])
    assert "~> AUTH LOGIN" in lines
    assert any(line.startswith("<~ 235 ") for line in lines)


async def test_the_ehlo_name_is_valid(simulator: Simulator) -> None:
    report = await probe(settings(simulator), healthy(simulator).credentials())
    ehlo = next(line for line in report.transcript if line.startswith("-> EHLO "))
    name = ehlo.split(" ", 2)[2]
    assert not name.endswith(".") and "." in name


@pytest.mark.parametrize("account", default_roster(), ids=lambda a: a.scenario)
async def test_every_roster_account_fails_where_its_scenario_says(
    simulator: Simulator, account: Account
) -> None:
    expect = account.expect
    sender = expect.from_address or account.address
    message = TestMessage(sender, (account.address,))
    report = await probe(settings(simulator), account.credentials(), message=message)

    assert report.failed_stage == expect.stage, str(report)
    if expect.stage is not None:
        assert report.reply is not None
        assert (report.reply.code, report.reply.enhanced) == (expect.code, expect.enhanced)
        # stages after the failing one never ran
        assert report.stages[-1].stage in (expect.stage, Stage.QUIT)
    assert bool(simulator.mailbox.find(message.token)) == expect.delivered


async def test_stop_after_auth_checks_the_sign_in_without_sending(simulator: Simulator) -> None:
    report = await probe(settings(simulator), healthy(simulator).credentials(), stop_after="auth")
    assert report.ok and not report.sent
    assert [str(s.stage) for s in report.stages] == [*ALL_STAGES[:7], "quit"]
    assert not any("MAIL FROM" in line for line in report.transcript)
    assert simulator.mailbox.messages() == []


async def test_on_stage_reports_each_stage_as_it_completes(simulator: Simulator) -> None:
    seen: list[StageResult] = []
    report = await probe(
        settings(simulator), healthy(simulator).credentials(), on_stage=seen.append
    )
    assert [s.stage for s in seen] == [s.stage for s in report.stages]


async def test_xoauth2_with_the_accounts_token_signs_in(simulator: Simulator) -> None:
    account = next(a for a in simulator.roster if a.scenario == "basic_auth_disabled")
    report = await probe(settings(simulator), account.credentials("oauth_token"))
    assert report.ok, str(report)
    assert "~> AUTH XOAUTH2 ********" in report.transcript


async def test_xoauth2_with_another_accounts_token_is_refused(simulator: Simulator) -> None:
    account = next(a for a in simulator.roster if a.scenario == "basic_auth_disabled")
    other = next(a for a in simulator.roster if a.oauth_tokens and a is not account)
    creds = Credentials.oauth_token(account.address, other.oauth_tokens[0])
    report = await probe(settings(simulator), creds)
    assert report.failed_stage == Stage.AUTH
    assert report.reply is not None and (report.reply.code, report.reply.enhanced) == (535, "5.7.3")


async def test_an_untrusted_certificate_fails_at_starttls_with_no_auth_sent(
    simulator: Simulator,
) -> None:
    account = healthy(simulator)
    untrusting = SmtpSettings(simulator.host, simulator.port)  # system CAs only
    report = await probe(untrusting, account.credentials())
    assert report.failed_stage == Stage.STARTTLS
    assert report.tls is not None and not report.tls.verified
    assert report.tls.subject and report.tls.issuer
    assert report.tls.issuer in (report.failure.note or "")  # type: ignore[union-attr]
    assert not any("AUTH" in line for line in report.transcript if line.startswith(("->", "~>")))


@pytest.mark.simulator(tls_interception="Avast Web/Mail Shield Root")
async def test_interception_shows_the_interceptors_name(simulator: Simulator) -> None:
    report = await probe(settings(simulator), healthy(simulator).credentials())
    assert report.failed_stage == Stage.STARTTLS
    assert report.tls is not None and "Avast Web/Mail Shield Root" in (report.tls.issuer or "")
    assert not any("AUTH" in line for line in report.transcript if line.startswith(("->", "~>")))


async def test_the_insecure_switch_connects_without_verifying(simulator: Simulator) -> None:
    insecure = SmtpSettings(simulator.host, simulator.port, insecure=True)
    report = await probe(insecure, healthy(simulator).credentials())
    assert report.ok and report.tls is not None and not report.tls.verified


@pytest.fixture
def plain_server() -> Iterator[tuple[str, int]]:
    """A real SMTP server that offers no STARTTLS (like a domain's MX on port 25)."""

    class Accept:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Accept(), hostname="127.0.0.1", port=port)
    controller.start()
    yield "127.0.0.1", port
    controller.stop()


async def test_without_starttls_the_probe_stops_before_auth(plain_server: tuple[str, int]) -> None:
    host, port = plain_server
    creds = Credentials.app_password("me@outlook.com", "abcdefghijklmnop")
    report = await probe(SmtpSettings(host, port), creds)
    assert report.failed_stage == Stage.STARTTLS
    assert "never sends a password in the clear" in (report.failure.note or "")  # type: ignore[union-attr]
    assert not any("AUTH" in line for line in report.transcript)


@pytest.mark.simulator(faults=Faults(silent_banner=True))
async def test_a_silent_server_fails_at_the_banner_within_the_timeout(simulator: Simulator) -> None:
    timeouts = Timeouts(connect=1.0, command=1.0)
    start = time.monotonic()
    report = await probe(settings(simulator), healthy(simulator).credentials(), timeouts=timeouts)
    took = time.monotonic() - start
    assert report.failed_stage == Stage.BANNER
    assert "timed out" in (report.failure.note or "")  # type: ignore[union-attr]
    assert took < timeouts.command + 1.0  # the bound: the timeout plus one second


@pytest.fixture
def blocked_port() -> Iterator[int]:
    """A loopback port whose accept queue is full: new connections hang like a filtered port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    port = listener.getsockname()[1]
    for _ in range(8):  # fill the backlog; later SYNs are dropped and connect() hangs
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.1)
    yield port
    for filler in fillers:
        filler.close()
    listener.close()


async def test_a_blocked_port_fails_at_connect_within_the_timeout(blocked_port: int) -> None:
    creds = Credentials.app_password("me@outlook.com", "abcdefghijklmnop")
    timeouts = Timeouts(connect=1.0, command=1.0)
    start = time.monotonic()
    report = await probe(SmtpSettings("127.0.0.1", blocked_port), creds, timeouts=timeouts)
    took = time.monotonic() - start
    assert report.failed_stage == Stage.CONNECT, str(report)
    assert "timed out" in (report.failure.note or "")  # type: ignore[union-attr]
    assert took < timeouts.connect + 1.0


async def test_a_closed_port_fails_at_connect_saying_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    creds = Credentials.app_password("me@outlook.com", "abcdefghijklmnop")
    report = await probe(SmtpSettings("127.0.0.1", port), creds, timeouts=Timeouts(1.0, 1.0))
    assert report.failed_stage == Stage.CONNECT
    assert "refused" in (report.failure.note or "")  # type: ignore[union-attr]


async def test_an_unknown_host_fails_at_dns() -> None:
    creds = Credentials.app_password("me@outlook.com", "abcdefghijklmnop")
    report = await probe(SmtpSettings("no-such-host.invalid", 587), creds, timeouts=Timeouts(2, 2))
    assert report.failed_stage == Stage.DNS
    assert [str(s.stage) for s in report.stages] == ["dns"]


@pytest.mark.simulator(faults=Faults(banner_421=True))
async def test_a_421_banner_fails_at_the_banner_with_the_reply(simulator: Simulator) -> None:
    report = await probe(settings(simulator), healthy(simulator).credentials())
    assert report.failed_stage == Stage.BANNER
    assert report.reply is not None and report.reply.code == 421


@pytest.mark.parametrize(
    "stage",
    [
        Stage.EHLO,
        Stage.STARTTLS,
        Stage.EHLO_TLS,
        Stage.AUTH,
        Stage.MAIL_FROM,
        Stage.RCPT_TO,
        Stage.DATA,
    ],
)
async def test_a_dropped_connection_fails_at_its_stage(simulator: Simulator, stage: Stage) -> None:
    simulator.faults = Faults(drop_at=stage)
    report = await probe(
        settings(simulator), healthy(simulator).credentials(), timeouts=Timeouts(2, 2)
    )
    assert report.failed_stage == stage, str(report)
    assert report.reply is None and report.failure is not None and report.failure.note
    assert simulator.mailbox.messages() == []


async def test_slow_replies_within_the_timeout_still_pass(simulator: Simulator) -> None:
    simulator.faults = Faults(reply_delay_s=0.05)
    report = await probe(settings(simulator), healthy(simulator).credentials())
    assert report.ok
    assert report.stage(Stage.EHLO).elapsed_ms >= 50  # type: ignore[union-attr]


async def test_the_report_is_a_value_with_a_readable_str_and_a_dict(simulator: Simulator) -> None:
    account = next(a for a in simulator.roster if a.scenario == "regular_password")
    report = await probe(settings(simulator), account.credentials())
    assert isinstance(report, ProbeReport)
    assert f"auth failed: {report.reply}" in str(report)
    data = report.to_dict()
    assert data["ok"] is False and data["failed_stage"] == "auth"
    assert [s["stage"] for s in data["stages"]][-2:] == ["auth", "quit"]
    assert data["stages"][-2]["code"] == 535 and data["stages"][-2]["enhanced"] == "5.7.139"
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.host = "elsewhere"  # type: ignore[misc]


@pytest.mark.parametrize("account", default_roster(), ids=lambda a: a.scenario)
async def test_every_roster_account_is_diagnosed_as_its_lesson(
    simulator: Simulator, account: Account
) -> None:
    from outlook_kit.arrival import check_arrival
    from outlook_kit.diagnosis import Context, diagnose

    expect = account.expect
    message = TestMessage(expect.from_address or account.address, (account.address,))
    credentials = account.credentials()
    report = await probe(settings(simulator), credentials, message=message)
    # "did it arrive?" answered over IMAP, as the kit's arrival step answers it
    arrived = "no"
    if report.sent:
        imap = simulator.imap_settings()
        assert imap is not None
        found = await check_arrival(imap, credentials, message.token, timeout=0.5, interval=0.1)
        assert found.checked, found.detail
        arrived = found.arrived or "no"
        assert (arrived in ("yes", "junk")) is expect.delivered, found.detail
    context = Context(arrived=arrived, **dict(expect.checklist))
    assert diagnose(report, context=context).category == expect.category


@pytest.mark.parametrize(
    "account", [a for a in default_roster() if a.expect.stage], ids=lambda a: a.scenario
)
async def test_a_reply_reads_the_same_from_a_probe_as_pasted_with_the_same_facts(
    simulator: Simulator, account: Account
) -> None:
    from outlook_kit.diagnosis import Context, diagnose

    expect = account.expect
    message = TestMessage(expect.from_address or account.address, (account.address,))
    report = await probe(settings(simulator), account.credentials(), message=message)
    failure = report.failure
    assert failure is not None and failure.reply is not None
    facts = Context(account=report.user, secret_kind=report.secret_kind, from_addr=report.from_addr)
    from_probe = diagnose(report)
    pasted = diagnose(str(failure.reply), context=facts)  # as `diagnose --user` reads it
    assert pasted.category == from_probe.category, (pasted.evidence, from_probe.evidence)
    # and as any client prints it, the client's words telling the stage
    wrapped = f"SMTP Error: {failure.stage} command failed: {failure.reply}"
    assert diagnose(wrapped, context=facts).category == from_probe.category
