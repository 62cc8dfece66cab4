"""Many accounts at once: which are closest to their cap."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def fleet_ranking(daily: pd.DataFrame) -> pd.DataFrame:
    """Accounts ranked by how much of their cap they use, the closest to it first.

    Args:
        daily: `daily_volume(...)` output (recipients, cap_assumed, max_rolling_24h per day).

    Returns:
        One row per account: rank, days_active, recipients, peak_day_recipients,
        peak_share (the busiest 24 hours, or day where the rolling maximum was not
        computed, as a share of the cap for the account's age), mean_share (over active
        days), days_above_80 (days at 80% of the cap or more), cap_hits.
    """
    import pandas as pd

    if daily.empty:
        return pd.DataFrame(
            columns=[
                "rank", "account", "days_active", "recipients", "peak_day_recipients",
                "peak_share", "mean_share", "days_above_80", "cap_hits",
            ]
        )  # fmt: skip
    frame = daily.copy()
    cap = frame["cap_assumed"].astype(float)
    peak = frame["max_rolling_24h"].astype("Float64").fillna(frame["recipients"].astype(float))
    frame["peak_share_day"] = peak.astype(float) / cap
    frame["share_day"] = frame["recipients"] / cap
    frame["active"] = frame["recipients"] > 0
    frame["above_80"] = frame["peak_share_day"] >= 0.8
    grouped = frame.groupby("account", observed=True)
    out = pd.DataFrame(
        {
            "days_active": grouped["active"].sum(),
            "recipients": grouped["recipients"].sum(),
            "peak_day_recipients": grouped["recipients"].max(),
            "peak_share": grouped["peak_share_day"].max(),
            "mean_share": frame[frame["active"]]
            .groupby("account", observed=True)["share_day"]
            .mean(),
            "days_above_80": grouped["above_80"].sum().astype("int64"),
            "cap_hits": grouped["cap_hits"].sum(),
        }
    ).fillna({"mean_share": 0.0})
    out = out.reset_index().sort_values(
        ["peak_share", "mean_share", "account"], ascending=[False, False, True], ignore_index=True
    )
    out.insert(0, "rank", range(1, len(out) + 1))
    out["account"] = out["account"].astype(str)
    return out
