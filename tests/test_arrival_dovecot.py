"""The arrival check against a server nobody here wrote: Debian's Dovecot on loopback, with
TLS from the first byte (a trustme CA), a passwd-file user and Maildir folders whose Junk and
Sent carry SPECIAL-USE flags. Test mails are delivered by Dovecot's own delivery agent
(dovecot-lda), so what the check finds is what a real mail server filed."""

from __future__ import annotations

import asyncio
import getpass
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from outlook_kit.accounts import Credentials
from outlook_kit.arrival import Arrival, ImapSettings, check_arrival
from outlook_kit.diagnosis import Context
from outlook_kit.message import TestMessage

DOVECOT = "/usr/sbin/dovecot"
LDA = "/usr/lib/dovecot/dovecot-lda"
USER = "tester@example.org"
SECRET = "Dovecot-Pass-42"  # not App Password shaped: sent exactly as typed


def need_dovecot() -> None:
    if not (Path(DOVECOT).exists() and Path(LDA).exists()):
        if os.environ.get("CI"):
            pytest.fail("dovecot is not installed: apt-get install dovecot-imapd")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")


@dataclass
class Dovecot:
    base: Path
    config: Path
    port: int
    cafile: str

    def deliver(self, message: TestMessage, folder: str = "INBOX") -> None:
        """File the message with Dovecot's delivery agent, as its mail server would."""
        data = message.build().as_bytes()
        subprocess.run(
            [LDA, "-c", str(self.config), "-d", USER, "-m", folder],
            input=data,
            check=True,
            capture_output=True,
            timeout=30,
        )

    def settings(self) -> ImapSettings:
        return ImapSettings("127.0.0.1", self.port, cafile=self.cafile)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _mail_owner() -> tuple[int, int]:
    """Whose the mail is: Dovecot refuses uid 0, so as root the mail belongs to nobody."""
    if os.geteuid() != 0:
        return os.geteuid(), os.getegid()
    nobody = pwd.getpwnam("nobody")
    return nobody.pw_uid, nobody.pw_gid


def _config(base: Path, port: int) -> str:
    me = getpass.getuser()
    users = (
        "" if os.geteuid() == 0 else f"default_internal_user = {me}\ndefault_login_user = {me}\n"
    )
    uid, gid = _mail_owner()
    return f"""{users}protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
instance_name = outlook-kit-test-{port}
log_path = {base}/dovecot.log
ssl = required
ssl_cert = <{base}/cert.pem
ssl_key = <{base}/key.pem
auth_mechanisms = plain login
mail_location = maildir:{base}/mail/%u
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = 1
first_valid_gid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/mail/%u allow_all_users=yes
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
namespace inbox {{
  inbox = yes
  mailbox Junk {{
    special_use = \\Junk
    auto = create
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = create
  }}
}}
"""


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    need_dovecot()
    import trustme

    # Dovecot's own processes (its auth user, the mail's owner) must reach these files: a
    # folder of its own, not pytest's private tmp_path
    base = Path(tempfile.mkdtemp(prefix="outlook-kit-dovecot-"))
    base.chmod(0o755)
    for name in ("run", "state", "mail"):
        (base / name).mkdir()
    os.chown(base / "mail", *_mail_owner())
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_pem.write_to_path(str(base / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(base / "cert.pem"))
    ca.cert_pem.write_to_path(str(base / "ca.pem"))
    (base / "users").write_text(f"{USER}:{{PLAIN}}{SECRET}::::::\n")
    port = _free_port()
    config = base / "dovecot.conf"
    config.write_text(_config(base, port))
    proc = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                log = (base / "dovecot.log").read_text() if (base / "dovecot.log").exists() else ""
                pytest.fail(f"dovecot did not start: {proc.stderr.read()!r} {log}")  # type: ignore[union-attr]
            time.sleep(0.1)
    try:
        yield Dovecot(base, config, port, str(base / "ca.pem"))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)


def _check(dovecot: Dovecot, token: str, *, secret: str = SECRET, **kwargs: object) -> Arrival:
    credentials = Credentials.app_password(USER, secret, local_ok=True)
    return asyncio.run(
        check_arrival(dovecot.settings(), credentials, token, timeout=0.6, interval=0.2, **kwargs)  # type: ignore[arg-type]
    )


def test_a_delivered_message_is_found_in_dovecots_inbox(dovecot: Dovecot) -> None:
    message = TestMessage(USER, (USER,))
    dovecot.deliver(message)
    dovecot.deliver(message, "Sent")  # what a client saving its sends would do
    arrival = _check(dovecot, message.token)
    assert arrival.found and arrival.folder == "Inbox" and arrival.arrived == "yes", arrival
    assert set(arrival.folders) == {"Inbox", "Sent"}  # INBOX, as people call it
    assert set(arrival.searched) == {"Inbox", "Junk", "Sent"} and not arrival.missing


def test_a_mailbox_without_the_message_says_not_found_and_where_it_looked(
    dovecot: Dovecot,
) -> None:
    other = TestMessage(USER, (USER,))
    dovecot.deliver(other)  # another test mail is there, not this one
    arrival = _check(dovecot, TestMessage(USER, (USER,)).token)
    assert not arrival.found and arrival.reason == "not_found" and arrival.checked
    assert arrival.arrived == "no" and "not in Inbox or Junk" in arrival.detail
    assert Context().with_arrival(arrival).arrived == "no"  # what leads to the guide's step 1


def test_a_message_filed_in_junk_is_found_there(dovecot: Dovecot) -> None:
    message = TestMessage(USER, (USER,))
    dovecot.deliver(message, "Junk")
    arrival = _check(dovecot, message.token)
    assert arrival.found and arrival.folder == "Junk" and arrival.arrived == "junk"


def test_a_send_to_others_is_found_in_sent(dovecot: Dovecot) -> None:
    message = TestMessage(USER, ("someone@example.org",))
    dovecot.deliver(message, "Sent")
    arrival = _check(dovecot, message.token, to_self=False)
    assert arrival.found and arrival.folder == "Sent" and arrival.arrived is None


def test_dovecot_refusing_the_password_is_a_refused_sign_in(dovecot: Dovecot) -> None:
    arrival = _check(dovecot, "ok-00000000", secret="Wrong-Pass-43")
    assert arrival.refused and not arrival.checked and arrival.arrived is None
    assert "AUTHENTICATIONFAILED" in arrival.detail or "failed" in arrival.detail.lower()
    assert "Wrong-Pass-43" not in repr(arrival) + str(arrival.to_dict())
    assert Context().with_arrival(arrival).imap_refused is True


def test_dovecot_unable_to_check_the_password_is_not_called_a_refusal(dovecot: Dovecot) -> None:
    """RFC 5530's [UNAVAILABLE]: the server could not check the password (here its user
    file is unreadable); that says nothing about the credentials, so it is no refusal."""
    (dovecot.base / "users").chmod(0)
    arrival = _check(dovecot, "ok-00000000")
    assert arrival.reason == "unreachable" and not arrival.refused, arrival
    assert "UNAVAILABLE" in arrival.detail and "try again" in arrival.detail
