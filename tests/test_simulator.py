"""Given the simulator on loopback (real SMTP, real STARTTLS), it answers as smtp-mail.outlook.com.

Every test talks to a running simulator with Python's smtplib or a raw socket; none
reaches into the server's internals.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import signal
import smtplib
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from outlook_kit.caps import CapModel
from outlook_kit.protocol import Reply, Stage
from outlook_kit.simulator import (
    Account,
    Delivered,
    Faults,
    SimClock,
    Simulator,
    SystemClock,
    default_roster,
)
from outlook_kit.simulator.roster import Expect, Traits

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CLIENT_NAME = "client.example"


# --- a small staged client --------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """Where a staged send stopped (None: it went through) and the last reply."""

    stage: Stage | None
    reply: Reply


def reply_of(code: int, message: bytes | str) -> Reply:
    text = message.decode() if isinstance(message, bytes) else message
    return Reply.parse(code, text)


def tls_context(sim: Simulator) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=sim.ca_file)


def connect(sim: Simulator, *, tls: bool = True, timeout: float = 5) -> smtplib.SMTP:
    client = smtplib.SMTP(sim.host, sim.port, local_hostname=CLIENT_NAME, timeout=timeout)
    client.ehlo()
    if tls:
        client.starttls(context=tls_context(sim))
        client.ehlo()
    return client


def xoauth2(user: str, token: str) -> str:
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def sign_in(client: smtplib.SMTP, account: Account, kind: str) -> Reply:
    secret = account.secret(kind)  # type: ignore[arg-type]
    try:
        if kind == "oauth_token":
            code, text = client.auth(
                "XOAUTH2", lambda challenge=None: xoauth2(account.address, secret)
            )
        else:
            code, text = client.login(account.address, secret)
    except smtplib.SMTPAuthenticationError as refused:
        return reply_of(refused.smtp_code, refused.smtp_error)
    return reply_of(code, text)


def message_bytes(subject: str, body: str = "Hello from the simulator's tests.") -> bytes:
    return f"From: test@example.com\r\nSubject: {subject}\r\n\r\n{body}\r\n".encode()


def send(
    sim: Simulator,
    account: Account,
    *,
    kind: str | None = None,
    mail_from: str | None = None,
    rcpts: tuple[str, ...] | None = None,
    data: bytes | None = None,
) -> Outcome:
    """One send, stage by stage, as `account.expect` describes unless told otherwise."""
    with connect(sim) as client:
        reply = sign_in(client, account, kind or account.expect.secret)
        if reply.code != 235:
            return Outcome(Stage.AUTH, reply)
        reply = reply_of(*client.mail(mail_from or account.sender))
        if reply.code != 250:
            return Outcome(Stage.MAIL_FROM, reply)
        accepted = 0
        for rcpt in rcpts or (account.address,):
            reply = reply_of(*client.rcpt(rcpt))
            accepted += reply.code == 250
        if not accepted:
            return Outcome(Stage.RCPT_TO, reply)
        reply = reply_of(*client.data(data or message_bytes("simulator test")))
        return Outcome(None if reply.code == 250 else Stage.DATA, reply)


def by_scenario(sim: Simulator, scenario: str) -> Account:
    return next(a for a in sim.roster if a.scenario == scenario)


def one_account(
    address: str = "fresh@outlook.com",
    *,
    name: str = "fresh",
    tokens: tuple[str, ...] = (),
    **traits: object,
) -> Account:
    return Account(
        address=address,
        password=f"Demo-Password-{name}",
        app_passwords=(f"{name}apppassword"[:16].ljust(16, "x"),),
        oauth_tokens=tokens or (f"EwB-token-{name}",),
        scenario="healthy",
        lesson="A test mailbox.",
        traits=Traits(**traits),  # type: ignore[arg-type]
    )


# --- banner, EHLO, TLS ------------------------------------------------------------------------


@pytest.mark.simulator(clock=SimClock(T0))
def test_the_banner_is_exchanges_with_the_clocks_date(simulator: Simulator) -> None:
    with socket.create_connection((simulator.host, simulator.port), timeout=5) as raw:
        banner = raw.makefile("rb").readline().decode()
    match = re.match(
        r"^220 (\S+)\.outlook\.office365\.com Microsoft ESMTP MAIL Service ready at (.+)\r\n$",
        banner,
    )
    assert match, banner
    assert parsedate_to_datetime(match.group(2)) == T0


def test_ehlo_offers_starttls_before_tls_and_only_login_and_xoauth2_after(
    simulator: Simulator,
) -> None:
    with connect(simulator, tls=False) as client:
        code, before = client.ehlo()
        assert code == 250
        assert re.match(rb"\S+\.outlook\.office365\.com Hello \[127\.0\.0\.1\]", before)
        assert client.has_extn("starttls") and not client.has_extn("auth")
        assert client.has_extn("size") and client.esmtp_features["size"] == "157286400"
        for word in ("pipelining", "dsn", "enhancedstatuscodes", "8bitmime", "smtputf8"):
            assert client.has_extn(word), word
        assert not client.has_extn("chunking")  # BDAT is not implemented, so not advertised
        client.starttls(context=tls_context(simulator))
        client.ehlo()
        assert client.esmtp_features["auth"].split() == ["LOGIN", "XOAUTH2"]
        assert not client.has_extn("starttls")


def test_starttls_answers_exchanges_words_and_negotiates_tls_1_2_or_newer(
    simulator: Simulator,
) -> None:
    with connect(simulator, tls=False) as client:
        code, text = client.starttls(context=tls_context(simulator))
        assert (code, text) == (220, b"2.0.0 SMTP server ready")
        assert isinstance(client.sock, ssl.SSLSocket)
        assert client.sock.version() in ("TLSv1.2", "TLSv1.3")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_tls_1_1_is_refused(simulator: Simulator) -> None:
    old = ssl.create_default_context(cafile=simulator.ca_file)
    old.set_ciphers("DEFAULT:@SECLEVEL=0")
    old.minimum_version = ssl.TLSVersion.TLSv1
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    with connect(simulator, tls=False) as client, pytest.raises(ssl.SSLError):
        client.starttls(context=old)


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "smtp-mail.outlook.com"])
def test_the_ca_file_verifies_the_certificate_for_each_name(
    simulator: Simulator, name: str
) -> None:
    with socket.create_connection((simulator.host, simulator.port), timeout=5) as raw:
        stream = raw.makefile("rwb")
        stream.readline()
        stream.write(b"EHLO client.example\r\n")
        stream.flush()
        while not stream.readline().startswith(b"250 "):
            pass
        stream.write(b"STARTTLS\r\n")
        stream.flush()
        assert stream.readline().startswith(b"220 ")
        with tls_context(simulator).wrap_socket(raw, server_hostname=name) as secured:
            assert secured.getpeercert()  # verified against sim.ca_file


def issuer_organisation(sim: Simulator) -> str:
    unverified = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    unverified.check_hostname = False
    unverified.verify_mode = ssl.CERT_NONE
    with connect(sim, tls=False) as client:
        client.starttls(context=unverified)
        assert isinstance(client.sock, ssl.SSLSocket)
        der = client.sock.getpeercert(binary_form=True)
    assert der is not None
    value = (
        x509.load_der_x509_certificate(der)
        .issuer.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0]
        .value
    )
    return value if isinstance(value, str) else value.decode()


@pytest.mark.simulator(tls_interception="Some AV Root")
def test_interception_presents_a_foreign_root_the_ca_file_cannot_verify(
    simulator: Simulator,
) -> None:
    with connect(simulator, tls=False) as client, pytest.raises(ssl.SSLCertVerificationError):
        client.starttls(context=tls_context(simulator))
    assert issuer_organisation(simulator) == "Some AV Root"


def test_without_interception_the_issuer_is_the_simulators_ca(simulator: Simulator) -> None:
    assert issuer_organisation(simulator) != "Some AV Root"


def test_an_ehlo_name_with_a_trailing_dot_is_refused(simulator: Simulator) -> None:
    with smtplib.SMTP(simulator.host, simulator.port, local_hostname="laptop.", timeout=5) as c:
        code, text = c.ehlo()
    assert (code, reply_of(code, text).enhanced) == (501, "5.5.4")
    assert b"Invalid domain name" in text


# --- the roster -------------------------------------------------------------------------------


REQUIRED_SCENARIOS = {
    "healthy",
    "pop_disabled_reject",
    "pop_disabled_silent",
    "no_two_step",
    "regular_password",
    "basic_auth_disabled",
    "smtp_auth_disabled_mailbox",
    "send_as_denied",
    "cap_reached",
    "cap_reached_quota",
    "spam_hold",
}


def test_the_roster_has_one_account_per_lesson_and_serialises() -> None:
    roster = default_roster()
    assert {a.scenario for a in roster} >= REQUIRED_SCENARIOS
    assert len({a.address for a in roster}) == len({a.scenario for a in roster}) == len(roster)
    for account in roster:
        data = json.loads(json.dumps(account.to_dict()))
        assert {
            "address",
            "password",
            "app_passwords",
            "oauth_tokens",
            "scenario",
            "lesson",
        } <= set(data)
        assert isinstance(data["app_passwords"], list) and isinstance(data["traits"], dict)
        assert set(data["expect"]) >= {"secret", "stage", "code", "enhanced", "delivered"}
        assert "\n" not in account.lesson and account.lesson.strip()


@pytest.mark.parametrize("account", default_roster(), ids=lambda a: a.scenario)
def test_every_roster_account_does_what_its_expect_says(
    simulator: Simulator, account: Account
) -> None:
    token = f"roster-{account.scenario}-{time.monotonic_ns()}"
    outcome = send(simulator, account, data=message_bytes(token))
    expect = account.expect
    assert outcome.stage == expect.stage, str(outcome.reply)
    if expect.stage is None:
        assert outcome.reply.code == 250
    else:
        assert (outcome.reply.code, outcome.reply.enhanced) == (expect.code, expect.enhanced)
    assert bool(simulator.mailbox.find(token)) == expect.delivered


@pytest.mark.parametrize(
    ("scenario", "kind", "text"),
    [
        ("regular_password", "password", "535 5.7.139 Authentication unsuccessful ["),
        ("no_two_step", "password", "535 5.7.139 Authentication unsuccessful ["),
        (
            "basic_auth_disabled",
            "app_password",
            "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [",
        ),
        (
            "smtp_auth_disabled_mailbox",
            "oauth_token",
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
            "Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information. [",
        ),
        (
            "smtp_auth_disabled_mailbox",
            "app_password",
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled",
        ),
        ("pop_disabled_reject", "app_password", "535 5.7.3 Authentication unsuccessful ["),
    ],
)
def test_sign_in_refusals_carry_the_real_texts(
    simulator: Simulator, scenario: str, kind: str, text: str
) -> None:
    outcome = send(simulator, by_scenario(simulator, scenario), kind=kind)
    assert outcome.stage is Stage.AUTH
    assert str(outcome.reply).startswith(text), str(outcome.reply)
    assert re.search(r"\[\w+\.\w+\.prod\.outlook\.com \S+Z [0-9A-F]{16}\]$", outcome.reply.text)


def test_a_wrong_app_password_is_refused_with_5_7_3(simulator: Simulator) -> None:
    account = by_scenario(simulator, "healthy")
    with connect(simulator) as client, pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        client.login(account.address, "notthepasswordxx")
    assert reply_of(refused.value.smtp_code, refused.value.smtp_error).enhanced == "5.7.3"


def test_a_delivered_message_is_stored_with_its_envelope_and_time(simulator: Simulator) -> None:
    sim = simulator
    account = by_scenario(sim, "healthy")
    outcome = send(sim, account, data=message_bytes("Quarterly figures", "the body has zebra"))
    assert outcome.stage is None
    assert re.match(r"OK <\S+> \[Hostname=\S+\.prod\.outlook\.com\]$", outcome.reply.text)
    [item] = sim.mailbox.messages(account.address.upper())
    assert isinstance(item, Delivered)
    assert (item.account, item.mail_from, item.recipient) == (account.address,) * 3
    assert item.message["Subject"] == "Quarterly figures"
    assert item.data.startswith(b"From: test@example.com\r\n")
    assert abs(item.received_at - datetime.now(UTC)) < timedelta(seconds=30)
    assert sim.mailbox.find("zebra") == sim.mailbox.find("Quarterly") == [item]
    assert sim.mailbox.find("giraffe") == []
    assert sim.mailbox.messages("someone.else@outlook.com") == []


def test_pop_off_silent_answers_250_everywhere_and_keeps_nothing(simulator: Simulator) -> None:
    account = by_scenario(simulator, "pop_disabled_silent")
    outcome = send(simulator, account, rcpts=(account.address, "friend@example.com"))
    assert outcome.stage is None and outcome.reply.code == 250
    assert simulator.mailbox.messages() == []


# --- AUTH -------------------------------------------------------------------------------------


def test_auth_plain_and_other_mechanisms_get_504_5_7_4(simulator: Simulator) -> None:
    account = by_scenario(simulator, "healthy")
    plain = base64.b64encode(f"\0{account.address}\0{account.secret()}".encode()).decode()
    with connect(simulator) as client:
        for command in (f"AUTH PLAIN {plain}", "AUTH PLAIN", "AUTH CRAM-MD5", "AUTH NTLM"):
            code, text = client.docmd(command)
            assert (code, reply_of(code, text).enhanced) == (504, "5.7.4"), command
            assert text.startswith(b"5.7.4 Unrecognized authentication type [")


def test_auth_before_starttls_gets_504_5_7_4(simulator: Simulator) -> None:
    with connect(simulator, tls=False) as client:
        for command in ("AUTH LOGIN", "AUTH XOAUTH2"):
            code, text = client.docmd(command)
            assert (code, reply_of(code, text).enhanced) == (504, "5.7.4")
        with pytest.raises(smtplib.SMTPNotSupportedError):
            client.login("healthy@outlook.com", "anything")


@pytest.mark.parametrize("tls", [False, True], ids=["before_tls", "after_tls"])
def test_mail_before_a_successful_auth_gets_530_5_7_57(simulator: Simulator, tls: bool) -> None:
    with connect(simulator, tls=tls) as client:
        code, text = client.mail("healthy@outlook.com")
    assert (code, reply_of(code, text).enhanced) == (530, "5.7.57")
    assert text.startswith(b"5.7.57 Client not authenticated to send mail. [")


def test_mail_after_a_refused_auth_still_gets_530(simulator: Simulator) -> None:
    account = by_scenario(simulator, "regular_password")
    with connect(simulator) as client:
        assert sign_in(client, account, "password").code == 535
        assert client.mail(account.address)[0] == 530


def test_xoauth2_with_the_accounts_token_signs_in_and_sends(simulator: Simulator) -> None:
    account = by_scenario(simulator, "basic_auth_disabled")
    outcome = send(simulator, account, kind="oauth_token", data=message_bytes("via oauth"))
    assert outcome.stage is None
    assert simulator.mailbox.find("via oauth")


def test_xoauth2_in_two_steps_gets_an_empty_challenge(simulator: Simulator) -> None:
    account = by_scenario(simulator, "healthy")
    blob = base64.b64encode(xoauth2(account.address, account.secret("oauth_token")).encode())
    with connect(simulator) as client:
        code, text = client.docmd("AUTH XOAUTH2")
        assert (code, text) == (334, b"")
        code, text = client.docmd(blob.decode())
        assert code == 235
        assert client.mail(account.address)[0] == 250


@pytest.mark.parametrize("whose", ["another_account", "unknown"])
def test_xoauth2_with_a_token_not_of_this_account_gets_535_5_7_3(
    simulator: Simulator, whose: str
) -> None:
    account = by_scenario(simulator, "healthy")
    other = by_scenario(simulator, "basic_auth_disabled")
    token = other.secret("oauth_token") if whose == "another_account" else "EwB-made-up"
    with connect(simulator) as client, pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        client.auth("XOAUTH2", lambda challenge=None: xoauth2(account.address, token))
    reply = reply_of(refused.value.smtp_code, refused.value.smtp_error)
    assert str(reply).startswith("535 5.7.3 Authentication unsuccessful [")


LONG_TOKEN = "EwB" + "x" * 3000  # real bearer tokens run to a few KiB


@pytest.mark.simulator(roster=[one_account(tokens=(LONG_TOKEN,))])
def test_a_long_xoauth2_token_on_the_auth_line_is_accepted(simulator: Simulator) -> None:
    account = simulator.roster[0]
    with connect(simulator) as client:
        assert sign_in(client, account, "oauth_token").code == 235


# --- MAIL FROM, RCPT TO, DATA -----------------------------------------------------------------


def test_sending_as_an_alias_works_and_as_a_stranger_gets_550_5_7_60(
    simulator: Simulator,
) -> None:
    account = by_scenario(simulator, "send_as_denied")
    [alias] = account.traits.aliases
    assert send(simulator, account, mail_from=alias).stage is None
    assert send(simulator, account, mail_from=account.address.upper()).stage is None
    refused = send(simulator, account, mail_from="boss@example.com")
    assert refused.stage is Stage.MAIL_FROM
    assert str(refused.reply).startswith(
        "550 5.7.60 SMTP; Client does not have permissions to send as this sender ["
    )


def test_dsn_parameters_are_accepted(simulator: Simulator) -> None:
    account = by_scenario(simulator, "healthy")
    with connect(simulator) as client:
        sign_in(client, account, "app_password")
        assert client.mail(account.address, ["RET=HDRS", "ENVID=abc123"])[0] == 250
        assert client.rcpt(account.address, ["NOTIFY=NEVER"])[0] == 250


@pytest.mark.simulator(extra_mailboxes=("extra.box@live.de",))
def test_recipients_at_microsoft_domains_must_exist(simulator: Simulator) -> None:
    sim = simulator
    account = by_scenario(sim, "healthy")
    alias = by_scenario(sim, "send_as_denied").traits.aliases[0]
    before = sim.window_count(account.address)
    with connect(sim) as client:
        sign_in(client, account, "app_password")
        client.mail(account.address)
        for unknown in ("nobody@outlook.com", "ghost@hotmail.co.uk", "x@contoso.onmicrosoft.com"):
            code, text = client.rcpt(unknown)
            assert str(reply_of(code, text)).startswith(
                "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) ["
            ), unknown
        for known in ("extra.box@live.de", alias, "pop.off@hotmail.com", "anyone@example.org"):
            assert client.rcpt(known)[0] == 250, known
        assert client.data(message_bytes("to four"))[0] == 250
    assert sim.window_count(account.address) == before + 4  # the refused three did not count
    assert {m.recipient for m in sim.mailbox.messages()} == {
        "extra.box@live.de",
        alias,
        "pop.off@hotmail.com",
        "anyone@example.org",
    }


def test_bare_linefeeds_get_550_5_6_11_and_nothing_is_stored(simulator: Simulator) -> None:
    account = by_scenario(simulator, "healthy")
    before = simulator.window_count(account.address)
    with connect(simulator) as client:
        sign_in(client, account, "app_password")
        client.mail(account.address)
        client.rcpt(account.address)
        assert client.docmd("DATA")[0] == 354
        client.send(b"Subject: bare\r\n\r\nline one\nline two\r\n.\r\n")  # smtplib would fix LFs
        code, text = client.getreply()
    assert str(reply_of(code, text)).startswith(
        "550 5.6.11 SMTPSEND.BareLinefeedsAreIllegal; message contains bare linefeeds, which "
        "cannot be sent via DATA and receiving system does not support BDAT ["
    )
    assert simulator.mailbox.messages() == []
    assert simulator.window_count(account.address) == before  # the recipient was given back


def test_a_fourth_concurrent_session_gets_432_at_mail_from(simulator: Simulator) -> None:
    account = by_scenario(simulator, "healthy")
    clients = [connect(simulator) for _ in range(4)]
    try:
        for client in clients:
            assert sign_in(client, account, "app_password").code == 235
        replies = [reply_of(*client.mail(account.address)) for client in clients]
        assert [r.code for r in replies[:3]] == [250, 250, 250]
        assert str(replies[3]).startswith(
            "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded [Hostname="
        )
        clients[0].quit()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the server sees the first session go
            if clients[3].mail(account.address)[0] == 250:
                break
            time.sleep(0.02)
        else:
            pytest.fail("the fourth session never got a sender thread")
    finally:
        for client in clients[1:]:
            client.close()


def test_other_mailboxes_do_not_share_the_thread_limit(simulator: Simulator) -> None:
    healthy = by_scenario(simulator, "healthy")
    other = by_scenario(simulator, "send_as_denied")
    clients = [connect(simulator) for _ in range(4)]
    try:
        for client in clients[:3]:
            sign_in(client, healthy, "app_password")
        sign_in(clients[3], other, "app_password")
        senders = [healthy] * 3 + [other]
        assert [c.mail(a.address)[0] for c, a in zip(clients, senders, strict=True)] == [250] * 4
    finally:
        for client in clients:
            client.close()


# --- the daily cap ----------------------------------------------------------------------------

SMALL_CAPS = CapModel(
    new_account_cap=5, growth_per_step=1, step_days=30, window_hours=24, pause_hours=6
)
FRIENDS = tuple(f"friend{i}@example.com" for i in range(10))


def guide_refused(reply: Reply) -> bool:
    return str(reply).startswith("550 5.4.1 Recipient address rejected: Access denied [")


@pytest.mark.simulator(clock=SimClock(T0), cap_model=SMALL_CAPS, roster=[one_account(created=0.0)])
def test_the_rolling_window_counts_recipients_and_the_pause_follows_the_clock(
    simulator: Simulator,
) -> None:
    sim = simulator
    clock = sim.clock
    assert isinstance(clock, SimClock)
    account = sim.roster[0]
    assert sim.cap(account.address) == 5

    assert send(sim, account, rcpts=FRIENDS[:3]).stage is None  # one message, three recipients
    assert sim.window_count(account.address) == 3
    clock.advance(hours=12)
    assert send(sim, account, rcpts=FRIENDS[3:5]).stage is None
    assert sim.window_count(account.address) == 5
    assert sim.paused_until(account.address) is None

    refused = send(sim, account, rcpts=FRIENDS[5:6])
    assert refused.stage is Stage.RCPT_TO and guide_refused(refused.reply)
    assert sim.paused_until(account.address) == T0 + timedelta(hours=12 + 6)

    clock.advance(hours=5)  # still paused
    assert send(sim, account, rcpts=FRIENDS[5:6]).stage is Stage.RCPT_TO
    clock.advance(hours=1, days=0)  # the pause is over, but the window is still full: a new pause
    assert sim.paused_until(account.address) is None
    assert send(sim, account, rcpts=FRIENDS[5:6]).stage is Stage.RCPT_TO
    assert sim.paused_until(account.address) == T0 + timedelta(hours=18 + 6)

    clock.advance(hours=6)  # T0+24h: the first three recipients left the window, the pause ended
    assert sim.window_count(account.address) == 2
    assert send(sim, account, rcpts=FRIENDS[5:8]).stage is None
    assert sim.window_count(account.address) == 5
    assert len(sim.mailbox.messages()) == 8


@pytest.mark.simulator(clock=SimClock(T0), cap_model=SMALL_CAPS, roster=[one_account(created=0.0)])
def test_a_message_that_passes_the_cap_keeps_the_recipients_before_it(
    simulator: Simulator,
) -> None:
    sim = simulator
    account = sim.roster[0]
    assert send(sim, account, rcpts=FRIENDS[:3]).stage is None
    with connect(sim) as client:
        sign_in(client, account, "app_password")
        client.mail(account.address)
        codes = [client.rcpt(r)[0] for r in FRIENDS[3:6]]
        assert codes == [250, 250, 550]
        assert client.data(message_bytes("partly"))[0] == 250
    assert sim.window_count(account.address) == 5
    assert {m.recipient for m in sim.mailbox.find("partly")} == set(FRIENDS[3:5])


@pytest.mark.simulator(clock=SimClock(T0), cap_model=SMALL_CAPS, roster=[one_account(created=0.0)])
def test_recipients_of_an_abandoned_message_are_given_back(simulator: Simulator) -> None:
    sim = simulator
    account = sim.roster[0]
    with connect(sim) as client:
        sign_in(client, account, "app_password")
        client.mail(account.address)
        client.rcpt(FRIENDS[0])
        client.rcpt(FRIENDS[1])
        assert sim.window_count(account.address) == 2  # held while the message is open
        assert client.rset()[0] == 250
        assert sim.window_count(account.address) == 0
        client.mail(account.address)
        client.rcpt(FRIENDS[2])
    deadline = time.monotonic() + 5
    while sim.window_count(account.address) and time.monotonic() < deadline:
        time.sleep(0.02)  # the connection closed mid-message
    assert sim.window_count(account.address) == 0


@pytest.mark.simulator(
    clock=SimClock(T0),
    cap_model=SMALL_CAPS,
    roster=[one_account(created=0.0, cap_reply="quota")],
)
def test_the_quota_variant_refuses_at_data_and_pauses(simulator: Simulator) -> None:
    sim = simulator
    account = sim.roster[0]
    assert send(sim, account, rcpts=FRIENDS[:4]).stage is None
    refused = send(sim, account, rcpts=FRIENDS[4:6])  # 4 + 2 > 5: the whole message
    assert refused.stage is Stage.DATA
    assert str(refused.reply).startswith(
        "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to "
        "process message due to a permanent exception with message"
    )
    assert sim.window_count(account.address) == 4
    assert sim.paused_until(account.address) == T0 + timedelta(hours=6)
    assert send(sim, account, rcpts=FRIENDS[4:5]).stage is Stage.DATA  # paused, though 1 would fit
    sim.clock.advance(hours=6)  # type: ignore[attr-defined]
    assert send(sim, account, rcpts=FRIENDS[4:5]).stage is None
    assert len(sim.mailbox.messages()) == 5


AGES = CapModel(
    new_account_cap=2, growth_per_step=1, step_days=30, mature_after_days=182, mature_cap=10
)


@pytest.mark.simulator(
    clock=SimClock(T0),
    cap_model=AGES,
    roster=[
        one_account("young@outlook.com", name="young", created=0.0),
        one_account("old@hotmail.com", name="old", created=T0 - timedelta(days=200)),
    ],
)
def test_an_accounts_age_sets_its_cap(simulator: Simulator) -> None:
    sim = simulator
    young, old = sim.roster
    assert (
        (sim.cap(young.address), sim.cap(old.address))
        == (2, 10)
        == (
            AGES.cap_for_age(0),
            AGES.cap_for_age(200),
        )
    )
    assert send(sim, young, rcpts=FRIENDS[:3]).reply.code == 250  # two of three accepted
    assert sim.window_count(young.address) == 2
    assert send(sim, old, rcpts=FRIENDS[:4]).stage is None
    assert sim.window_count(old.address) == 4
    sim.clock.advance(days=30)  # type: ignore[attr-defined]
    assert sim.cap(young.address) == AGES.cap_for_age(30) == 3


@pytest.mark.simulator(clock=SimClock(T0))
def test_the_cap_reached_account_pauses_for_the_models_pause(simulator: Simulator) -> None:
    account = by_scenario(simulator, "cap_reached")
    assert simulator.window_count(account.address) == account.traits.preload_recipients
    assert send(simulator, account).stage is Stage.RCPT_TO
    pause = timedelta(hours=simulator.cap_model.pause_hours)
    assert simulator.paused_until(account.address) == T0 + pause


def test_the_spam_hold_names_the_verdict(simulator: Simulator) -> None:
    account = by_scenario(simulator, "spam_hold")
    outcome = send(simulator, account)
    assert "Actual verdict is RefuseQuota, ShowTierUpgrade." in outcome.reply.text
    assert str(outcome.reply).startswith(
        "554 5.2.0 STOREDRV.Submission.Exception:OutboundSpamException;"
    )


# --- faults -----------------------------------------------------------------------------------


@pytest.mark.simulator(faults=Faults(silent_banner=True))
def test_a_silent_banner_times_a_client_out(simulator: Simulator) -> None:
    started = time.monotonic()
    with pytest.raises((TimeoutError, smtplib.SMTPServerDisconnected)):
        smtplib.SMTP(simulator.host, simulator.port, timeout=1)
    assert 0.9 < time.monotonic() - started < 3


@pytest.mark.simulator(faults=Faults(banner_421=True))
def test_a_421_banner_closes_the_connection(simulator: Simulator) -> None:
    with pytest.raises(smtplib.SMTPConnectError) as refused:
        smtplib.SMTP(simulator.host, simulator.port, timeout=5)
    assert refused.value.smtp_code == 421
    assert refused.value.smtp_error == b"4.3.2 Service not available, closing transmission channel"


def walk_to(sim: Simulator, account: Account, stop: Stage) -> Stage | None:
    """Run a healthy send stage by stage; return the stage where the server hung up."""
    held: list[smtplib.SMTP] = []

    def client() -> smtplib.SMTP:
        return held[0]

    def open_connection() -> None:
        held.append(smtplib.SMTP(local_hostname=CLIENT_NAME, timeout=5))
        client()._host = sim.host  # type: ignore[attr-defined]  # starttls checks it
        client().connect(sim.host, sim.port)

    steps = [
        (Stage.BANNER, open_connection),
        (Stage.EHLO, lambda: client().ehlo()),
        (Stage.STARTTLS, lambda: client().starttls(context=tls_context(sim))),
        (Stage.EHLO_TLS, lambda: client().ehlo()),
        (Stage.AUTH, lambda: client().login(account.address, account.secret())),
        (Stage.MAIL_FROM, lambda: client().mail(account.address)),
        (Stage.RCPT_TO, lambda: client().rcpt(account.address)),
        (Stage.DATA, lambda: client().data(message_bytes(f"drop {stop}"))),
        (Stage.QUIT, lambda: client().quit()),
    ]
    try:
        for stage, step in steps:
            try:
                step()
            except (smtplib.SMTPServerDisconnected, ConnectionError, ssl.SSLError):
                return stage
        return None
    finally:
        for opened in held:
            opened.close()


DROPPABLE = [s for s in Stage if s not in (Stage.DNS, Stage.CONNECT)]


@pytest.mark.parametrize("stage", DROPPABLE, ids=str)
def test_drop_at_closes_the_connection_at_that_stage(simulator: Simulator, stage: Stage) -> None:
    account = by_scenario(simulator, "healthy")
    simulator.faults = Faults(drop_at=stage)  # replaced while running
    assert walk_to(simulator, account, stage) == stage
    delivered = bool(simulator.mailbox.find(f"drop {stage}"))
    assert delivered == (stage is Stage.QUIT)  # only a drop at QUIT comes after the message
    simulator.faults = Faults()
    assert walk_to(simulator, account, stage) is None


def test_reply_delay_applies_once_per_reply(simulator: Simulator) -> None:
    with connect(simulator, tls=False) as client:
        simulator.faults = Faults(reply_delay_s=0.2)
        started = time.monotonic()
        client.ehlo()  # an 8-line reply: one delay, not eight
        elapsed = time.monotonic() - started
    assert 0.2 <= elapsed < 0.8


# --- lifecycle --------------------------------------------------------------------------------


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_stop_closes_the_thread_the_listener_and_open_connections() -> None:
    threads_before, fds_before = threading.active_count(), open_fds()
    sim = Simulator().start()
    assert sim.port > 0 and sim.running
    ca_file = sim.ca_file
    idle = connect(sim)  # a connection left open across stop()
    sim.stop()
    sim.stop()  # idempotent
    assert not sim.running
    with pytest.raises(smtplib.SMTPServerDisconnected):
        idle.noop()
    idle.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((sim.host, sim.port), timeout=2).close()
    assert not os.path.exists(ca_file)
    assert threading.active_count() == threads_before
    assert open_fds() == fds_before


@pytest.mark.simulator(faults=Faults(silent_banner=True))
def test_stop_does_not_hang_on_a_connection_waiting_for_its_banner(simulator: Simulator) -> None:
    waiting = socket.create_connection((simulator.host, simulator.port), timeout=5)
    time.sleep(0.05)
    started = time.monotonic()
    simulator.stop()
    assert time.monotonic() - started < 2
    try:
        assert waiting.recv(1) == b""  # closed by the server
    except ConnectionResetError:
        pass  # also closed by the server
    finally:
        waiting.close()


def test_serve_forever_serves_until_ctrl_c() -> None:
    sim = Simulator()
    banners: list[bytes] = []

    def visit_then_interrupt() -> None:
        try:
            deadline = time.monotonic() + 5
            while not sim.running and time.monotonic() < deadline:
                time.sleep(0.01)
            with socket.create_connection((sim.host, sim.port), timeout=5) as raw:
                banners.append(raw.makefile("rb").readline())
        finally:
            os.kill(os.getpid(), signal.SIGINT)

    visitor = threading.Thread(target=visit_then_interrupt)
    visitor.start()
    sim.serve_forever()  # blocks in this thread until the interrupt
    visitor.join()
    assert banners and banners[0].startswith(b"220 ")
    assert not sim.running


@pytest.mark.scenario("cap_reached")
def test_the_scenario_marker_puts_that_account_first(simulator: Simulator) -> None:
    assert simulator.roster[0].scenario == "cap_reached"
    assert len(simulator.roster) == len(default_roster())


def test_two_simulators_run_at_once_on_different_ports() -> None:
    with Simulator() as first, Simulator() as second:
        assert first.port != second.port
        for sim in (first, second):
            account = by_scenario(sim, "healthy")
            assert send(sim, account, data=message_bytes(f"to {sim.port}")).stage is None
        assert first.mailbox.find(f"to {second.port}") == []
        assert len(first.mailbox.messages()) == len(second.mailbox.messages()) == 1


def test_start_returns_self_and_a_stopped_simulator_cannot_restart() -> None:
    sim = Simulator()
    with pytest.raises(RuntimeError, match="start"):
        _ = sim.ca_file
    assert sim.start() is sim
    assert sim.start() is sim  # already running: nothing new
    sim.stop()
    with pytest.raises(RuntimeError, match="cannot be restarted"):
        sim.start()


def test_a_busy_port_fails_at_start_with_the_fix() -> None:
    with Simulator() as running, pytest.raises(OSError, match="port=0"):
        Simulator(port=running.port).start()


def test_the_default_clock_is_the_system_clock() -> None:
    sim = Simulator()
    assert isinstance(sim.clock, SystemClock)
    assert abs(sim.clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


# --- values that reject mistakes --------------------------------------------------------------


def test_values_reject_mistakes_with_the_fix() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SimClock(datetime(2026, 1, 5))
    with pytest.raises(ValueError, match="forward"):
        SimClock(T0).advance(hours=-1)
    with pytest.raises(ValueError, match="two-step"):
        Account("a@outlook.com", "pw", app_passwords=("x",), traits=Traits(two_step=False))
    with pytest.raises(ValueError, match="app_password"):
        Account("a@outlook.com", "pw")  # the default expect signs in with an App Password
    with pytest.raises(ValueError, match="server-side stage"):
        Faults(drop_at=Stage.DNS)
    with pytest.raises(ValueError, match="twice"):
        Simulator(roster=[one_account(), one_account()])
    with pytest.raises(KeyError, match="no account"):
        Simulator().account("nobody@outlook.com")
    assert Expect(stage="auth", delivered=False).stage is Stage.AUTH  # type: ignore[arg-type]


def test_sim_clock_moves_only_when_told() -> None:
    clock = SimClock(T0)
    assert clock.now() == T0
    assert clock.advance(hours=2, days=1) == T0 + timedelta(days=1, hours=2) == clock.now()


# --- logs -------------------------------------------------------------------------------------


def test_no_auth_payload_reaches_the_log(
    simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    account = by_scenario(simulator, "healthy")
    secrets = [account.secret("app_password"), account.secret("oauth_token"), account.password]
    forms = set()
    for secret in secrets:
        forms |= {
            secret,
            base64.b64encode(secret.encode()).decode(),
            base64.b64encode(f"\0{account.address}\0{secret}".encode()).decode(),
            base64.b64encode(xoauth2(account.address, secret).encode()).decode(),
        }

    assert send(simulator, account, kind="app_password").stage is None
    assert send(simulator, account, kind="oauth_token").stage is None
    assert send(simulator, account, kind="password").stage is Stage.AUTH
    plain = base64.b64encode(f"\0{account.address}\0{account.password}".encode()).decode()
    with connect(simulator) as client:
        client.docmd(f"AUTH PLAIN {plain}")  # refused with 504
        client.docmd("AUTH PLAIN")
        client.docmd(plain)  # a client that sends its credentials anyway, as a command
        client.docmd("AUTH XOAUTH2")
        client.docmd(account.secret("oauth_token"))  # not base64: aiosmtpd logs what it read
        client.docmd("AUTH LOGIN")
        client.docmd(base64.b64encode(account.address.encode()).decode())
        client.docmd(account.secret("app_password") + "!")  # invalid base64 again

    records = [r for r in caplog.records if r.name == "mail.log"]
    assert any("AUTH" in r.getMessage() for r in records)  # the log did see the AUTH lines
    text = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    for form in forms:
        assert form not in text
    assert "login_data is deprecated" not in text
