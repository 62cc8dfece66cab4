"""Charts of a send log against the daily cap: data in, `ax=None`, the Axes back.

- `plot_daily_volume`: one account's recipients per day as bars, the assumed cap for its age
  as a line, the cap inferred from the log as a band, cap hits marked, pauses shaded.
- `plot_cap_by_age`: the assumed cap against account age, with the inferred estimates and
  their intervals over it.
- `plot_fleet`: accounts by day, coloured by the share of the cap used.

Every line that is an assumption says so in the legend; titles and axes carry units.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from .analysis import Analysis

ASSUMED = "assumed cap for the account's age (model: an assumption)"
INFERRED = "cap inferred from this log (interval)"
AT_LEAST = "cap inferred from this log: at least"
HIT = "cap hit (refused for the daily limit)"
PAUSE = "pause after a cap hit"


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=(10, 4.5))
    return new


def _pick(result: Analysis, account: str | None) -> str:
    if account is not None:
        return result.account(account).account
    if not result.accounts:
        raise ValueError("the analysis has no accounts to plot")
    if len(result.fleet):
        return str(result.fleet["account"].iloc[0])  # the one closest to its cap
    return result.accounts[0].account


def plot_daily_volume(
    result: Analysis, account: str | None = None, *, ax: Axes | None = None
) -> Axes:
    """One account's recipients per day against the cap.

    Args:
        result: `analyze(...)` output.
        account: the account to draw; by default the one closest to its cap.
        ax: the Axes to draw on; a new figure's when None.

    Returns:
        The Axes: bars (recipients per day), a line (the assumed cap), a band (the
        inferred cap), markers (cap hits) and shaded spans (pauses).
    """
    import pandas as pd

    ax = _axes(ax)
    name = _pick(result, account)
    days = result.daily[result.daily["account"].astype(str) == name].sort_values("day")
    x = pd.to_datetime(days["day"]) + pd.Timedelta(hours=12)  # a day's bar spans that day
    ax.bar(x, days["recipients"], width=0.8, color="#4C72B0", label="recipients per day")
    ax.step(
        x,
        days["cap_assumed"].astype(float),
        where="mid",
        color="#DD8452",
        linestyle="--",
        label=ASSUMED,
    )
    _inferred_band(ax, result, name, days)
    hit_days = days[days["cap_hits"] > 0]
    if len(hit_days):
        ax.scatter(
            pd.to_datetime(hit_days["day"]) + pd.Timedelta(hours=12),
            hit_days["recipients"],
            marker="v",
            s=60,
            color="#C44E52",
            zorder=3,
            label=HIT,
        )
    pauses = result.pauses[result.pauses["account"] == name]
    last = pd.Timestamp(result.now) if result.now is not None else None
    for i, row in enumerate(pauses.to_dict("records")):
        start = pd.Timestamp(row["start"]).tz_convert(result.tz).tz_localize(None)
        end_value = row["end"] if not pd.isna(row["end"]) else last
        if end_value is None:
            continue
        end = pd.Timestamp(end_value).tz_convert(result.tz).tz_localize(None)
        span: Any = (start, end)  # matplotlib's stubs want floats; it takes dates
        ax.axvspan(*span, color="#C44E52", alpha=0.12, label=PAUSE if i == 0 else None)
    ax.set_title(f"Recipients per day of {name} against the daily cap")
    ax.set_ylabel("recipients per day")
    ax.set_xlabel(f"day ({result.tz})")
    _dates(ax)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax


def _dates(ax: Axes) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


def _inferred_band(ax: Axes, result: Analysis, name: str, days: pd.DataFrame) -> None:
    """The inferred cap of each age band, over the days of that band."""
    import pandas as pd

    estimates = result.estimates[result.estimates["account"] == name]
    if estimates.empty or days.empty:
        return
    age = days["age_days"].to_numpy()
    x = pd.to_datetime(days["day"]) + pd.Timedelta(hours=12)
    labelled: set[str] = set()
    for row in estimates.to_dict("records"):
        inside = (age >= row["band_start"] - 1) & (age < row["band_end"] + 1)
        if not inside.any():
            continue
        span = x[inside]
        low, high = row["low"], row["high"]
        if high is not None and high == high:
            label = INFERRED if INFERRED not in labelled else None
            labelled.add(INFERRED)
            ax.fill_between(
                [span.min() - pd.Timedelta(hours=12), span.max() + pd.Timedelta(hours=12)],
                [low, low],
                [high + 0.5, high + 0.5] if low == high else [high, high],
                color="#55A868",
                alpha=0.35,
                label=label,
            )
        elif low is not None and low == low:
            label = AT_LEAST if AT_LEAST not in labelled else "_nolegend_"
            labelled.add(AT_LEAST)
            ax.hlines(
                low,
                span.min() - pd.Timedelta(hours=12),
                span.max() + pd.Timedelta(hours=12),
                colors="#55A868",
                linestyles=":",
                label=label,
            )


def plot_cap_by_age(result: Analysis, *, ax: Axes | None = None) -> Axes:
    """The assumed cap against account age, with the caps the log shows over it.

    Args:
        result: `analyze(...)` output.
        ax: the Axes to draw on; a new figure's when None.

    Returns:
        The Axes: a step line (the model), error bars (inferred intervals, one per account
        and age band) and triangles (bands with a lower bound only).
    """
    import numpy as np

    ax = _axes(ax)
    model = result.cap_model
    estimates = result.estimates
    top = float(estimates["band_end"].max()) if len(estimates) else 365.0
    ages = np.arange(0, max(top, model.mature_after_days + 30) + 1)
    ax.step(
        ages,
        [model.cap_for_age(float(a)) for a in ages],
        where="post",
        color="#DD8452",
        linestyle="--",
        label="assumed cap by age (model: an assumption)",
    )
    bounded = estimates[estimates["high"].notna()]
    if len(bounded):
        middle = (bounded["band_start"] + bounded["band_end"]) / 2
        values = bounded["value"].astype(float)
        ax.errorbar(
            middle,
            values,
            yerr=[values - bounded["low"].astype(float), bounded["high"].astype(float) - values],
            fmt="o",
            color="#55A868",
            capsize=4,
            label="inferred from the log (interval)",
        )
    lower = estimates[estimates["high"].isna() & estimates["low"].notna()]
    if len(lower):
        ax.scatter(
            (lower["band_start"] + lower["band_end"]) / 2,
            lower["low"].astype(float),
            marker="^",
            color="#8172B3",
            label="inferred: at least (no refusal in that band)",
        )
    ax.set_title("Daily cap by account age: the model and what the log shows")
    ax.set_xlabel("account age (days; from its creation, or its first send where unknown)")
    ax.set_ylabel("recipients per day")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_fleet(data: Analysis | pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Accounts by day, coloured by the share of the assumed cap used (closest to it on top).

    Args:
        data: `analyze(...)` output, or a `daily_volume(...)` frame.
        ax: the Axes to draw on; a new figure's when None.

    Returns:
        The Axes with one image: rows are accounts (ranked by peak share), columns are days,
        values the day's share of the cap (the rolling 24-hour maximum where computed, else
        the day's recipients, over the assumed cap for the account's age).
    """
    import matplotlib.dates as mdates
    import numpy as np
    import pandas as pd

    from .analysis import fleet_ranking

    daily = data if isinstance(data, pd.DataFrame) else data.daily
    ax = _axes(ax)
    order = fleet_ranking(daily)["account"].tolist()
    frame = daily.copy()
    frame["account"] = frame["account"].astype(str)
    peak = frame["max_rolling_24h"].astype("Float64").fillna(frame["recipients"].astype(float))
    frame["share"] = peak.astype(float) / frame["cap_assumed"].astype(float)
    grid = frame.pivot_table(index="account", columns="day", values="share", aggfunc="max")
    grid = grid.reindex(order)
    if len(grid.columns):
        full = pd.date_range(grid.columns.min(), grid.columns.max(), freq="D")
        grid = grid.reindex(columns=full)
    values = grid.to_numpy(dtype=float)
    first = float(mdates.date2num(grid.columns.min())) if len(grid.columns) else 0.0  # type: ignore[no-untyped-call]
    extent: Any = (first - 0.5, first + values.shape[1] - 0.5, len(order) - 0.5, -0.5)
    image = ax.imshow(
        np.ma.masked_invalid(values),
        aspect="auto",
        interpolation="nearest",
        cmap="viridis",
        vmin=0.0,
        vmax=max(1.0, float(np.nanmax(values)) if values.size else 1.0),
        extent=extent,
    )
    ax.figure.colorbar(image, ax=ax, label="share of the daily cap used (cap assumed by age)")
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels(order if len(order) <= 40 else [""] * len(order), fontsize="small")
    ax.xaxis_date()
    _dates(ax)
    ax.set_title("Fleet: share of the assumed daily cap used, per account and day")
    ax.set_xlabel("day")
    ax.set_ylabel("account (closest to its cap first)")
    return ax
