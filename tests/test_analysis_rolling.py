"""The rolling 24-hour maximum per day against a brute-force count, on random logs.

`daily_volume` counts (t - 24 h, t] with prefix sums over the rows it picks, and in
"near_cap" mode picks only days whose bound comes near the cap. Here every accepted send's
window is summed by brute force instead: the exact days must agree, in any time zone, for a
frame in memory and for a CSV read in place, and no day that truly comes near the cap may
be left out.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outlook_kit.analysis import daily_volume
from outlook_kit.analysis.volume import NEAR_CAP
from outlook_kit.caps import CapModel
from outlook_kit.sendlog import load_send_log
from outlook_kit.sendlog.schema import set_dtypes

START = pd.Timestamp("2026-03-27T00:00:00Z")  # the days around Europe's switch to summer time
MODEL = CapModel(new_account_cap=40, growth_per_step=0, mature_cap=40, ceiling=40)
ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata")

sends = st.lists(
    st.tuples(
        st.sampled_from(["a@outlook.com", "b@hotmail.com", "c@live.com"]),
        st.integers(0, 5 * 24 * 60),  # minutes after START
        st.integers(1, 9),  # recipients
        st.sampled_from(["sent"] * 6 + ["rejected", "deferred"]),
    ),
    min_size=1,
    max_size=60,
)


def as_frame(rows: list[tuple[str, int, int, str]]) -> pd.DataFrame:
    records = []
    for i, (account, minute, n, status) in enumerate(rows):
        records.append(
            {
                "time": START + timedelta(minutes=minute),
                "account": account,
                "from": account,
                "recipients": tuple(f"r{i}-{k}@example.com" for k in range(n)),
                "n_recipients": n,
                "status": status,
                "stage": "data" if status == "sent" else "rcpt_to",
                "code": {"sent": 250, "rejected": 550, "deferred": 451}[status],
                "enhanced": None,
                "text": f"queued as m{i}",
                "category": None,
                "message_id": f"m{i}",
                "source": "random",
                "line": i + 1,
            }
        )
    return set_dtypes(pd.DataFrame(records))


def brute_force(frame: pd.DataFrame, tz: str) -> dict[tuple[str, pd.Timestamp], int]:
    """(account, local day) -> the most accepted recipients in any (t - 24 h, t] ending at an
    accepted send that day."""
    sent = frame[frame["status"] == "sent"]
    out: dict[tuple[str, pd.Timestamp], int] = {}
    for _, row in sent.iterrows():
        t = row["time"]
        mine = sent[(sent["account"] == row["account"]) & (sent["time"] > t - timedelta(days=1))]
        count = int(mine.loc[mine["time"] <= t, "n_recipients"].sum())
        day = t.tz_convert(tz).tz_localize(None).normalize()
        key = (str(row["account"]), day)
        out[key] = max(out.get(key, 0), count)
    return out


def exact_days(daily: pd.DataFrame) -> dict[tuple[str, pd.Timestamp], int]:
    known = daily[daily["max_rolling_24h"].notna() & (daily["recipients"] > 0)]
    return {
        (str(a), pd.Timestamp(d)): int(m)
        for a, d, m in zip(known["account"], known["day"], known["max_rolling_24h"], strict=True)
    }


@settings(max_examples=40, deadline=None)
@given(rows=sends, tz=st.sampled_from(ZONES))
def test_the_exact_maximum_matches_a_brute_force_count(
    rows: list[tuple[str, int, int, str]], tz: str
) -> None:
    frame = as_frame(rows)
    expected = brute_force(frame, tz)
    every = daily_volume(frame, tz=tz, rolling="all", cap_model=MODEL)
    assert exact_days(every) == expected
    near = daily_volume(frame, tz=tz, rolling="near_cap", cap_model=MODEL)
    computed = exact_days(near)
    assert all(expected[key] == value for key, value in computed.items())
    # a day left out can never have come near the cap: its bound says so
    for key, value in expected.items():
        if value >= NEAR_CAP * 40:
            assert key in computed, key


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=sends, tz=st.sampled_from(ZONES))
def test_a_log_read_in_place_gives_the_same_days(
    rows: list[tuple[str, int, int, str]], tz: str, tmp_path: Path
) -> None:
    frame = as_frame(rows)
    path = tmp_path / "log.csv"
    written = frame.assign(
        time=frame["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        recipients=[";".join(r) for r in frame["recipients"]],
    )
    written[["time", "account", "recipients", "status", "code", "text"]].to_csv(path, index=False)
    log = load_send_log(path, lazy=True)
    assert log.in_place and log.report.loaded == len(frame)
    in_place = daily_volume(log, tz=tz, rolling="all", cap_model=MODEL)
    assert exact_days(in_place) == brute_force(frame, tz)
    columns = ["account", "day", "messages", "recipients", "rejections", "deferrals"]
    in_memory = daily_volume(frame, tz=tz, rolling="all", cap_model=MODEL)
    expected = in_memory[columns].astype({"account": str}).reset_index(drop=True)
    got = in_place[columns].astype({"account": str}).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
