"""Logs written by real mail programs, not by us: msmtp (Debian's) sends through the
simulator's traps with its `logfile` on, and the loader reads that file back: every line
loaded, sent and refused told apart, each refusal diagnosed as its trap's lesson, the cap
refusals counted as hits."""

import os
import shutil
import subprocess
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
