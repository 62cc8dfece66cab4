"""Given the local stand-in for Microsoft's identity endpoints, the real MSAL device-code flow
runs: code, polling, token, the cache used silently, refresh; each failure is named with its
fix. Nothing here contacts Microsoft."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from outlook_kit.accounts import Credentials, SecretKind, SmtpSettings
from outlook_kit.errors import (
    ClientIdError,
    ConsentDeclinedError,
    DeviceCodeExpiredError,
    IdentityUnreachableError,
    ScopeError,
    SecretError,
    SignInCancelledError,
    SignInError,
    SignInRequiredError,
    TenantError,
    TokenCacheError,
    UsageError,
)
from outlook_kit.oauth import (
    SMTP_SEND_SCOPE,
    DeviceCode,
    EnvironmentToken,
    MicrosoftIdentity,
    StaticToken,
    TokenCacheFile,
    TokenProvider,
    oauth_credentials,
    sign_in_error,
)
from outlook_kit.probe import probe
from outlook_kit.secret import Secret
from outlook_kit.simulator import Simulator
from outlook_kit.simulator.identity import DEMO_CLIENT_ID, IdentityStandIn

BASIC_OFF = "basic.off@outlook.com"  # App Passwords refused; OAuth2 works
BASIC_OFF_TOKEN = "EwB-demo-oauth-token-basic-off"
UNKNOWN_CLIENT_ID = "00000000-1111-4222-8333-444444444444"


@pytest.fixture
def idp() -> Iterator[IdentityStandIn]:
    with IdentityStandIn(interval=0) as standin:
        yield standin


def cache_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "outlook-kit" / "token-cache.json"


def identity(idp: IdentityStandIn, tmp_path: Path, **kwargs: Any) -> MicrosoftIdentity:
    kwargs.setdefault("on_code", lambda code: None)
    kwargs.setdefault("token_cache", cache_path(tmp_path))
    kwargs.setdefault("authority", idp.authority())
    return MicrosoftIdentity(DEMO_CLIENT_ID, cafile=idp.ca_file, **kwargs)


class User:
    """The person at the sign-in page: records each code shown, then does what they do."""

    def __init__(self, act: Callable[[str], None]) -> None:
        self.act = act
        self.codes: list[DeviceCode] = []

    def __call__(self, code: DeviceCode) -> None:
        self.codes.append(code)
        self.act(code.user_code)


def signs_in(idp: IdentityStandIn, address: str, after_polls: int = 0) -> User:
    return User(lambda code: idp.sign_in(code, address, after_polls=after_polls))


def grants(idp: IdentityStandIn) -> list[tuple[str, str | None, str | None]]:
    return [
        (r.endpoint, r.grant, r.error) for r in idp.requests if r.endpoint != "openid-configuration"
    ]


# --- the flow ------------------------------------------------------------------------------------


def test_device_code_then_polling_then_the_token_then_the_cache_silently(
    idp: IdentityStandIn, tmp_path: Path
) -> None:
    user = signs_in(idp, BASIC_OFF, after_polls=2)
    ident = identity(idp, tmp_path, on_code=user)

    token = ident.get_token(BASIC_OFF)

    assert token.reveal() == BASIC_OFF_TOKEN  # the roster token the SMTP simulator accepts
    assert ident.last_source == "sign_in" and ident.signed_in_as == BASIC_OFF
    assert len(user.codes) == 1
    code = user.codes[0]
    assert code.user_code and code.verification_uri == f"{idp.base_url}/devicelogin"
    assert code.user_code in str(code) and code.verification_uri in str(code)
    assert grants(idp) == [
        ("devicecode", None, None),
        ("token", "device_code", "authorization_pending"),
        ("token", "device_code", "authorization_pending"),
        ("token", "device_code", None),
    ]

    again = ident.get_token(BASIC_OFF)  # silently, from the cache: no new code, no request
    assert again == token and ident.last_source == "cache"
    assert len(user.codes) == 1 and len(grants(idp)) == 4
    assert ident.accounts() == [BASIC_OFF]


def test_offline_access_is_left_to_msal_which_adds_it_itself(
    idp: IdentityStandIn, tmp_path: Path
) -> None:
    ident = identity(
        idp, tmp_path, scopes=[SMTP_SEND_SCOPE, "offline_access"], on_code=signs_in(idp, BASIC_OFF)
    )
    assert ident.scopes == (SMTP_SEND_SCOPE,)  # MSAL refuses reserved scopes given to it
    ident.get_token(BASIC_OFF)
    asked = next(r.scope for r in idp.requests if r.endpoint == "devicecode")
    assert asked is not None
    assert set(asked.split()) == {SMTP_SEND_SCOPE, "offline_access", "openid", "profile"}


def test_an_old_access_token_is_refreshed_silently_in_a_later_session(tmp_path: Path) -> None:
    with IdentityStandIn(interval=0, token_lifetime=60) as idp:  # MSAL renews below 5 minutes
        first = identity(idp, tmp_path, on_code=signs_in(idp, BASIC_OFF))
        first.get_token(BASIC_OFF)

        later = identity(idp, tmp_path, interactive=False)  # a new process, the same cache
        token = later.get_token(BASIC_OFF)

        assert token.reveal() == BASIC_OFF_TOKEN and later.last_source == "refresh"
        assert grants(idp)[-1] == ("token", "refresh_token", None)
        assert sum(1 for g in grants(idp) if g[0] == "devicecode") == 1


def test_the_cache_is_a_0600_file_in_a_0700_folder_and_holds_the_refresh_token(
    idp: IdentityStandIn, tmp_path: Path
) -> None:
    ident = identity(idp, tmp_path, on_code=signs_in(idp, BASIC_OFF))
    ident.get_token(BASIC_OFF)
    path = cache_path(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert '"RefreshToken"' in path.read_text()
    assert not list(path.parent.glob(".*.tmp"))  # the atomic write left nothing behind
    assert str(path) in repr(ident) and "RefreshToken" not in repr(ident)


def test_a_umask_that_drops_the_owners_write_bit_still_gives_0600(
    idp: IdentityStandIn, tmp_path: Path
) -> None:
    old = os.umask(0o277)
    try:
        identity(idp, tmp_path, on_code=signs_in(idp, BASIC_OFF)).get_token(BASIC_OFF)
    finally:
        os.umask(old)
    assert stat.S_IMODE(cache_path(tmp_path).stat().st_mode) == 0o600


def test_a_cache_file_others_can_read_is_refused_with_the_fix(
    idp: IdentityStandIn, tmp_path: Path
) -> None:
    identity(idp, tmp_path, on_code=signs_in(idp, BASIC_OFF)).get_token(BASIC_OFF)
    path = cache_path(tmp_path)
    path.chmod(0o644)
    with pytest.raises(TokenCacheError, match="can be read by others") as caught:
        identity(idp, tmp_path).get_token(BASIC_OFF)
    assert "chmod 600" in str(caught.value) and "sign in again" in str(caught.value)


def test_a_file_that_is_not_a_cache_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not json")
    path.chmod(0o600)
    with pytest.raises(TokenCacheError, match="not a token cache"):
        TokenCacheFile(path).load()


def test_a_revoked_refresh_token_means_signing_in_again(tmp_path: Path) -> None:
    with IdentityStandIn(interval=0, token_lifetime=60) as idp:
        user = signs_in(idp, BASIC_OFF)
        identity(idp, tmp_path, on_code=user).get_token(BASIC_OFF)
        idp.revoke_refresh_tokens(BASIC_OFF)

        with pytest.raises(SignInRequiredError, match="no saved sign-in") as caught:
            identity(idp, tmp_path, interactive=False).get_token(BASIC_OFF)
        assert "AADSTS70008" in str(caught.value)
        assert "outlook-kit probe --oauth" in caught.value.fix

        again = identity(idp, tmp_path, on_code=user)  # interactive: a new device code
        assert again.get_token(BASIC_OFF).reveal() == BASIC_OFF_TOKEN
        assert again.last_source == "sign_in" and len(user.codes) == 2


def test_no_saved_sign_in_and_no_one_to_ask_says_how_to_sign_in(
    idp: IdentityStandIn, tmp_path: Path
) -> None:
    with pytest.raises(SignInRequiredError) as caught:
        identity(idp, tmp_path, interactive=False).get_token(BASIC_OFF)
    assert f"--user {BASIC_OFF}" in caught.value.fix
    assert not [r for r in idp.requests if r.endpoint == "devicecode"]


def test_sign_out_forgets_the_account(idp: IdentityStandIn, tmp_path: Path) -> None:
    ident = identity(idp, tmp_path, on_code=signs_in(idp, BASIC_OFF))
    ident.get_token(BASIC_OFF)
    assert ident.sign_out(BASIC_OFF) is True
    assert ident.accounts() == []
    assert identity(idp, tmp_path).accounts() == []  # the file forgot it too


def test_a_sign_in_as_another_account_returns_its_token_and_says_who(
    idp: IdentityStandIn, tmp_path: Path
) -> None:
    ident = identity(idp, tmp_path, on_code=signs_in(idp, "healthy@outlook.com"))
    token = ident.get_token(BASIC_OFF)
    assert ident.signed_in_as == "healthy@outlook.com"
    assert token.reveal() == "EwB-demo-oauth-token-healthy"
    # The cache keeps it under the account that signed in, so it is not reused for BASIC_OFF.
    with pytest.raises(SignInRequiredError):
        identity(idp, tmp_path, interactive=False).get_token(BASIC_OFF)


# --- each failure, named with its fix -----------------------------------------------------------


def test_a_wrong_client_id_is_aadsts700016_with_where_to_find_the_right_one(
    idp: IdentityStandIn, tmp_path: Path
) -> None:
    ident = MicrosoftIdentity(
        UNKNOWN_CLIENT_ID,
        authority=idp.authority(),
        cafile=idp.ca_file,
        token_cache=cache_path(tmp_path),
        on_code=lambda code: pytest.fail("no code for an unknown app"),
    )
    with pytest.raises(ClientIdError) as caught:
        ident.get_token(BASIC_OFF)
    error = caught.value
    assert error.aadsts == 700016 and error.error == "unauthorized_client"
    assert UNKNOWN_CLIENT_ID in str(error) and "Application (client) ID" in error.fix
    assert "--client-id" in error.fix and "Fix:" in str(error)


def test_an_invalid_scope_is_named(idp: IdentityStandIn, tmp_path: Path) -> None:
    ident = identity(idp, tmp_path, scopes=["https://outlook.office.com/SMTP.Sendd"])
    with pytest.raises(ScopeError) as caught:
        ident.get_token(BASIC_OFF)
    assert caught.value.error == "invalid_scope" and caught.value.aadsts == 70011
    assert SMTP_SEND_SCOPE in caught.value.fix


def test_missing_consent_is_aadsts65001_with_who_can_grant_it(
    idp: IdentityStandIn, tmp_path: Path
) -> None:
    user = User(lambda code: idp.withhold_consent(code, BASIC_OFF, after_polls=1))
    with pytest.raises(ScopeError) as caught:
        identity(idp, tmp_path, on_code=user).get_token(BASIC_OFF)
    assert caught.value.aadsts == 65001 and "Grant admin consent" in caught.value.fix


def test_consent_declined_at_the_page_is_named(idp: IdentityStandIn, tmp_path: Path) -> None:
    user = User(lambda code: idp.decline(code, after_polls=1))
    with pytest.raises(ConsentDeclinedError) as caught:
        identity(idp, tmp_path, on_code=user).get_token(BASIC_OFF)
    assert caught.value.error == "authorization_declined"
    assert "accept" in caught.value.fix
    assert not cache_path(tmp_path).exists()  # nothing to remember


def test_a_code_the_server_calls_expired_is_named(idp: IdentityStandIn, tmp_path: Path) -> None:
    user = User(lambda code: idp.expire(code))
    with pytest.raises(DeviceCodeExpiredError) as caught:
        identity(idp, tmp_path, on_code=user).get_token(BASIC_OFF)
    assert caught.value.aadsts == 70020 and caught.value.error == "expired_token"
    assert "15 minutes" in caught.value.fix


def test_a_code_past_its_lifetime_ends_the_wait_on_the_client_side(tmp_path: Path) -> None:
    standin = IdentityStandIn(interval=0, code_lifetime=0)  # expired once asked for
    with standin as idp, pytest.raises(DeviceCodeExpiredError):
        identity(idp, tmp_path).get_token(BASIC_OFF)


def test_an_unknown_tenant_is_aadsts90002(idp: IdentityStandIn, tmp_path: Path) -> None:
    ident = identity(idp, tmp_path, authority=idp.authority("no-such-tenant.example"))
    with pytest.raises(TenantError) as caught:
        ident.get_token(BASIC_OFF)
    assert caught.value.aadsts == 90002 and "--tenant consumers" in caught.value.fix


def test_cancel_ends_the_wait(idp: IdentityStandIn, tmp_path: Path) -> None:
    holder: list[MicrosoftIdentity] = []
    ident = identity(idp, tmp_path, on_code=lambda code: holder[0].cancel())
    holder.append(ident)
    with pytest.raises(SignInCancelledError):
        ident.get_token(BASIC_OFF)


def test_nothing_listening_is_identity_unreachable(tmp_path: Path) -> None:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    ident = MicrosoftIdentity(
        DEMO_CLIENT_ID,
        authority=f"https://127.0.0.1:{port}/consumers",
        cafile=None,
        token_cache=cache_path(tmp_path),
        timeout=5,
    )
    with pytest.raises(IdentityUnreachableError) as caught:
        ident.get_token(BASIC_OFF)
    assert "cannot reach" in str(caught.value) and "port 443" in caught.value.fix


def test_an_untrusted_certificate_is_named_as_possible_interception(
    idp: IdentityStandIn, tmp_path: Path
) -> None:
    with IdentityStandIn() as other:  # another CA: the stand-in's certificate is not trusted
        ident = MicrosoftIdentity(
            DEMO_CLIENT_ID,
            authority=idp.authority(),
            cafile=other.ca_file,
            token_cache=cache_path(tmp_path),
        )
        with pytest.raises(IdentityUnreachableError, match="not trusted") as caught:
            ident.get_token(BASIC_OFF)
    assert "intercept" in str(caught.value)


@pytest.mark.parametrize(
    ("answer", "kind", "says"),
    [
        (
            {
                "error": "invalid_client",
                "error_description": "AADSTS7000218: The request body must contain the "
                "following parameter: 'client_assertion' or 'client_secret'.",
                "error_codes": [7000218],
            },
            ClientIdError,
            "Allow public client flows",
        ),
        (
            {
                "error": "unauthorized_client",
                "error_description": "The client does not exist or is not enabled for "
                "consumers. If you are the application developer, configure a new "
                "application through the App Registrations in the Azure Portal.",
            },
            ClientIdError,
            "personal Microsoft accounts",
        ),
        ({"error": "code_expired"}, DeviceCodeExpiredError, "new code"),
        ({"error": "access_denied"}, ConsentDeclinedError, "accept"),
        (
            {"error": "invalid_grant", "error_description": "AADSTS50173: The grant expired."},
            SignInRequiredError,
            "sign in again",
        ),
        (
            {
                "error": "server_error",
                "error_description": "AADSTS50000: Oops.",
                "error_codes": [50000],
            },
            SignInError,
            "https://login.microsoftonline.com/error?code=50000",
        ),
    ],
)
def test_microsofts_answers_map_to_named_errors(
    answer: dict[str, Any], kind: type[SignInError], says: str
) -> None:
    error = sign_in_error(answer, client_id=DEMO_CLIENT_ID, authority="https://x/consumers")
    assert type(error) is kind
    assert says in error.fix and error.fix in str(error)


def test_the_client_id_comes_from_the_environment_or_the_error_says_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OUTLOOK_KIT_CLIENT_ID", raising=False)
    with pytest.raises(UsageError, match="no client id") as caught:
        MicrosoftIdentity(token_cache=tmp_path / "c.json")
    assert "Allow public client flows" in str(caught.value)
    with pytest.raises(UsageError, match="GUID"):
        MicrosoftIdentity("my-app", token_cache=tmp_path / "c.json")
    monkeypatch.setenv("OUTLOOK_KIT_CLIENT_ID", DEMO_CLIENT_ID)
    ident = MicrosoftIdentity(token_cache=tmp_path / "c.json")
    assert ident.client_id == DEMO_CLIENT_ID
    assert ident.authority == "https://login.microsoftonline.com/consumers"  # the default
    tenant = MicrosoftIdentity(tenant="contoso.onmicrosoft.com", token_cache=tmp_path / "c.json")
    assert tenant.authority == "https://login.microsoftonline.com/contoso.onmicrosoft.com"
    with pytest.raises(UsageError, match="not a tenant"):
        MicrosoftIdentity(tenant="../x", token_cache=tmp_path / "c.json")


# --- the seam: providers, credentials, the probe -------------------------------------------------


def test_every_provider_is_a_token_provider(tmp_path: Path) -> None:
    for provider in (
        StaticToken("abc123"),
        EnvironmentToken("SOME_VAR"),
        MicrosoftIdentity(DEMO_CLIENT_ID, token_cache=tmp_path / "c.json"),
    ):
        assert isinstance(provider, TokenProvider)


def test_static_and_environment_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    static = StaticToken(" tok-123 ")
    assert static.get_token(BASIC_OFF) == Secret("tok-123")
    assert "tok-123" not in repr(static)
    with pytest.raises(SecretError):
        StaticToken("  ")

    env = EnvironmentToken("OK_TEST_TOKEN")
    monkeypatch.delenv("OK_TEST_TOKEN", raising=False)
    with pytest.raises(SecretError, match="OK_TEST_TOKEN is empty or not set"):
        env.get_token(BASIC_OFF)
    monkeypatch.setenv("OK_TEST_TOKEN", "tok-456")
    assert env.get_token(BASIC_OFF).reveal() == "tok-456"
    assert "tok-456" not in repr(env)
    with pytest.raises(UsageError, match="not an environment variable name"):
        EnvironmentToken("EwB.looks-like-a-token")


async def test_oauth_credentials_then_the_probe_end_to_end(
    idp: IdentityStandIn, simulator: Simulator, tmp_path: Path
) -> None:
    ident = identity(idp, tmp_path, on_code=signs_in(idp, BASIC_OFF, after_polls=1))
    credentials = await oauth_credentials(ident, BASIC_OFF)
    assert credentials.kind is SecretKind.OAUTH_TOKEN and credentials.user == BASIC_OFF

    report = await probe(
        SmtpSettings(simulator.host, simulator.port, cafile=simulator.ca_file), credentials
    )

    assert report.ok and report.sent, str(report)
    assert "~> AUTH XOAUTH2 ********" in report.transcript
    assert simulator.mailbox.find(report.token or "")


async def test_cancelling_the_awaiting_task_cancels_the_sign_in(
    idp: IdentityStandIn, tmp_path: Path
) -> None:
    shown = asyncio.Event()
    loop = asyncio.get_running_loop()
    ident = identity(idp, tmp_path, on_code=lambda code: loop.call_soon_threadsafe(shown.set))
    task = asyncio.create_task(oauth_credentials(ident, BASIC_OFF))
    await shown.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The worker thread holds the provider until its wait ends: this returns only if the
    # cancel reached it (else it would wait out the code's 15 minutes).
    assert await asyncio.to_thread(ident.accounts) == []


def test_a_cancel_before_the_sign_in_starts_still_ends_it_and_only_it(
    idp: IdentityStandIn, tmp_path: Path
) -> None:
    ident = identity(idp, tmp_path, on_code=signs_in(idp, BASIC_OFF))
    ident.cancel()
    with pytest.raises(SignInCancelledError):
        ident.get_token(BASIC_OFF)
    assert not [r for r in idp.requests if r.endpoint == "devicecode"]  # no code was asked for
    assert ident.get_token(BASIC_OFF).reveal() == BASIC_OFF_TOKEN  # the next one is not


def test_credentials_built_from_a_provider_by_hand() -> None:
    credentials = Credentials.oauth_token(
        BASIC_OFF, StaticToken(BASIC_OFF_TOKEN).get_token(BASIC_OFF)
    )
    assert credentials.kind is SecretKind.OAUTH_TOKEN


# --- no secret anywhere it should not be ---------------------------------------------------------


def test_no_token_refresh_token_or_device_code_in_reprs_errors_or_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with IdentityStandIn(interval=0, token_lifetime=60) as idp:
        user = signs_in(idp, BASIC_OFF, after_polls=1)
        ident = identity(idp, tmp_path, on_code=user)
        first = ident.get_token(BASIC_OFF)
        second = ident.get_token(BASIC_OFF)  # refreshed
        device_codes = list(idp._state.flows)
        refresh_tokens = _refresh_tokens_in(cache_path(tmp_path).read_text())
        idp.revoke_refresh_tokens()  # then a silent sign-in fails, for an exception's text
        with pytest.raises(SignInError) as caught:
            identity(idp, tmp_path, interactive=False).get_token(BASIC_OFF)
    assert refresh_tokens and device_codes

    seen = "\n".join(
        [
            caplog.text,
            repr(ident),
            str(first),
            repr(second),
            repr(user.codes),
            str(user.codes[0]),
            user.codes[0]._repr_html_(),
            str(caught.value),
            repr(caught.value),
        ]
    )
    for secret in [BASIC_OFF_TOKEN, *refresh_tokens, *device_codes]:
        assert secret not in seen
    assert "msal.token_cache" in caplog.text or "event=" in caplog.text  # MSAL's log was read


def _refresh_tokens_in(cache_text: str) -> list[str]:
    import json

    return [entry["secret"] for entry in json.loads(cache_text).get("RefreshToken", {}).values()]


def test_a_device_code_for_a_notebook_escapes_its_html() -> None:
    from datetime import UTC, datetime

    code = DeviceCode("<b>X</b>", "https://example.invalid/?a=1&b=2", datetime.now(UTC), 5.0)
    html = code._repr_html_()
    assert "<b>X</b>" not in html and "&lt;b&gt;X&lt;/b&gt;" in html
    assert "a=1&amp;b=2" in html
