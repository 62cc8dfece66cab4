"""The simulator's IMAP, read by Python's imaplib as an independent client, over real TLS.

The messages are sent with smtplib (not the kit), so both sides of the check are software
the kit did not write.
"""

from __future__ import annotations

import dataclasses
import imaplib
import smtplib
import ssl
from collections.abc import Iterator

import pytest

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


def _context(sim: Simulator) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=sim.ca_file)


def _send(sim: Simulator, account: Account, to: str, subject: str) -> None:
    message = (
        f"From: {account.address}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '.')}@example.test>\r\n\r\nHello.\r\n"
    ).encode()
    with smtplib.SMTP("127.0.0.1", sim.port, local_hostname="client.example.com") as smtp:
        smtp.starttls(context=_context(sim))
        smtp.login(account.address, account.app_passwords[0])
        smtp.sendmail(account.address, [to], message)


def _imap(sim: Simulator) -> imaplib.IMAP4_SSL:
    return imaplib.IMAP4_SSL("127.0.0.1", sim.imap_port, ssl_context=_context(sim), timeout=10)


def _subjects(imap: imaplib.IMAP4_SSL, folder: str) -> list[bytes]:
    typ, _ = imap.select(f'"{folder}"', readonly=True)
    assert typ == "OK", folder
    typ, data = imap.search(None, "ALL")
    out = []
    for number in data[0].split():
        _, parts = imap.fetch(number, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        out.append(parts[0][1].strip())
    return out


def test_imaplib_signs_in_and_finds_the_message_in_inbox_and_sent_items(sim: Simulator) -> None:
    _send(sim, HEALTHY, HEALTHY.address, "hello inbox ok-1111")
    imap = _imap(sim)
    assert b"Microsoft Exchange IMAP4" in imap.welcome
    imap.login(HEALTHY.address, HEALTHY.app_passwords[0])
    typ, listed = imap.list()
    names = b" ".join(listed)
    assert typ == "OK" and b"INBOX" in names and b"Junk" in names and b'"Sent Items"' in names
    assert _subjects(imap, "INBOX") == [b"Subject: hello inbox ok-1111"]
    assert _subjects(imap, "Sent Items") == [b"Subject: hello inbox ok-1111"]
    assert _subjects(imap, "Junk") == []
    typ, data = imap.search(None, "SUBJECT", '"ok-1111"')  # in Junk, selected last: nothing
    assert data == [b""]
    imap.logout()


def test_a_message_to_another_mailbox_is_in_its_inbox_and_only_the_senders_sent_items(
    sim: Simulator,
) -> None:
    other = ROSTER["send_as_denied"]
    _send(sim, HEALTHY, other.address, "to another ok-2222")
    imap = _imap(sim)
    imap.login(other.address, other.app_passwords[0])
    assert _subjects(imap, "INBOX") == [b"Subject: to another ok-2222"]
    assert _subjects(imap, "Sent Items") == []
    imap.logout()
    imap = _imap(sim)
    imap.login(HEALTHY.address, HEALTHY.app_passwords[0])
    assert _subjects(imap, "INBOX") == []
    assert _subjects(imap, "Sent Items") == [b"Subject: to another ok-2222"]
    imap.logout()


def test_examine_and_peek_leave_the_message_unread(sim: Simulator) -> None:
    _send(sim, HEALTHY, HEALTHY.address, "unread ok-3333")
    imap = _imap(sim)
    imap.login(HEALTHY.address, HEALTHY.app_passwords[0])
    _subjects(imap, "INBOX")
    imap.select("INBOX")
    _, flags = imap.fetch("1", "(FLAGS)")
    assert b"\\Seen" not in flags[0]
    imap.logout()


def test_the_junk_trap_files_the_message_in_junk(sim: Simulator) -> None:
    junk = ROSTER["delivered_to_junk"]
    _send(sim, junk, junk.address, "to junk ok-4444")
    imap = _imap(sim)
    imap.login(junk.address, junk.app_passwords[0])
    assert _subjects(imap, "INBOX") == []
    assert _subjects(imap, "Junk") == [b"Subject: to junk ok-4444"]
    imap.logout()


def test_the_silent_trap_files_the_message_nowhere(sim: Simulator) -> None:
    silent = ROSTER["pop_disabled_silent"]
    _send(sim, silent, silent.address, "dropped ok-5555")  # 250 to every command
    imap = _imap(sim)
    imap.login(silent.address, silent.app_passwords[0])  # IMAP is not the POP switch
    for folder in ("INBOX", "Junk", "Sent Items"):
        assert _subjects(imap, folder) == []
    imap.logout()


@pytest.mark.parametrize(
    ("account", "secret"),
    [
        (HEALTHY, "not-the-app-password"),
        (HEALTHY, HEALTHY.password),  # the sign-in password, as over SMTP
        (ROSTER["basic_auth_disabled"], ROSTER["basic_auth_disabled"].app_passwords[0]),
        (IMAP_OFF, IMAP_OFF.app_passwords[0]),
    ],
    ids=["wrong", "regular-password", "basic-auth-off", "imap-off"],
)
def test_refused_sign_ins_read_as_exchanges(sim: Simulator, account: Account, secret: str) -> None:
    imap = _imap(sim)
    with pytest.raises(imaplib.IMAP4.error, match="LOGIN failed"):
        imap.login(account.address, secret)
    imap.shutdown()


def test_xoauth2_signs_in_where_basic_auth_is_off(sim: Simulator) -> None:
    account = ROSTER["basic_auth_disabled"]
    blob = f"user={account.address}\x01auth=Bearer {account.oauth_tokens[0]}\x01\x01".encode()
    imap = _imap(sim)
    typ, _ = imap.authenticate("XOAUTH2", lambda _challenge: blob)
    assert typ == "OK"
    imap.logout()
    wrong = f"user={account.address}\x01auth=Bearer EwB-not-a-token\x01\x01".encode()
    imap = _imap(sim)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATE failed"):
        imap.authenticate("XOAUTH2", lambda _challenge: wrong)
    imap.shutdown()


def test_a_simulator_without_imap_has_no_imap_port() -> None:
    with Simulator(imap_port=None) as sim:
        assert sim.imap_port is None and sim.imap_settings() is None


def test_a_busy_imap_port_fails_at_start_with_the_fix() -> None:
    with Simulator(imap_port=0) as first, pytest.raises(OSError, match="imap_port=0"):
        Simulator(imap_port=first.imap_port).start()
