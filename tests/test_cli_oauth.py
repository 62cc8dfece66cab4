"""`outlook-kit probe --oauth` and `--token-env`, run as a user runs them: a real process, the
simulator and the identity stand-in on loopback. Nothing here contacts Microsoft."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from outlook_kit.cli import EXIT_CODES, EXIT_USAGE, main
from outlook_kit.cli.probe import EXIT_SIGN_IN
from outlook_kit.protocol import Stage
from outlook_kit.simulator import Simulator
from outlook_kit.simulator.identity import DEMO_CLIENT_ID, IdentityStandIn

BASIC_OFF = "basic.off@outlook.com"
TOKEN_VAR = "OK_TEST_ACCESS_TOKEN"


@pytest.fixture
def idp() -> Iterator[IdentityStandIn]:
    with IdentityStandIn(interval=0) as standin:
        yield standin


def probe_args(sim: Simulator, user: str = BASIC_OFF) -> list[str]:
    return [
        "probe",
        "--user",
        user,
        "--host",
        sim.host,
        "--port",
        str(sim.port),
        "--cafile",
        sim.ca_file,
    ]


def oauth_args(idp: IdentityStandIn, cache: Path) -> list[str]:
    return [
        "--oauth",
        "--authority",
        idp.authority(),
        "--authority-cafile",
        idp.ca_file,
        "--token-cache",
        str(cache),
    ]


def env(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OUTLOOK_KIT_")}
    return {**clean, **extra}


def forms(token: str, user: str = BASIC_OFF) -> list[str]:
    return [
        token,
        base64.b64encode(token.encode()).decode(),
        base64.b64encode(f"user={user}\x01auth=Bearer {token}\x01\x01".encode()).decode(),
    ]


def run(args: list[str], environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outlook_kit", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


# --- --token-env ---------------------------------------------------------------------------------


def test_token_env_sends_with_xoauth2_and_exits_0(simulator: Simulator) -> None:
    token = simulator.account(BASIC_OFF).oauth_tokens[0]
    done = run(
        [*probe_args(simulator), f"--token-env={TOKEN_VAR}", "--transcript"],
        env(**{TOKEN_VAR: token}),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Sent." in done.stdout
    assert "~> AUTH XOAUTH2 ********" in done.stdout
    for form in forms(token):
        assert form not in done.stdout + done.stderr


def test_token_env_with_a_refused_token_names_the_cause(
    simulator: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = simulator.account("healthy@outlook.com").oauth_tokens[0]  # another account's
    monkeypatch.setenv(TOKEN_VAR, token)
    status = main([*probe_args(simulator), "--token-env", TOKEN_VAR, "--json"])
    out, err = capsys.readouterr()
    assert status == EXIT_CODES[Stage.AUTH]
    assert '"secret_kind": "oauth_token"' in out
    assert json.loads(out)["diagnosis"]["category"] == "oauth_token_rejected"
    for form in forms(token):
        assert form not in out + err


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--token-env", "OK_TEST_UNSET_VARIABLE"], "OK_TEST_UNSET_VARIABLE is empty or not set"),
        (["--token-env", "EwB.a-token-pasted-by-mistake"], "not an environment variable name"),
        (["--token-env", TOKEN_VAR, "--oauth"], "either --oauth or --token-env"),
        (["--token-env", TOKEN_VAR, "--regular-password"], "--oauth and --token-env sign in"),
    ],
)
def test_token_env_mistakes_are_usage_errors(
    simulator: Simulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    extra: list[str],
    says: str,
) -> None:
    monkeypatch.delenv("OK_TEST_UNSET_VARIABLE", raising=False)
    monkeypatch.setenv(TOKEN_VAR, "EwB-whatever")
    assert main([*probe_args(simulator), *extra]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    assert "EwB.a-token-pasted-by-mistake" not in err  # a token pasted by mistake stays hidden


def test_a_token_flag_is_still_refused_before_argparse(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "--user", BASIC_OFF, "--token=EwB-secret-1234"]) == EXIT_USAGE
    assert "EwB-secret-1234" not in capsys.readouterr().err


# --- --oauth -------------------------------------------------------------------------------------


def test_oauth_end_to_end_device_code_then_sign_in_then_xoauth2_then_the_cache(
    simulator: Simulator, idp: IdentityStandIn, tmp_path: Path
) -> None:
    cache = tmp_path / "private" / "token-cache.json"
    args = [*probe_args(simulator), *oauth_args(idp, cache)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "outlook_kit", *args],
        env=env(OUTLOOK_KIT_CLIENT_ID=DEMO_CLIENT_ID),  # the client id from the environment
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    shown = ""
    try:
        for _ in range(20):  # the prompt comes first, on standard error
            line = proc.stderr.readline()
            shown += line
            match = re.search(r"open (\S+) in a browser .* enter the code (\w+)\.", line)
            if match or not line:
                break
        assert match, shown
        assert match.group(1) == f"{idp.base_url}/devicelogin"
        assert idp.pending_codes() == [match.group(2)]
        idp.sign_in(match.group(2), BASIC_OFF)  # the user signs in at the page
        assert proc.stdout is not None
        out = proc.stdout.read()  # (not communicate(): it would skip what readline buffered)
        err = proc.stderr.read()
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = shown + err
    assert proc.returncode == 0, out + err
    assert "Waiting for you to sign in" in err
    assert f"Signed in as {BASIC_OFF} (new sign-in)." in err
    assert "Sent." in out
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    token = simulator.account(BASIC_OFF).oauth_tokens[0]
    for form in forms(token):
        assert form not in out + err

    # Again, with the client id as a flag: the saved sign-in, silently, no new device code.
    again = run([*args, "--client-id", DEMO_CLIENT_ID, "--transcript"], env())
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"Signed in as {BASIC_OFF} (saved sign-in)." in again.stderr
    assert "enter the code" not in again.stderr
    assert "~> AUTH XOAUTH2 ********" in again.stdout
    assert sum(1 for r in idp.requests if r.endpoint == "devicecode") == 1
    for form in forms(token):
        assert form not in again.stdout + again.stderr


def test_oauth_with_a_wrong_client_id_exits_3_with_the_fix(
    simulator: Simulator,
    idp: IdentityStandIn,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    unknown = "00000000-1111-4222-8333-444444444444"
    status = main(
        [*probe_args(simulator), *oauth_args(idp, tmp_path / "c.json"), "--client-id", unknown]
    )
    out, err = capsys.readouterr()
    assert status == EXIT_SIGN_IN == 3
    assert "sign-in failed" in err and "AADSTS700016" in err and "Fix:" in err
    assert unknown in err and "--client-id" in err
    assert out == ""  # no SMTP stage ran


def test_oauth_declined_at_the_page_exits_3(
    simulator: Simulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with IdentityStandIn(interval=0) as idp:
        # Nobody at a terminal here: the stand-in's user declines as soon as the code exists.
        import outlook_kit.oauth.microsoft as microsoft

        shown: list[str] = []

        def decline(code: microsoft.DeviceCode, stream: object = None) -> None:
            shown.append(code.user_code)
            idp.decline(code.user_code)

        monkeypatch.setattr(microsoft, "print_device_code", decline)
        status = main(
            [
                *probe_args(simulator),
                *oauth_args(idp, tmp_path / "c.json"),
                "--client-id",
                DEMO_CLIENT_ID,
            ]
        )
    err = capsys.readouterr().err
    assert shown and status == EXIT_SIGN_IN
    assert "authorization_declined" in err and "accept" in err


def test_oauth_without_a_client_id_says_how_to_register_one(
    simulator: Simulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OUTLOOK_KIT_CLIENT_ID", raising=False)
    status = main([*probe_args(simulator), "--oauth", "--token-cache", str(tmp_path / "c.json")])
    err = capsys.readouterr().err
    assert status == EXIT_USAGE
    assert "no client id" in err and "OUTLOOK_KIT_CLIENT_ID" in err and "--client-id" in err


def test_help_lists_the_oauth_options() -> None:
    done = run(["probe", "--help"], env())
    assert done.returncode == 0
    for flag in ("--oauth", "--client-id", "--tenant", "--token-cache", "--token-env"):
        assert flag in done.stdout
    assert f"{EXIT_SIGN_IN} OAuth2 sign-in" in done.stdout
