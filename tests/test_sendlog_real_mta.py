"""Logs written by real mail programs, not by us: msmtp (Debian's) sends through the
simulator's traps with its `logfile` on, and the loader reads that file back: every line
loaded, sent and refused told apart, each refusal diagnosed as its trap's lesson, the cap
refusals counted as hits."""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from outlook_kit.analysis import analyze
from outlook_kit.sendlog import load_send_log
from outlook_kit.simulator import Account, Simulator, default_roster

ACCOUNTS = {a.address: a for a in default_roster()}


def need_msmtp() -> None:
    if shutil.which("msmtp") is None:
        if os.environ.get("CI"):
            pytest.fail("msmtp is not installed: apt-get install msmtp")
        pytest.skip("msmtp is not installed (apt-get install msmtp)")


def msmtp_send(sim: Simulator, account: Account, log: Path, tmp: Path, port: int | None) -> int:
    """One send with msmtp, as a user's msmtprc would set it up, logging to `log`."""
    config = tmp / f"{account.address}.msmtprc"
    lines = [
        "account default",
        f"host {sim.host}",
        f"port {port or sim.port}",
        f"from {account.expect.from_address or account.address}",
        "auth login",
        f"user {account.address}",
        f"password {account.credentials().secret.reveal()}",
        "tls on",
        "tls_starttls on",
        f"tls_trust_file {sim.ca_file}",
        f"logfile {log}",
        "logfile_time_format %Y-%m-%dT%H:%M:%S%z",
        "timeout 10",
    ]
    config.write_text("\n".join(lines) + "\n")
    config.chmod(0o600)
    message = f"From: {account.address}\nTo: {account.address}\nSubject: log test\n\nHello.\n"
    done = subprocess.run(
        ["msmtp", "-C", str(config), account.address],
        input=message, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return done.returncode


def test_msmtps_own_log_of_the_traps_loads_every_line(tmp_path: Path) -> None:
    need_msmtp()
    log = tmp_path / "msmtp.log"
    sends = [
        ("healthy@outlook.com", None),
        ("pop.off@hotmail.com", None),
        ("basic.off@outlook.com", None),
        ("cap.quota@hotmail.com", None),
        ("healthy@outlook.com", 1),  # a closed port: no server at all
    ]
    with Simulator() as sim:
        codes = [msmtp_send(sim, ACCOUNTS[a], log, tmp_path, port) for a, port in sends]
    assert codes[0] == 0 and all(code != 0 for code in codes[1:])
    loaded = load_send_log(log)  # msmtp wrote each time with its offset: no tz needed
    report = loaded.report
    assert (report.read, report.loaded, report.skipped) == (5, 5, 0)
    assert report.files[0].format == "msmtp"
    frame = loaded.frame.sort_values("line")
    assert frame["status"].astype(str).tolist() == [
        "sent", "rejected", "rejected", "rejected", "deferred",
    ]  # fmt: skip
    categories = frame["category"].astype(str).tolist()
    # a bare `535 5.7.3` in a log, with no word of which secret was sent: the diagnosis's
    # own top answer for it (the card names POP/SMTP access beside it, test_diagnosis)
    assert categories[1] == "app_password_required"
    assert categories[2:] == [
        ACCOUNTS["basic.off@outlook.com"].expect.category,
        "daily_limit_reached",
        "connection_blocked",
    ]
    assert frame["stage"].astype(str).tolist()[1:3] == ["auth", "auth"]
    assert set(frame["relay"]) == {"127.0.0.1"}
    result = analyze(loaded)
    assert [len(a.cap_hits) for a in result.accounts if a.account == "cap.quota@hotmail.com"] == [1]
    assert "password" not in log.read_text().lower().replace("app password", "")


# --- Debian's Postfix relaying through the simulator -------------------------------------------


def need_postfix() -> None:
    missing = shutil.which("postfix") is None or not Path("/usr/share/postfix").is_dir()
    why = "postfix is not installed: apt-get install postfix libsasl2-modules"
    if not missing and os.geteuid() != 0:
        missing, why = True, "a private Postfix instance needs root to start"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)


def run_postfix(sim: Simulator, senders: list[str], into: Path) -> Path:
    """A private Postfix instance (its own config, queue and maillog in a folder of its own)
    that relays every sender's mail to the simulator with that sender's own SASL login,
    STARTTLS required; each sender sends one message; the maillog, copied into `into` once
    every delivery was tried."""
    tmp = Path(tempfile.mkdtemp(prefix="outlook-kit-postfix-"))
    tmp.chmod(0o755)  # Postfix's own user must reach its data directory
    try:
        return _postfix_in(tmp, sim, senders, into)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _postfix_in(tmp: Path, sim: Simulator, senders: list[str], into: Path) -> Path:
    conf, queue, data = tmp / "conf", tmp / "queue", tmp / "data"
    for folder in (conf, queue, data):
        folder.mkdir()
    shutil.chown(data, user="postfix")
    shutil.copy("/usr/share/postfix/master.cf.dist", conf / "master.cf")
    relay = f"[{sim.host}]:{sim.port}"
    logins = {s: ACCOUNTS[s].credentials().secret.reveal() for s in senders}
    (conf / "sasl_passwd").write_text("".join(f"{s} {s}:{p}\n" for s, p in logins.items()))
    (conf / "relays").write_text("".join(f"{s} {relay}\n" for s in senders))
    maillog = tmp / "maillog"
    (conf / "main.cf").write_text(
        f"""compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
maillog_file = {maillog}
maillog_file_prefixes = {tmp}
inet_interfaces = loopback-only
inet_protocols = ipv4
master_service_disable = inet
mydestination =
myhostname = relay.example.test
relayhost = {relay}
sender_dependent_relayhost_maps = texthash:{conf}/relays
smtp_sender_dependent_authentication = yes
smtp_sasl_auth_enable = yes
smtp_sasl_password_maps = texthash:{conf}/sasl_passwd
smtp_sasl_security_options = noanonymous
smtp_sasl_mechanism_filter = login, plain
smtp_tls_security_level = encrypt
smtp_tls_CAfile = {sim.ca_file}
"""
    )
    postfix = ["postfix", "-c", str(conf)]
    subprocess.run([*postfix, "post-install", "create-missing"], check=True, capture_output=True)
    subprocess.run([*postfix, "start"], check=True, capture_output=True)
    try:
        for sender in senders:
            subprocess.run(
                ["sendmail", "-C", str(conf), "-f", sender, "someone@example.com"],
                input=f"From: {sender}\nTo: someone@example.com\nSubject: relay\n\nHello.\n",
                text=True, check=True, capture_output=True, timeout=30,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # each sender's delivery tried, and the bounce
            text = maillog.read_text() if maillog.exists() else ""
            if text.count(" status=") >= len(senders) + 1:
                break
            time.sleep(0.2)
    finally:
        subprocess.run([*postfix, "stop"], check=False, capture_output=True)
    return Path(shutil.copy(maillog, into / "maillog"))


def test_a_real_postfixs_maillog_through_the_simulator_loads_every_attempt(tmp_path: Path) -> None:
    need_postfix()
    senders = ["healthy@outlook.com", "pop.off@hotmail.com", "cap.quota@hotmail.com"]
    with Simulator() as sim:
        maillog = run_postfix(sim, senders, tmp_path)
    text = maillog.read_text()
    log = load_send_log(maillog, tz="UTC")
    report = log.report
    assert report.read == len(text.splitlines()) == report.loaded + report.skipped
    assert report.files[0].format == "postfix"
    frame = log.frame.set_index("account")
    assert frame.loc["healthy@outlook.com", "status"] == "sent"
    assert frame.loc["pop.off@hotmail.com", "status"] == "deferred"  # Postfix retries a 535
    assert frame.loc["pop.off@hotmail.com", "stage"] == "auth"
    assert frame.loc["pop.off@hotmail.com", "code"] == 535
    assert frame.loc["cap.quota@hotmail.com", "status"] == "rejected"
    assert frame.loc["cap.quota@hotmail.com", "category"] == "daily_limit_reached"
    assert set(frame["relay"]) == {"127.0.0.1"}
    reasons = {s.reason for s in report.skips}
    assert any("from=<>" in r for r in reasons)  # the bounce Postfix sent for the cap refusal
    result = analyze(log)
    assert [len(a.cap_hits) for a in result.accounts] == [1, 0, 0]  # cap.quota first, sorted
    for secret in (ACCOUNTS[s].credentials().secret.reveal() for s in senders):
        assert secret not in text
