"""The token provider seam: where the probe's OAuth2 access token comes from.

A `TokenProvider` is anything with `get_token(address) -> Secret`. The kit has three:
`StaticToken` (a ready access token), `EnvironmentToken` (one read from an environment
variable when needed) and `MicrosoftIdentity` (MSAL's device-code flow, with a private
cache). The probe itself takes `Credentials`; build them from a provider first:

    credentials = await oauth_credentials(provider, "you@outlook.com")   # async code
    credentials = Credentials.oauth_token(address, provider.get_token(address))   # sync

`get_token` is synchronous on purpose: MSAL is, and a sign-in waits for a person.
`oauth_credentials` runs it in a worker thread so an event loop (a notebook's) stays free.
"""

from __future__ import annotations

import asyncio
import os
import re
from typing import Protocol, runtime_checkable

from ..accounts import Credentials, validate_address
from ..errors import SecretError, UsageError
from ..secret import Secret

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@runtime_checkable
class TokenProvider(Protocol):
    """Gives an OAuth2 access token for an address. May block (a sign-in waits for a person)."""

    def get_token(self, address: str) -> Secret:
        """An access token for SMTP as `address`; raises a SignInError when there is none."""
        ...


class StaticToken:
    """A ready access token (from another tool, or a lesson's roster)."""

    def __init__(self, token: str | Secret) -> None:
        secret = Secret(token)
        if not secret.reveal().strip():
            raise SecretError("the OAuth2 access token is empty")
        self._token = Secret(secret.reveal().strip())

    def get_token(self, address: str) -> Secret:
        return self._token

    def __repr__(self) -> str:
        return f"StaticToken({self._token!r})"


class EnvironmentToken:
    """An access token read from an environment variable each time it is asked for.

    The variable is read, never its value shown; a token on the command line would stay in
    the shell history and the process list, an environment variable does not.
    """

    def __init__(self, variable: str) -> None:
        if not isinstance(variable, str) or not _ENV_NAME.match(variable):
            raise UsageError(  # without echoing it: it may be the token pasted by mistake
                "that is not an environment variable name: give the variable's name "
                "(letters, digits and _, e.g. --token-env OUTLOOK_TOKEN), not the token itself"
            )
        self.variable = variable

    def get_token(self, address: str) -> Secret:
        value = os.environ.get(self.variable, "").strip()
        if not value:
            raise SecretError(
                f"the environment variable {self.variable} is empty or not set; export it "
                f"with the access token first (export {self.variable}=...)"
            )
        return Secret(value)

    def __repr__(self) -> str:
        return f"EnvironmentToken({self.variable!r})"


async def oauth_credentials(provider: TokenProvider, address: str) -> Credentials:
    """Credentials for AUTH XOAUTH2 as `address`, with a token from `provider`.

    The provider runs in a worker thread. If this coroutine is cancelled while a sign-in
    waits, the provider's `cancel()` (where it has one) ends the wait too.
    """
    address = validate_address(address)
    try:
        token = await asyncio.to_thread(provider.get_token, address)
    except asyncio.CancelledError:
        cancel = getattr(provider, "cancel", None)
        if callable(cancel):
            cancel()
        raise
    return Credentials.oauth_token(address, token)
