"""Cap inference: accepted sends bound the cap from below, first refusals from above."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from outlook_kit.caps import (
    CapEstimate,
    CapModel,
    account_windows,
    bound_interval,
    infer_cap,
)


def test_consistent_bounds_give_the_interval_between_them() -> None:
    assert bound_interval([3, 10, 7], [12, 15]) == (0, 10, 12)


def test_a_contradiction_is_counted_and_the_fewest_violated_caps_kept() -> None:
    # 13 went out once; a refusal says at most 12: one of the two is wrong, and any cap
    # from 10 to 15 contradicts only one bound
    violations, low, high = bound_interval([3, 10, 13], [12, 15])
    assert violations == 1
    assert (low, high) == (10, 15)


def test_without_refusals_there_is_only_a_lower_bound() -> None:
    assert bound_interval([4, 9], []) == (0, 9, None)
    assert bound_interval([], [7]) == (0, None, 7)


def test_the_model_breaks_bands_where_the_cap_changes() -> None:
    model = CapModel()
    assert model.breakpoints(200) == [0, 30, 60, 90, 120, 150, 180, 182]
    assert [model.cap_for_age(a) for a in model.breakpoints(200)] == [
        300, 350, 400, 450, 500, 550, 600, 1000,
    ]  # fmt: skip
    flat = CapModel(new_account_cap=15, growth_per_step=0, mature_cap=0)
    assert flat.breakpoints(1000) == [0.0]


def evidence(rows: list[tuple[int, str, int, int, int]], start: datetime) -> pd.DataFrame:
    """(day, kind, n_recipients, rolling, midnight) for one account -> evidence frame."""
    return pd.DataFrame(
        [
            {
                "account": "a@outlook.com",
                "time": pd.Timestamp(start + timedelta(days=day, hours=12)),
                "kind": kind,
                "n_recipients": n,
                "rolling_24h": rolling,
                "midnight_utc": midnight,
            }
            for day, kind, n, rolling, midnight in rows
        ]
    )


def test_each_age_band_gets_its_own_estimate() -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        (2, "accepted", 0, 300, 300),
        (3, "hit", 1, 300, 300),  # band 0-30: cap 300
        (40, "accepted", 0, 348, 200),
        (41, "hit", 3, 348, 100),  # band 30-60: at most 350
    ]
    found = infer_cap(evidence(rows, created), created={"a@outlook.com": created})
    # the last band ends where the log does (41.5 days of age)
    assert found[["band_start", "band_end"]].values.tolist() == [[0, 30], [30, 42]]
    assert found[["low", "high", "value"]].values.tolist() == [[300, 300, 300], [348, 350, 349]]
    assert found["window"].tolist() == ["either", "rolling_24h"]
    estimate = found["estimate"].iloc[1]
    assert isinstance(estimate, CapEstimate)
    assert estimate.contains(350) and not estimate.contains(351)
    assert estimate.to_dict() == {"value": 349, "low": 348, "high": 350, "window": "rolling_24h"}
    assert estimate.short == "349 (348-350)"
    assert str(estimate) == "349 (between 348 and 350, rolling_24h)"


def test_a_midnight_reset_wins_when_only_it_explains_the_refusals() -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        (2, "accepted", 0, 500, 300),  # 500 in 24 h went through: a rolling cap of 300 cannot
        (3, "hit", 1, 420, 300),
    ]
    found = infer_cap(evidence(rows, created), created={"a@outlook.com": created})
    assert found["window"].tolist() == ["midnight_utc"]
    assert found[["low", "high"]].values.tolist() == [[300, 300]]
    assert found["contradictions_rolling_24h"].tolist() == [1]
    assert account_windows(found) == {"a@outlook.com": "midnight_utc"}


def test_no_refusal_means_the_window_is_undetermined() -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    found = infer_cap(evidence([(1, "accepted", 0, 40, 40)], created))
    assert found["window"].tolist() == ["undetermined"]
    estimate = found["estimate"].iloc[0]
    assert (estimate.low, estimate.high, estimate.value) == (40, None, None)
    assert estimate.short == ">=40"
    assert account_windows(found) == {"a@outlook.com": "undetermined"}


def test_an_empty_log_gives_no_estimates() -> None:
    empty = pd.DataFrame(columns=["account", "time", "kind", "n_recipients", "rolling_24h"])
    assert infer_cap(empty).empty


@pytest.mark.parametrize("age", [-1.0])
def test_breakpoints_refuse_a_negative_age(age: float) -> None:
    with pytest.raises(ValueError, match="negative"):
        CapModel().breakpoints(age)
