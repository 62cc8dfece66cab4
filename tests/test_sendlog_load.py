"""Loading send logs: every supported format from its fixture, the bad ones, the accounting.

The fixtures are in tests/data/logs (synthetic; see its README). Every test checks that
the rows read are the rows loaded plus the rows skipped.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outlook_kit.sendlog import LOG_FIELDS, SendLog, SendLogError, load_send_log
from outlook_kit.sendlog.schema import COLUMNS

LOGS = Path(__file__).parent / "data" / "logs"


def accounted(log: SendLog) -> SendLog:
    report = log.report
    assert report.read == report.loaded + report.skipped
    assert len(log.frame) == report.loaded
    assert list(log.frame.columns) == list(COLUMNS)
    return log


def skips(log: SendLog) -> dict[str, tuple[int, list[int]]]:
    """reason (first words) -> (count, first line numbers)."""
    return {
        s.reason.split(" (")[0]: (s.count, [w.line for w in s.first_lines])
        for s in log.report.skips
    }


# --- the kit's own JSON Lines log -------------------------------------------------------------


def test_the_kits_log_loads_with_every_row_accounted_for() -> None:
    log = accounted(load_send_log(LOGS / "kit.jsonl"))
    assert (log.report.read, log.report.loaded, log.report.skipped) == (14, 7, 7)
    assert skips(log) == {
        "lines that are not JSON": (1, [4]),
        "JSON lines that are not objects": (1, [5]),
        "probe records that sent no mail": (1, [8]),
        "rows whose send time is not a date and time": (1, [11]),
        "rows without an account or sender address": (1, [12]),
        "rows whose status is not sent, rejected or deferred": (1, [13]),
        "duplicate rows": (1, [15]),
    }
    examples = {s.reason.split(" (")[0]: s.example for s in log.report.skips}
    assert examples["rows whose send time is not a date and time"] == "yesterday"
    assert examples["rows whose status is not sent, rejected or deferred"] == "bounced-ish"


def test_the_kits_log_is_normalised() -> None:
    frame = load_send_log(LOGS / "kit.jsonl").frame
    assert str(frame["time"].dtype) == "datetime64[us, UTC]"
    first = frame.iloc[0]
    assert first["time"] == pd.Timestamp("2026-02-02T08:00:00Z")
    assert first["account"] == "shop@outlook.com"  # lowercased: one mailbox, one account
    assert first["recipients"] == ("a@example.com",)
    assert first["status"] == "sent"
    assert (first["code"], first["enhanced"]) == (250, "2.0.0")
    assert first["message_id"] == "ok-00000001"
    assert (first["source"], first["line"]) == ("kit.jsonl", 1)
    assert frame["n_recipients"].tolist() == [1, 2, 2, 1, 1, 1, 3]
    assert frame["status"].tolist() == [
        "sent", "sent", "rejected", "rejected", "rejected", "deferred", "rejected",
    ]  # fmt: skip
    # 10:00+01:00 is 09:00 UTC, so the deferral sorts before the 09:30Z quota refusal
    assert frame["time"].iloc[5] == pd.Timestamp("2026-02-03T09:00:00Z")


def test_each_refusal_carries_its_diagnosis() -> None:
    frame = load_send_log(LOGS / "kit.jsonl").frame
    refused = frame[frame["status"] != "sent"].set_index("line")
    assert refused.loc[3, "category"] == "daily_limit_reached"  # the guide's 550 5.4.1
    assert refused.loc[9, "category"] == "daily_limit_reached"  # 554 5.2.0 quota at DATA
    assert refused.loc[7, "category"] == "recipient_rejected"  # AS(201806281): their side
    assert frame.loc[frame["status"] == "sent", "category"].isna().all()


def test_each_distinct_reply_is_diagnosed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import outlook_kit.diagnosis as diagnosis

    calls: list[str] = []
    real = diagnosis.diagnose

    def counting(text: str, **kwargs: object) -> object:
        calls.append(text)
        return real(text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(diagnosis, "diagnose", counting)
    load_send_log(LOGS / "kit.jsonl")
    # two cap refusals with different server stamps are one reply
    assert len(calls) == len(set(calls)) == 4
    assert "550 5.4.1 Recipient address rejected: Access denied" in calls


def test_the_log_written_by_the_probe_has_the_fields_the_loader_reads() -> None:
    assert set(LOG_FIELDS) >= {"time", "account", "from", "recipients", "status", "text"}


# --- CSV and TSV ------------------------------------------------------------------------------


def test_a_mailers_csv_is_recognised_by_its_column_names() -> None:
    log = accounted(load_send_log(LOGS / "mailer.csv"))
    assert skips(log) == {"rows the CSV reader could not split": (1, [6])}
    frame = log.frame.set_index("line")
    assert frame.loc[2, "time"] == pd.Timestamp("2026-02-02T08:00:00Z")  # +01:00
    assert frame.loc[4, "time"] == pd.Timestamp("2026-02-02T16:00:00Z")  # -05:00
    assert frame.loc[2, "account"] == "news@outlook.com"  # spaces around it trimmed
    assert frame.loc[4, "account"] == "news@outlook.com"  # out of "News <news@...>"
    assert frame.loc[2, "recipients"] == ("a@example.com", "b@example.com")
    assert frame.loc[4, "n_recipients"] == 3
    assert frame.loc[4, "status"] == "rejected"  # "Failed"
    assert frame.loc[5, "status"] == "deferred"
    assert frame.loc[7, "status"] == "sent"  # "SENT"
    assert (frame.loc[4, "code"], frame.loc[4, "enhanced"]) == (550, "5.4.1")
    assert frame.loc[4, "text"].startswith("Recipient address rejected: Access denied [")
    assert frame.loc[4, "category"] == "daily_limit_reached"


def test_columns_without_known_names_are_recognised_by_their_content() -> None:
    frame = accounted(load_send_log(LOGS / "unnamed.csv")).frame
    assert frame["account"].tolist() == ["team@outlook.com"] * 2
    assert frame["recipients"].tolist() == [("x@example.com", "y@example.com"), ("z@example.com",)]
    assert frame["code"].tolist() == [250, 550]


def test_an_explicit_column_mapping_wins(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    # epoch seconds under a name no list knows: nothing says it is the time
    path.write_text("Quand,Qui,A qui,Etat\n1772352000,moi@outlook.com,x@example.com,sent\n")
    with pytest.raises(SendLogError, match=r"no column holds the send time.*columns=\{'time'"):
        load_send_log(path)
    frame = load_send_log(path, columns={"time": "Quand", "recipients": 2, "status": "Etat"}).frame
    assert frame["time"].tolist() == [pd.Timestamp("2026-03-01T08:00:00Z")]
    assert frame[["account", "n_recipients", "status"]].values.tolist() == [
        ["moi@outlook.com", 1, "sent"]
    ]


def test_a_tab_separated_export_loads() -> None:
    frame = accounted(load_send_log(LOGS / "export.tsv")).frame
    assert frame["status"].tolist() == ["sent", "deferred"]
    assert frame["account"].tolist() == ["team@outlook.com"] * 2


# --- Postfix ----------------------------------------------------------------------------------


def test_a_postfix_maillog_loads_its_outlook_deliveries() -> None:
    log = accounted(load_send_log(LOGS / "maillog", tz="UTC", year=2026))
    assert (log.report.read, log.report.loaded) == (14, 5)
    assert skips(log) == {
        "Postfix lines that are not delivery attempts": (7, [1, 2, 3, 6, 7]),
        "local deliveries": (1, [12]),
        "lines that are not Postfix log lines": (1, [14]),
    }
    frame = log.frame
    assert frame["time"].iloc[0] == pd.Timestamp("2026-02-02T09:00:01Z")
    # line 13's qmgr from= line is not in the excerpt: loaded under the relay's unknown sender
    assert frame["account"].tolist() == ["news@outlook.com"] * 4 + ["unknown@smtp-mail.outlook.com"]
    assert any("unknown@smtp-mail.outlook.com" in note for note in log.report.notes)
    assert frame["recipients"].tolist()[:4] == [
        ("a@example.com",), ("b@example.com",), ("c@example.com",), ("d@example.com",),
    ]  # fmt: skip
    assert frame["status"].tolist() == ["sent", "sent", "rejected", "deferred", "sent"]
    assert frame["stage"].tolist()[:4] == ["data", "data", "rcpt_to", "data"]
    assert frame["code"].tolist()[:4] == [250, 250, 550, 451]
    assert frame["enhanced"].tolist()[:4] == ["2.0.0", "2.0.0", "5.4.1", "4.7.0"]
    assert frame["message_id"].tolist()[:2] == ["1A2B3C4D5E", "1A2B3C4D5E"]
    assert frame["category"].iloc[2] == "daily_limit_reached"


def test_a_postfix_log_through_office365_loads_every_delivery_attempt() -> None:
    """Deliveries through smtp.office365.com and smtp-mail.outlook.com and another relay,
    relay=none deferrals (a refused sign-in, a timeout, a DNS failure) and a delivery whose
    qmgr line is missing but whose smtpd line names the SASL login."""
    log = accounted(load_send_log(LOGS / "maillog_office365"))
    assert (log.report.read, log.report.loaded) == (14, 7)
    assert skips(log) == {
        "Postfix lines that are not delivery attempts": (5, [1, 2, 4, 6, 9]),
        "Postfix warnings": (1, [14]),
        "local deliveries": (1, [12]),
    }
    frame = log.frame
    assert frame["account"].tolist() == [
        "alerts@contoso.example",  # from the smtpd line's sasl_username=
        "alerts@contoso.example",
        "alerts@contoso.example",
        "unknown@smtp.office365.com",
        "you@outlook.com",
        "unknown@smtp-mail.outlook.com",
        "unknown@mail.example.com",
    ]
    assert frame["status"].tolist() == [
        "sent", "deferred", "deferred", "rejected", "sent", "deferred", "sent",
    ]  # fmt: skip
    assert frame["stage"].tolist()[1:3] == ["auth", "connect"]
    assert frame["stage"].iloc[5] == "dns"
    # the server's own code, not Postfix's 4.7.0, for the refused sign-in
    assert (frame["code"].iloc[1], frame["enhanced"].iloc[1]) == (535, "5.7.139")
    assert frame["category"].tolist()[1:4] == [
        "tenant_smtp_auth_disabled", "connection_blocked", "send_as_denied",
    ]  # fmt: skip


def test_classic_syslog_times_need_the_servers_zone() -> None:
    with pytest.raises(SendLogError, match=r"without a time zone.*tz=.*syslog"):
        load_send_log(LOGS / "maillog")
    paris = load_send_log(LOGS / "maillog", tz="Europe/Paris", year=2026).frame
    assert paris["time"].iloc[0] == pd.Timestamp("2026-02-02T08:00:01Z")


def test_syslog_dates_without_a_year_say_which_year_was_assumed() -> None:
    log = load_send_log(LOGS / "maillog", tz="UTC")
    assert any("carry no year" in note for note in log.report.notes)


def test_rfc3339_maillog_times_carry_their_zone() -> None:
    frame = accounted(load_send_log(LOGS / "maillog_rfc3339.log")).frame
    assert frame["time"].tolist() == [pd.Timestamp("2026-02-02T08:00:01.25Z")]


def test_a_folder_of_rotated_logs_loads_oldest_first_gz_included() -> None:
    log = accounted(load_send_log(LOGS / "rotated"))
    assert [f.source for f in log.report.files] == [
        "rotated/maillog.2.gz", "rotated/maillog.1", "rotated/maillog",
    ]  # fmt: skip
    assert [f.read for f in log.report.files] == [2, 2, 2]
    assert log.frame["recipients"].tolist() == [
        ("a@example.com",), ("b@example.com",), ("c@example.com",),
    ]  # fmt: skip


def test_overlapping_logs_count_their_shared_rows_as_duplicates(tmp_path: Path) -> None:
    shutil.copy(LOGS / "rotated" / "maillog", tmp_path / "maillog")
    shutil.copy(LOGS / "rotated" / "maillog", tmp_path / "maillog.1")  # the same lines again
    log = accounted(load_send_log(tmp_path))
    assert log.report.loaded == 1
    assert skips(log)["duplicate rows"] == (1, [2])


# --- Microsoft 365 message trace --------------------------------------------------------------


def test_a_message_trace_export_loads_in_utc() -> None:
    # Microsoft's docs: "the time stamps on the output are in UTC"; no tz needed, none obeyed
    paris = load_send_log(LOGS / "m365_trace.csv", tz="Europe/Paris")
    log = accounted(load_send_log(LOGS / "m365_trace.csv"))
    assert paris.frame["time"].tolist() == log.frame["time"].tolist()
    assert any("read as UTC" in note for note in log.report.notes)
    assert log.report.files[0].format == "m365"
    assert skips(log) == {"rows whose status is not sent, rejected or deferred": (1, [7])}
    frame = log.frame
    assert frame["time"].iloc[2] == pd.Timestamp("2026-02-02T13:15:00Z")  # 1:15 PM
    assert frame["status"].tolist() == ["sent", "sent", "rejected", "deferred", "sent"]
    assert frame["account"].unique().tolist() == ["reports@contoso.com"]
    assert any("month-first" in note for note in log.report.notes)


def test_day_first_dates_are_read_day_first_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "trace.csv"
    header = (LOGS / "m365_trace.csv").read_text().splitlines()[0]
    row = "5/2/2026 09:00:00,reports@contoso.com,a@example.com,Hi,Delivered,,,1,<m@c>,t1"
    path.write_text(f"{header}\n{row}\n")
    # a trace's 24-hour times come from a day-first culture (en-GB, fr-FR): day-first
    assert load_send_log(path).frame["time"].iloc[0].month == 2
    assert load_send_log(path, dayfirst=True).frame["time"].iloc[0].month == 2
    assert load_send_log(path, dayfirst=False).frame["time"].iloc[0].month == 5


# --- encodings and time zones -----------------------------------------------------------------


def test_utf16_from_excel_loads() -> None:
    log = accounted(load_send_log(LOGS / "excel_unicode.txt"))
    assert log.report.files[0].encoding == "utf-16"
    assert log.frame["account"].iloc[0] == "zoë@outlook.com"
    assert log.frame["text"].iloc[0] == "OK — queued"


def test_windows_cp1252_loads() -> None:
    log = accounted(load_send_log(LOGS / "windows_1252.csv"))
    assert log.report.files[0].encoding == "cp1252"
    assert log.frame["account"].iloc[0] == "büro@outlook.com"
    assert log.frame["text"].iloc[0] == "OK \u2013 Nachricht angenommen (\u20ac0)"  # en dash, euro


def test_a_wrong_encoding_names_the_likely_one() -> None:
    with pytest.raises(SendLogError, match=r"not utf-8.*looks like cp1252.*encoding="):
        load_send_log(LOGS / "windows_1252.csv", encoding="utf-8")


def test_utf8_with_a_bom_loads() -> None:
    log = accounted(load_send_log(LOGS / "utf8_bom.csv"))
    assert log.report.files[0].encoding == "utf-8-sig"
    assert log.frame["account"].tolist() == ["bom@outlook.com"]


def test_naive_times_need_tz_and_then_follow_its_daylight_saving() -> None:
    with pytest.raises(
        SendLogError, match=r"3 row\(s\).*'2026-01-15 09:00:00' at naive.csv:2.*tz="
    ):
        load_send_log(LOGS / "naive.csv")
    frame = load_send_log(LOGS / "naive.csv", tz="Europe/Paris").frame
    assert frame["time"].tolist() == [
        pd.Timestamp("2026-01-15T08:00:00Z"),  # winter: +01:00
        pd.Timestamp("2026-01-15T22:30:00Z"),
        pd.Timestamp("2026-07-15T07:00:00Z"),  # summer: +02:00
    ]


def test_mixed_zones_are_each_read_in_their_own_and_naive_ones_in_tz() -> None:
    with pytest.raises(SendLogError, match=r"1 row\(s\)"):
        load_send_log(LOGS / "mixed_tz.csv")
    frame = load_send_log(LOGS / "mixed_tz.csv", tz="UTC").frame
    assert frame["time"].tolist() == [
        pd.Timestamp("2026-01-15T09:00:00Z"),
        pd.Timestamp("2026-01-15T09:00:00Z"),  # 10:00+01:00
        pd.Timestamp("2026-01-15T11:00:00Z"),
    ]


def test_an_unknown_zone_is_refused_with_examples() -> None:
    with pytest.raises(SendLogError, match=r"unknown time zone 'Mars/Olympus'.*Europe/Paris"):
        load_send_log(LOGS / "naive.csv", tz="Mars/Olympus")


def test_duplicated_rows_are_counted_with_their_lines() -> None:
    log = accounted(load_send_log(LOGS / "dupes.csv"))
    assert skips(log) == {"duplicate rows": (2, [4, 6])}
    assert log.frame["line"].tolist() == [2, 3, 5]


# --- logs that cannot be read: a message with the fix, never a traceback ------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", r"empty\.csv is empty \(0 bytes\).*export the log again"),
        ("header_only.csv", r"a header but no rows.*export again"),
        ("binary.dat", r"not a text log \(it holds binary data"),
        (
            "workbook.xlsx",
            r"Excel workbook \(\.xlsx\) that cannot be opened.*save the sheet as CSV",
        ),
        ("truncated.csv.gz", r"gzip-compressed but cannot be decompressed.*copy it again"),
        ("no_such_file.csv", r"no such file or folder"),
    ],
)
def test_a_log_that_cannot_be_read_says_why_and_what_to_do(name: str, message: str) -> None:
    with pytest.raises(SendLogError, match=message):
        load_send_log(LOGS / name)


def test_a_bad_file_among_good_ones_is_left_out_with_a_note(tmp_path: Path) -> None:
    shutil.copy(LOGS / "kit.jsonl", tmp_path / "a.jsonl")
    shutil.copy(LOGS / "empty.csv", tmp_path / "b.csv")
    log = accounted(load_send_log(tmp_path))
    assert log.report.loaded == 7
    assert any("b.csv is empty" in note for note in log.report.notes)


def test_an_unknown_format_name_is_refused() -> None:
    with pytest.raises(SendLogError, match="unknown format 'xml'; use one of jsonl, csv"):
        load_send_log(LOGS / "kit.jsonl", format="xml")


def test_a_gzipped_kit_log_loads(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl.gz"
    path.write_bytes(gzip.compress((LOGS / "kit.jsonl").read_bytes()))
    assert accounted(load_send_log(path)).report.loaded == 7


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=600))
def test_arbitrary_bytes_give_a_report_or_a_clear_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "anything.log"
    path.write_bytes(data)
    try:
        log = load_send_log(path, tz="UTC")
    except SendLogError as exc:
        assert str(exc)  # a message, never a traceback
        return
    accounted(log)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(
        st.one_of(
            st.text(max_size=60),
            st.builds(
                lambda t, s: f'{{"time": "{t}", "account": "a@outlook.com", "status": "{s}"}}',
                st.sampled_from(["2026-01-01T00:00:00Z", "", "garbage", "2026-13-40"]),
                st.sampled_from(["sent", "rejected", "", "??"]),
            ),
        ),
        max_size=20,
    )
)
def test_arbitrary_json_lines_are_loaded_or_counted(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    try:
        log = load_send_log(path, format="jsonl", tz="UTC")
    except SendLogError as exc:
        assert str(exc)
        return
    accounted(log)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.lists(
            st.one_of(
                st.sampled_from(["2026-01-01T00:00:00Z", "a@outlook.com", "sent", "550", ""]),
                st.text(alphabet='ab,;"\n\r\t @.:-05', max_size=12),
            ),
            min_size=1,
            max_size=6,
        ),
        max_size=12,
    ),
    lazy=st.booleans(),
)
def test_arbitrary_csv_is_loaded_or_refused_clearly(
    tmp_path: Path, rows: list[list[str]], lazy: bool
) -> None:
    path = tmp_path / "export.csv"
    body = "\n".join(",".join(row) for row in rows)
    path.write_text("time,account,recipients,status,code,text\n" + body, encoding="utf-8")
    try:
        log = load_send_log(path, tz="UTC", lazy=lazy)
    except SendLogError as exc:
        assert str(exc)
        return
    accounted(log)


def test_sasl_xoauth2_and_the_error_agent_in_a_postfix_log_through_office365() -> None:
    """A relay signing in with the sasl-xoauth2 plugin: its lines are counted under their
    own reason (a token refresh failure), the error agent's suspended deliveries load."""
    log = accounted(load_send_log(LOGS / "exports" / "postfix-office365-relay.log", tz="UTC"))
    assert (log.report.read, log.report.loaded) == (13, 5)
    assert skips(log)["sasl-xoauth2 plugin lines"] == (2, [10, 11])
    frame = log.frame
    assert frame["status"].tolist() == ["sent", "deferred", "deferred", "deferred", "rejected"]
    assert frame["category"].tolist()[1:3] == ["basic_auth_disabled"] * 2
    assert (frame["code"].iloc[4], frame["enhanced"].iloc[4]) == (530, "5.7.57")


def test_postfix_lines_posted_in_public_threads_are_all_accounted_for() -> None:
    """Lines nobody here wrote: every delivery attempt loads, the plugin's lines (its own
    syslog ident before 0.25) count under their reason, nothing else is lost."""
    log = accounted(load_send_log(LOGS / "maillog_public", tz="UTC", year=2026))
    assert (log.report.read, log.report.loaded) == (13, 4)
    assert skips(log)["sasl-xoauth2 plugin lines"] == (3, [8, 9, 10])
    frame = log.frame
    assert set(frame["status"]) == {"deferred"}
    assert set(frame["stage"]) == {"auth"}
    assert "unknown@smtp.office365.com" in set(frame["account"])
