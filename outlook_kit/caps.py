"""The daily sending cap as a function of account age: an assumption with visible parameters.

Microsoft publishes no cap for free Outlook.com accounts. The setup guide the kit
teaches says about 300 messages a day for a new account, growing as the account ages
and earns reputation, with more after six months of steady sending. Microsoft's
published figure for Microsoft 365 subscribers (5,000 recipients a day) is the
ceiling. Limits count recipients, not messages. The simulator and the log analysis
share this model, so the cap a learner meets in practice is the curve the charts draw.

Microsoft 365 mailboxes (work and school accounts, `smtp.office365.com`) have published
limits of their own: 10,000 recipients a day and 30 messages a minute per mailbox
(Exchange Online limits), whatever the account's age: `MICROSOFT_365`.

The best estimate of a real account's cap is the one its own log shows: `infer_cap` bounds
it from below by every accepted send and from above by every refusal at the cap, per age
band, under a rolling 24-hour window and under a reset at midnight UTC, and says which of
the two explains the log better.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

ASSUMPTION_LABEL = (
    "assumed cap (setup guide's ~300/day for new accounts, growing with age; "
    "Microsoft publishes no figure for free accounts)"
)


@dataclass(frozen=True)
class CapModel:
    """Daily recipient cap by account age; every parameter can be overridden.

    Attributes:
        new_account_cap: recipients a day for an account younger than one growth step.
        growth_per_step: recipients added for each full step of account age.
        step_days: the length of one growth step in days.
        mature_after_days: from this age on the account counts as established.
        mature_cap: the cap of an established account (the guide's "more after 6 months").
        ceiling: the cap never exceeds this (Microsoft's published 5,000 for subscribers).
        window_hours: the window the cap applies over (rolling; Microsoft does not publish it).
        pause_hours: how long sending pauses after the cap is met (the guide: about 24 hours).
    """

    new_account_cap: int = 300
    growth_per_step: int = 50
    step_days: int = 30
    mature_after_days: int = 182
    mature_cap: int = 1000
    ceiling: int = 5000
    window_hours: float = 24.0
    pause_hours: float = 24.0
    label: str = ASSUMPTION_LABEL
    messages_per_minute: int | None = None  # a published rate limit, where there is one

    def __post_init__(self) -> None:
        for name in ("new_account_cap", "step_days", "ceiling"):
            if getattr(self, name) <= 0:
                raise ValueError(f"CapModel.{name} must be positive, got {getattr(self, name)}")
        if self.growth_per_step < 0 or self.mature_after_days < 0 or self.mature_cap < 0:
            raise ValueError("CapModel growth, maturity age and mature cap cannot be negative")
        if self.window_hours <= 0 or self.pause_hours < 0:
            raise ValueError("CapModel.window_hours must be positive and pause_hours not negative")

    def cap_for_age(self, age_days: float) -> int:
        """The daily recipient cap for an account `age_days` old."""
        if age_days < 0:
            raise ValueError(f"account age cannot be negative ({age_days} days)")
        grown = self.new_account_cap + self.growth_per_step * int(age_days // self.step_days)
        if age_days >= self.mature_after_days:
            grown = max(grown, self.mature_cap)
        return min(grown, self.ceiling)

    def caps_for_ages(self, ages_days: Sequence[float]) -> list[int]:
        """`cap_for_age` of many ages at once (vectorised; the same rule)."""
        return [int(c) for c in self.caps_array(ages_days)]

    def caps_array(self, ages_days: Any) -> Any:
        """`caps_for_ages` as a numpy array (for a fleet's millions of account-days)."""
        import numpy as np

        ages = np.asarray(ages_days, dtype=float)
        if ages.size and np.nanmin(ages) < 0:
            raise ValueError(f"account age cannot be negative ({np.nanmin(ages)} days)")
        grown = self.new_account_cap + self.growth_per_step * np.floor(ages / self.step_days)
        grown = np.where(ages >= self.mature_after_days, np.maximum(grown, self.mature_cap), grown)
        return np.minimum(grown, self.ceiling).astype(np.int64)

    def breakpoints(self, until_days: float) -> list[float]:
        """The ages (days) up to `until_days` where the cap changes, starting with 0."""
        if until_days < 0:
            raise ValueError(f"account age cannot be negative ({until_days} days)")
        points = {0.0}
        step = 1
        while step * self.step_days <= until_days:
            points.add(float(step * self.step_days))
            step += 1
        if self.mature_after_days <= until_days:
            points.add(float(self.mature_after_days))
        ordered = sorted(points)
        # keep only the points where the cap really changes
        out = [ordered[0]]
        for age in ordered[1:]:
            if self.cap_for_age(age) != self.cap_for_age(out[-1]):
                out.append(age)
        return out


MICROSOFT_365_LABEL = (
    "Microsoft 365's published limits: 10,000 recipients a day and 30 messages a minute "
    "per mailbox (Exchange Online limits), whatever the account's age"
)

OUTLOOK_COM = CapModel()
"""Outlook.com / Hotmail / Live / MSN: the guide's figures (the default model)."""

MICROSOFT_365 = CapModel(
    new_account_cap=10_000,
    growth_per_step=0,
    mature_after_days=0,
    mature_cap=10_000,
    ceiling=10_000,
    label=MICROSOFT_365_LABEL,
    messages_per_minute=30,
)
"""A Microsoft 365 mailbox: the published Exchange Online sending limits."""


# --- inference: the cap the log itself shows -------------------------------------------------

WINDOWS = ("rolling_24h", "midnight_utc")
"""The two ways the cap window could work: a rolling 24 hours, or a reset at 00:00 UTC."""

UNDETERMINED = "undetermined"


@dataclass(frozen=True)
class CapEstimate:
    """The cap one account's log shows, over one age band, under the better window.

    The cap lies in [low, high]: every accepted send shows the cap is at least the count
    it brought the window to; every first refusal at the cap shows it is at most the count
    at that moment plus the refused message's recipients, minus one.

    Attributes:
        account: the account.
        band_start, band_end: the account ages (days) the estimate covers.
        low: the cap is at least this (None with no accepted send).
        high: the cap is at most this (None with no refusal at the cap).
        value: the estimate (the middle of [low, high]); None without a refusal.
        window: "rolling_24h", "midnight_utc", "either" (both explain the log equally) or
            "undetermined" (no refusal at the cap to tell them apart).
        contradictions: per window, the fewest log events that window cannot explain.
        accepted: accepted sends used; hits: first refusals at the cap used.
    """

    account: str
    band_start: float
    band_end: float
    low: int | None
    high: int | None
    value: int | None
    window: str
    contradictions: tuple[tuple[str, int], ...] = ()
    accepted: int = 0
    hits: int = 0

    def contains(self, cap: int) -> bool:
        """True when `cap` lies in the estimate's interval."""
        return (self.low is None or self.low <= cap) and (self.high is None or cap <= self.high)

    def to_dict(self) -> dict[str, Any]:
        """{value, low, high, window}, as `outlook-kit analyze --json` prints it."""
        return {"value": self.value, "low": self.low, "high": self.high, "window": self.window}

    @property
    def short(self) -> str:
        """A table cell: `551 (550-553)`, `>=781`, or `?`."""
        if self.high is None:
            return f">={self.low:,}" if self.low is not None else "?"
        if self.low == self.high or self.low is None:
            return f"{self.high:,}"
        return f"{self.value:,} ({self.low:,}-{self.high:,})"

    def __str__(self) -> str:
        if self.high is None:
            return f"at least {self.low} ({self.window})" if self.low is not None else "unknown"
        if self.low == self.high:
            return f"{self.high} ({self.window})"
        return f"{self.value} (between {self.low} and {self.high}, {self.window})"


def bound_interval(
    lower: Sequence[float], upper: Sequence[float]
) -> tuple[int, int | None, int | None]:
    """The fewest bounds violated by any cap, and the interval of caps that violate that few.

    Args:
        lower: counts the cap is at least (accepted sends).
        upper: counts the cap is at most (first refusals).

    Returns:
        (violations, low, high); high is None without upper bounds, low None without lower.
    """
    import numpy as np

    lo = np.sort(np.asarray(lower, dtype=float))
    hi = np.sort(np.asarray(upper, dtype=float))
    if len(hi) == 0:
        return 0, (int(lo[-1]) if len(lo) else None), None
    if len(lo) == 0:
        return 0, None, int(hi[0])
    candidates = np.unique(np.concatenate([lo, hi]))
    above = len(lo) - np.searchsorted(lo, candidates, side="right")  # lower bounds > C
    below = np.searchsorted(hi, candidates, side="left")  # upper bounds < C
    violations = above + below
    best = int(violations.min())
    chosen = candidates[violations == best]
    return best, int(chosen.min()), int(chosen.max())


def infer_cap(
    evidence: pd.DataFrame,
    *,
    model: CapModel | Mapping[str, CapModel] | None = None,
    created: Mapping[str, Any] | pd.Series | None = None,
) -> pd.DataFrame:
    """Cap estimates per account and age band from the log's own evidence.

    Args:
        evidence: one row per accepted send and per first refusal at the cap, with columns
            account, time, kind ("accepted" or "hit"), n_recipients, and the count under
            each window: rolling_24h and midnight_utc (the accepted recipients in the window
            including an accepted send itself, before a refusal).
            `outlook_kit.analysis.cap_evidence` builds it.
        model: where the age bands break (the cap model's steps), or account -> its model;
            `CapModel()` by default (and for an account the mapping does not name).
        created: account -> creation time (or date), or a Series of UTC times by account;
            the first send when missing.

    Returns:
        One row per account and band: account, band_start, band_end (ages in days), low,
        high, value, window, contradictions_rolling_24h, contradictions_midnight_utc,
        accepted, hits, and `estimate` (the CapEstimate).
    """
    import numpy as np
    import pandas as pd

    models = model if isinstance(model, Mapping) else {}
    default = model if isinstance(model, CapModel) else OUTLOOK_COM
    columns = [
        "account", "band_start", "band_end", "low", "high", "value", "window",
        "contradictions_rolling_24h", "contradictions_midnight_utc", "accepted", "hits",
        "estimate",
    ]  # fmt: skip
    if len(evidence) == 0:
        return pd.DataFrame([], columns=columns)
    accounts = evidence["account"]
    if not isinstance(accounts.dtype, pd.CategoricalDtype):  # group and sort by codes
        accounts = accounts.astype(str).astype("category")
    ev = evidence.assign(account=accounts).reset_index(drop=True)
    codes_in = ev["account"].cat.codes.to_numpy()
    times_in = ev["time"].to_numpy(dtype="datetime64[us]")  # not Timestamp objects
    ordered = len(ev) < 2 or bool(
        (
            (codes_in[1:] > codes_in[:-1])
            | ((codes_in[1:] == codes_in[:-1]) & (times_in[1:] >= times_in[:-1]))
        ).all()
    )
    if not ordered:  # (`cap_evidence` gives them in this order already)
        ev = ev.sort_values(["account", "time"], kind="stable", ignore_index=True)
    first = ev.groupby("account", sort=False, observed=True)["time"].transform("min")
    names = ev["account"].cat.categories.astype(str)
    code_of_row = ev["account"].cat.codes.to_numpy()
    given = (
        created  # a Series of times already (the analysis's creation times)
        if isinstance(created, pd.Series)
        else pd.to_datetime(pd.Series(dict(created or {}), dtype=object), utc=True)
    )
    if len(given):  # each account's creation time, looked up once per account
        known = pd.Series(given.to_numpy(dtype="datetime64[us]"), index=given.index.astype(str))
        per_account = known.reindex(names).to_numpy()  # naive UTC microseconds: no objects
        born = pd.Series(per_account[code_of_row], index=ev.index).dt.tz_localize("UTC")
        born = born.dt.tz_convert(first.dt.tz).dt.as_unit(first.dt.unit).fillna(first)
    else:
        born = first
    ages = np.maximum((ev["time"] - born).dt.total_seconds().to_numpy() / 86400.0, 0.0)
    oldest = pd.Series(ages).groupby(code_of_row).transform("max").to_numpy()
    # each account's bands: its model's breakpoints up to its oldest age (a prefix of the
    # model's breakpoints up to the oldest age of all), found for all rows of a model at once
    band = np.zeros(len(ev), dtype=np.int64)
    start = np.zeros(len(ev))
    end = np.zeros(len(ev))
    model_codes, chosen_models = pd.factorize(pd.Series([models.get(a, default) for a in names]))
    codes = model_codes[code_of_row]
    for code, chosen in enumerate(chosen_models):
        rows_of = codes == code
        edges = np.asarray(chosen.breakpoints(float(ages[rows_of].max())))
        index = np.searchsorted(edges, ages[rows_of], side="right") - 1
        band[rows_of] = index
        start[rows_of] = edges[index]
        following = np.append(edges, np.inf)[index + 1]
        end[rows_of] = np.where(following <= oldest[rows_of], following, np.ceil(oldest[rows_of]))
    ev["band"], ev["band_start"], ev["band_end"] = band, start, end
    ev["hit"] = (ev["kind"] == "hit").to_numpy()
    ev["accepted"] = (ev["kind"] == "accepted").to_numpy()
    keys = ["account", "band"]
    summary = ev.groupby(keys, sort=True, observed=True).agg(
        band_start=("band_start", "first"),
        band_end=("band_end", "first"),
        accepted=("accepted", "sum"),
        hits=("hit", "sum"),
    )
    rows: list[dict[str, Any]] = []
    parts: list[pd.DataFrame] = []
    quiet = summary[summary["hits"] == 0]  # no refusal at the cap: the cap is at least the most
    if len(quiet):  # column by column: a fleet of small accounts has one such band each
        most = (
            ev[ev["accepted"]].groupby(keys, observed=True)[WINDOWS[0]].max().reindex(quiet.index)
        )
        lows = [None if low != low else int(low) for low in most.tolist()]
        names_of = [str(a) for a in quiet.index.get_level_values(0)]
        nothing = tuple((w, 0) for w in WINDOWS)
        starts, ends = quiet["band_start"].tolist(), quiet["band_end"].tolist()
        accepted_counts = quiet["accepted"].tolist()
        parts.append(
            pd.DataFrame(
                {
                    "account": names_of, "band_start": starts, "band_end": ends, "low": lows,
                    "high": None, "value": None, "window": UNDETERMINED,
                    "contradictions_rolling_24h": 0, "contradictions_midnight_utc": 0,
                    "accepted": accepted_counts, "hits": 0,
                    "estimate": [
                        CapEstimate(a, float(s0), float(e0), low, None, None, UNDETERMINED,
                                    nothing, int(c), 0)
                        for a, s0, e0, low, c in zip(names_of, starts, ends, lows, accepted_counts,
                                                     strict=True)
                    ],
                }
            )
        )  # fmt: skip
    busy = ev[ev.set_index(keys).index.isin(summary.index[summary["hits"] > 0])]
    if len(busy):  # refusals at the cap: the fewest contradictions, band by band
        hits, oks = busy["hit"].to_numpy(), busy["accepted"].to_numpy()
        k = busy["n_recipients"].to_numpy(dtype=float)
        counts = {w: busy[w].to_numpy(dtype=float) for w in WINDOWS}
        for group, at in busy.groupby(keys, sort=True, observed=True).indices.items():
            account = group[0]  # type: ignore[index]
            first_row = at[0]
            lower = {w: counts[w][at][oks[at]] for w in WINDOWS}
            upper = {w: counts[w][at][hits[at]] + k[at][hits[at]] - 1 for w in WINDOWS}
            bounds = float(start[busy.index[first_row]]), float(end[busy.index[first_row]])
            rows.append(_estimate(str(account), *bounds, lower, upper))
    parts.append(pd.DataFrame(rows, columns=columns))
    frame = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else pd.DataFrame([], columns=columns)
    )
    return frame[columns].sort_values(["account", "band_start"], ignore_index=True)


def _row(estimate: CapEstimate) -> dict[str, Any]:
    """An estimate as a row of `infer_cap`'s frame."""
    counts = dict(estimate.contradictions)
    return {
        "account": estimate.account,
        "band_start": estimate.band_start,
        "band_end": estimate.band_end,
        "low": estimate.low,
        "high": estimate.high,
        "value": estimate.value,
        "window": estimate.window,
        "contradictions_rolling_24h": counts[WINDOWS[0]],
        "contradictions_midnight_utc": counts[WINDOWS[1]],
        "accepted": estimate.accepted,
        "hits": estimate.hits,
        "estimate": estimate,
    }


def account_windows(estimates: pd.DataFrame) -> dict[str, str]:
    """Per account, the window that explains all its bands' refusals better (fewest events
    contradicting it in total): "rolling_24h", "midnight_utc", "either" or "undetermined"."""
    import numpy as np

    if estimates.empty:
        return {}
    sums = estimates.groupby("account", sort=True)[
        ["hits", "contradictions_rolling_24h", "contradictions_midnight_utc"]
    ].sum()
    rolling = sums["contradictions_rolling_24h"]
    midnight = sums["contradictions_midnight_utc"]
    window = np.where(
        sums["hits"] == 0,
        UNDETERMINED,
        np.where(rolling == midnight, "either", np.where(rolling < midnight, *WINDOWS)),
    )
    return dict(zip(sums.index.astype(str), window.tolist(), strict=True))


def _estimate(
    account: str, start: float, end: float, lower: dict[str, Any], upper: dict[str, Any]
) -> dict[str, Any]:
    """One band's estimate from its bounds under each window: the accepted counts (the cap
    is at least each) and the refusals' counts (the cap is below each)."""
    results = {w: bound_interval(lower[w].tolist(), upper[w].tolist()) for w in WINDOWS}
    accepted, hits = len(lower[WINDOWS[0]]), len(upper[WINDOWS[0]])
    if hits == 0:
        window = UNDETERMINED
    else:
        rolling, midnight = (results[w][0] for w in WINDOWS)
        window = (
            "either" if rolling == midnight else WINDOWS[0] if rolling < midnight else WINDOWS[1]
        )
    chosen = results[WINDOWS[1] if window == WINDOWS[1] else WINDOWS[0]]
    _, low, high = chosen
    if low is not None and high is not None and low > high:  # the bounds cross: a contradiction
        low, high = high, low
    value = (low + high) // 2 if low is not None and high is not None else None
    estimate = CapEstimate(
        account=account,
        band_start=start,
        band_end=end,
        low=low,
        high=high,
        value=value,
        window=window,
        contradictions=tuple((w, results[w][0]) for w in WINDOWS),
        accepted=accepted,
        hits=hits,
    )
    return _row(estimate)
