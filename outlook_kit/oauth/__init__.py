"""OAuth2 sign-in for SMTP (SASL XOAUTH2): token providers, Microsoft's device-code flow.

Modules: `provider` (the `TokenProvider` seam, `StaticToken`, `EnvironmentToken`,
`oauth_credentials`), `microsoft` (`MicrosoftIdentity` on MSAL: device code, silent refresh,
Microsoft's errors as the kit's), `cache` (the token cache in a 0600 file), `refusal` (why
the SMTP server refused a token). The local stand-in for Microsoft's identity endpoints is
`outlook_kit.simulator.identity.IdentityStandIn`.
"""

from .cache import TOKEN_CACHE_ENV, TokenCacheFile, default_token_cache_path
from .microsoft import (
    AUTHORITY_HOST,
    CLIENT_ID_ENV,
    SMTP_SEND_SCOPE,
    DeviceCode,
    MicrosoftIdentity,
    authority_for,
    print_device_code,
    sign_in_error,
)
from .provider import EnvironmentToken, StaticToken, TokenProvider, oauth_credentials
from .refusal import XOAuth2Refusal, explain_xoauth2_refusal

__all__ = [
    "AUTHORITY_HOST",
    "CLIENT_ID_ENV",
    "SMTP_SEND_SCOPE",
    "TOKEN_CACHE_ENV",
    "DeviceCode",
    "EnvironmentToken",
    "MicrosoftIdentity",
    "StaticToken",
    "TokenCacheFile",
    "TokenProvider",
    "XOAuth2Refusal",
    "authority_for",
    "default_token_cache_path",
    "explain_xoauth2_refusal",
    "oauth_credentials",
    "print_device_code",
    "sign_in_error",
]
