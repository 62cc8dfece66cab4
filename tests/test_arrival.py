"""The arrival check against the simulator's IMAP: real TLS, real sends through the probe."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator

import pytest

from outlook_kit.accounts import Credentials, SmtpSettings
from outlook_kit.arrival import Arrival, ImapSettings, check_arrival
from outlook_kit.diagnosis import Context, diagnose
from outlook_kit.message import TestMessage
from outlook_kit.probe import ProbeReport, probe
from outlook_kit.simulator import Simulator, default_roster
from outlook_kit.simulator.roster import Account, Traits

ROSTER = {a.scenario: a for a in default_roster()}
HEALTHY = ROSTER["healthy"]
IMAP_OFF = dataclasses.replace(
    HEALTHY, address="imap.off@outlook.com", scenario="imap_off", traits=Traits(imap_enabled=False)
)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(roster=[*default_roster(), IMAP_OFF]) as running:
        yield running


def _credentials(account: Account, kind: str = "app_password") -> Credentials:
    if kind == "oauth_token":
        return Credentials.oauth_token(account.address, account.oauth_tokens[0])
    return Credentials.app_password(account.address, account.app_passwords[0])


def _send_and_check(
    sim: Simulator, credentials: Credentials, *, to: str | None = None, timeout: float = 2.0
) -> tuple[ProbeReport, Arrival]:
    smtp = SmtpSettings("127.0.0.1", sim.port, cafile=sim.ca_file)
    imap = ImapSettings.beside(smtp, sim.imap_port)
    message = TestMessage(credentials.user, (to or credentials.user,))

    async def run() -> tuple[ProbeReport, Arrival]:
        report = await probe(smtp, credentials, message=message)
        assert report.sent and report.token
        arrival = await check_arrival(
            imap, credentials, report.token, to_self=to is None, timeout=timeout, interval=0.2
        )
        return report, arrival

    return asyncio.run(run())


def _diagnosis_of(report: ProbeReport, arrival: Arrival) -> str:
    context = Context(arrived=arrival.arrived, imap_refused=arrival.refused)
    return str(diagnose(report, context=context).category)


def test_the_healthy_send_is_found_in_the_inbox_and_sent_items(sim: Simulator) -> None:
    report, arrival = _send_and_check(sim, _credentials(HEALTHY))
    assert arrival.found and arrival.folder == "Inbox"
    assert set(arrival.folders) == {"Inbox", "Sent Items"}
    assert arrival.after_s is not None and arrival.after_s < 2.0
    assert arrival.arrived == "yes"
    assert arrival.to_dict()["folder"] == "Inbox"
    assert _diagnosis_of(report, arrival) == "no_failure"


def test_the_silent_trap_is_accepted_not_found_and_diagnosed_as_step_1(sim: Simulator) -> None:
    report, arrival = _send_and_check(sim, _credentials(ROSTER["pop_disabled_silent"]))
    assert report.ok  # 250 at every stage
    assert not arrival.found and arrival.reason == "not_found"
    assert arrival.arrived == "no" and arrival.folders == ()
    assert arrival.waited_s >= 1.5  # it kept looking until the time was up
    diagnosis = diagnose(report, context=Context(arrived=arrival.arrived))
    assert str(diagnosis.category) == "pop_smtp_disabled" and diagnosis.guide_step == 1
    # the sign-in passed and the mail went nowhere: a refused sign-in or "no failure" is no
    # alternative any more
    assert not {str(a.category) for a in diagnosis.alternatives} & {
        "basic_auth_disabled",
        "wrong_credentials",
        "app_password_required",
        "no_failure",
    }


def test_a_junk_routed_send_is_found_in_junk_and_diagnosed_as_the_junk_lesson(
    sim: Simulator,
) -> None:
    report, arrival = _send_and_check(sim, _credentials(ROSTER["delivered_to_junk"]))
    assert arrival.found and arrival.folder == "Junk" and arrival.arrived == "junk"
    assert "Sent Items" in arrival.folders
    assert _diagnosis_of(report, arrival) == "delivered_to_junk"


def test_oauth2_signs_in_to_imap_where_basic_auth_is_off(sim: Simulator) -> None:
    report, arrival = _send_and_check(
        sim, _credentials(ROSTER["basic_auth_disabled"], "oauth_token")
    )
    assert report.ok and arrival.found and arrival.folder == "Inbox"


def test_imap_refusing_the_credentials_smtp_accepted_is_its_own_finding(sim: Simulator) -> None:
    credentials = _credentials(IMAP_OFF)
    report, arrival = _send_and_check(sim, credentials)
    assert report.ok and not arrival.found and arrival.reason == "signin_refused"
    assert not arrival.checked and arrival.arrived is None
    assert "LOGIN failed." in arrival.detail
    assert credentials.secret.reveal() not in repr(arrival) + str(arrival.to_dict())
    assert _diagnosis_of(report, arrival) == "imap_signin_refused"


def test_a_send_to_someone_else_is_looked_for_in_sent_items(sim: Simulator) -> None:
    report, arrival = _send_and_check(
        sim, _credentials(HEALTHY), to=ROSTER["send_as_denied"].address
    )
    assert report.ok and arrival.found and arrival.folder == "Sent Items" and not arrival.to_self
    assert arrival.arrived is None  # the recipient's mailbox is not this one to look in


def test_an_unreachable_imap_server_is_a_finding_not_an_exception(sim: Simulator) -> None:
    credentials = _credentials(HEALTHY)
    free = Simulator(imap_port=0)  # bind and free a port: nothing listens there after stop
    free.start()
    port = free.imap_port
    free.stop()
    arrival = asyncio.run(
        check_arrival(ImapSettings("127.0.0.1", port or 1, cafile=sim.ca_file), credentials, "ok-x")
    )
    assert arrival.reason == "unreachable" and "connection refused" in arrival.detail


def test_an_untrusted_certificate_is_named(sim: Simulator) -> None:
    arrival = asyncio.run(
        check_arrival(ImapSettings("127.0.0.1", sim.imap_port or 0), _credentials(HEALTHY), "x")
    )
    assert arrival.reason == "unreachable" and "TLS" in arrival.detail
    assert "CERTIFICATE_VERIFY_FAILED" in arrival.detail


def test_the_imap_settings_beside_a_microsoft_host_are_outlook_office365() -> None:
    imap = ImapSettings.beside(SmtpSettings())
    assert (imap.host, imap.port) == ("outlook.office365.com", 993)
    local = ImapSettings.beside(SmtpSettings("mail.example.test", 587), 1993)
    assert (local.host, local.port) == ("mail.example.test", 1993)
