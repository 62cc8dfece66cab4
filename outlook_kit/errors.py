"""The kit's exceptions: one tree, raised for mistakes a caller can fix.

Failures of the far side (a refused login, a silent server, a bad certificate) are
findings recorded in a `ProbeReport`, never exceptions. What is raised is a caller's
mistake, at once, with the fix in the message::

    OutlookKitError
    └── UsageError (also a ValueError)
        ├── AddressError     a malformed email address
        ├── SettingsError    a host, port or TLS mode that cannot work (port 465 for Outlook.com)
        ├── SecretError      an empty password or token
        └── HeaderError      CR or LF inside a header value
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
