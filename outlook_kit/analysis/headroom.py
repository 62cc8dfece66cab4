"""Room left under the cap now, a forecast of when the cap will be met, first-time recipients.

Headroom is the cap (inferred from the log where it shows one, else the model's for the
account's age) less the recipients accepted in the last 24 hours. The forecast carries the
last 7 days' daily average forward along the last 28 days' trend. Microsoft also limits
first-time (non-relationship) recipients separately: 1,000 a day for subscribers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..caps import OUTLOOK_COM, CapModel
from ..sendlog.load import connect_recipients
from ._common import WINDOW_SQL, Created, LogLike, age_days, check_tz, level
from .volume import Passes

if TYPE_CHECKING:
    import pandas as pd

NON_RELATIONSHIP_LIMIT = 1000
"""Microsoft's published first-time recipients a day for Microsoft 365 subscribers."""
PACE_DAYS = 7
TREND_DAYS = 28
HORIZON_DAYS = 365
"""The forecast looks a year ahead at most."""
WARNINGS = (0.8, 0.9, 1.0)


def headroom(
    log: LogLike,
    *,
    now: datetime | None = None,
    cap_model: CapModel | None = None,
    created: Created | None = None,
    estimates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per account: the cap now, recipients in the last 24 hours, the room left, a forecast.

    Args:
        log: a SendLog or a normalised frame.
        now: the moment to measure at (UTC); the log's last event by default.
        cap_model: the assumed cap of an Outlook.com account by age; `CapModel()` by default
            (a Microsoft 365 account's is `caps.MICROSOFT_365`).
        created: account -> creation date; the first send in the log when missing.
        estimates: `infer_cap` output; the cap inferred for the current age band is used
            where it has an upper bound, else the model's.

    Returns:
        account, now, age_days, cap_now, cap_basis ("inferred"; "at least (log)" where the
        log shows more than the model without a refusal; "assumed"), used_24h,
        headroom_now, share_now, level ("ok", "above 80%", "above 90%", "at cap"),
        paused_until, pace_per_day, trend_per_day, reaches_80, reaches_90, reaches_cap
        (the dates the forecast meets 80%, 90% and 100% of the cap; NaT if not within a
        year).
    """
    passes = Passes(log, cap_model=cap_model or OUTLOOK_COM, created=created, rolling="near_cap")
    return headroom_from(passes, now=now, estimates=estimates)


def headroom_from(
    passes: Passes, *, now: datetime | None = None, estimates: pd.DataFrame | None = None
) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    groups = passes.groups
    if groups.empty:
        return pd.DataFrame()
    moment = pd.Timestamp(now) if now is not None else groups["last_time"].max()
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    used = passes.con.execute(
        f"""SELECT account, coalesce(sum(n_recipients) FILTER (status = 'sent'
              AND time > CAST(? AS TIMESTAMPTZ) - {WINDOW_SQL}
              AND time <= CAST(? AS TIMESTAMPTZ)), 0) AS used_24h
        FROM log GROUP BY account""",
        [moment.to_pydatetime(), moment.to_pydatetime()],
    ).fetchdf()
    used["account"] = used["account"].astype(str)
    out = used.sort_values("account", ignore_index=True)
    out["now"] = moment
    out["age_days"] = age_days(pd.Series([moment] * len(out)), passes.born, out["account"])
    assumed = passes.caps_assumed(out["account"], out["age_days"]).astype("int64").to_numpy()
    inferred, low = _current(estimates, out)
    caps = np.where(~np.isnan(inferred), inferred, np.where(low > assumed, low, assumed))
    basis = np.where(
        ~np.isnan(inferred), "inferred", np.where(low > assumed, "at least (log)", "assumed")
    )
    caps = caps.astype("int64")
    out["cap_now"] = caps
    out["cap_basis"] = basis
    out["used_24h"] = out["used_24h"].astype("int64")
    out["headroom_now"] = out["cap_now"] - out["used_24h"]
    out["share_now"] = out["used_24h"] / out["cap_now"]
    out["level"] = [level(s) for s in out["share_now"]]
    out["paused_until"] = _paused_until(passes, moment, out["account"])
    forecast = _forecast(passes, moment, out.set_index("account")["cap_now"])
    out = out.merge(forecast, on="account", how="left")
    for name in ("reaches_80", "reaches_90", "reaches_cap"):
        out[name] = pd.to_datetime(out[name], utc=True)
    out["pace_per_day"] = out["pace_per_day"].astype(float).fillna(0.0)
    out["trend_per_day"] = out["trend_per_day"].astype(float).fillna(0.0)
    result: pd.DataFrame = out[
        [
            "account", "now", "age_days", "cap_now", "cap_basis", "used_24h", "headroom_now",
            "share_now", "level", "paused_until", "pace_per_day", "trend_per_day",
            "reaches_80", "reaches_90", "reaches_cap",
        ]
    ]  # fmt: skip
    return result


def _current(estimates: pd.DataFrame | None, out: pd.DataFrame) -> tuple[Any, Any]:
    """Per row of `out` (account, age_days): the inferred cap of the age band holding that
    age (NaN where the band shows no refusal), and the band's lower bound (-1 where none);
    for all accounts at once."""
    import numpy as np

    none = np.full(len(out), np.nan), np.full(len(out), -1.0)
    if estimates is None or estimates.empty:
        return none
    bands = estimates[["account", "band_start", "value", "low", "high"]].assign(
        account=estimates["account"].astype(str)
    )
    here = bands.merge(out[["account", "age_days"]], on="account")
    here = here[here["band_start"] <= here["age_days"]]
    if here.empty:
        return none
    current = here.sort_values(["account", "band_start"]).drop_duplicates("account", keep="last")
    current = current.set_index("account").reindex(out["account"])
    value = current["value"].astype(float).where(current["high"].notna())
    return value.to_numpy(), current["low"].astype(float).fillna(-1.0).to_numpy()


def _paused_until(passes: Passes, moment: Any, accounts: pd.Series) -> Any:
    """When each account's pause ends, for an account whose last events are cap hits."""
    import pandas as pd

    from .events import pauses_from

    pauses = pauses_from(passes)
    hours = passes.cap_model.pause_hours
    begun = pauses[pauses["start"] <= moment]
    if begun.empty:
        return pd.Series(pd.NaT, index=range(len(accounts)), dtype="datetime64[ns, UTC]").array
    last = begun.assign(account=begun["account"].astype(str)).drop_duplicates(
        "account", keep="last"
    )
    until = last["start"] + timedelta(hours=hours)
    still = last["end"].isna() | (last["end"] > moment)
    ends = until.where(still & (until > moment))
    return ends.set_axis(last["account"]).reindex(accounts.astype(str)).array


def _forecast(passes: Passes, moment: Any, caps: pd.Series) -> pd.DataFrame:
    """Daily pace (last 7 days), trend (last 28 days), and when they meet 80/90/100%.

    All accounts at once: their last 28 days as the rows of one matrix, the pace its last
    7 columns' mean, the trend each row's least-squares slope."""
    import numpy as np
    import pandas as pd

    days = passes.utc_days()
    today = moment.normalize()
    names = [str(a) for a in days["account"].cat.categories]
    recent = np.zeros((len(names), TREND_DAYS))
    back = ((today - days["utc_start"]) // pd.Timedelta(days=1)).to_numpy()
    inside = (back >= 0) & (back < TREND_DAYS)
    code = days["account"].cat.codes.to_numpy()
    recent[code[inside], TREND_DAYS - 1 - back[inside]] = days["recipients"].to_numpy()[inside]
    pace = recent[:, -PACE_DAYS:].mean(axis=1)
    x = np.arange(TREND_DAYS, dtype=float) - (TREND_DAYS - 1) / 2
    slope = recent @ x / (x @ x)  # np.polyfit's slope, for every row at once
    cap = caps.reindex(names).to_numpy(dtype=float)
    out = pd.DataFrame({"account": names, "pace_per_day": pace, "trend_per_day": slope})
    for share, column in zip(WARNINGS, ("reaches_80", "reaches_90", "reaches_cap"), strict=True):
        target = share * cap
        with np.errstate(divide="ignore", invalid="ignore"):
            ahead = np.ceil(np.round((target - pace) / slope, 6))
        rising = (slope > 0) & (ahead <= HORIZON_DAYS)  # else not within a year at this trend
        when = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us, UTC]")
        when[rising] = today + pd.to_timedelta(ahead[rising], unit="D")
        when[pace >= target] = today
        out[column] = when
    return out


def first_time_recipients(log: LogLike, *, tz: str = "UTC") -> pd.DataFrame:
    """Per account and day: recipients mailed that day, and those mailed for the first time.

    Microsoft limits first-time (non-relationship) recipients separately from the daily
    cap: 1,000 a day for Microsoft 365 subscribers. "First time" means first in this log,
    so the log's first day counts everyone.

    Returns:
        account, day, distinct_recipients, first_time_recipients, share_of_limit (of 1,000).
    """
    tz_sql = check_tz(tz).replace("'", "''")
    address = r"[^\s;,<>\"']+@[^\s;,<>\"']+"
    frame = (
        connect_recipients(log)
        .execute(
            f"""WITH r AS (
          SELECT account, time, unnest(regexp_extract_all(lower(recipients), ?)) AS rcpt
          FROM log WHERE status = 'sent' AND recipients IS NOT NULL
        ), seen AS (
          SELECT account, rcpt, min(time) AS first_time FROM r GROUP BY ALL
        ), per_day AS (
          SELECT account, CAST(timezone('{tz_sql}', time) AS DATE) AS day,
            count(DISTINCT rcpt) AS distinct_recipients FROM r GROUP BY ALL
        ), first_day AS (
          SELECT account, CAST(timezone('{tz_sql}', first_time) AS DATE) AS day,
            count(*) AS first_time_recipients FROM seen GROUP BY ALL
        )
        SELECT p.account, p.day, p.distinct_recipients,
          coalesce(f.first_time_recipients, 0) AS first_time_recipients
        FROM per_day p LEFT JOIN first_day f USING (account, day)
        ORDER BY p.account, p.day""",
            [address],
        )
        .fetchdf()
    )
    import pandas as pd

    frame["day"] = pd.to_datetime(frame["day"])
    frame["account"] = frame["account"].astype("category")
    frame["first_time_recipients"] = frame["first_time_recipients"].astype("int64")
    frame["distinct_recipients"] = frame["distinct_recipients"].astype("int64")
    frame["share_of_limit"] = frame["first_time_recipients"] / NON_RELATIONSHIP_LIMIT
    result: pd.DataFrame = frame
    return result
