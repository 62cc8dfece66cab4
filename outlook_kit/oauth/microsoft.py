"""Sign in at Microsoft with the device-code flow (MSAL) and get an access token for SMTP.

The user opens a page on any device (a phone will do), types a short code and signs in;
meanwhile the kit polls Microsoft's token endpoint until the tokens come. This works in a
terminal, in a notebook and over SSH, since nothing has to open a browser on this machine.
The refresh token is kept in a private cache file (`cache.TokenCacheFile`), so the next
sign-in is silent until Microsoft revokes it.

    identity = MicrosoftIdentity(client_id)          # the app the user registered
    token = identity.get_token("you@outlook.com")    # cached, refreshed, or a device-code sign-in
    credentials = Credentials.oauth_token("you@outlook.com", token)

MSAL treats `openid`, `profile` and `offline_access` as reserved: it adds them to every
request itself and refuses them in the scopes it is given. The kit therefore asks MSAL for
`https://outlook.office.com/SMTP.Send` alone, and Microsoft still receives
`offline_access` (which is what brings the refresh token).

Every failure raises a `SignInError` subclass whose message names the cause and the fix
(`sign_in_error` maps Microsoft's answers). Tokens, refresh tokens and the device code stay
out of every repr, message and log line; the user code is meant to be shown.
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import urlsplit

import msal
import requests

from ..accounts import validate_address
from ..errors import (
    ClientIdError,
    ConsentDeclinedError,
    DeviceCodeExpiredError,
    IdentityUnreachableError,
    ScopeError,
    SignInCancelledError,
    SignInError,
    SignInRequiredError,
    TenantError,
    UsageError,
)
from ..secret import Secret
from .cache import TokenCacheFile

SMTP_SEND_SCOPE = "https://outlook.office.com/SMTP.Send"
AUTHORITY_HOST = "https://login.microsoftonline.com"
CLIENT_ID_ENV = "OUTLOOK_KIT_CLIENT_ID"
RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access"})
"""Scopes MSAL adds to every request itself and refuses to be given."""
NAMED_TENANTS = ("consumers", "organizations", "common")
MIN_POLL_S = 0.05
"""The shortest wait between two polls, whatever interval the server asks for."""
REGISTER_HINT = (
    "register an app at https://entra.microsoft.com (App registrations > New registration; "
    "supported account types including personal Microsoft accounts; Authentication > "
    "'Allow public client flows': Yes) and use its Application (client) ID"
)

_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_TENANT = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
_AADSTS = re.compile(r"AADSTS(\d+)")
_WAIT_ERRORS = frozenset({"authorization_pending", "slow_down"})
_STALE_ERRORS = frozenset({"invalid_grant", "interaction_required"})


# --- the code shown to the user ----------------------------------------------------------------


@dataclass(frozen=True)
class DeviceCode:
    """What the user needs to sign in: a page to open and a code to type there."""

    user_code: str
    verification_uri: str
    expires_at: datetime
    interval: float
    message: str = ""  # Microsoft's own sentence, in the user's language where it can

    def __str__(self) -> str:
        until = self.expires_at.strftime("%H:%M UTC")
        return (
            f"To sign in, open {self.verification_uri} in a browser (on any device) and "
            f"enter the code {self.user_code}. The code works until {until}."
        )

    def _repr_html_(self) -> str:
        uri, code = html.escape(self.verification_uri), html.escape(self.user_code)
        until = html.escape(self.expires_at.strftime("%H:%M UTC"))
        return (
            f'<p>To sign in, open <a href="{uri}" target="_blank" rel="noopener">{uri}</a> '
            f"(on any device) and enter the code</p>"
            f'<p style="font-size:1.6em;font-family:monospace;letter-spacing:0.1em">'
            f"<b>{code}</b></p><p>The code works until {until}.</p>"
        )

    @classmethod
    def from_flow(cls, flow: Mapping[str, Any]) -> DeviceCode:
        """The shown part of MSAL's device flow (the device code itself stays out)."""
        expires = float(flow.get("expires_at") or time.time() + int(flow.get("expires_in", 900)))
        return cls(
            user_code=str(flow["user_code"]),
            verification_uri=str(
                flow.get("verification_uri") or flow.get("verification_url") or ""
            ),
            expires_at=datetime.fromtimestamp(expires, UTC),
            interval=float(flow.get("interval", 5)),
            message=str(flow.get("message", "")),
        )


def print_device_code(code: DeviceCode, stream: TextIO | None = None) -> None:
    """The default prompt: the page and the code on standard error (terminal, SSH, notebook)."""
    out = stream if stream is not None else sys.stderr
    print(str(code), file=out, flush=True)
    print("Waiting for you to sign in (Ctrl+C stops)...", file=out, flush=True)


# --- arguments ---------------------------------------------------------------------------------


def resolve_client_id(client_id: str | None) -> str:
    """The client id given, else `$OUTLOOK_KIT_CLIENT_ID`; a GUID, or UsageError with the fix."""
    value = (client_id or os.environ.get(CLIENT_ID_ENV, "")).strip()
    if not value:
        raise UsageError(
            f"no client id: {REGISTER_HINT}; pass it with --client-id or set {CLIENT_ID_ENV}"
        )
    if not _GUID.match(value):
        raise UsageError(
            f"{value!r} is not a client id: it is the app's Application (client) ID, a GUID "
            "like 1b2c3d4e-0000-4000-8000-1234567890ab, on the app's Overview page"
        )
    return value


def authority_for(tenant: str = "consumers") -> str:
    """The authority URL for a tenant: consumers, organizations, common, a tenant id or domain."""
    tenant = tenant.strip()
    if not _TENANT.match(tenant):
        raise UsageError(
            f"{tenant!r} is not a tenant: use consumers (personal accounts), organizations "
            "(any work or school account), or your tenant's id or domain"
        )
    return f"{AUTHORITY_HOST}/{tenant}"


def clean_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """The scopes without the ones MSAL reserves (it adds them itself), in order, once each."""
    seen: dict[str, None] = {}
    for scope in scopes:
        for word in str(scope).split():
            if word.lower() not in RESERVED_SCOPES:
                seen.setdefault(word, None)
    if not seen:
        raise UsageError(f"no scope to ask for; the kit sends mail with {SMTP_SEND_SCOPE}")
    return tuple(seen)


# --- Microsoft's answers as the kit's errors ---------------------------------------------------


def sign_in_error(
    answer: Mapping[str, Any],
    *,
    client_id: str = "",
    authority: str = "",
    address: str | None = None,
) -> SignInError:
    """The SignInError for an error answer of Microsoft's identity platform, with the fix."""
    error = str(answer.get("error") or "")
    description = str(answer.get("error_description") or "")
    codes = [int(c) for c in answer.get("error_codes") or [] if str(c).isdigit()]
    codes += [int(c) for c in _AADSTS.findall(description) if int(c) not in codes]
    aadsts = codes[0] if codes else None
    said = description.splitlines()[0].strip() if description else error
    tag = f"AADSTS{aadsts}" if aadsts else error
    tenant = urlsplit(authority).path.strip("/").split("/")[0] if authority else ""
    kw: dict[str, Any] = {"error": error or None, "aadsts": aadsts}

    if 700016 in codes or (error == "unauthorized_client" and "not found" in said):
        where = "personal Microsoft accounts" if tenant == "consumers" else f"'{tenant}'"
        return ClientIdError(
            f"Microsoft does not know the client id {client_id} for {where} ({tag}).",
            fix="copy the Application (client) ID from the app's Overview page at "
            "https://entra.microsoft.com (App registrations) and pass it with --client-id "
            f"or {CLIENT_ID_ENV}; if there is no app yet, {REGISTER_HINT}.",
            **kw,
        )
    if error == "unauthorized_client" or 700054 in codes:
        return ClientIdError(
            f"the app {client_id} may not sign in these accounts ({tag}: {said}).",
            fix="in the app registration, set the supported account types to include "
            "personal Microsoft accounts (for outlook.com, hotmail.com, live.com), or use "
            "--tenant organizations for a work or school account.",
            **kw,
        )
    if 7000218 in codes or error == "invalid_client":
        return ClientIdError(
            f"the app {client_id} is not allowed to use the device-code sign-in ({tag}: "
            "Microsoft asks it for a client secret).",
            fix="in the app registration, open Authentication, set 'Allow public client "
            "flows' to Yes and save; the kit is a public client and has no secret.",
            **kw,
        )
    if 90002 in codes or error == "invalid_tenant":
        return TenantError(
            f"the tenant '{tenant}' does not exist ({tag}).",
            fix="use --tenant consumers for personal accounts (outlook.com, hotmail.com, "
            "live.com), or organizations, your tenant's id or its domain "
            "(contoso.onmicrosoft.com) for a work or school account.",
            **kw,
        )
    if error == "invalid_scope" or 70011 in codes:
        return ScopeError(
            f"Microsoft refused the scope asked for ({tag}).",
            fix=f"ask for {SMTP_SEND_SCOPE} (the kit's default; MSAL adds offline_access, "
            "openid and profile itself). In a work or school tenant, the app also needs the "
            "delegated permission SMTP.Send of Office 365 Exchange Online (API permissions).",
            **kw,
        )
    if 65001 in codes or answer.get("suberror") == "consent_required":
        return ScopeError(
            f"consent to send mail as you (SMTP.Send) is missing ({tag}).",
            fix="sign in again and accept the permissions the page asks for. Where users "
            "may not consent (many work or school tenants), an administrator grants it: API "
            "permissions > Grant admin consent.",
            **kw,
        )
    if error in ("authorization_declined", "access_denied"):
        return ConsentDeclinedError(
            f"the sign-in was declined at Microsoft's page ({error}).",
            fix="sign in again and accept when asked to let the app send mail as you; it "
            "gets SMTP.Send and offline_access (to stay signed in), nothing else.",
            **kw,
        )
    if error in ("expired_token", "code_expired") or 70020 in codes:
        return DeviceCodeExpiredError(
            f"the code expired before the sign-in was finished ({tag}).",
            fix="start again and enter the new code within its time (Microsoft gives 15 "
            "minutes) at the page shown.",
            **kw,
        )
    if error in _STALE_ERRORS:
        who = f" for {address}" if address else ""
        return SignInRequiredError(
            f"the saved sign-in{who} no longer works ({tag}: {said}).",
            fix="sign in again with the device code (outlook-kit probe --oauth).",
            **kw,
        )
    return SignInError(
        f"Microsoft's sign-in answered {error or 'an error'} ({said}).",
        fix=(
            f"look {tag} up at https://login.microsoftonline.com/error?code={aadsts}"
            if aadsts
            else "start the sign-in again; if it fails the same way, check the app registration"
        ),
        **kw,
    )


# --- the provider ------------------------------------------------------------------------------


class _HideDeviceCode(logging.Filter):
    """MSAL logs each token request at DEBUG, the device code included: mask it."""

    _FIELD = re.compile(r'("(?:device_code|code)"\s*:\s*")[^"]*(")')

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                self._FIELD.sub(r"\1********\2", a) if isinstance(a, str) else a
                for a in record.args
            )
        return True


def _install_log_filter() -> None:
    logger = logging.getLogger("msal.token_cache")
    if not any(isinstance(f, _HideDeviceCode) for f in logger.filters):
        logger.addFilter(_HideDeviceCode())


class _Session(requests.Session):
    """A requests session with a default timeout (MSAL sets none on a session it is given)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, **kwargs)


class MicrosoftIdentity:
    """Access tokens for SMTP from Microsoft's identity platform: cached, refreshed, or signed in.

    `get_token(address)` is synchronous and may block while the user signs in (up to the
    code's lifetime, 15 minutes at Microsoft). From async code, await
    `oauth_credentials(identity, address)`, which runs it in a thread; `cancel()` ends a
    wait from any thread.

    Args:
        client_id: the Application (client) ID of the app the user registered; default
            `$OUTLOOK_KIT_CLIENT_ID`.
        tenant: `consumers` (personal accounts, the default), `organizations`, `common`, or
            a tenant's id or domain.
        authority: the full authority URL instead of a tenant (the local identity
            stand-in's `authority()` in lessons and tests).
        scopes: what to ask for; the reserved scopes are dropped (MSAL adds them).
        token_cache: the cache file (a path or a `TokenCacheFile`); default
            `default_token_cache_path()`.
        on_code: called with the `DeviceCode` to show; default `print_device_code` (stderr).
        interactive: False never starts a device-code sign-in: without a usable cached
            sign-in, `get_token` raises SignInRequiredError (for scripts and cron jobs).
        cafile: a PEM file of CAs to trust for the identity endpoints instead of the
            system's (the stand-in's CA). The proxy and CA variables of the environment
            (REQUESTS_CA_BUNDLE) are then ignored, since they would override it.
        http_client: a ready `requests.Session` (overrides `cafile` and `timeout`).
        timeout: seconds each HTTP request may take.
    """

    def __init__(
        self,
        client_id: str | None = None,
        *,
        tenant: str | None = None,
        authority: str | None = None,
        scopes: Iterable[str] = (SMTP_SEND_SCOPE,),
        token_cache: str | os.PathLike[str] | TokenCacheFile | None = None,
        on_code: Callable[[DeviceCode], None] | None = None,
        interactive: bool = True,
        cafile: str | None = None,
        http_client: requests.Session | None = None,
        timeout: float = 30.0,
    ) -> None:
        if tenant is not None and authority is not None:
            raise UsageError("give either a tenant or an authority URL, not both")
        if authority is not None and urlsplit(authority).scheme != "https":
            raise UsageError(f"the authority must be an https:// URL, got {authority!r}")
        if timeout <= 0:
            raise UsageError("the timeout must be a positive number of seconds")
        self.client_id = resolve_client_id(client_id)
        self.authority = (
            authority.rstrip("/") if authority else authority_for(tenant or "consumers")
        )
        self.scopes = clean_scopes(scopes)
        self.cache = (
            token_cache if isinstance(token_cache, TokenCacheFile) else TokenCacheFile(token_cache)
        )
        self.on_code = on_code or print_device_code
        self.interactive = interactive
        if http_client is None:
            http_client = _Session(timeout)
            if cafile:
                http_client.verify = cafile
                http_client.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
        self._http = http_client
        self._app: msal.PublicClientApplication | None = None
        self._lock = threading.RLock()
        self._cancelled = threading.Event()
        self._stale = ""  # why the cached sign-in stopped working, for the next message
        self.signed_in_as: str | None = None
        """The account the last token is for (Microsoft's `preferred_username`)."""
        self.last_source: str | None = None
        """Where the last token came from: "cache", "refresh" or "sign_in"."""
        _install_log_filter()

    def __repr__(self) -> str:
        return (
            f"MicrosoftIdentity(client_id={self.client_id!r}, authority={self.authority!r}, "
            f"scopes={list(self.scopes)!r}, token_cache={str(self.cache.path)!r})"
        )

    # --- the TokenProvider protocol ---------------------------------------------------------

    def get_token(self, address: str) -> Secret:
        """An access token for `address`: from the cache, refreshed silently, or by a sign-in.

        Raises:
            SignInError: a subclass naming what went wrong and the fix.
        """
        address = validate_address(address)
        with self._lock:
            token = self.token_from_cache(address)
            if token is not None:
                return token
            if not self.interactive:
                raise SignInRequiredError(
                    f"there is no saved sign-in for {address} in {self.cache.path}"
                    + (f" ({self._stale})" if self._stale else "")
                    + ".",
                    fix=f"sign in once where you can read a code: outlook-kit probe --oauth "
                    f"--user {address}",
                )
            return self.sign_in(address)

    # --- the steps --------------------------------------------------------------------------

    def token_from_cache(self, address: str) -> Secret | None:
        """The cached access token for `address`, refreshed if it is old; None if none works."""
        address = validate_address(address)
        with self._lock:
            self._stale = ""
            app = self._application()
            accounts = app.get_accounts(username=address)
            if not accounts:
                return None
            try:
                with self._network():
                    result = app.acquire_token_silent_with_error(
                        list(self.scopes), account=accounts[0]
                    )
            finally:
                self.cache.save()
            if not result:
                return None
            if "access_token" in result:
                self.signed_in_as = str(accounts[0].get("username") or address)
                self.last_source = "cache" if result.get("token_source") == "cache" else "refresh"
                return Secret(str(result["access_token"]))
            error = self._error(result, address)
            if isinstance(error, SignInRequiredError):
                self._stale = error.reason
                return None
            raise error

    def sign_in(self, address: str | None = None) -> Secret:
        """Run the device-code flow: show the code (`on_code`), wait for the user, keep tokens.

        Args:
            address: the account meant; used in messages only (Microsoft's page asks who
                signs in). After it, `signed_in_as` says who did.
        """
        with self._lock:
            try:
                self._check_cancelled()
                app = self._application()
                with self._network():
                    flow = app.initiate_device_flow(scopes=list(self.scopes))
                if "user_code" not in flow:
                    raise self._error(flow, address)
                code = DeviceCode.from_flow(flow)
                self.on_code(code)
                result = self._wait(app, flow)
            finally:
                self._cancelled.clear()  # a cancel ends this wait, not the next one
            self.cache.save()
            if "access_token" not in result:
                raise self._error(result, address)
            claims = result.get("id_token_claims") or {}
            self.signed_in_as = str(claims.get("preferred_username") or "") or None
            self.last_source = "sign_in"
            return Secret(str(result["access_token"]))

    def cancel(self) -> None:
        """End the wait for the user (from any thread): `get_token` raises SignInCancelledError.

        It ends the sign-in running now, or the next one to start (so a cancel that comes
        while `get_token` still reads the cache is not lost).
        """
        self._cancelled.set()

    def sign_out(self, address: str) -> bool:
        """Forget the saved sign-in of `address`; True if there was one."""
        address = validate_address(address)
        with self._lock:
            app = self._application()
            accounts = app.get_accounts(username=address)
            for account in accounts:
                app.remove_account(account)
            self.cache.save()
            return bool(accounts)

    def accounts(self) -> list[str]:
        """The addresses with a saved sign-in in the cache."""
        with self._lock:
            return [str(a.get("username")) for a in self._application().get_accounts()]

    # --- internals --------------------------------------------------------------------------

    def _application(self) -> msal.PublicClientApplication:
        if self._app is None:
            cache = self.cache.load()
            try:
                with self._network():
                    self._app = msal.PublicClientApplication(
                        self.client_id,
                        authority=self.authority,
                        token_cache=cache,
                        http_client=self._http,
                        instance_discovery=False,
                    )
            except ValueError as exc:  # MSAL's words for a failed OpenID discovery
                raise self._discovery_error(exc) from None
        return self._app

    def _discovery_error(self, exc: ValueError) -> SignInError:
        # MSAL wraps the discovery's own error ("... Error: {json}") in a general one.
        inner: BaseException | None = exc
        for _ in range(5):
            if inner is None:
                break
            text = str(inner)
            if "Error: " in text:
                answer: Any = None
                with contextlib.suppress(ValueError):
                    answer = json.loads(text.split("Error: ", 1)[1])
                if isinstance(answer, dict) and answer.get("error"):
                    return self._error(answer, None)
            inner = inner.__context__
        return IdentityUnreachableError(
            f"the sign-in service at {self.authority} has no OpenID configuration: the "
            "tenant may not exist, or something other than Microsoft answered (a captive "
            "portal or a proxy).",
            fix="check the tenant or authority given, and the network (open "
            "https://login.microsoftonline.com in a browser).",
        )

    def _error(self, answer: Mapping[str, Any], address: str | None) -> SignInError:
        return sign_in_error(
            answer, client_id=self.client_id, authority=self.authority, address=address
        )

    def _wait(self, app: msal.PublicClientApplication, flow: dict[str, Any]) -> dict[str, Any]:
        """Poll once per interval until the user signs in, declines, or the code expires."""
        interval = max(float(flow.get("interval", 5)), MIN_POLL_S)
        # MSAL polls in a loop of its own, checking `exit_condition` once per second of the
        # interval; with an interval of 0 it would never check it. One poll per call, then.
        flow["interval"] = max(int(flow.get("interval", 5)), 1)
        while True:
            with self._network():
                result: dict[str, Any] = app.acquire_token_by_device_flow(
                    flow, exit_condition=lambda _flow: True
                )
            error = result.get("error")
            if error not in _WAIT_ERRORS:
                return result
            if error == "slow_down":
                interval += 5  # RFC 8628, section 3.5
            if time.time() >= float(flow.get("expires_at", 0)):
                raise DeviceCodeExpiredError(
                    "the code expired before the sign-in was finished.",
                    fix="start again and enter the new code within its time (Microsoft gives "
                    "15 minutes) at the page shown.",
                    error="expired_token",
                )
            if self._cancelled.wait(interval):
                self._check_cancelled()

    def _check_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise SignInCancelledError(
                "the wait for the sign-in was cancelled.",
                fix="start the sign-in again when you are ready to enter the code.",
            )

    @contextlib.contextmanager
    def _network(self) -> Iterator[None]:
        """Translate what requests raises into IdentityUnreachableError, with the fix."""
        host = urlsplit(self.authority).netloc
        try:
            yield
        except requests.exceptions.SSLError as exc:
            raise IdentityUnreachableError(
                f"the certificate {host} presented is not trusted ({_short(exc)}); "
                "antivirus or a proxy may be intercepting HTTPS.",
                fix=f"let it pass {host} untouched, or give its root certificate as the "
                "CA file to trust.",
            ) from exc
        except requests.exceptions.Timeout as exc:
            raise IdentityUnreachableError(
                f"{host} did not answer in time.",
                fix="check the network connection and try again.",
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise IdentityUnreachableError(
                f"cannot reach {host} ({_short(exc)}).",
                fix=f"check the network connection and any proxy (HTTPS_PROXY); {host} "
                "must be reachable on port 443.",
            ) from exc


def _short(exc: BaseException) -> str:
    """The innermost reason of a requests/urllib3 exception, without its long wrapping."""
    inner: BaseException = exc
    for _ in range(10):  # the chain is short; never loop on a cycle
        if inner.__context__ is None:
            break
        inner = inner.__context__
    text = str(inner) or type(inner).__name__
    return text if len(text) <= 160 else text[:157] + "..."
