"""Which service each account sends through decides its cap: Microsoft 365's published limits
for a work mailbox, the guide's model for Outlook.com (and for what the log does not tell)."""

import json
from pathlib import Path

import pytest

from outlook_kit.analysis import analyze
from outlook_kit.caps import MICROSOFT_365, OUTLOOK_COM, CapModel, infer_cap
from outlook_kit.cli import main
from outlook_kit.sendlog import load_send_log

LOGS = Path(__file__).parent / "data" / "logs"


def _csv(tmp_path: Path, rows: list[tuple[str, str, str, int]]) -> Path:
    """A mailer's export with a relay column: time, from, relay, recipients."""
    lines = ["time,from,relay,to,status"]
    for time, sender, relay, n in rows:
        to = ";".join(f"r{i}@example.org" for i in range(n))
        lines.append(f"{time},{sender},{relay},{to},sent")
    path = tmp_path / "export.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("lazy", [False, True], ids=["in memory", "in place"])
def test_the_relay_names_the_service_and_the_model_follows(tmp_path: Path, lazy: bool) -> None:
    path = _csv(
        tmp_path,
        [
            (
                "2026-11-03T09:00:00Z",
                "ops@contoso.example",
                "smtp.office365.com[52.96.1.2]:587",
                40,
            ),
            ("2026-11-03T09:00:00Z", "shop@fabrikam.example", "smtp-mail.outlook.com:587", 40),
            ("2026-11-03T09:00:00Z", "me@outlook.com", "smtp.office365.com", 40),
            ("2026-11-03T09:00:00Z", "web@tailspin.example", "", 40),
            ("2026-11-03T09:00:00Z", "app@gmail.com", "smtp.gmail.com", 40),
        ],
    )
    log = load_send_log(path, lazy=lazy)
    assert log.in_place is lazy
    assert set(log.frame["relay"].dropna()) == {
        "smtp.office365.com",
        "smtp-mail.outlook.com",
        "smtp.gmail.com",
    }
    result = analyze(log, created={"ops@contoso.example": "2026-11-02"})
    got = {a.account: (a.service, a.relay, a.cap_now) for a in result.accounts}
    assert got == {
        "ops@contoso.example": ("microsoft_365", "smtp.office365.com", 10_000),
        "shop@fabrikam.example": ("outlook_com", "smtp-mail.outlook.com", 300),
        # a personal address is Outlook.com's whatever relay it signed in at
        "me@outlook.com": ("outlook_com", "smtp.office365.com", 300),
        "web@tailspin.example": ("unknown", None, 300),
        "app@gmail.com": ("other", "smtp.gmail.com", 300),
    }
    work = result.daily[result.daily["account"] == "ops@contoso.example"]
    assert work["cap_assumed"].tolist() == [10_000]
    assert work["share_of_cap"].tolist() == [40 / 10_000]
    assert any(MICROSOFT_365.label in line for line in result.assumptions)
    assert any(OUTLOOK_COM.label in line for line in result.assumptions)


def test_8000_in_a_day_is_near_the_cap_for_outlook_com_but_not_for_microsoft_365(
    tmp_path: Path,
) -> None:
    rows = [
        (f"2026-11-03T{h:02d}:00:00Z", sender, relay, 500)
        for h in range(16)
        for sender, relay in (
            ("ops@contoso.example", "smtp.office365.com"),
            ("ops@fabrikam.example", "smtp-mail.outlook.com"),
        )
    ]
    result = analyze(load_send_log(_csv(tmp_path, rows)))
    work, personal = result.account("ops@contoso.example"), result.account("ops@fabrikam.example")
    assert (work.cap_now, work.headroom_now, work.level) == (10_000, 2_000, "above 80%")
    assert personal.cap_basis == "at least (log)"  # 8,000 accepted: the model's 300 is too low
    assert personal.cap_now == 8_000 and personal.level == "at cap"


def test_a_message_trace_is_microsoft_365s() -> None:
    result = analyze(load_send_log(LOGS / "m365_trace.csv", tz="UTC"))
    assert {a.service for a in result.accounts} == {"microsoft_365"}
    assert {a.cap_now for a in result.accounts} == {10_000}
    assert result.assumptions == [MICROSOFT_365.label]


def test_a_postfix_log_through_office_365_uses_microsoft_365s_limits() -> None:
    result = analyze(load_send_log(LOGS / "maillog_office365", tz="UTC"))
    services = {a.account: a.service for a in result.accounts}
    assert services["alerts@contoso.example"] == "microsoft_365"
    assert services["you@outlook.com"] == "outlook_com"
    assert result.account("alerts@contoso.example").cap_now == 10_000


def test_the_json_names_each_accounts_service_and_relay(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["analyze", str(LOGS / "maillog_office365"), "--tz", "UTC", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    accounts = {a["account"]: a for a in printed["accounts"]}
    assert accounts["alerts@contoso.example"]["service"] == "microsoft_365"
    assert accounts["alerts@contoso.example"]["relay"] == "smtp.office365.com"
    assert accounts["alerts@contoso.example"]["cap_now"] == 10_000
    assert "10,000 recipients a day" in printed["assumptions"]


def test_a_given_cap_model_is_outlook_coms_and_microsoft_365_keeps_its_own(
    tmp_path: Path,
) -> None:
    rows = [
        ("2026-11-03T09:00:00Z", "ops@contoso.example", "smtp.office365.com", 5),
        ("2026-11-03T09:00:00Z", "me@hotmail.com", "smtp-mail.outlook.com", 5),
    ]
    result = analyze(load_send_log(_csv(tmp_path, rows)), cap_model=CapModel(new_account_cap=50))
    assert result.account("me@hotmail.com").cap_now == 50
    assert result.account("ops@contoso.example").cap_now == 10_000


def test_microsoft_365s_cap_does_not_grow_with_age() -> None:
    assert {MICROSOFT_365.cap_for_age(d) for d in (0, 30, 400, 4000)} == {10_000}
    assert MICROSOFT_365.breakpoints(4000) == [0.0]
    assert MICROSOFT_365.messages_per_minute == 30


def test_inference_bands_follow_each_accounts_model() -> None:
    import pandas as pd

    times = pd.to_datetime(["2026-01-01", "2026-03-01"], utc=True)
    evidence = pd.DataFrame(
        {
            "account": ["a@contoso.example"] * 2 + ["b@outlook.com"] * 2,
            "time": list(times) * 2,
            "kind": ["accepted"] * 4,
            "n_recipients": [1] * 4,
            "rolling_24h": [10, 20] * 2,
            "midnight_utc": [10, 20] * 2,
        }
    )
    bands = infer_cap(evidence, model={"a@contoso.example": MICROSOFT_365})
    per_account = bands.groupby("account")["band_start"].count().to_dict()
    assert per_account == {"a@contoso.example": 1, "b@outlook.com": 2}  # 300 grows at 30 days
