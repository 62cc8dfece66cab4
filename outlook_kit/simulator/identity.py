"""A local stand-in for Microsoft's identity endpoints, so the real MSAL device-code flow runs
offline: in lessons, in the notebooks and in the tests. Nothing here contacts Microsoft.

    from outlook_kit.simulator.identity import IdentityStandIn, DEMO_CLIENT_ID
    with IdentityStandIn() as idp:                  # HTTPS on 127.0.0.1:idp.port, CA in idp.ca_file
        identity = MicrosoftIdentity(DEMO_CLIENT_ID, authority=idp.authority(),
                                     cafile=idp.ca_file, on_code=...)
        idp.sign_in(code.user_code, "basic.off@outlook.com")   # the user "signs in"

It answers what MSAL asks of login.microsoftonline.com, in Microsoft's words:

- `GET /<tenant>/v2.0/.well-known/openid-configuration`: the endpoints (AADSTS90002 for an
  unknown tenant);
- `POST /<tenant>/oauth2/v2.0/devicecode`: a user code and a device code (AADSTS700016 for
  a client id it does not know, `invalid_scope` / AADSTS70011 for a scope it does not know);
- `POST /<tenant>/oauth2/v2.0/token`: for the device-code grant, `authorization_pending`
  (AADSTS70016) until the user signs in, then an access token, a refresh token and an ID
  token; or `authorization_declined`, `expired_token` (AADSTS70020) or `invalid_grant` with
  AADSTS65001 (consent missing), as the test or lesson decides. For the refresh-token
  grant, new tokens, or `invalid_grant` (AADSTS70008) once revoked.

The access token issued for an address is that roster account's first OAuth token, so the
SMTP `Simulator` accepts it with AUTH XOAUTH2; an address outside the roster gets a token
no mailbox knows. Tokens issued here are lesson props, never real credentials, but the
stand-in still keeps them out of its log.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import secrets
import socket
import ssl
import string
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from outlook_kit.simulator.certs import TlsMaterial, make_tls
from outlook_kit.simulator.roster import Account, default_roster

log = logging.getLogger("outlook_kit.simulator.identity")

DEMO_CLIENT_ID = "3f1b1e1c-0d2a-4c55-9a6e-0e5d0c0ffee0"
"""The client id the stand-in knows: the app a learner 'registered' for the lessons."""
CONSUMERS_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
"""The tenant id Microsoft gives personal accounts (the `tid` of their ID tokens)."""
ORGANIZATION_TENANT_ID = "72f988bf-0000-4000-8000-00000000c0de"
"""The stand-in's one work-or-school tenant (its id is made up)."""
SMTP_SEND_SCOPE = "https://outlook.office.com/SMTP.Send"
RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
KNOWN_SCOPES = frozenset(
    {
        SMTP_SEND_SCOPE,
        "https://outlook.office.com/IMAP.AccessAsUser.All",
        "https://outlook.office.com/POP.AccessAsUser.All",
        "https://outlook.office.com/.default",
    }
)
VERIFICATION_PATH = "/devicelogin"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
START_TIMEOUT_S = 10.0


class Outcome:
    """What the stand-in answers to the next polls of one device code."""

    PENDING = "pending"
    SIGNED_IN = "signed_in"
    DECLINED = "declined"
    EXPIRED = "expired"
    CONSENT_MISSING = "consent_missing"


@dataclass
class _DeviceFlow:
    user_code: str
    device_code: str
    client_id: str
    tenant: str
    scope: str
    expires_at: float
    outcome: str = Outcome.PENDING
    address: str | None = None
    pending_polls_left: int = 0
    polls: int = 0
    redeemed: bool = False


@dataclass(frozen=True)
class IdentityRequest:
    """One request the stand-in answered: what was asked and what it said (no secrets)."""

    endpoint: str  # "openid-configuration", "devicecode", "token"
    tenant: str
    client_id: str | None = None
    grant: str | None = None  # "device_code" or "refresh_token" for the token endpoint
    scope: str | None = None
    error: str | None = None  # the OAuth error answered, or None for success


@dataclass
class _State:
    flows: dict[str, _DeviceFlow] = field(default_factory=dict)  # by device code
    refresh_tokens: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # rt -> addr..
    requests: list[IdentityRequest] = field(default_factory=list)


class IdentityStandIn:
    """Microsoft's identity endpoints for the device-code flow, on HTTPS over loopback.

    Args:
        host: the address to listen on.
        port: the port; 0 lets the OS choose (read it from `.port` after `start()`).
        roster: the accounts a user may sign in as; their first OAuth token is what an
            access token for them is (default: the SMTP simulator's `default_roster()`).
        client_ids: the registered app ids; any other gets AADSTS700016.
        tenants: the tenant names the authority may use; any other gets AADSTS90002.
        interval: the polling interval, in seconds, the device-code answer asks for
            (Microsoft says 5; the lessons do not need to wait that long).
        code_lifetime: seconds a device code lives (Microsoft: 900).
        token_lifetime: seconds an access token lives (Microsoft: 3600 to 5400). Below 300,
            MSAL treats a cached token as expired and refreshes it at the next call.
        auto_sign_in: None, or an address every new device code is signed in as at once
            (for a lesson run headless, with nobody to type the code).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        roster: Iterable[Account] | None = None,
        client_ids: Iterable[str] = (DEMO_CLIENT_ID,),
        tenants: Iterable[str] = ("consumers", "organizations", "common"),
        interval: int = 1,
        code_lifetime: int = 900,
        token_lifetime: int = 3600,
        auto_sign_in: str | None = None,
    ) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be 0 (any free port) or 1-65535, got {port}")
        if interval < 0 or code_lifetime < 0 or token_lifetime < 0:
            raise ValueError("interval, code_lifetime and token_lifetime cannot be negative")
        self.host = host
        self.port = port
        self.roster: list[Account] = list(default_roster() if roster is None else roster)
        self.client_ids = frozenset(client_ids)
        self.tenants = frozenset(t.lower() for t in tenants)
        self.interval = interval
        self.code_lifetime = code_lifetime
        self.token_lifetime = token_lifetime
        self.auto_sign_in = auto_sign_in
        self._state = _State()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._tls: TlsMaterial | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False

    # --- what tests and lessons read --------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def authority(self, tenant: str = "consumers") -> str:
        """The authority URL to give MSAL (`https://127.0.0.1:PORT/consumers`)."""
        return f"{self.base_url}/{tenant}"

    @property
    def ca_file(self) -> str:
        """Path of the PEM CA file that verifies the stand-in's certificate (after `start()`)."""
        if self._tls is None:
            raise RuntimeError("the CA file is made by start(); call start() first")
        return str(self._tls.ca_file)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stopped

    @property
    def requests(self) -> list[IdentityRequest]:
        """Every request answered so far, in order."""
        with self._lock:
            return list(self._state.requests)

    def pending_codes(self) -> list[str]:
        """The user codes waiting for a sign-in, oldest first."""
        with self._lock:
            return [
                f.user_code
                for f in self._state.flows.values()
                if f.outcome == Outcome.PENDING and not f.redeemed
            ]

    def wait_for_code(self, timeout: float = 10.0) -> str:
        """Block until a device code is waiting for a sign-in; return its user code."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                codes = [
                    f.user_code
                    for f in self._state.flows.values()
                    if f.outcome == Outcome.PENDING and not f.redeemed
                ]
                if codes:
                    return codes[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no device code was asked for within {timeout:g} s")
                self._changed.wait(left)

    def access_token_for(self, address: str) -> str:
        """The access token a sign-in as `address` yields (a roster token, or an unknown one)."""
        account = next(
            (a for a in self.roster if address.casefold() in {x.casefold() for x in a.addresses}),
            None,
        )
        if account is not None and account.oauth_tokens:
            return account.oauth_tokens[0]
        digest = hashlib.sha256(address.casefold().encode()).hexdigest()[:24]
        return f"EwB-standin-token-unknown-{digest}"

    # --- what the user does at the sign-in page ---------------------------------------------

    def sign_in(self, user_code: str, address: str, *, after_polls: int = 0) -> None:
        """The user enters `user_code` and signs in as `address` (and consents).

        Args:
            after_polls: answer `authorization_pending` to this many more polls first, so a
                test sees the client keep polling.
        """
        self._decide(user_code, Outcome.SIGNED_IN, address, after_polls)

    def decline(self, user_code: str, *, after_polls: int = 0) -> None:
        """The user enters the code, then refuses the permissions the app asks for."""
        self._decide(user_code, Outcome.DECLINED, None, after_polls)

    def expire(self, user_code: str, *, after_polls: int = 0) -> None:
        """The code runs out before anyone enters it (Microsoft gives 15 minutes)."""
        self._decide(user_code, Outcome.EXPIRED, None, after_polls)

    def withhold_consent(self, user_code: str, address: str, *, after_polls: int = 0) -> None:
        """The user signs in, but consent to the scope is missing (an admin must grant it)."""
        self._decide(user_code, Outcome.CONSENT_MISSING, address, after_polls)

    def revoke_refresh_tokens(self, address: str | None = None) -> int:
        """Revoke the refresh tokens issued (for one address, or all); returns how many."""
        with self._lock:
            gone = [
                rt
                for rt, (addr, _c, _s) in self._state.refresh_tokens.items()
                if address is None or addr.casefold() == address.casefold()
            ]
            for rt in gone:
                del self._state.refresh_tokens[rt]
            return len(gone)

    def _decide(self, user_code: str, outcome: str, address: str | None, after_polls: int) -> None:
        with self._changed:
            flow = next(
                (f for f in self._state.flows.values() if f.user_code == user_code.strip()), None
            )
            if flow is None:
                raise KeyError(f"no device code with the user code {user_code!r}")
            flow.outcome, flow.address, flow.pending_polls_left = outcome, address, after_polls
            self._changed.notify_all()

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> IdentityStandIn:
        """Serve in a background thread; returns self."""
        if self._stopped:
            raise RuntimeError("a stopped IdentityStandIn cannot be restarted; create a new one")
        if self._thread is not None:
            return self
        self._tls = make_tls()
        try:
            server = _Server((self.host, self.port), _Handler, self, self._tls.context)
        except OSError as error:
            self._tls.remove()
            raise OSError(
                error.errno,
                f"the identity stand-in cannot listen on {self.host}:{self.port} "
                f"({error.strerror}); choose another port, or port=0 for any free one",
            ) from error
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"outlook-kit-identity:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket, join the thread, remove the CA file. Safe twice."""
        if self._stopped:
            return
        self._stopped = True
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(START_TIMEOUT_S)
        if self._tls is not None:
            self._tls.remove()

    def __enter__(self) -> IdentityStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped" if self._stopped else "not started"
        return f"<IdentityStandIn {self.base_url} {state}, {len(self.roster)} accounts>"

    # --- the endpoints ----------------------------------------------------------------------

    def _record(self, request: IdentityRequest) -> None:
        with self._changed:
            self._state.requests.append(request)
            self._changed.notify_all()

    def openid_configuration(self, tenant: str) -> tuple[int, dict[str, Any]]:
        if tenant.lower() not in self.tenants:
            self._record(IdentityRequest("openid-configuration", tenant, error="invalid_tenant"))
            return 400, _error(
                "invalid_tenant",
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant "
                "ID and are signing into the correct cloud.",
            )
        self._record(IdentityRequest("openid-configuration", tenant))
        base = f"{self.base_url}/{tenant}"
        return 200, {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "issuer": self._issuer(tenant),
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "request_uri_parameter_supported": False,
            "tenant_region_scope": None,
            "cloud_instance_name": "outlook-kit.invalid",
        }

    def devicecode(self, tenant: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        client_id, scope = form.get("client_id", ""), form.get("scope", "")

        def refuse(error: str, code: int, text: str) -> tuple[int, dict[str, Any]]:
            self._record(IdentityRequest("devicecode", tenant, client_id, None, scope, error))
            return 400, _error(error, code, text)

        if client_id not in self.client_ids:
            directory = "Microsoft Accounts" if tenant == "consumers" else "the tenant"
            return refuse(
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{directory}'. This can happen if the application has not been installed "
                "by the administrator of the tenant or consented to by any user in the "
                "tenant. You may have sent your authentication request to the wrong tenant.",
            )
        unknown = sorted(set(scope.split()) - RESERVED_SCOPES - KNOWN_SCOPES)
        if unknown or not set(scope.split()) - RESERVED_SCOPES:
            return refuse(
                "invalid_scope",
                70011,
                "The provided request must include a 'scope' input parameter. The provided "
                f"value for the input parameter 'scope' is not valid. The scope {scope} is "
                "not valid.",
            )
        user_code = _user_code()
        device_code = "DAQABIQEAAAD" + secrets.token_urlsafe(48)
        flow = _DeviceFlow(
            user_code, device_code, client_id, tenant, scope, time.time() + self.code_lifetime
        )
        if self.auto_sign_in:
            flow.outcome, flow.address = Outcome.SIGNED_IN, self.auto_sign_in
        with self._changed:
            self._state.flows[device_code] = flow
        self._record(IdentityRequest("devicecode", tenant, client_id, None, scope))
        link = f"{self.base_url}{VERIFICATION_PATH}"
        return 200, {
            "user_code": user_code,
            "device_code": device_code,
            "verification_uri": link,
            "expires_in": self.code_lifetime,
            "interval": self.interval,
            "message": f"To sign in, use a web browser to open the page {link} and enter the "
            f"code {user_code} to authenticate.",
        }

    def token(self, tenant: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant = form.get("grant_type", "")
        if grant == DEVICE_GRANT:
            return self._device_grant(tenant, form)
        if grant == "refresh_token":
            return self._refresh_grant(tenant, form)
        self._record(
            IdentityRequest(
                "token", tenant, form.get("client_id"), grant, None, "unsupported_grant_type"
            )
        )
        return 400, _error(
            "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
        )

    def _device_grant(self, tenant: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        client_id, scope = form.get("client_id", ""), form.get("scope", "")
        outcome = Outcome.PENDING
        with self._changed:
            flow = self._state.flows.get(form.get("device_code", ""))
            if flow is not None:
                flow.polls += 1
                if flow.pending_polls_left > 0 and flow.outcome != Outcome.PENDING:
                    flow.pending_polls_left -= 1
                    outcome = Outcome.PENDING
                else:
                    outcome = flow.outcome
                if flow.redeemed or time.time() > flow.expires_at:
                    outcome = Outcome.EXPIRED
        record = IdentityRequest("token", tenant, client_id, "device_code", scope)

        def refuse(error: str, code: int | None, text: str) -> tuple[int, dict[str, Any]]:
            self._record(IdentityRequest("token", tenant, client_id, "device_code", scope, error))
            return 400, _error(error, code, text)

        if flow is None or flow.client_id != client_id:
            return refuse(
                "bad_verification_code",
                70019,
                "The provided value for the input parameter 'device_code' is not valid.",
            )
        if outcome == Outcome.PENDING:
            return refuse(
                "authorization_pending",
                70016,
                "The provided request has not yet been authorized by the user. The user "
                "must input their code.",
            )
        if outcome == Outcome.DECLINED:
            return refuse(
                "authorization_declined", None, "The end user denied the authorization request."
            )
        if outcome == Outcome.EXPIRED:
            return refuse(
                "expired_token",
                70020,
                "The provided value for the input parameter 'device_code' is not valid. This "
                "device code has expired.",
            )
        assert flow.address is not None
        if outcome == Outcome.CONSENT_MISSING:
            status, body = refuse(
                "invalid_grant",
                65001,
                "The user or administrator has not consented to use the application with ID "
                f"'{client_id}'. Send an interactive authorization request for this user and "
                "resource.",
            )
            body["suberror"] = "consent_required"
            return status, body
        with self._changed:
            flow.redeemed = True
        self._record(record)
        return 200, self._tokens(tenant, client_id, flow.scope, flow.address)

    def _refresh_grant(self, tenant: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        client_id, scope = form.get("client_id", ""), form.get("scope", "")
        with self._lock:
            issued = self._state.refresh_tokens.pop(form.get("refresh_token", ""), None)
        if issued is None or issued[1] != client_id:
            self._record(
                IdentityRequest("token", tenant, client_id, "refresh_token", scope, "invalid_grant")
            )
            return 400, _error(
                "invalid_grant",
                70008,
                "The provided authorization code or refresh token has expired due to "
                "inactivity. Send a new interactive authorization request for this user "
                "and resource.",
            )
        address, _client, granted = issued
        self._record(IdentityRequest("token", tenant, client_id, "refresh_token", scope))
        return 200, self._tokens(tenant, client_id, granted, address)

    def _tokens(self, tenant: str, client_id: str, scope: str, address: str) -> dict[str, Any]:
        granted = " ".join(s for s in scope.split() if s not in RESERVED_SCOPES)
        refresh_token = "M.C5-standin-refresh-" + secrets.token_urlsafe(32)
        with self._lock:
            self._state.refresh_tokens[refresh_token] = (address, client_id, scope)
        tid = self._tenant_id(tenant)
        oid = str(uuid.uuid5(uuid.NAMESPACE_URL, "outlook-kit:" + address.casefold()))
        now = int(time.time())
        claims = {
            "ver": "2.0",
            "iss": self._issuer(tenant),
            "sub": hashlib.sha256(address.casefold().encode()).hexdigest()[:43],
            "aud": client_id,
            "exp": now + 3600,
            "iat": now,
            "nbf": now,
            "name": address.split("@", 1)[0],
            "preferred_username": address,
            "oid": oid,
            "tid": tid,
        }
        client_info = {"uid": oid, "utid": tid}
        return {
            "token_type": "Bearer",
            "scope": granted,
            "expires_in": self.token_lifetime,
            "ext_expires_in": self.token_lifetime,
            "access_token": self.access_token_for(address),
            "refresh_token": refresh_token,
            "id_token": _unsigned_jwt(claims),
            "client_info": _b64url(json.dumps(client_info).encode()),
        }

    def _tenant_id(self, tenant: str) -> str:
        return CONSUMERS_TENANT_ID if tenant.lower() == "consumers" else ORGANIZATION_TENANT_ID

    def _issuer(self, tenant: str) -> str:
        return f"{self.base_url}/{self._tenant_id(tenant)}/v2.0"


# --- HTTP plumbing ------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        standin: IdentityStandIn,
        context: ssl.SSLContext,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.standin = standin
        self.context = context
        super().__init__(address, handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake happens in the connection's own thread, never in the accept loop.
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as error:
            log.info("identity stand-in: TLS handshake failed: %s", error)
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            with contextlib.suppress(OSError):
                tls.close()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "outlook-kit-identity-standin"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        # Only the method and the path: no query, no body (the bodies carry the codes).
        log.debug("identity stand-in: %s %s", self.command, urlsplit(self.path).path)

    def _send(self, status: int, body: dict[str, Any] | str) -> None:
        is_text = isinstance(body, str)
        data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
        self.send_response(status)
        kind = "text/plain" if is_text else "application/json"
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store, no-cache")
        self.end_headers()
        self.wfile.write(data)

    def _parts(self) -> list[str]:
        return [p for p in urlsplit(self.path).path.split("/") if p]

    def do_GET(self) -> None:
        parts = self._parts()
        standin = self.server.standin
        if parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            self._send(*standin.openid_configuration(parts[0]))
        elif "/" + "/".join(parts) == VERIFICATION_PATH:
            self._send(
                200,
                "outlook-kit identity stand-in: this is not Microsoft, and there is nothing to "
                "type here. The lesson signs in for you (IdentityStandIn.sign_in).\n",
            )
        else:
            self._send(404, {"error": "not_found"})

    def do_POST(self) -> None:
        parts = self._parts()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        standin = self.server.standin
        if len(parts) == 4 and parts[1:3] == ["oauth2", "v2.0"]:
            if parts[3] == "devicecode":
                self._send(*standin.devicecode(parts[0], form))
                return
            if parts[3] == "token":
                self._send(*standin.token(parts[0], form))
                return
        self._send(404, {"error": "not_found"})


def _error(error: str, code: int | None, text: str) -> dict[str, Any]:
    trace, correlation = uuid.uuid4(), uuid.uuid4()
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    prefix = f"AADSTS{code}: " if code is not None else ""
    body: dict[str, Any] = {
        "error": error,
        "error_description": f"{prefix}{text}\r\nTrace ID: {trace}\r\n"
        f"Correlation ID: {correlation}\r\nTimestamp: {stamp}",
        "error_codes": [code] if code is not None else [],
        "timestamp": stamp,
        "trace_id": str(trace),
        "correlation_id": str(correlation),
    }
    return body


def _user_code() -> str:
    alphabet = string.ascii_uppercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(9))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unsigned_jwt(claims: dict[str, Any]) -> str:
    header = _b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64url(json.dumps(claims).encode())}."
