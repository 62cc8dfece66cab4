"""The kit's exceptions: one tree, raised for mistakes a caller can fix.

Failures of the far side (a refused login, a silent server, a bad certificate) are
findings recorded in a `ProbeReport`, never exceptions. What is raised is a caller's
mistake, at once, with the fix in the message::

    OutlookKitError
    ├── UsageError (also a ValueError)
    │   ├── AddressError     a malformed email address
    │   ├── SettingsError    a host, port or TLS mode that cannot work (port 465 for Outlook.com)
    │   ├── SecretError      an empty password or token
    │   ├── HeaderError      CR or LF inside a header value
    │   └── TokenCacheError  a token cache file others could read, or that is not a cache
    └── SignInError          Microsoft's OAuth2 sign-in gave no token; `.fix` says what to do
        ├── ClientIdError            the client id is unknown, or its app cannot use device codes
        ├── TenantError              the tenant in the authority does not exist
        ├── ScopeError               the scope is invalid, or consent to it is missing
        ├── ConsentDeclinedError     the user refused the permissions at the sign-in page
        ├── DeviceCodeExpiredError   the code was not entered in time
        ├── SignInRequiredError      no saved sign-in (or it was revoked), and no one to ask
        ├── SignInCancelledError     the wait for the sign-in was cancelled
        └── IdentityUnreachableError the identity endpoints could not be reached

The OAuth2 sign-in (`outlook_kit.oauth`) raises where it gives no token: without one there
is nothing to probe. A token that the SMTP server refuses (`535 5.7.3` after AUTH XOAUTH2,
e.g. a token for another account) is not raised: it is a finding in the probe's report.
"""

from __future__ import annotations


class OutlookKitError(Exception):
    """Base of every exception the kit raises on purpose."""


class UsageError(OutlookKitError, ValueError):
    """The caller gave something that cannot work; the message says how to fix it."""


class AddressError(UsageError):
    """A malformed email address."""


class SettingsError(UsageError):
    """Connection settings that cannot work with the server they name."""


class SecretError(UsageError):
    """An unusable secret (empty, or of the wrong kind for the call)."""


class HeaderError(UsageError):
    """A header value that would break the message (CR or LF inside it)."""


class TokenCacheError(UsageError):
    """A token cache file that others could read, or that is not a token cache."""


class SignInError(OutlookKitError):
    """Microsoft's sign-in (OAuth2) gave no token. The message names the cause and the fix.

    Attributes:
        error: the OAuth2 error code the identity platform answered (`invalid_scope`), if any.
        aadsts: the AADSTS number in its answer (700016), if any.
        fix: what to do, in words for the user.
    """

    def __init__(
        self, message: str, *, fix: str = "", error: str | None = None, aadsts: int | None = None
    ) -> None:
        super().__init__(f"{message} Fix: {fix}" if fix else message)
        self.reason = message
        self.fix = fix
        self.error = error
        self.aadsts = aadsts


class ClientIdError(SignInError):
    """The client id is unknown (AADSTS700016), or its app cannot use the device-code flow."""


class TenantError(SignInError):
    """The tenant named in the authority does not exist (AADSTS90002)."""


class ScopeError(SignInError):
    """The scope is invalid (invalid_scope, AADSTS70011), or consent to it is missing (65001)."""


class ConsentDeclinedError(SignInError):
    """The user refused the permissions at the sign-in page (authorization_declined)."""


class DeviceCodeExpiredError(SignInError):
    """The code was not entered in time (expired_token / code_expired, AADSTS70020)."""


class SignInRequiredError(SignInError):
    """No saved sign-in for the address (or its refresh token was revoked), and no one to ask."""


class SignInCancelledError(SignInError):
    """The wait for the user to sign in was cancelled."""


class IdentityUnreachableError(SignInError):
    """The identity endpoints could not be reached (network, proxy, TLS interception)."""
