"""outlook-kit: send through Outlook.com SMTP, find out exactly why it does not, and see
from a send log whether the account is running into its daily cap.

The public surface; the implementation lives in the modules behind it.
"""

from typing import TYPE_CHECKING, Any

from .accounts import (
    AccountSettings,
    Credentials,
    Provider,
    SecretKind,
    SmtpSettings,
    TlsMode,
    settings_for,
    validate_address,
)
from .bundle import support_bundle
from .caps import CapModel
from .diagnosis import Category, Confidence, Context, Diagnosis, diagnose
from .errors import (
    AddressError,
    HeaderError,
    OutlookKitError,
    SecretError,
    SettingsError,
    UsageError,
)
from .message import TestMessage
from .probe import ProbeReport, StageResult, Timeouts, probe
from .protocol import Reply, Stage
from .secret import Redactor, Secret
from .sendlog import append_to_log, log_record
from .verdict import SignInVerdict, VerdictKind, signin_verdict

__all__ = [
    "AccountSettings",
    "AddressError",
    "CapModel",
    "Category",
    "Confidence",
    "Context",
    "Credentials",
    "Diagnosis",
    "HeaderError",
    "OutlookKitError",
    "ProbeReport",
    "Provider",
    "Redactor",
    "Reply",
    "Secret",
    "SecretError",
    "SecretKind",
    "SettingsError",
    "SignInVerdict",
    "Simulator",
    "SmtpSettings",
    "Stage",
    "StageResult",
    "TestMessage",
    "Timeouts",
    "TlsMode",
    "UsageError",
    "VerdictKind",
    "append_to_log",
    "diagnose",
    "log_record",
    "probe",
    "settings_for",
    "signin_verdict",
    "support_bundle",
    "validate_address",
]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from .simulator import Simulator


def __getattr__(name: str) -> Any:
    # The simulator (aiosmtpd, certificates) loads only when asked for.
    if name == "Simulator":
        from .simulator import Simulator

        return Simulator
    raise AttributeError(f"module 'outlook_kit' has no attribute {name!r}")
