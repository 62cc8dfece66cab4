"""`outlook-kit analyze`: the load report and a table per account; --json; --png; mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from outlook_kit.cli import EXIT_USAGE, main
from outlook_kit.sendlog import SAMPLE_CREATED
from outlook_kit.sendlog.data import sample_path

LOGS = Path(__file__).parent / "data" / "logs"


def test_the_human_output_has_the_report_then_a_line_per_account(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["analyze", str(LOGS / "kit.jsonl")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Read 14 rows from 1 file(s): loaded 7, skipped 7.")
    assert "skipped 1 lines that are not JSON (e.g. 'not json at all') at kit.jsonl:4" in out
    header = next(line for line in out.splitlines() if line.startswith("account"))
    for column in ("days", "messages", "recipients", "busiest day", "most in 24h", "hits",
                   "pauses", "inferred cap", "headroom now"):  # fmt: skip
        assert column in header
    row = next(line for line in out.splitlines() if line.startswith("shop@outlook.com"))
    # one day with accepted sends (the 3rd only has refusals), 2 messages, 3 recipients
    assert row.split()[1:5] == ["1", "2", "3", "2026-02-02"]
    assert "assumed cap" in out  # the model's figures are labelled assumptions


def test_json_prints_one_object_with_the_rows_and_the_accounts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["analyze", str(LOGS / "kit.jsonl"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rows"]["read"] == 14 and out["rows"]["loaded"] == 7
    assert out["rows"]["skipped"] == 7
    reasons = {r["reason"]: r for r in out["rows"]["skipped_reasons"]}
    assert reasons["lines that are not JSON"]["first_lines"] == [{"source": "kit.jsonl", "line": 4}]
    (shop,) = out["accounts"]
    assert shop["account"] == "shop@outlook.com"
    assert (shop["messages"], shop["recipients"]) == (2, 3)
    assert shop["max_daily_recipients"] == 3
    assert shop["max_rolling_24h_recipients"] == 3
    assert [h["code"] for h in shop["cap_hits"]] == [550, 550, 554]
    assert shop["cap_hits"][0]["category"] == "daily_limit_reached"
    assert shop["cap_hits"][0]["recipients_24h"] == 3
    assert [p["start"] for p in shop["pauses"]] == ["2026-02-02T10:00:00Z"]
    assert shop["inferred_cap"]["high"] == 4  # 3 sent; a 2-recipient message refused
    assert isinstance(shop["headroom_now"], int)


def test_the_sample_with_creation_dates_and_a_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = tmp_path / "chart.png"
    created = [f"--account-created={a}={d.date()}" for a, d in SAMPLE_CREATED.items()]
    argv = ["analyze", str(sample_path()), *created, "--png", str(png), "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    accounts = {a["account"]: a for a in out["accounts"]}
    assert set(accounts) == set(SAMPLE_CREATED)
    assert accounts["shop.orders@outlook.com"]["cap_hits"] == []
    assert len(accounts["news.letter@outlook.com"]["pauses"]) > 5
    assert accounts["agency.team@hotmail.com"]["inferred_cap"]["window"] == "rolling_24h"


def test_the_other_sample_formats_analyse(capsys: pytest.CaptureFixture[str]) -> None:
    for name, extra in (("mailer_csv", []), ("postfix", []), ("m365", ["--tz", "UTC"])):
        assert main(["analyze", str(sample_path(name)), *extra]) == 0, name
        assert "loaded" in capsys.readouterr().out


def test_naive_times_without_tz_exit_2_with_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(LOGS / "naive.csv")]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "without a time zone" in err and "--tz Europe/Paris" in err
    assert "tz=" not in err  # the command line's words, not Python's
    assert "Traceback" not in err


def test_a_missing_column_names_the_flag_that_maps_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "export.csv"
    export.write_text("delivered,to,subject\nsoon,a@example.com,Hi\n", encoding="utf-8")
    assert main(["analyze", str(export)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "--column time=COLUMN" in err
    assert "columns=" not in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["empty.csv"], "is empty"),
        (["binary.dat"], "not a text log"),
        (["no-such.log"], "no such file or folder"),
        (["kit.jsonl", "--account-created", "shop@outlook.com"], "ACCOUNT=YYYY-MM-DD"),
        (["kit.jsonl", "--account-created", "shop@outlook.com=soon"], "must look like"),
        (["kit.jsonl", "--column", "time"], "FIELD=COLUMN"),
        (["kit.jsonl", "--tz", "Nowhere/Land"], "unknown time zone"),
    ],
)
def test_mistakes_exit_2_with_a_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path, *rest = argv
    assert main(["analyze", str(LOGS / path), *rest]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_a_png_into_a_missing_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "chart.png"
    assert main(["analyze", str(LOGS / "kit.jsonl"), "--png", str(target)]) == EXIT_USAGE
    assert "does not exist" in capsys.readouterr().err
