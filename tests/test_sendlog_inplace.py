"""Large CSV logs read in place by DuckDB: the same rows, report and analysis as in memory."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from outlook_kit.analysis import daily_volume
from outlook_kit.sendlog import SendLogError, load_send_log

LOGS = Path(__file__).parent / "data" / "logs"
COMPARED = ["time", "account", "recipients", "n_recipients", "status", "code", "enhanced", "text"]


def reasons(log: object) -> dict[str, tuple[int, list[int]]]:
    report = log.report  # type: ignore[attr-defined]
    return {s.reason: (s.count, [w.line for w in s.first_lines]) for s in report.skips}


@pytest.mark.parametrize("name", ["mailer.csv", "dupes.csv", "unnamed.csv", "export.tsv"])
def test_in_place_and_in_memory_agree(name: str) -> None:
    memory = load_send_log(LOGS / name, lazy=False)
    place = load_send_log(LOGS / name, lazy=True)
    assert place.in_place and not memory.in_place
    for attr in ("read", "loaded", "skipped"):
        assert getattr(place.report, attr) == getattr(memory.report, attr)
    assert reasons(place) == reasons(memory)
    left = memory.frame[COMPARED].reset_index(drop=True)
    right = place.frame[COMPARED].reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right, check_categorical=False)


def test_the_in_place_daily_volume_is_the_in_memory_one() -> None:
    memory = daily_volume(load_send_log(LOGS / "mailer.csv", lazy=False), rolling="all")
    place = daily_volume(load_send_log(LOGS / "mailer.csv", lazy=True), rolling="all")
    pd.testing.assert_frame_equal(memory, place, check_categorical=False)
    assert place["recipients"].tolist() == [4]
    assert place["cap_hits"].tolist() == [1]


def test_naive_times_in_place_need_tz_too() -> None:
    with pytest.raises(SendLogError, match=r"without a time zone.*tz="):
        load_send_log(LOGS / "naive.csv", lazy=True)
    frame = load_send_log(LOGS / "naive.csv", lazy=True, tz="Europe/Paris").frame
    assert frame["time"].iloc[0] == pd.Timestamp("2026-01-15T08:00:00Z")


def test_utf16_in_place_is_transcoded_first() -> None:
    log = load_send_log(LOGS / "excel_unicode.txt", lazy=True)
    assert log.report.loaded == 2
    assert log.frame["account"].tolist() == ["zoë@outlook.com"] * 2


def test_lines_the_csv_reader_cannot_split_are_counted_with_their_numbers(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text(
        "time,account,recipients,status\n"
        "2026-01-15T09:00:00Z,a@outlook.com,x@example.com,sent\n"
        "2026-01-15T09:01:00Z,a@outlook.com,x@example.com,sent,extra,fields\n"
        "2026-01-15T09:02:00Z,a@outlook.com,y@example.com,sent\n"
        "never,a@outlook.com,z@example.com,sent\n"
    )
    log = load_send_log(path, lazy=True)
    report = log.report
    assert (report.read, report.loaded, report.skipped) == (4, 2, 2)
    found = reasons(log)
    split = next(v for k, v in found.items() if k.startswith("rows the CSV reader"))
    assert split == (1, [3])
    assert found["rows whose send time is not a date and time"] == (1, [5])


def test_only_csv_is_read_in_place() -> None:
    with pytest.raises(SendLogError, match="only CSV/TSV is read in place"):
        load_send_log(LOGS / "kit.jsonl", lazy=True)
