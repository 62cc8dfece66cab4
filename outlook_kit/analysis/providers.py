"""Which service each account of a log sends through, and so which cap model applies.

An `@outlook.com`, `@hotmail.*`, `@live.*` or `@msn.com` account is Outlook.com's, whatever
relay it used (a personal account may sign in at `smtp.office365.com` too; its cap is still
Outlook.com's). For any other address the relay the log names decides
(`smtp.office365.com` is Microsoft 365, `smtp-mail.outlook.com` is Outlook.com), then the
kind of export (a message trace is Microsoft 365's).
An account none of these tells is `unknown` and gets the default model (Outlook.com's, the
lower cap: a warning comes early rather than late). All accounts at once, in one query.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..accounts import PERSONAL_DOMAIN
from ..caps import MICROSOFT_365, CapModel
from ..sendlog.normalise import quote

if TYPE_CHECKING:
    import duckdb
    import pandas as pd


class Service(enum.StrEnum):
    """The service an account's sends go through."""

    OUTLOOK_COM = "outlook_com"  # Outlook.com / Hotmail / Live / MSN (personal)
    MICROSOFT_365 = "microsoft_365"  # Exchange Online (work or school)
    OTHER = "other"  # a relay that is not Microsoft's
    UNKNOWN = "unknown"  # neither the log nor the address tells


OUTLOOK_COM_RELAYS = ("smtp-mail.outlook.com", "smtp.live.com")
MICROSOFT_365_RELAYS = (
    "smtp.office365.com",
    "outlook.office365.com",
    "smtp.office365.us",  # GCC High / DoD
    "smtp.partner.outlook.cn",  # operated by 21Vianet
)
MICROSOFT_365_SUFFIX = ".mail.protection.outlook.com"  # a tenant's MX (direct send, connectors)
# the domains `accounts.provider_of` calls personal, over the whole address (RE2 reads it)
PERSONAL_ADDRESS = "@" + PERSONAL_DOMAIN.pattern.removeprefix("^")
LOOPBACK = ("localhost", "127.0.0.1", "::1")  # the simulator: it stands in for Outlook.com


def _listed(values: Iterable[str]) -> str:
    return "[" + ", ".join(quote(v) for v in values) + "]"


def services_sql(trace_sources: Iterable[str]) -> str:
    """SQL over view `log`: per account, its usual relay and its service."""
    m365 = (
        f"list_contains({_listed(MICROSOFT_365_RELAYS)}, relay) "
        f"OR suffix(relay, {quote(MICROSOFT_365_SUFFIX)})"
    )
    traces = list(trace_sources)
    from_trace = f"list_contains({_listed(traces)}, source)" if traces else "false"
    return f"""
    SELECT account, relay,
      CASE WHEN regexp_matches(account, {quote(PERSONAL_ADDRESS)}) THEN '{Service.OUTLOOK_COM}'
           WHEN m365 THEN '{Service.MICROSOFT_365}'
           WHEN outlook THEN '{Service.OUTLOOK_COM}'
           WHEN trace THEN '{Service.MICROSOFT_365}'
           WHEN relay IS NOT NULL AND NOT list_contains({_listed(LOOPBACK)}, relay)
             THEN '{Service.OTHER}'
           ELSE '{Service.UNKNOWN}' END AS service
    FROM (
      SELECT account, mode(relay) AS relay,
        coalesce(bool_or({m365}), false) AS m365,
        coalesce(bool_or(list_contains({_listed(OUTLOOK_COM_RELAYS)}, relay)), false) AS outlook,
        coalesce(bool_or({from_trace}), false) AS trace
      FROM (
        SELECT CAST(account AS VARCHAR) AS account, CAST(relay AS VARCHAR) AS relay, source
        FROM log
      )
      GROUP BY account
    ) ORDER BY account"""


def account_services(con: duckdb.DuckDBPyConnection, trace_sources: Iterable[str]) -> pd.DataFrame:
    """account, relay (the one it used most, or None), service (a `Service` value)."""
    frame: pd.DataFrame = con.execute(services_sql(trace_sources)).fetchdf()
    frame["account"] = frame["account"].astype(str)
    return frame


def model_for(service: str, default: CapModel) -> CapModel:
    """The cap model of a service: Microsoft 365's published limits, else `default`."""
    return MICROSOFT_365 if service == Service.MICROSOFT_365 else default
