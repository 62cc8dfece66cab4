"""Known exporters' files load with no hints beyond a time zone and a sender: the account
found, sent and refused rows told apart, cap refusals counted as hits, every row accounted
for. The fixtures (tests/data/logs/exports/) follow each tool's source code; README there."""

import shutil
from pathlib import Path

import pytest

from outlook_kit.analysis import analyze
from outlook_kit.cli import main
from outlook_kit.sendlog import SendLog, SendLogError, load_send_log

EXPORTS = Path(__file__).parent / "data" / "logs" / "exports"


def accounted(log: SendLog) -> SendLog:
    report = log.report
    assert report.read == report.loaded + report.skipped
    assert report.skipped == sum(s.count for s in report.skips)
    return log


# file, what it needs, statuses in file order, cap hits, the relay where the file names it
CASES = [
    ("post-smtp-current.csv", {"tz": "Europe/London"},
     ["sent", "rejected", "sent", "deferred", "rejected"], 1, "smtp.office365.com"),
    ("post-smtp-legacy.csv", {"tz": "Europe/London"}, ["sent", "rejected", "sent"], 0,
     "smtp.office365.com"),
    ("wp-mail-smtp-pro-all-fields.csv", {"tz": "Europe/London"},
     ["sent", "rejected", "sent", "sent", "rejected"], 1, None),
    ("wp-mail-smtp-pro-default.csv", {"tz": "Europe/London"}, ["sent", "sent", "sent"], 0, None),
    ("wp-mail-catcher.csv", {"sender": "you@outlook.com"},
     ["sent", "rejected", "sent", "rejected"], 1, None),
    ("fluentsmtp-email-logs-phpmyadmin.csv", {"tz": "Europe/London"},
     ["sent", "rejected", "sent", "rejected"], 1, None),
    ("fluentsmtp-email-logs-mysql-batch.tsv", {"tz": "Europe/London"},
     ["sent", "rejected", "sent"], 0, None),
    ("exo-get-messagetrace-ps51.csv", {}, ["sent", "rejected", "deferred", "deferred"], 0, None),
    ("exo-get-messagetracev2-select-ps7.csv", {},
     ["sent", "rejected", "deferred", "deferred"], 0, None),
    ("exo-historical-enhanced-summary.csv", {}, ["sent", "rejected", "sent"], 0, None),
    ("exo-historical-extended.csv", {}, ["sent", "rejected"], 0, None),
]  # fmt: skip


@pytest.mark.parametrize(("name", "hints", "statuses", "hits", "relay"), CASES)
def test_each_export_loads_with_only_a_zone_or_a_sender(
    name: str, hints: dict[str, str], statuses: list[str], hits: int, relay: str | None
) -> None:
    log = accounted(load_send_log(EXPORTS / name, **hints))
    frame = log.frame.sort_values("line")
    assert frame["status"].astype(str).tolist() == statuses
    assert set(frame["account"].astype(str)) == {"you@outlook.com"}
    assert set(frame["relay"].dropna()) == ({relay} if relay else set())
    result = analyze(log)
    assert sum(len(a.cap_hits) for a in result.accounts) == hits


def test_post_smtp_reads_the_servers_reply_from_its_transcript() -> None:
    frame = load_send_log(EXPORTS / "post-smtp-current.csv", tz="UTC").frame
    refused = frame[frame["status"] == "rejected"]
    assert refused["code"].tolist() == [535, 554]
    assert refused["enhanced"].tolist() == ["5.7.139", "5.2.0"]
    assert refused["category"].tolist() == ["basic_auth_disabled", "daily_limit_reached"]
    assert frame["n_recipients"].tolist() == [1, 1, 2, 1, 1]  # To, Cc and Bcc all count
    assert frame["time"].iloc[0].isoformat() == "2026-11-03T09:14:00+00:00"  # 9:14 am


def test_phpmailers_codes_at_the_end_of_its_error_are_read() -> None:
    frame = load_send_log(EXPORTS / "wp-mail-catcher.csv", sender="you@outlook.com").frame
    last = frame.sort_values("line").iloc[-1]
    assert (last["code"], last["enhanced"], last["category"]) == (
        554,
        "5.2.0",
        "daily_limit_reached",
    )


def test_wp_mail_catcher_is_utc_and_needs_a_sender_only_where_no_from_header() -> None:
    log = accounted(load_send_log(EXPORTS / "wp-mail-catcher.csv"))  # no tz: its times are UTC
    assert log.report.loaded == 3
    assert [s.reason for s in log.report.skips] == [
        "rows without an account or sender address (when the whole file is one account's, "
        "pass its address as sender=)"
    ]
    assert log.frame["time"].iloc[0].isoformat() == "2026-11-03T09:14:00+00:00"


def test_wp_mail_smtp_without_its_status_column_says_so() -> None:
    log = load_send_log(EXPORTS / "wp-mail-smtp-pro-default.csv", tz="UTC")
    assert any("no Status column" in note and "Status" in note for note in log.report.notes)


def test_the_historical_reports_skip_what_is_not_a_send() -> None:
    extended = load_send_log(EXPORTS / "exo-historical-extended.csv")
    assert [s.count for s in extended.report.skips] == [1]
    assert "not a delivery" in extended.report.skips[0].reason
    summary = load_send_log(EXPORTS / "exo-historical-enhanced-summary.csv")
    assert [s.reason for s in summary.report.skips] == [
        "message trace rows of mail received (directionality Incoming), not sent"
    ]
    # one row per message: a message to two recipients, one failed, is a send of two
    assert summary.frame["n_recipients"].tolist() == [1, 1, 2]


def test_a_powershell_51_trace_with_its_type_line_and_remoting_columns() -> None:
    log = load_send_log(EXPORTS / "exo-get-messagetrace-ps51.csv")
    assert log.report.files[0].format == "m365"
    assert log.frame["time"].iloc[0].isoformat() == "2026-11-03T09:14:22+00:00"
    # the fixture's sender is a personal address: Outlook.com's limits, trace or not
    assert analyze(log).accounts[0].service == "outlook_com"


def test_without_a_zone_the_message_names_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(EXPORTS / "post-smtp-current.csv")]) == 2
    err = capsys.readouterr().err
    assert "--tz" in err and "tz=" not in err


def test_the_cli_takes_a_sender_and_a_date_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["analyze", str(EXPORTS / "wp-mail-catcher.csv"), "--sender", "you@outlook.com"]) == 0
    )
    assert "loaded 4, skipped 0" in capsys.readouterr().out
    path = tmp_path / "site.csv"
    path.write_text("when,from,to,status\n03|11|2026 09h14,you@outlook.com,a@example.org,sent\n")
    assert main(["analyze", str(path), "--tz", "UTC"]) == 2
    assert main(["analyze", str(path), "--tz", "UTC", "--date-format", "%d|%m|%Y %Hh%M"]) == 0
    assert "2026-11-03" in capsys.readouterr().out


def test_a_date_format_that_reads_nothing_is_refused_with_an_example() -> None:
    with pytest.raises(SendLogError, match="does not read its times"):
        load_send_log(EXPORTS / "post-smtp-current.csv", tz="UTC", date_format="%d/%m/%Y")


def test_a_malformed_sender_is_refused() -> None:
    with pytest.raises(SendLogError, match="sender='not an address'"):
        load_send_log(EXPORTS / "wp-mail-catcher.csv", sender="not an address")


def test_a_truncated_export_keeps_its_whole_rows_and_counts_the_cut_one(tmp_path: Path) -> None:
    text = (EXPORTS / "post-smtp-current.csv").read_text()
    cut = tmp_path / "email-logs"
    cut.write_text(text[: text.rindex("November 4") - 40])  # inside the last transcript
    log = accounted(load_send_log(cut, tz="UTC"))
    assert log.report.loaded == 4 and log.report.skipped == 1


def test_an_export_in_utf16_and_cp1252_loads_the_same(tmp_path: Path) -> None:
    original = EXPORTS / "wp-mail-smtp-pro-all-fields.csv"
    text = original.read_text(encoding="utf-8")
    for encoding in ("utf-16", "cp1252", "utf-8-sig"):
        copy = tmp_path / f"{encoding}.csv"
        copy.write_text(text, encoding=encoding)
        log = load_send_log(copy, tz="UTC")
        assert (
            log.frame["status"].tolist()
            == load_send_log(original, tz="UTC").frame["status"].tolist()
        )


def test_an_export_copied_into_a_folder_with_other_logs(tmp_path: Path) -> None:
    for name in ("post-smtp-current.csv", "exo-get-messagetrace-ps51.csv"):
        shutil.copy(EXPORTS / name, tmp_path / name)
    log = accounted(load_send_log(tmp_path, tz="UTC"))
    assert log.report.loaded == 9


# --- exim and msmtp ---------------------------------------------------------------------------


def test_exims_mainlog_reads_deliveries_failures_and_deferrals() -> None:
    with pytest.raises(SendLogError, match="exim logs the server's local time"):
        load_send_log(EXPORTS / "exim-mainlog")
    log = accounted(load_send_log(EXPORTS / "exim-mainlog", tz="UTC"))
    assert log.report.files[0].format == "exim"
    assert (log.report.read, log.report.loaded) == (9, 4)
    assert [s.count for s in log.report.skips] == [5]  # arrivals and completions
    frame = log.frame.sort_values("line")
    assert frame["status"].astype(str).tolist() == ["sent", "sent", "deferred", "rejected"]
    assert frame["stage"].astype(str).tolist() == ["data", "data", "auth", "rcpt_to"]
    assert frame["category"].astype(str).tolist()[2:] == ["wrong_credentials", "recipient_rejected"]
    assert frame["relay"].tolist()[:2] == ["smtp.office365.com"] * 2
    assert set(frame["account"].astype(str)) == {"you@outlook.com"}  # from the <= lines
    summary = analyze(log).accounts[0]
    assert (summary.messages, summary.recipients) == (1, 2)  # => and -> of one message


def test_msmtps_log_reads_each_mail_with_its_reply_or_error() -> None:
    log = accounted(load_send_log(EXPORTS / "msmtp.log", tz="UTC", year=2026))
    assert log.report.files[0].format == "msmtp"
    frame = log.frame.sort_values("line")
    assert frame["status"].astype(str).tolist() == ["sent", "rejected", "sent", "deferred"]
    assert frame["code"].tolist()[:2] == [250, 535]
    assert frame["category"].astype(str).tolist()[1::2] == [
        "basic_auth_disabled",
        "connection_blocked",
    ]
    assert frame["n_recipients"].tolist() == [1, 1, 2, 1]
    assert set(frame["relay"]) == {"smtp.office365.com"}


# --- mangled files ----------------------------------------------------------------------------


def test_wp_mail_smtps_xlsx_loads_as_its_csv_does() -> None:
    workbook = accounted(load_send_log(EXPORTS / "wp-mail-smtp-pro-all-fields.xlsx", tz="UTC"))
    csv = load_send_log(EXPORTS / "wp-mail-smtp-pro-all-fields.csv", tz="UTC")
    assert workbook.report.files[0].encoding == "xlsx"
    for column in ("time", "account", "status", "category", "n_recipients"):
        assert workbook.frame[column].tolist() == csv.frame[column].tolist()


def test_a_wrong_encoding_is_named_with_the_right_one(tmp_path: Path) -> None:
    path = tmp_path / "email-logs.csv"
    path.write_text((EXPORTS / "post-smtp-current.csv").read_text(), encoding="utf-16")
    for wrong in ("utf-8", "cp1252"):
        with pytest.raises(SendLogError, match=r"is UTF-16.*encoding='utf-16'"):
            load_send_log(path, tz="UTC", encoding=wrong)


def test_a_header_from_another_exporter_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = (EXPORTS / "wp-mail-catcher.csv").read_text().split("\n", 1)[0]
    rows = (EXPORTS / "post-smtp-current.csv").read_text().split("\n", 1)[1]
    path = tmp_path / "mixed.csv"
    path.write_text(f"{header}\n{rows}")
    with pytest.raises(SendLogError, match="header is from another export"):
        load_send_log(path, tz="UTC")
    assert main(["analyze", str(path), "--tz", "UTC"]) == 2
    assert "export the log again with its own header" in capsys.readouterr().err


def test_times_no_layout_reads_name_the_date_format_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "site.csv"
    path.write_text("when,from,to,status\n03|11|2026 09h14,you@outlook.com,a@example.org,sent\n")
    assert main(["analyze", str(path), "--tz", "UTC"]) == 2
    err = capsys.readouterr().err
    assert "--date-format" in err and "date_format" not in err


# --- the sasl-xoauth2 plugin's lines ----------------------------------------------------------


def test_token_refresh_failures_are_findings_naming_the_account_and_the_fix() -> None:
    full = load_send_log(EXPORTS / "sasl-xoauth2-full-trace.log", tz="UTC")
    findings = [n for n in full.report.notes if "finding" in n]
    assert len(findings) == 1  # the plugin repeats itself; one finding per account
    assert "you@outlook.com" in findings[0] and "invalid_grant" in findings[0]
    assert "sasl-xoauth2-tool get-token" in findings[0]
    old = load_send_log(EXPORTS / "sasl-xoauth2-pre0.25.log", tz="UTC")  # its own ident
    assert any("CA file" in n for n in old.report.notes)


def test_a_delivery_without_its_sender_line_loads_under_the_plugins_token_user(
    tmp_path: Path,
) -> None:
    path = tmp_path / "maillog"
    path.write_text(
        "Nov  3 14:40:01 relay postfix/smtp[2455]: [sasl-xoauth2]   2026-11-03 14:40:01: "
        "TokenStore::Read: file=/etc/tokens/ops@contoso.example\n"
        "Nov  3 14:40:02 relay postfix/smtp[2455]: 4F1A22C0F3E: to=<a@example.org>, "
        "relay=smtp.office365.com[52.96.40.242]:587, delay=1.2, delays=0.1/0/0.6/0.5, "
        "dsn=2.0.0, status=sent (250 2.0.0 OK <x@relay> [Hostname=AM0PR01MB1234.eurprd01.prod."
        "exchangelabs.com])\n"
    )
    log = accounted(load_send_log(path, tz="UTC", year=2026))
    assert log.frame["account"].tolist() == ["ops@contoso.example"]
    assert analyze(log).accounts[0].service == "microsoft_365"


@pytest.mark.parametrize(
    ("received", "culture"),
    [
        ("11/3/2026 9:14:22 AM", "en-US"),
        ("03/11/2026 09:14:22", "en-GB"),
        ("03.11.2026 09:14:22", "de-DE"),
        ("2026/11/03 9:14:22", "ja-JP"),
    ],
)
def test_a_message_traces_date_in_the_exporting_cultures_format(
    tmp_path: Path, received: str, culture: str
) -> None:
    header = "Received,SenderAddress,RecipientAddress,Subject,Status,MessageId,MessageTraceId"
    path = tmp_path / f"trace-{culture}.csv"
    path.write_text(
        f'{header}\n"{received}",ops@contoso.example,a@example.org,Hi,Delivered,<m>,t\n'
    )
    log = load_send_log(path)  # no hint: a trace is UTC, its culture shows in its layout
    assert log.frame["time"].iloc[0].isoformat() == "2026-11-03T09:14:22+00:00"
