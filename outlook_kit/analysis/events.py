"""Cap hits, the pauses after them, and the evidence the cap inference reads.

A cap hit is a send refused for the daily limit: diagnosed `daily_limit_reached`, or the
guide's `550 5.4.1 Recipient address rejected: Access denied` where it is not the
recipient's side (`AS(201806281)` marks the recipient's domain refusing an address).
A pause runs from the first hit after an accepted send to the next accepted send; the
refusals inside it are the account retrying while paused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..caps import OUTLOOK_COM, CapModel
from ._common import Created, LogLike
from .volume import Passes

if TYPE_CHECKING:
    import pandas as pd

PAUSE_TOLERANCE = 0.1
"""A pause within 10% of the model's pause hours is "about" that long."""


def cap_hits(log: LogLike) -> pd.DataFrame:
    """Every send refused for the daily cap, with the rolling count at that moment.

    Returns:
        account, time, recipients_24h (accepted recipients in the 24 hours before),
        recipients_today_utc (since 00:00 UTC), n_recipients (of the refused message),
        first_in_pause (the hit that started a pause), code, enhanced, stage, category,
        text, source, line.
    """
    return hits_from(Passes(log, rolling="near_cap"))


def hits_from(passes: Passes) -> pd.DataFrame:
    columns = [
        "account", "time", "recipients_24h", "recipients_today_utc", "n_recipients",
        "first_in_pause", "code", "enhanced", "stage", "category", "text", "source", "line",
    ]  # fmt: skip
    hits: pd.DataFrame = passes.hits[columns].reset_index(drop=True)
    return hits


def pauses(log: LogLike, *, cap_model: CapModel | None = None) -> pd.DataFrame:
    """The pauses: from the first cap hit after an accepted send to the next accepted send.

    Returns:
        account, start (the first hit), last_refusal (the last hit before sending worked
        again), end (the next accepted send; NaT while still paused at the end of the log),
        hours (start to end), min_hours (start to the last refusal: the pause lasted at
        least this), refusals, and vs_guide: how the pause compares with the model's
        `pause_hours` (the guide's ~24 hours): "about", "shorter" (sending worked again
        sooner), "longer" (refused after it), "later" (the account only tried again
        later, which does not contradict it) or "open" (no accepted send after it).
    """
    return pauses_from(Passes(log, rolling="near_cap", cap_model=cap_model or OUTLOOK_COM))


def pauses_from(passes: Passes) -> pd.DataFrame:
    import pandas as pd

    columns = [
        "account", "start", "last_refusal", "end", "hours", "min_hours", "refusals", "vs_guide",
    ]  # fmt: skip
    hits = passes.hits
    if hits.empty:
        return pd.DataFrame(columns=columns)
    hits = hits.assign(pause=hits["first_in_pause"].astype(int).groupby(hits["account"]).cumsum())
    out = hits.groupby(["account", "pause"], as_index=False).agg(
        start=("time", "min"),
        last_refusal=("time", "max"),
        refusals=("time", "size"),
        end=("next_send", "first"),
    )
    out["hours"] = (out["end"] - out["start"]).dt.total_seconds() / 3600.0
    out["min_hours"] = (out["last_refusal"] - out["start"]).dt.total_seconds() / 3600.0
    guide = passes.cap_model.pause_hours
    out["vs_guide"] = [
        _versus(hours, least, guide)
        for hours, least in zip(out["hours"], out["min_hours"], strict=True)
    ]
    result: pd.DataFrame = out[columns].sort_values(["account", "start"], ignore_index=True)
    return result


def _versus(hours: float, least: float, guide: float) -> str:
    """How a pause compares with the guide's pause length (`CapModel.pause_hours`)."""
    if hours != hours:  # NaN: no accepted send after it in the log
        return "open"
    longer, shorter = guide * (1 + PAUSE_TOLERANCE), guide * (1 - PAUSE_TOLERANCE)
    if hours < shorter:
        return "shorter"  # sending worked again before the guide's pause was over
    if least > longer:
        return "longer"  # refused even after the guide's pause was over
    if hours <= longer:
        return "about"
    return "later"  # sending resumed later; nothing was refused after the guide's pause


def cap_evidence(log: LogLike, *, created: Created | None = None) -> pd.DataFrame:
    """The bounds on the cap the log shows, one row per piece of evidence.

    Accepted sends bound the cap from below (their count under each window model; one row
    per account and UTC day, its highest); the first refusal of each pause bounds it from
    above. Every UTC day's total bounds it from below too (under both models), so days the
    rolling pass skipped still count.

    Returns:
        account, time, kind ("accepted" or "hit"), n_recipients, rolling_24h, midnight_utc;
        `outlook_kit.caps.infer_cap` reads it.
    """
    return evidence_from(Passes(log, rolling="near_cap", created=created))


def evidence_from(passes: Passes) -> pd.DataFrame:
    import pandas as pd

    columns = ["account", "time", "kind", "n_recipients", "rolling_24h", "midnight_utc"]
    maxima = passes.day_maxima.dropna(subset=["max_rolling_24h"])
    accepted = pd.DataFrame(
        {
            "account": maxima["account"],
            "time": maxima["last_time"],
            "kind": "accepted",
            "n_recipients": 0,
            "rolling_24h": maxima["max_rolling_24h"],
            "midnight_utc": 0,  # the day's total (below) is its midnight bound
        }
    )
    days = passes.utc_days()
    days = days[days["recipients"] > 0]
    totals = pd.DataFrame(
        {
            "account": days["account"],
            "time": days["last_time"],
            "kind": "accepted",
            "n_recipients": 0,
            "rolling_24h": days["recipients"],
            "midnight_utc": days["recipients"],
        }
    )
    hits = passes.hits
    first = hits[hits["first_in_pause"]]
    refused = pd.DataFrame(
        {
            "account": first["account"],
            "time": first["time"],
            "kind": "hit",
            "n_recipients": first["n_recipients"],
            "rolling_24h": first["recipients_24h"],
            "midnight_utc": first["recipients_today_utc"],
        }
    )
    frames = [
        f[columns].assign(
            time=pd.to_datetime(f["time"], utc=True).dt.tz_convert("UTC").dt.as_unit("us")
        )
        for f in (accepted, totals, refused)
        if len(f)
    ]  # one time dtype: frames of unlike dtypes would be concatenated as objects
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)
    # one categorical over pass 1's accounts: sorting and grouping by its codes, not by text
    categories = passes.groups["account"].cat.categories
    out["account"] = pd.Categorical(out["account"].astype(str), categories=categories)
    for name in ("n_recipients", "rolling_24h", "midnight_utc"):
        out[name] = out[name].astype("int64")
    result: pd.DataFrame = out.sort_values(["account", "time"], ignore_index=True)
    return result
