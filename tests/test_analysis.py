"""The analysis on small frames built by hand: values checked one by one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

from outlook_kit.analysis import (
    analyze,
    cap_evidence,
    cap_hits,
    daily_volume,
    first_time_recipients,
    fleet_ranking,
    headroom,
    pauses,
    rolling_24h,
)
from outlook_kit.caps import CapModel
from outlook_kit.sendlog import SendLogError, load_sample_log
from outlook_kit.sendlog.schema import set_dtypes

CAP = "550 5.4.1 Recipient address rejected: Access denied"


def frame(*rows: tuple[Any, ...]) -> pd.DataFrame:
    """(time, account, recipients, status[, text]) -> a normalised frame."""
    records = []
    for i, row in enumerate(rows):
        time, account, recipients, status = row[:4]
        text = row[4] if len(row) > 4 else None
        refused = status != "sent"
        records.append(
            {
                "time": pd.Timestamp(time),
                "account": account,
                "from": account,
                "recipients": tuple(recipients),
                "n_recipients": len(recipients),
                "status": status,
                "stage": "rcpt_to" if refused else "data",
                "code": int(text[:3]) if text else 250,
                "enhanced": text.split()[1] if text else "2.0.0",
                "text": text.split(" ", 2)[2] if text else "OK",
                "category": ("daily_limit_reached" if text == CAP else "unknown")
                if refused
                else None,
                "message_id": f"m{i}",
                "source": "hand",
                "line": i + 1,
            }
        )
    return set_dtypes(pd.DataFrame(records))


def r(n: int, start: int = 0) -> list[str]:
    return [f"r{start + i}@example.com" for i in range(n)]


A = "a@outlook.com"
B = "b@outlook.com"


@pytest.fixture
def log() -> pd.DataFrame:
    return frame(
        ("2026-01-05T08:00:00Z", A, r(5), "sent"),
        ("2026-01-05T20:00:00Z", A, r(4, 5), "sent"),
        ("2026-01-06T07:00:00Z", A, r(3, 9), "sent"),  # 12 in the 24 h before
        ("2026-01-06T07:30:00Z", A, r(1, 12), "rejected", CAP),  # a hit at 12
        ("2026-01-06T12:00:00Z", A, r(1, 12), "rejected", CAP),  # retried while paused
        ("2026-01-07T09:00:00Z", A, r(2, 13), "sent"),  # the pause ends
        ("2026-01-07T10:00:00Z", A, r(1, 20), "rejected", "550 5.1.10 unknown recipient"),
        ("2026-01-05T23:30:00Z", B, r(2, 30), "sent"),
        ("2026-01-06T00:30:00Z", B, r(1, 30), "sent"),  # r30 again: not a first time
    )


def test_daily_volume_counts_each_account_and_day(log: pd.DataFrame) -> None:
    daily = daily_volume(log)
    a = daily[daily["account"] == A].set_index("day")
    assert a["messages"].tolist() == [2, 1, 1]
    assert a["recipients"].tolist() == [9, 3, 2]
    assert a["rejections"].tolist() == [0, 2, 1]
    assert a["cap_hits"].tolist() == [0, 2, 0]
    # at 09:00 on the 7th the 07:00 send of the 6th is 26 hours old: out of the window
    assert a["max_rolling_24h"].tolist() == [9, 12, 2]
    assert a["rolling_bound"].tolist() == [9, 12, 5]  # the day and the day before
    assert str(daily["day"].dtype).startswith("datetime64")


def test_calendar_days_follow_the_chosen_zone(log: pd.DataFrame) -> None:
    utc = daily_volume(log)
    paris = daily_volume(log, tz="Europe/Paris")
    b_utc = utc[utc["account"] == B]["recipients"].tolist()
    b_paris = paris[paris["account"] == B]["recipients"].tolist()
    assert b_utc == [2, 1]  # 23:30 UTC on the 5th, 00:30 UTC on the 6th
    assert b_paris == [3]  # both on the 6th in Paris


def test_the_cap_assumed_follows_the_accounts_age(log: pd.DataFrame) -> None:
    created = {A: "2025-11-01", B: datetime(2026, 1, 1, tzinfo=UTC)}
    daily = daily_volume(log, created=created)
    a = daily[daily["account"] == A]
    assert a["cap_assumed"].tolist() == [400, 400, 400]  # 65-67 days: 300 + 2 x 50
    b = daily[daily["account"] == B]
    assert b["cap_assumed"].tolist() == [300, 300]
    assert a["share_of_cap"].iloc[0] == pytest.approx(9 / 400)


def test_near_cap_mode_computes_the_rolling_maximum_only_where_it_can_matter() -> None:
    quiet = frame(
        ("2026-01-05T08:00:00Z", A, r(5), "sent"),
        ("2026-01-06T08:00:00Z", A, r(5), "sent"),
        ("2026-01-05T08:00:00Z", B, r(150), "sent"),
        ("2026-01-05T20:00:00Z", B, r(120, 150), "sent"),
    )
    model = CapModel()  # 300 a day: 80% is 240
    near = daily_volume(quiet, rolling="near_cap", cap_model=model)
    every = daily_volume(quiet, rolling="all", cap_model=model)
    assert near.loc[near["account"] == A, "max_rolling_24h"].isna().all()
    assert near.loc[near["account"] == A, "rolling_bound"].tolist() == [5, 10]
    assert near.loc[near["account"] == B, "max_rolling_24h"].tolist() == [270]
    # exactly 24 hours apart: the earlier send has just left the window (t - 24 h, t]
    assert every["max_rolling_24h"].tolist() == [5, 5, 270]


def test_rolling_24h_gives_the_count_at_every_send_and_hit(log: pd.DataFrame) -> None:
    counts = rolling_24h(log)
    a = counts[counts["account"] == A]
    assert a["rolling_24h"].tolist() == [5, 9, 12, 12, 7, 2]
    assert a["midnight_utc"].tolist() == [5, 9, 3, 3, 3, 2]
    assert a["hit"].tolist() == [False, False, False, True, True, False]


def test_cap_hits_carry_the_count_at_the_hit_and_the_reply(log: pd.DataFrame) -> None:
    hits = cap_hits(log)
    assert hits["account"].tolist() == [A, A]
    assert hits["recipients_24h"].tolist() == [12, 7]
    assert hits["first_in_pause"].tolist() == [True, False]
    assert hits["code"].tolist() == [550, 550]
    assert hits["enhanced"].tolist() == ["5.4.1", "5.4.1"]
    assert hits["category"].tolist() == ["daily_limit_reached"] * 2


def test_the_guides_reply_counts_as_a_hit_even_when_undiagnosed() -> None:
    log = frame(("2026-01-05T08:00:00Z", A, r(1), "rejected", CAP))
    log["category"] = log["category"].cat.rename_categories({"daily_limit_reached": "unknown"})
    assert len(cap_hits(log)) == 1
    theirs = frame(("2026-01-05T08:00:00Z", A, r(1), "rejected", CAP + ". AS(201806281)"))
    assert len(cap_hits(theirs)) == 0  # the recipient's domain refusing an address


def test_a_pause_runs_from_the_hit_to_the_next_accepted_send(log: pd.DataFrame) -> None:
    found = pauses(log)
    assert len(found) == 1
    pause = found.iloc[0]
    assert pause["start"] == pd.Timestamp("2026-01-06T07:30:00Z")
    assert pause["last_refusal"] == pd.Timestamp("2026-01-06T12:00:00Z")
    assert pause["end"] == pd.Timestamp("2026-01-07T09:00:00Z")
    assert pause["hours"] == pytest.approx(25.5)
    assert pause["min_hours"] == pytest.approx(4.5)
    assert pause["refusals"] == 2
    assert pause["vs_guide"] == "about"


def test_the_evidence_bounds_the_cap(log: pd.DataFrame) -> None:
    evidence = cap_evidence(log)
    hits = evidence[evidence["kind"] == "hit"]
    assert hits["rolling_24h"].tolist() == [12]  # only the hit that started the pause
    accepted = evidence[(evidence["kind"] == "accepted") & (evidence["account"] == A)]
    assert accepted["rolling_24h"].max() == 12


def test_the_analysis_infers_the_cap_from_the_log(log: pd.DataFrame) -> None:
    result = analyze(log)
    a = result.account(A)
    assert a.inferred_cap is not None
    assert (a.inferred_cap.low, a.inferred_cap.high) == (12, 12)  # 12 went, the 13th did not
    assert a.max_rolling_24h_recipients == 12
    assert a.busiest_day is not None and a.busiest_day.isoformat() == "2026-01-05"
    assert [h.recipients_24h for h in a.cap_hits] == [12, 7]
    assert [p.vs_guide for p in a.pauses] == ["about"]


def test_headroom_is_the_cap_less_the_last_24_hours(log: pd.DataFrame) -> None:
    now = datetime(2026, 1, 7, 12, tzinfo=UTC)
    room = headroom(log, now=now).set_index("account")
    assert room.loc[A, "used_24h"] == 2  # 09:00 on the 7th; 07:00 on the 6th is 29 h back
    assert room.loc[A, "cap_now"] == 300 and room.loc[A, "cap_basis"] == "assumed"
    assert room.loc[A, "headroom_now"] == 298
    assert room.loc[A, "level"] == "ok"


def test_the_warning_levels_and_the_forecast() -> None:
    days = [(f"2026-01-{d:02d}T10:00:00Z", A, r(100 + 10 * d), "sent") for d in range(1, 29)]
    room = headroom(frame(*days), created={A: "2025-01-01"}).iloc[0]  # cap 1,000 (mature)
    assert room["cap_now"] == 1000
    assert room["used_24h"] == 380
    assert room["trend_per_day"] == pytest.approx(10.0)
    assert room["pace_per_day"] == pytest.approx(350.0)  # the last 7 days' average
    assert room["reaches_80"] == pd.Timestamp("2026-03-14", tz="UTC")  # 28 Jan + 450 / 10
    assert room["reaches_90"] == pd.Timestamp("2026-03-24", tz="UTC")
    assert room["reaches_cap"] == pd.Timestamp("2026-04-03", tz="UTC")
    assert room["level"] == "ok"


def test_first_time_recipients_are_counted_on_the_day_they_first_appear(
    log: pd.DataFrame,
) -> None:
    firsts = first_time_recipients(log)
    b = firsts[firsts["account"] == B]
    assert b["distinct_recipients"].tolist() == [2, 1]
    assert b["first_time_recipients"].tolist() == [2, 0]
    assert b["share_of_limit"].tolist() == [0.002, 0.0]


def test_the_fleet_is_ranked_by_the_share_of_the_cap_used() -> None:
    log = frame(
        ("2026-01-05T08:00:00Z", A, r(30), "sent"),
        ("2026-01-05T08:00:00Z", B, r(270), "sent"),
        ("2026-01-05T08:00:00Z", "c@outlook.com", r(3), "sent"),
    )
    ranking = fleet_ranking(daily_volume(log))
    assert ranking["account"].tolist() == [B, A, "c@outlook.com"]
    assert ranking["rank"].tolist() == [1, 2, 3]
    assert ranking["peak_share"].tolist() == pytest.approx([0.9, 0.1, 0.01])
    assert ranking["days_above_80"].tolist() == [1, 0, 0]


def test_the_json_has_the_shape_the_cli_prints(log: pd.DataFrame) -> None:
    out = analyze(log).to_dict()
    assert set(out) >= {"rows", "accounts"}
    a = next(x for x in out["accounts"] if x["account"] == A)
    assert set(a) >= {
        "account", "messages", "recipients", "max_daily_recipients",
        "max_rolling_24h_recipients", "cap_hits", "pauses", "inferred_cap", "headroom_now",
    }  # fmt: skip
    assert a["cap_hits"][0] == {
        "at": "2026-01-06T07:30:00Z",
        "recipients_24h": 12,
        "code": 550,
        "enhanced": "5.4.1",
        "category": "daily_limit_reached",
    }
    assert a["pauses"] == [
        {"start": "2026-01-06T07:30:00Z", "end": "2026-01-07T09:00:00Z", "hours": 25.5,
         "vs_guide": "about"}
    ]  # fmt: skip
    # a reset at midnight UTC cannot explain it: 9 went out on the 5th, yet the hit came
    # with 3 sent since midnight
    assert a["inferred_cap"] == {"value": 12, "low": 12, "high": 12, "window": "rolling_24h"}


def test_a_frame_without_timezone_aware_times_is_refused() -> None:
    naive = pd.DataFrame(
        {"time": [datetime(2026, 1, 1)], "account": [A], "n_recipients": [1], "status": ["sent"]}
    )
    with pytest.raises(SendLogError, match="timezone-aware"):
        daily_volume(naive)


def test_the_sample_analyses_end_to_end() -> None:
    sample = load_sample_log()
    assert len(sample) > 10_000
    result = analyze(sample)
    assert {a.account for a in result.accounts} == set(sample["account"].astype(str))
    assert sum(len(a.cap_hits) for a in result.accounts) > 100
