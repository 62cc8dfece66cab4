"""outlook-kit: send through Outlook.com SMTP, find out exactly why it does not, and see
from a send log whether the account is running into its daily cap.

The public surface; the implementation lives in the modules behind it. Each name loads its
module on first use (PEP 562), so `outlook-kit diagnose` or `probe` never pays for pandas,
DuckDB, the simulator or MSAL.
"""

import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from .bundle import (
        support_bundle,
    )
    from .caps import (
        CapEstimate,
        CapModel,
        infer_cap,
    )
    from .diagnosis import (
        Category,
        Confidence,
        Context,
        Diagnosis,
        diagnose,
    )
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
    from .message import (
        TestMessage,
    )
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
    from .plots import (
        plot_cap_by_age,
        plot_daily_volume,
        plot_fleet,
    )
    from .probe import (
        ProbeReport,
        StageResult,
        Timeouts,
        probe,
    )
    from .protocol import (
        Reply,
        Stage,
    )
    from .secret import (
        Redactor,
        Secret,
    )
    from .sendlog import (
        LoadReport,
        SendLog,
        SendLogError,
        append_to_log,
        load_sample_log,
        load_send_log,
        log_record,
    )
    from .simulator import (
        Simulator,
    )
    from .verdict import (
        SignInVerdict,
        VerdictKind,
        signin_verdict,
    )

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

# the module behind each public name
_MODULES = {
    "accounts": (
        "AccountSettings",
        "Credentials",
        "Provider",
        "SecretKind",
        "SmtpSettings",
        "TlsMode",
        "settings_for",
        "validate_address",
    ),
    "analysis": (
        "Analysis",
        "analyze",
        "cap_hits",
        "daily_volume",
        "first_time_recipients",
        "fleet_ranking",
        "headroom",
        "pauses",
        "rolling_24h",
    ),
    "bundle": ("support_bundle",),
    "caps": (
        "CapEstimate",
        "CapModel",
        "infer_cap",
    ),
    "diagnosis": (
        "Category",
        "Confidence",
        "Context",
        "Diagnosis",
        "diagnose",
    ),
    "errors": (
        "AddressError",
        "ClientIdError",
        "ConsentDeclinedError",
        "DeviceCodeExpiredError",
        "HeaderError",
        "IdentityUnreachableError",
        "OutlookKitError",
        "ScopeError",
        "SecretError",
        "SettingsError",
        "SignInCancelledError",
        "SignInError",
        "SignInRequiredError",
        "TenantError",
        "TokenCacheError",
        "UsageError",
    ),
    "message": ("TestMessage",),
    "oauth": (
        "DeviceCode",
        "EnvironmentToken",
        "MicrosoftIdentity",
        "StaticToken",
        "TokenCacheFile",
        "TokenProvider",
        "explain_xoauth2_refusal",
        "oauth_credentials",
    ),
    "plots": (
        "plot_cap_by_age",
        "plot_daily_volume",
        "plot_fleet",
    ),
    "probe": (
        "ProbeReport",
        "StageResult",
        "Timeouts",
        "probe",
    ),
    "protocol": (
        "Reply",
        "Stage",
    ),
    "secret": (
        "Redactor",
        "Secret",
    ),
    "sendlog": (
        "LoadReport",
        "SendLog",
        "SendLogError",
        "append_to_log",
        "load_sample_log",
        "load_send_log",
        "log_record",
    ),
    "simulator": ("Simulator",),
    "verdict": (
        "SignInVerdict",
        "VerdictKind",
        "signin_verdict",
    ),
}
_WHERE = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'outlook_kit' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # the next look-up is a plain one
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


class _Package(types.ModuleType):
    """The package module: importing a submodule never hides the public name it shares
    (`outlook_kit.probe`, the function, and the module `outlook_kit.probe` behind it: the
    import system would set the module as the package's attribute once anything imports it,
    and `from outlook_kit import probe` would then give the module)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _WHERE:
            return  # the submodule stays in sys.modules; the attribute is the public name
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
