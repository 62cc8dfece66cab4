"""A canary secret appears nowhere the kit writes: report, repr, JSON, transcript, log file,
CLI output, exception text or the simulator's log; neither plain nor in any base64 form."""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from outlook_kit.accounts import Credentials, SmtpSettings
from outlook_kit.errors import UsageError
from outlook_kit.message import TestMessage
from outlook_kit.probe import probe
from outlook_kit.secret import base64_forms
from outlook_kit.sendlog import append_to_log
from outlook_kit.simulator import Faults, Simulator, default_roster

CANARY_APP = "canaryzqxjwvkpfu"  # shaped like an App Password, so nothing normalises it
CANARY_TOKEN = "EwBcanaryTOKENzqxjwv.kpfu-1234567890"
USER = "canary@outlook.com"


def leaked_forms(secret: str, user: str = USER) -> list[str]:
    raw = secret.encode()
    return [
        secret,
        base64.b64encode(raw).decode(),
        base64.b64encode(b"\0" + user.encode() + b"\0" + raw).decode(),
        base64.b64encode(f"user={user}\x01auth=Bearer {secret}\x01\x01".encode()).decode(),
        *base64_forms(raw),
    ]


def assert_clean(text: str) -> None:
    for secret in (CANARY_APP, CANARY_TOKEN):
        for form in leaked_forms(secret):
            assert form not in text, f"a form of the canary leaked: {form!r}"


@pytest.fixture
def canary_sim() -> Simulator:
    base = next(a for a in default_roster() if a.scenario == "healthy")
    canary = dataclasses.replace(
        base, address=USER, app_passwords=(CANARY_APP,), oauth_tokens=(CANARY_TOKEN,)
    )
    sim = Simulator(roster=[canary]).start()
    yield sim
    sim.stop()


def settings(sim: Simulator) -> SmtpSettings:
    return SmtpSettings(sim.host, sim.port, cafile=sim.ca_file)


@pytest.mark.parametrize(
    "creds",
    [
        Credentials.app_password(USER, CANARY_APP),
        Credentials.oauth_token(USER, CANARY_TOKEN),
        Credentials.app_password(USER, CANARY_APP[::-1] + CANARY_TOKEN),  # refused, still secret
    ],
    ids=["app_password", "xoauth2", "refused"],
)
async def test_no_form_of_the_secret_in_the_report_or_the_log(
    canary_sim: Simulator,
    creds: Credentials,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    report = await probe(settings(canary_sim), creds)
    log = tmp_path / "sends.jsonl"
    append_to_log(log, report)

    everything = "\n".join(
        [
            repr(report),
            str(report),
            json.dumps(report.to_dict()),
            "\n".join(report.transcript),
            log.read_text(),
            repr(creds),
            str(creds),
            caplog.text,
        ]
    )
    assert_clean(everything)
    assert report.transcript  # the check above read a real transcript


@pytest.mark.parametrize("drop", ["auth", "mail_from", "data"])
async def test_no_secret_in_a_probe_cut_short(canary_sim: Simulator, drop: str) -> None:
    canary_sim.faults = Faults(drop_at=drop)  # type: ignore[arg-type]
    report = await probe(settings(canary_sim), Credentials.app_password(USER, CANARY_APP))
    assert not report.ok
    assert_clean(repr(report) + json.dumps(report.to_dict()))


def test_no_secret_in_the_text_of_a_usage_error() -> None:
    with pytest.raises(UsageError) as caught:
        Credentials.app_password("not an address", CANARY_APP)
    assert_clean(str(caught.value) + repr(caught.value))
    creds = Credentials.app_password(USER, CANARY_APP)
    with pytest.raises(UsageError) as caught:
        TestMessage(creds.user, ("x@example.com\r\nBcc: y@example.com",))
    assert_clean(str(caught.value))


def test_no_secret_in_cli_output_human_json_or_transcript(
    canary_sim: Simulator, tmp_path: Path
) -> None:
    log = tmp_path / "cli.jsonl"
    env = {**os.environ, "OUTLOOK_KIT_PASSWORD": CANARY_APP}
    base = [
        sys.executable,
        "-m",
        "outlook_kit",
        "probe",
        "--user",
        USER,
        "--host",
        canary_sim.host,
        "--port",
        str(canary_sim.port),
        "--cafile",
        canary_sim.ca_file,
        "--log",
        str(log),
    ]
    outputs = []
    for extra in ([], ["--transcript"], ["--json"]):
        done = subprocess.run(base + extra, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        outputs += [done.stdout, done.stderr]
    assert "~> ******** (password, base64)" in outputs[2]  # the transcript was printed
    assert_clean("\n".join(outputs) + log.read_text())
