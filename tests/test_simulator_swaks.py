"""Given the simulator, swaks (an independent SMTP client) and Python's smtplib see the same server.

swaks is Debian's package (.ci/run installs it). On a developer's machine without it these
tests are skipped, with the reason in the summary; under CI (CI set) they run and fail instead,
so a missing install step cannot pass unnoticed.
"""

from __future__ import annotations

import base64
import os
import shutil
import smtplib
import ssl
import subprocess
import uuid

import pytest

from outlook_kit.simulator import Account, Simulator

SWAKS = shutil.which("swaks")
pytestmark = pytest.mark.skipif(
    SWAKS is None and not os.environ.get("CI"), reason="swaks is not installed (apt install swaks)"
)

SWAKS_AUTH_FAILED = 28  # swaks's exit codes (swaks --help, EXIT CODES)
SWAKS_MAIL_FAILED = 23


def healthy(sim: Simulator) -> Account:
    return next(a for a in sim.roster if a.scenario == "healthy")


def swaks(sim: Simulator, *options: str, sender: str, to: str) -> subprocess.CompletedProcess[str]:
    assert SWAKS is not None, "swaks is not installed: apt-get install swaks"
    command = [SWAKS, "--server", sim.host, "--port", str(sim.port), "--from", sender, "--to", to]
    command += ["--helo", "client.example", "--timeout", "10", *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)


def tls_options(sim: Simulator) -> list[str]:
    return ["-tls", "--tls-verify", "--tls-ca-path", sim.ca_file]


def login_options(account: Account, secret: str, mechanism: str = "LOGIN") -> list[str]:
    return ["--auth", mechanism, "--auth-user", account.address, "--auth-password", secret]


def smtplib_client(sim: Simulator, *, tls: bool = True) -> smtplib.SMTP:
    client = smtplib.SMTP(sim.host, sim.port, local_hostname="client.example", timeout=5)
    client.ehlo()
    if tls:
        client.starttls(context=ssl.create_default_context(cafile=sim.ca_file))
        client.ehlo()
    return client


def test_a_healthy_account_with_its_app_password_delivers(simulator: Simulator) -> None:
    account = healthy(simulator)
    token = f"swaks-{uuid.uuid4().hex}"
    done = swaks(
        simulator,
        *tls_options(simulator),
        *login_options(account, account.secret("app_password")),
        "--header",
        f"Subject: {token}",
        sender=account.address,
        to=account.address,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "<~  235 2.7.0 Authentication successful" in done.stdout
    [delivered] = simulator.mailbox.find(token)
    assert (delivered.account, delivered.recipient) == (account.address, account.address)

    with smtplib_client(simulator) as client:
        client.login(account.address, account.secret("app_password"))
        client.sendmail(account.address, [account.address], f"Subject: {token}-py\r\n\r\nhi\r\n")
    assert simulator.mailbox.find(f"{token}-py")


def test_the_regular_password_gets_535_5_7_139(simulator: Simulator) -> None:
    account = healthy(simulator)
    done = swaks(
        simulator,
        *tls_options(simulator),
        *login_options(account, account.password),
        sender=account.address,
        to=account.address,
    )
    assert done.returncode == SWAKS_AUTH_FAILED
    assert "<~* 535 5.7.139 Authentication unsuccessful [" in done.stdout

    with smtplib_client(simulator) as client, pytest.raises(smtplib.SMTPAuthenticationError) as e:
        client.login(account.address, account.password)
    assert e.value.smtp_code == 535
    error = e.value.smtp_error
    text = error.decode() if isinstance(error, bytes) else error
    assert text.startswith("5.7.139 Authentication unsuccessful [")
    assert simulator.mailbox.messages() == []


def test_auth_plain_is_not_offered_and_answers_504_5_7_4(simulator: Simulator) -> None:
    account = healthy(simulator)
    done = swaks(
        simulator,
        *tls_options(simulator),
        *login_options(account, account.secret("app_password"), "PLAIN"),
        sender=account.address,
        to=account.address,
    )
    # swaks sends only mechanisms the server lists, and Outlook lists LOGIN and XOAUTH2
    assert done.returncode == SWAKS_AUTH_FAILED
    assert "<~  250-AUTH LOGIN XOAUTH2" in done.stdout
    assert "requested type not available" in done.stderr + done.stdout

    credentials = f"\0{account.address}\0{account.secret('app_password')}".encode()
    with smtplib_client(simulator) as client:
        code, text = client.docmd("AUTH PLAIN", base64.b64encode(credentials).decode())
    assert (code, text.split(b" ", 1)[0]) == (504, b"5.7.4")
    assert text.startswith(b"5.7.4 Unrecognized authentication type [")


def test_without_tls_no_auth_is_offered(simulator: Simulator) -> None:
    account = healthy(simulator)
    done = swaks(simulator, "--quit-after", "EHLO", sender=account.address, to=account.address)
    assert done.returncode == 0, done.stdout + done.stderr
    ehlo = [line for line in done.stdout.splitlines() if line.startswith("<-  250")]
    assert any("STARTTLS" in line for line in ehlo)
    assert not any("AUTH" in line for line in ehlo)

    refused = swaks(
        simulator,
        *login_options(account, account.secret("app_password")),
        sender=account.address,
        to=account.address,
    )
    assert refused.returncode == SWAKS_AUTH_FAILED
    assert " -> AUTH" not in refused.stdout  # swaks never tried: nothing was offered

    with smtplib_client(simulator, tls=False) as client:
        assert not client.has_extn("auth")
        with pytest.raises(smtplib.SMTPNotSupportedError):
            client.login(account.address, account.secret("app_password"))


def test_a_foreign_from_gets_550_5_7_60(simulator: Simulator) -> None:
    account = healthy(simulator)
    done = swaks(
        simulator,
        *tls_options(simulator),
        *login_options(account, account.secret("app_password")),
        sender="ceo@example.com",
        to=account.address,
    )
    assert done.returncode == SWAKS_MAIL_FAILED
    assert (
        "<~* 550 5.7.60 SMTP; Client does not have permissions to send as this sender ["
        in done.stdout
    )

    with smtplib_client(simulator) as client:
        client.login(account.address, account.secret("app_password"))
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("ceo@example.com", [account.address], "Subject: x\r\n\r\nx\r\n")
    assert refused.value.smtp_code == 550
    assert refused.value.smtp_error.startswith(b"5.7.60 SMTP; Client does not have permissions")
    assert simulator.mailbox.messages() == []


@pytest.mark.simulator(tls_interception="Some AV Root")
def test_an_intercepted_certificate_fails_swaks_verification(simulator: Simulator) -> None:
    account = healthy(simulator)
    done = swaks(
        simulator,
        *tls_options(simulator),
        *login_options(account, account.secret("app_password")),
        sender=account.address,
        to=account.address,
    )
    assert done.returncode != 0
    assert "235" not in done.stdout
    assert simulator.mailbox.messages() == []
