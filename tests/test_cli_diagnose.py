"""`outlook-kit diagnose`, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outlook_kit", "diagnose", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )


def test_a_pasted_error_gets_a_card_with_title_what_happened_and_the_fix() -> None:
    done = run(
        "Error: Invalid login: 535 5.7.139 Authentication unsuccessful, basic authentication is disabled."
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Basic authentication is disabled for this account")
    assert "What happened:" in done.stdout and "The fix:" in done.stdout and "  1. " in done.stdout


def test_json_from_standard_input() -> None:
    done = run(
        "--json",
        "--stage",
        "rcpt_to",
        "-",
        stdin="550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [x.eop-fra01.prod.protection.outlook.com]",
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {
        "category",
        "title",
        "confidence",
        "explanation",
        "fix",
        "alternatives",
        "code",
        "enhanced",
        "stage",
    } <= data.keys()
    assert data["category"] == "recipient_rejected" and data["stage"] == "rcpt_to"
    assert data["code"] == 550 and data["enhanced"] == "5.4.1"
    assert isinstance(data["fix"], list) and all(
        isinstance(a["reason"], str) for a in data["alternatives"]
    )


def test_secret_kind_changes_the_reading_of_a_bare_535() -> None:
    text = "535 5.7.139 Authentication unsuccessful"
    regular = json.loads(run("--json", "--secret-kind", "password", text).stdout)
    app = json.loads(run("--json", "--secret-kind", "app_password", text).stdout)
    assert (regular["category"], app["category"]) == ("app_password_required", "pop_smtp_disabled")


def test_a_wrong_stage_name_is_a_message_not_a_traceback() -> None:
    done = run("--stage", "sending", "535 5.7.3")
    assert done.returncode == 2 and "use one of" in done.stderr and "Traceback" not in done.stderr


def test_nothing_to_read_says_how_to_give_the_text() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "outlook_kit", "diagnose", "-"],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert done.returncode == 0
    assert "paste the whole error message" in done.stdout


def test_user_gives_pasted_text_the_provider_context_a_probe_has() -> None:
    text = (
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for "
        "the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information."
    )
    personal = json.loads(run("--json", "--user", "me@hotmail.com", text).stdout)
    work = json.loads(run("--json", "--user", "me@contoso.example", text).stdout)
    assert personal["category"] == "pop_smtp_disabled"  # a personal mailbox's only switch
    assert work["category"] == "tenant_smtp_auth_disabled"  # an administrator's setting


def test_a_malformed_user_is_a_usage_error_saying_what_is_wrong() -> None:
    done = run("--user", "not-an-address", "535 5.7.3 Authentication unsuccessful")
    assert done.returncode == 2
    assert "not a valid email address" in done.stderr and "Traceback" not in done.stderr
