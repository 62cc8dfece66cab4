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
from .analysis import (
    Analysis,
    analyze,
    cap_hits,
    daily_volume,
    first_time_recipients,
    fleet_ranking,
    headroom,
    pauses,
    rolling_24h,
)
from .bundle import support_bundle
from .caps import CapEstimate, CapModel, infer_cap
from .diagnosis import Category, Confidence, Context, Diagnosis, diagnose
from .errors import (
    AddressError,
    ClientIdError,
    ConsentDeclinedError,
    DeviceCodeExpiredError,
    HeaderError,
    IdentityUnreachableError,
    OutlookKitError,
    ScopeError,
    SecretError,
    SettingsError,
    SignInCancelledError,
    SignInError,
    SignInRequiredError,
    TenantError,
    TokenCacheError,
    UsageError,
)
from .message import TestMessage
from .plots import plot_cap_by_age, plot_daily_volume, plot_fleet
from .probe import ProbeReport, StageResult, Timeouts, probe
from .protocol import Reply, Stage
from .secret import Redactor, Secret
from .sendlog import (
    LoadReport,
    SendLog,
    SendLogError,
    append_to_log,
    load_sample_log,
    load_send_log,
    log_record,
)
from .verdict import SignInVerdict, VerdictKind, signin_verdict

__all__ = [
    "AccountSettings",
    "AddressError",
    "Analysis",
    "CapEstimate",
    "CapModel",
    "Category",
    "ClientIdError",
    "Confidence",
    "ConsentDeclinedError",
    "Context",
    "Credentials",
    "DeviceCode",
    "DeviceCodeExpiredError",
    "Diagnosis",
    "EnvironmentToken",
    "HeaderError",
    "IdentityUnreachableError",
    "LoadReport",
    "MicrosoftIdentity",
    "OutlookKitError",
    "ProbeReport",
    "Provider",
    "Redactor",
    "Reply",
    "ScopeError",
    "Secret",
    "SecretError",
    "SecretKind",
    "SendLog",
    "SendLogError",
    "SettingsError",
    "SignInCancelledError",
    "SignInError",
    "SignInRequiredError",
    "SignInVerdict",
    "Simulator",
    "SmtpSettings",
    "Stage",
    "StageResult",
    "StaticToken",
    "TenantError",
    "TestMessage",
    "Timeouts",
    "TlsMode",
    "TokenCacheError",
    "TokenCacheFile",
    "TokenProvider",
    "UsageError",
    "VerdictKind",
    "analyze",
    "append_to_log",
    "cap_hits",
    "daily_volume",
    "diagnose",
    "explain_xoauth2_refusal",
    "first_time_recipients",
    "fleet_ranking",
    "headroom",
    "infer_cap",
    "load_sample_log",
    "load_send_log",
    "log_record",
    "oauth_credentials",
    "pauses",
    "plot_cap_by_age",
    "plot_daily_volume",
    "plot_fleet",
    "probe",
    "rolling_24h",
    "settings_for",
    "signin_verdict",
    "support_bundle",
    "validate_address",
]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from .oauth import (
        DeviceCode,
        EnvironmentToken,
        MicrosoftIdentity,
        StaticToken,
        TokenCacheFile,
        TokenProvider,
        explain_xoauth2_refusal,
        oauth_credentials,
    )
    from .simulator import Simulator

# OAuth2 (MSAL, requests) loads only when one of its names is asked for.
_OAUTH_NAMES = frozenset(
    {
        "DeviceCode",
        "EnvironmentToken",
        "MicrosoftIdentity",
        "StaticToken",
        "TokenCacheFile",
        "TokenProvider",
        "explain_xoauth2_refusal",
        "oauth_credentials",
    }
)


def __getattr__(name: str) -> Any:
    # The simulator (aiosmtpd, certificates) loads only when asked for.
    if name == "Simulator":
        from .simulator import Simulator

        return Simulator
    if name in _OAUTH_NAMES:
        from . import oauth

        return getattr(oauth, name)
    raise AttributeError(f"module 'outlook_kit' has no attribute {name!r}")
