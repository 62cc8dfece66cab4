"""The command line, run as a user runs it: a real process, the simulator on loopback."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from outlook_kit.cli import EXIT_CODES, EXIT_USAGE, main
from outlook_kit.cli.probe import EXIT_ARRIVAL_UNCHECKED, EXIT_NOT_ARRIVED
from outlook_kit.protocol import Stage
from outlook_kit.simulator import Simulator

SCENARIOS = {
    "healthy",
    "pop_disabled_reject",
    "pop_disabled_silent",
    "no_two_step",
    "basic_auth_disabled",
    "smtp_auth_disabled_mailbox",
    "send_as_denied",
    "cap_reached",
    "spam_hold",
    "delivered_to_junk",
}


def run(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outlook_kit", *args],
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_list_accounts_json_prints_the_roster() -> None:
    done = run("simulate", "--list-accounts", "--json")
    assert done.returncode == 0, done.stderr
    roster = json.loads(done.stdout)
    assert {a["scenario"] for a in roster} >= SCENARIOS
    for account in roster:
        assert {
            "address",
            "password",
            "app_passwords",
            "oauth_tokens",
            "scenario",
            "lesson",
            "traits",
        } <= account.keys()
        assert isinstance(account["app_passwords"], list)
        assert isinstance(account["oauth_tokens"], list)
        assert account["lesson"] and "\n" not in account["lesson"]


class CliSim(NamedTuple):
    host: str
    port: int
    cafile: str
    imap_port: int


@pytest.fixture
def cli_simulator() -> Iterator[CliSim]:
    """`outlook-kit simulate --port 0` in its own process; yields host, ports and CA file."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "outlook_kit", "simulate", "--port", "0", "--imap-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    second = proc.stdout.readline()
    third = proc.stdout.readline()
    where = re.search(r"listening on ([\d.]+):(\d+)", first)
    cafile = re.search(r"CA file: (.+)$", second.strip())
    imap = re.search(r"IMAP .* on [\d.]+:(\d+) \(TLS\)", third)
    assert where and cafile and imap, first + second + third
    yield CliSim(where.group(1), int(where.group(2)), cafile.group(1), int(imap.group(1)))
    proc.terminate()
    assert proc.wait(timeout=10) == 0  # SIGTERM stops it cleanly...
    assert not Path(cafile.group(1)).exists()  # ...and it removes its CA file


def probe_args(where: CliSim, user: str) -> list[str]:
    host, port, cafile, _ = where
    return ["probe", "--user", user, "--host", host, "--port", str(port), "--cafile", cafile]


def roster_by_scenario() -> dict[str, dict[str, object]]:
    return {
        a["scenario"]: a for a in json.loads(run("simulate", "--list-accounts", "--json").stdout)
    }


def test_probe_against_the_simulator_process_succeeds_and_exits_0(
    cli_simulator: CliSim, tmp_path: Path
) -> None:
    account = roster_by_scenario()["healthy"]
    log = tmp_path / "sends.jsonl"
    done = run(
        *probe_args(cli_simulator, str(account["address"])),
        "--log",
        str(log),
        env={"OUTLOOK_KIT_PASSWORD": account["app_passwords"][0]},
    )  # type: ignore[index]
    assert done.returncode == 0, done.stdout + done.stderr
    stage_lines = [line for line in done.stdout.splitlines() if re.match(r"^  (ok  |FAIL) ", line)]
    assert [line.split()[1] for line in stage_lines] == [str(s) for s in Stage]
    assert all(re.search(r"\d+\.\d ms$", line) for line in stage_lines)
    assert "Sent. Look for ok-" in done.stdout
    record = json.loads(log.read_text())
    assert record["status"] == "sent" and record["account"] == account["address"]
    assert set(record) == set(
        [
            "time",
            "account",
            "from",
            "recipients",
            "status",
            "stage",
            "code",
            "enhanced",
            "text",
            "elapsed_ms",
            "token",
        ]
    )


def test_a_failing_stage_gives_its_own_exit_code_and_json(
    cli_simulator: CliSim,
) -> None:
    account = roster_by_scenario()["regular_password"]
    done = run(
        *probe_args(cli_simulator, str(account["address"])),
        "--regular-password",
        "--json",
        "--password-stdin",
        stdin=f"{account['password']}\n",
    )
    assert done.returncode == EXIT_CODES[Stage.AUTH] == 16
    report = json.loads(done.stdout)
    assert report["ok"] is False and report["failed_stage"] == "auth"
    failing = next(s for s in report["stages"] if s["stage"] == "auth")
    assert (failing["code"], failing["enhanced"]) == (535, "5.7.139")
    assert {"stage", "ok", "elapsed_ms", "code", "enhanced", "text"} <= failing.keys()
    assert isinstance(report["transcript"], list) and report["transcript"]
    diagnosis = report["diagnosis"]  # the diagnosis comes with the report: no second command
    assert diagnosis["category"] == "app_password_required" and diagnosis["guide_step"] == 3


def test_exit_codes_are_distinct_per_stage() -> None:
    codes = list(EXIT_CODES.values())
    assert len(set(codes)) == len(Stage) and 0 not in codes and EXIT_USAGE not in codes


@pytest.mark.parametrize(
    "secret_args",
    [
        ["--password", "hunter2x"],
        ["--password=hunter2x"],
        ["-p", "hunter2x"],
        ["--token", "hunter2x"],
    ],
)
def test_a_secret_on_the_command_line_is_refused_without_echoing_it(
    secret_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["probe", "--user", "me@outlook.com", *secret_args])
    out = capsys.readouterr()
    assert code == EXIT_USAGE
    assert "never taken on the command line" in out.err
    assert "hunter2x" not in out.err + out.out


def test_no_password_and_no_terminal_says_how_to_give_one() -> None:
    env = {k: v for k, v in os.environ.items() if k != "OUTLOOK_KIT_PASSWORD"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "outlook_kit",
            "probe",
            "--user",
            "me@outlook.com",
            "--host",
            "127.0.0.1",
            "--port",
            "1",
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == EXIT_USAGE
    assert "OUTLOOK_KIT_PASSWORD" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--user", "not-an-address"], "not a valid email address"),
        (["--user", "me@gmail.com"], "not a Microsoft address"),
        (["--user", "me@outlook.com", "--port", "465"], "port 587 with STARTTLS"),
        (["--user", "me@outlook.com", "--to", "a@example.com\nBcc: b@example.com"], "line break"),
    ],
)
def test_user_mistakes_get_a_message_not_a_traceback(args: list[str], says: str) -> None:
    done = run("probe", *args, env={"OUTLOOK_KIT_PASSWORD": "abcdefghijklmnop"})
    assert done.returncode == EXIT_USAGE
    assert says in done.stderr and "Traceback" not in done.stderr


def test_python_dash_m_and_the_console_script_both_answer_help() -> None:
    done = run("--help")
    assert done.returncode == 0 and "simulate" in done.stdout and "probe" in done.stdout
    script = Path(sys.executable).parent / "outlook-kit"
    done = subprocess.run(
        [str(script), "probe", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "Exit status" in done.stdout


def test_simulator_in_process_probe_via_main(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Simulator() as sim:
        account = next(a for a in sim.roster if a.scenario == "send_as_denied")
        monkeypatch.setenv("OUTLOOK_KIT_PASSWORD", account.app_passwords[0])
        code = main(
            [
                "probe",
                "--user",
                account.address,
                "--from",
                "stranger@example.com",
                "--host",
                sim.host,
                "--port",
                str(sim.port),
                "--cafile",
                sim.ca_file,
            ]
        )
    out = capsys.readouterr().out
    assert code == EXIT_CODES[Stage.MAIL_FROM]
    assert "Failed at mail_from: 550 5.7.60" in out
    # the card follows: the cause, its fix, and what else it may be
    card = out.split("Failed at mail_from:", 1)[1]
    assert "(send-as denied)  [send_as_denied," in card
    assert "The fix:" in card and "Send with From set to the address you signed in with" in card


def test_a_local_servers_own_domain_can_be_probed_when_the_host_is_not_microsofts(
    cli_simulator: CliSim,
) -> None:
    account = roster_by_scenario()["healthy"]
    done = run(
        *probe_args(cli_simulator, str(account["address"])),
        "--to",
        "nosuchuser@localhost",
        "--stop-after",
        "rcpt_to",
        env={"OUTLOOK_KIT_PASSWORD": account["app_passwords"][0]},
    )  # type: ignore[index]
    assert "not a valid email address" not in done.stderr, done.stderr
    assert re.search(r"^  ok   rcpt_to", done.stdout, re.M), done.stdout + done.stderr


def test_a_local_domain_towards_outlook_is_refused_before_connecting_saying_why() -> None:
    done = run(
        "probe",
        "--user",
        "me@outlook.com",
        "--to",
        "nosuchuser@localhost",
        env={"OUTLOOK_KIT_PASSWORD": "abcdefghijklmnop"},
    )
    assert done.returncode == EXIT_USAGE
    assert "a real Outlook send would refuse it" in done.stderr
    assert "Traceback" not in done.stderr and "Probe of" not in done.stdout


def _probe_and_check(where: CliSim, scenario: str, *extra: str) -> tuple[int, dict[str, Any]]:
    account = roster_by_scenario()[scenario]
    done = run(
        *probe_args(where, str(account["address"])),
        "--check-arrival",
        "--imap-port",
        str(where.imap_port),
        "--json",
        *extra,
        env={"OUTLOOK_KIT_PASSWORD": account["app_passwords"][0]},  # type: ignore[index]
    )
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def test_check_arrival_finds_the_healthy_send_in_the_inbox_and_sent_items(
    cli_simulator: CliSim,
) -> None:
    code, report = _probe_and_check(cli_simulator, "healthy")
    assert code == 0 and report["ok"] is True
    arrival = report["arrival"]
    assert arrival["found"] is True and arrival["folder"] == "Inbox"
    assert isinstance(arrival["after_s"], float) and arrival["after_s"] >= 0
    assert set(arrival["folders"]) == {"Inbox", "Sent Items"}
    assert arrival["port"] == cli_simulator.imap_port


def test_a_silently_dropped_send_exits_4_and_is_diagnosed_as_step_1(cli_simulator: CliSim) -> None:
    code, report = _probe_and_check(cli_simulator, "pop_disabled_silent", "--arrival-timeout", "1")
    assert code == EXIT_NOT_ARRIVED == 4
    assert report["ok"] is True  # every stage answered 250...
    assert report["arrival"]["found"] is False and report["arrival"]["reason"] == "not_found"
    assert report["diagnosis"]["category"] == "pop_smtp_disabled"  # ...and it went nowhere
    assert report["diagnosis"]["guide_step"] == 1


def test_a_junk_routed_send_is_found_in_junk_with_the_junk_lesson(cli_simulator: CliSim) -> None:
    code, report = _probe_and_check(cli_simulator, "delivered_to_junk")
    assert code == 0 and report["arrival"]["found"] is True
    assert report["arrival"]["folder"] == "Junk"
    assert report["diagnosis"]["category"] == "delivered_to_junk"


def test_an_unreachable_imap_server_exits_5_and_keeps_the_sends_result(
    cli_simulator: CliSim,
) -> None:
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there now
    code, report = _probe_and_check(
        cli_simulator._replace(imap_port=port), "healthy", "--arrival-timeout", "0"
    )
    assert code == EXIT_ARRIVAL_UNCHECKED == 5
    assert report["ok"] is True and report["arrival"]["reason"] == "unreachable"


def test_check_arrival_in_text_says_where_it_arrived(cli_simulator: CliSim) -> None:
    account = roster_by_scenario()["healthy"]
    done = run(
        *probe_args(cli_simulator, str(account["address"])),
        "--check-arrival",
        "--imap-port",
        str(cli_simulator.imap_port),
        env={"OUTLOOK_KIT_PASSWORD": account["app_passwords"][0]},  # type: ignore[index]
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^Sent\. Arrival: found in Inbox after \d+\.\d s", done.stdout, re.M)
    assert str(account["app_passwords"][0]) not in done.stdout + done.stderr  # type: ignore[index]
