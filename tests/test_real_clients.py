"""Real SMTP clients nobody here wrote, run against the simulator's traps: what each prints
is diagnosed as the trap's lesson.

Clients: Python's smtplib, curl, msmtp (Debian), PHPMailer (Debian's libphp-phpmailer with
php-cli) and nodemailer (npm, tests/clients/package.json). Each is run as its own process,
configured as a user configures it, its secret never on a command line (curl reads a netrc
file, msmtp its private config, the others the environment). `.ci/run` installs them all;
on a developer's machine a missing one is skipped with the install command, under CI (`CI`
set) it fails instead.

What a user pastes is what the client prints: smtplib, nodemailer and msmtp print the
server's reply with their own words; curl and PHPMailer print only their own words unless
asked for the conversation (`curl -v`, PHPMailer's `SMTPDebug = 2`, the first thing their
troubleshooting guides ask for). From the conversation the lesson is the top answer; from
the bare words ("curl: (67) Login denied") it is among the top three.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from outlook_kit.accounts import SecretKind
from outlook_kit.diagnosis import Category, Context, Diagnosis, diagnose
from outlook_kit.simulator import Account, Simulator, default_roster

CLIENTS_DIR = Path(__file__).parent / "clients"
PHPMAILER = Path("/usr/share/php/libphp-phpmailer/autoload.php")
NODEMAILER = CLIENTS_DIR / "node_modules" / "nodemailer"
INSTALL = {
    "curl": (shutil.which("curl"), "apt-get install curl"),
    "msmtp": (shutil.which("msmtp"), "apt-get install msmtp"),
    "phpmailer": (
        shutil.which("php") if PHPMAILER.exists() else None,
        "apt-get install php-cli libphp-phpmailer",
    ),
    "nodemailer": (
        shutil.which("node") if NODEMAILER.exists() else None,
        "npm ci --prefix tests/clients",
    ),
    "smtplib": (sys.executable, ""),
}
# the clients whose bare output holds the server's reply, and those that need asking for it
SAY_THE_REPLY = ("smtplib", "nodemailer", "msmtp")
VERBOSE_WHEN_ASKED = ("curl", "phpmailer")
XOAUTH2_CLIENTS = ("curl", "msmtp", "nodemailer")


def need(client: str) -> None:
    found, install = INSTALL[client]
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{client} is not installed: {install}")
        pytest.skip(f"{client} is not installed ({install})")


@dataclass(frozen=True)
class Send:
    """One test send as a user sets it up: who signs in, how, and where."""

    user: str
    secret: str
    sender: str
    to: str
    auth: str = "LOGIN"  # LOGIN, PLAIN or XOAUTH2
    tls: str = "starttls"  # starttls, none (no TLS at all) or implicit (TLS at connect)
    trust: bool = True  # trust the simulator's CA
    port: int | None = None  # another port than the simulator's (a closed one)


def run_client(
    client: str, sim: Simulator, send: Send, tmp: Path, *, verbose: bool = False
) -> tuple[int, str]:
    """Run the client for one send; its exit status and all it printed."""
    need(client)
    port = send.port or sim.port
    env = {
        **os.environ,
        "OK_HOST": sim.host,
        "OK_PORT": str(port),
        "OK_CA": sim.ca_file if send.trust else "",
        "OK_USER": send.user,
        "OK_SECRET": send.secret,
        "OK_AUTH": send.auth,
        "OK_TLS": send.tls,
        "OK_FROM": send.sender,
        "OK_TO": send.to,
        "OK_DEBUG": "1" if verbose else "",
        "NODE_PATH": str(CLIENTS_DIR / "node_modules"),
    }
    stdin = None
    if client == "smtplib":
        command = [sys.executable, str(CLIENTS_DIR / "send_smtplib.py")]
    elif client == "nodemailer":
        command = ["node", str(CLIENTS_DIR / "send_nodemailer.js")]
    elif client == "phpmailer":
        command = ["php", str(CLIENTS_DIR / "send_phpmailer.php")]
    elif client == "curl":
        command = curl_command(sim.host, port, sim.ca_file, send, tmp, verbose=verbose)
    else:
        command = msmtp_command(sim.host, port, sim.ca_file, send, tmp)
        stdin = f"From: {send.sender}\nTo: {send.to}\nSubject: msmtp test\n\nHello.\n"
    done = subprocess.run(
        command, input=stdin, env=env, capture_output=True, text=True, errors="replace",
        timeout=60, check=False,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def curl_command(
    host: str, port: int, ca_file: str, send: Send, tmp: Path, *, verbose: bool
) -> list[str]:
    message = tmp / "message.txt"
    message.write_text(
        f"From: {send.sender}\r\nTo: {send.to}\r\nSubject: curl test\r\n\r\nHello.\r\n"
    )
    scheme = "smtps" if send.tls == "implicit" else "smtp"
    command = ["curl", "-sS", "--url", f"{scheme}://{host}:{port}", "--connect-timeout", "10"]
    command += ["--mail-from", send.sender, "--mail-rcpt", send.to, "--upload-file", str(message)]
    command += ["-v"] if verbose else []
    command += ["--ssl-reqd"] if send.tls == "starttls" else []
    command += ["--cacert", ca_file] if send.trust else []
    if send.auth == "XOAUTH2":  # curl takes a bearer token only as an argument
        return [*command, "--user", f"{send.user}:", "--oauth2-bearer", send.secret]
    netrc = tmp / "netrc"
    netrc.write_text(f"machine {host} login {send.user} password {send.secret}\n")
    netrc.chmod(0o600)
    return [*command, "--netrc-file", str(netrc), "--login-options", f"AUTH={send.auth}"]


def msmtp_command(host: str, port: int, ca_file: str, send: Send, tmp: Path) -> list[str]:
    config = tmp / "msmtprc"
    lines = [
        "defaults",
        "account default",
        f"host {host}",
        f"port {port}",
        f"from {send.sender}",
        f"auth {send.auth.lower()}",
        f"user {send.user}",
        f"password {send.secret}",
        f"tls {'off' if send.tls == 'none' else 'on'}",
        f"tls_starttls {'on' if send.tls == 'starttls' else 'off'}",
        f"tls_trust_file {ca_file if send.trust else '/etc/ssl/certs/ca-certificates.crt'}",
        "timeout 10",
    ]
    config.write_text("\n".join(lines) + "\n")
    config.chmod(0o600)  # msmtp refuses a config others can read that holds a password
    return ["msmtp", "-C", str(config), send.to]


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator() as simulator:
        yield simulator


def lesson_send(account: Account) -> Send:
    creds = account.credentials()
    return Send(
        user=account.address,
        secret=creds.secret.reveal(),
        sender=account.expect.from_address or account.address,
        to=account.address,
        auth="XOAUTH2" if creds.kind is SecretKind.OAUTH_TOKEN else "LOGIN",
    )


def lesson_context(account: Account, *, arrived: str | None = None) -> Context:
    """What the learner knows and would say: the address, the secret's kind, the checklist."""
    return Context(
        account=account.address,
        secret_kind=account.credentials().kind,
        arrived=arrived,
        **dict(account.expect.checklist),
    )


def top(result: Diagnosis, n: int) -> list[str]:
    return [str(result.category), *(str(a.category) for a in result.alternatives)][:n]


TRAPS = [a for a in default_roster() if a.expect.stage is not None]
CASES = [
    (client, account)
    for client in (*SAY_THE_REPLY, *VERBOSE_WHEN_ASKED)
    for account in TRAPS
    if account.credentials().kind is not SecretKind.OAUTH_TOKEN or client in XOAUTH2_CLIENTS
]


@pytest.mark.parametrize(("client", "account"), CASES, ids=[f"{c}-{a.scenario}" for c, a in CASES])
def test_what_a_real_client_prints_for_a_trap_is_diagnosed_as_its_lesson(
    client: str, account: Account, sim: Simulator, tmp_path: Path
) -> None:
    status, output = run_client(
        client, sim, lesson_send(account), tmp_path, verbose=client in VERBOSE_WHEN_ASKED
    )
    assert status != 0, output
    result = diagnose(output, context=lesson_context(account))
    assert str(result.category) == account.expect.category, (output, result.evidence)


TERSE = [(c, a) for c in VERBOSE_WHEN_ASKED for a in TRAPS if (c, a) in CASES]


@pytest.mark.parametrize(("client", "account"), TERSE, ids=[f"{c}-{a.scenario}" for c, a in TERSE])
def test_a_clients_bare_words_keep_the_lesson_among_the_top_three(
    client: str, account: Account, sim: Simulator, tmp_path: Path
) -> None:
    status, output = run_client(client, sim, lesson_send(account), tmp_path)
    assert status != 0, output
    result = diagnose(output, context=lesson_context(account))
    if client == "phpmailer" and "SMTP connect() failed" in output:
        # PHPMailer says the same for a refused sign-in, a failed TLS and no connection at
        # all: the kit says so, and asks for the conversation
        assert result.confidence == "low" and result.category is Category.CONNECTION_BLOCKED
        assert "SMTPDebug" in " ".join(result.evidence)
        return
    assert account.expect.category in top(result, 3), (output, top(result, 3), result.evidence)


def test_a_send_that_went_through_but_never_arrived_is_step_1(
    sim: Simulator, tmp_path: Path
) -> None:
    account = next(a for a in default_roster() if a.scenario == "pop_disabled_silent")
    status, output = run_client("curl", sim, lesson_send(account), tmp_path, verbose=True)
    assert status == 0, output
    assert diagnose(output).category is Category.NO_FAILURE  # the transcript shows no failure
    result = diagnose(output, context=lesson_context(account, arrived="no"))
    assert result.category is Category.POP_SMTP_DISABLED and result.guide_step == 1


MISTAKES = {  # a client set up wrong, against the healthy account, and what that is
    "no_starttls": ({"tls": "none"}, Category.TLS_REQUIRED),
    "implicit_tls": ({"tls": "implicit"}, Category.WRONG_TLS_MODE),
    "auth_plain": ({"auth": "PLAIN"}, Category.AUTH_MECHANISM_UNSUPPORTED),
    "untrusted_ca": ({"trust": False}, Category.TLS_INTERCEPTION),
    "closed_port": ({"port": 1}, Category.CONNECTION_BLOCKED),
}
# what a client does not say: PHPMailer falls back from PLAIN to LOGIN (the send works) and
# says nothing of TLS at connect; curl gives up on PLAIN without a word of the server's
NOT_SAID = {("phpmailer", "auth_plain"), ("phpmailer", "implicit_tls"), ("curl", "auth_plain")}
MISTAKE_CASES = [
    (client, case)
    for client in (*SAY_THE_REPLY, *VERBOSE_WHEN_ASKED)
    for case in MISTAKES
    if (client, case) not in NOT_SAID
]


@pytest.mark.parametrize(
    ("client", "case"), MISTAKE_CASES, ids=[f"{c}-{m}" for c, m in MISTAKE_CASES]
)
def test_a_client_set_up_wrong_is_diagnosed_as_that_mistake(
    client: str, case: str, sim: Simulator, tmp_path: Path
) -> None:
    change, category = MISTAKES[case]
    account = sim.account("healthy@outlook.com")
    send = Send(account.address, account.app_passwords[0], account.address, account.address)
    status, output = run_client(
        client, sim, Send(**{**send.__dict__, **change}), tmp_path, verbose=True
    )
    assert status != 0, output
    result = diagnose(output, context=Context(account=account.address))
    assert result.category is category, (output, result.evidence)


@pytest.mark.parametrize("client", [*SAY_THE_REPLY, *VERBOSE_WHEN_ASKED])
def test_a_mistyped_app_password_is_named_beside_the_guides_step_1(
    client: str, sim: Simulator, tmp_path: Path
) -> None:
    account = sim.account("healthy@outlook.com")
    send = Send(account.address, "wrongwrongwrongw", account.address, account.address)
    status, output = run_client(client, sim, send, tmp_path, verbose=True)
    assert status != 0, output
    result = diagnose(output, context=Context(account=account.address, secret_kind="app_password"))
    # a bare 535 refuses a mistyped App Password as it refuses one with POP/SMTP off
    assert result.category is Category.POP_SMTP_DISABLED and result.confidence == "medium"
    assert Category.WRONG_CREDENTIALS in [a.category for a in result.alternatives[:2]]


def test_no_client_was_given_its_secret_as_an_argument(tmp_path: Path) -> None:
    """The secret goes through the environment, a netrc or a private config file; the one
    exception is curl's bearer token, which curl takes only as an argument."""
    send = Send("someone@outlook.com", "abcdefghijklmnop", "someone@outlook.com", "a@b.example")
    for command in (
        curl_command("127.0.0.1", 1, "ca.pem", send, tmp_path, verbose=True),
        msmtp_command("127.0.0.1", 1, "ca.pem", send, tmp_path),
    ):
        assert send.secret not in " ".join(command)
