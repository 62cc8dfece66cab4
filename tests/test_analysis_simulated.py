"""On logs the simulator writes with a known cap and pause rule, the analysis finds exactly
the hits and pauses the simulator produced, and the inferred cap contains the true cap.

The simulator sends over real SMTP on loopback, on a SimClock moved to each send's time;
its own account of every refusal at the cap (time, window count, pause end) is the truth
the analysis is held to.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from outlook_kit.analysis import analyze
from outlook_kit.caps import CapModel
from outlook_kit.sendlog import load_send_log
from outlook_kit.sendlog.sample import Generated, Habit, generate, write_samples

# A cap that starts at 20 recipients a day and grows by 10 every 5 days of age.
MODEL = CapModel(
    new_account_cap=20,
    growth_per_step=10,
    step_days=5,
    mature_after_days=10_000,
    mature_cap=0,
    pause_hours=24,
)
HABITS = (
    Habit("guide.cap@outlook.com", age_days=2, messages=9, growth=2.5, recipients=(1, 3),
          weekend=1.0, retries=2),
    Habit("quota.cap@hotmail.com", age_days=7, cap_reply="quota", messages=9, growth=2.0,
          recipients=(1, 4), weekend=1.0, retries=1),
    Habit("quiet@live.com", age_days=400, messages=3, recipients=(1, 2), unknown_share=0.3),
)  # fmt: skip
DAYS = 16


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Generated, Path]:
    generated = generate(days=DAYS, habits=HABITS, cap_model=MODEL, seed=11)
    folder = tmp_path_factory.mktemp("simulated")
    paths = write_samples(generated, folder)
    return generated, paths["sendlog"]


@pytest.fixture(scope="module")
def result(run: tuple[Generated, Path]) -> object:
    generated, path = run
    return analyze(load_send_log(path), cap_model=MODEL, created=generated.created)


def test_the_run_meets_the_cap_on_both_refusal_styles(run: tuple[Generated, Path]) -> None:
    generated, _ = run
    accounts = {e.account for e in generated.cap_refusals}
    assert accounts == {"guide.cap@outlook.com", "quota.cap@hotmail.com"}
    assert len(generated.cap_refusals) >= 10


def test_the_hits_are_exactly_the_simulators_refusals(
    run: tuple[Generated, Path], result: object
) -> None:
    generated, _ = run
    hits = result.hits  # type: ignore[attr-defined]
    found = {(a, pd.Timestamp(t)) for a, t in zip(hits["account"], hits["time"], strict=True)}
    truth = {(e.account, pd.Timestamp(e.at)) for e in generated.cap_refusals}
    assert found == truth


def test_the_rolling_count_at_each_hit_is_the_simulators_window(
    run: tuple[Generated, Path], result: object
) -> None:
    generated, _ = run
    truth = {(e.account, pd.Timestamp(e.at)): e.window_count for e in generated.cap_refusals}
    hits = result.hits  # type: ignore[attr-defined]
    for account, time, count in zip(
        hits["account"], hits["time"], hits["recipients_24h"], strict=True
    ):
        assert count == truth[(account, pd.Timestamp(time))]


def test_refusals_on_the_recipients_side_are_not_cap_hits(result: object) -> None:
    quiet = result.account("quiet@live.com")  # type: ignore[attr-defined]
    daily = result.daily  # type: ignore[attr-defined]
    mine = daily[daily["account"] == "quiet@live.com"]
    assert mine["rejections"].sum() > 0  # AS(201806281): unknown Outlook.com recipients
    assert quiet.cap_hits == () and quiet.pauses == ()


def test_the_pauses_are_exactly_the_simulators(run: tuple[Generated, Path], result: object) -> None:
    generated, _ = run
    until = {}
    for event in generated.cap_refusals:
        assert event.paused_until is not None
        until.setdefault((event.account, event.paused_until), event.at)
    starts = {(a, pd.Timestamp(u) - timedelta(hours=24)) for a, u in until}
    pauses = result.pauses  # type: ignore[attr-defined]
    found = {(a, pd.Timestamp(s)) for a, s in zip(pauses["account"], pauses["start"], strict=True)}
    assert found == starts
    for row in pauses.to_dict("records"):
        paused_until = pd.Timestamp(row["start"]) + timedelta(hours=24)
        if not pd.isna(row["end"]):
            assert row["end"] >= paused_until  # sending worked again only after the pause
            assert row["vs_guide"] in ("about", "later")
        assert row["last_refusal"] < paused_until  # every refusal fell inside the pause


def test_the_inferred_cap_contains_the_true_cap_in_every_band_with_hits(result: object) -> None:
    estimates = result.estimates  # type: ignore[attr-defined]
    bounded = estimates[estimates["hits"] > 0]
    assert len(bounded) >= 3
    for row in bounded.to_dict("records"):
        true_cap = MODEL.cap_for_age(row["band_start"])
        assert row["low"] <= true_cap <= row["high"], row
        assert row["estimate"].contains(true_cap)
        assert row["high"] - row["low"] <= 3  # at most the largest refused message, less one


def test_a_rolling_window_explains_the_simulators_log(result: object) -> None:
    for name in ("guide.cap@outlook.com", "quota.cap@hotmail.com"):
        summary = result.account(name)  # type: ignore[attr-defined]
        assert summary.inferred_cap is not None
        assert summary.inferred_cap.window in ("rolling_24h", "either")
    estimates = result.estimates  # type: ignore[attr-defined]
    assert (estimates["contradictions_rolling_24h"] == 0).all()


def test_every_accepted_send_stays_within_the_cap(result: object) -> None:
    daily = result.daily  # type: ignore[attr-defined]
    exact = daily.dropna(subset=["max_rolling_24h"])
    assert (exact["max_rolling_24h"] <= exact["cap_assumed"]).all()


def test_a_shorter_pause_than_the_guides_is_reported_as_shorter(tmp_path: Path) -> None:
    model = CapModel(new_account_cap=10, growth_per_step=0, mature_cap=0, pause_hours=6)
    habit = Habit("eager@outlook.com", age_days=1, messages=30, weekend=1.0, retries=1000,
                  hours=(0.5, 23.5))  # fmt: skip
    generated = generate(days=3, habits=(habit,), cap_model=model, seed=5)
    path = write_samples(generated, tmp_path)["sendlog"]
    result = analyze(load_send_log(path), created=generated.created)  # the guide's 24 h
    closed = result.pauses.dropna(subset=["end"])
    assert len(closed) >= 1
    # sending works again once the 6-hour pause is over and the window has room, before
    # the guide's 24 hours
    assert set(closed["vs_guide"]) == {"shorter"}
    assert (closed["hours"] < 24 * 0.9).all()
