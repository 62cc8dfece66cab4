"""What every analysis shares: the log as a DuckDB view, what counts as a cap hit, ages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ..caps import CapModel
from ..sendlog.engine import valid_timezone
from ..sendlog.load import SendLog, connect_log

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

LogLike = SendLog | Any  # a SendLog, or a normalised pandas DataFrame
Created = Mapping[str, date | datetime | str]

WINDOW_SQL = "INTERVAL '86399999999 microseconds'"
"""24 hours less a microsecond: the window (t - 24 h, t], as the simulator counts it."""

LEVELS = ((1.0, "at cap"), (0.9, "above 90%"), (0.8, "above 80%"))
"""The warning levels of the share of the cap used, highest first."""


@dataclass
class Opened:
    """A log registered as view `log` in a fresh connection."""

    con: duckdb.DuckDBPyConnection
    distinct_messages: bool  # rows are per recipient (Postfix, message trace): count message ids


def open_log(log: LogLike) -> Opened:
    """Register the log (a SendLog or a normalised frame) as view `log` in a new connection."""
    con = connect_log(log)
    frame = log.data if isinstance(log, SendLog) else log
    if frame is not None:
        ids = frame["message_id"] if "message_id" in frame.columns else None
        distinct = bool(ids is not None and ids.notna().any() and ids.duplicated().any())
    else:
        distinct = False
    return Opened(con, distinct)


def check_tz(tz: str) -> str:
    return valid_timezone(tz)


def messages_sql(distinct: bool) -> str:
    if distinct:
        return (
            "count(DISTINCT message_id) FILTER (status = 'sent') "
            "+ count(*) FILTER (status = 'sent' AND message_id IS NULL)"
        )
    return "count(*) FILTER (status = 'sent')"


def created_times(created: Created | None, first_sends: pd.Series) -> pd.Series:
    """Each account's creation time (UTC): as given, else its first send in the log."""
    import pandas as pd

    out = first_sends.copy()
    for account, value in (created or {}).items():
        key = account.strip().lower()
        if key in out.index:
            stamp = pd.Timestamp(value)
            out[key] = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return out


def age_days(times: pd.Series, created: pd.Series, accounts: pd.Series) -> pd.Series:
    """The account's age in days at each time (never negative)."""
    import pandas as pd

    codes, names = pd.factorize(accounts)  # a few accounts over many rows: look each up once
    born = created.reindex(pd.Index(names).astype(str)).array.take(codes)
    born = pd.Series(born, index=times.index)
    born = born.astype(times.dtype) if len(born) else born
    return ((times - born).dt.total_seconds() / 86400.0).clip(lower=0.0)


def model_caps(model: CapModel, ages: pd.Series) -> pd.Series:
    import pandas as pd

    return pd.Series(model.caps_array(ages.astype(float).to_numpy()), index=ages.index).astype(
        "Int64"
    )


def level(share: float | None) -> str:
    """'at cap', 'above 90%', 'above 80%' or 'ok' for a share of the cap used."""
    if share is None or share != share:
        return "ok"
    for threshold, name in LEVELS:
        if share >= threshold:
            return name
    return "ok"
