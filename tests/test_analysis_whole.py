"""The whole analysis agrees with one bare DuckDB query on the same file: per account the
messages, recipients, the busiest day's recipients and the most in any 24 hours (exact, not
a bound), in memory and read in place, on a log whose refusals at the cap are scattered."""

from pathlib import Path

import duckdb
import pytest

from outlook_kit.analysis import analyze
from outlook_kit.sendlog import load_send_log

WINDOW = "INTERVAL '86399999999 microseconds'"


def write_log(path: Path, rows: int = 20_000, accounts: int = 40) -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SELECT setseed(0.25)")
    con.execute(
        f"""COPY (
          SELECT strftime(time, '%Y-%m-%dT%H:%M:%S.%fZ') AS time,
            'acct' || (i % {accounts}) || '@outlook.com' AS account,
            array_to_string(list_transform(range(k), lambda x: 'r' || (i + x) || '@example.com'),
              ';') AS recipients,
            CASE WHEN u < 0.03 THEN 'rejected' WHEN u < 0.05 THEN 'deferred' ELSE 'sent' END
              AS status,
            CASE WHEN u < 0.03 THEN '550 5.4.1 Recipient address rejected: Access denied'
              WHEN u < 0.05 THEN '451 4.7.0 Temporary server error. Please try again later'
              ELSE '250 2.0.0 OK' END AS text
          FROM (
            SELECT i, TIMESTAMPTZ '2026-03-01 00:00:00+00'
                + to_microseconds(CAST(random() * 40 * 86400e6 AS BIGINT)) AS time,
              CAST(1 + floor(pow(random(), 3) * 6) AS INTEGER) AS k, random() AS u
            FROM range({rows}) AS t(i)
          ) ORDER BY time
        ) TO '{path}' (HEADER, DELIMITER ',')"""
    )


def bare(path: Path) -> dict[str, tuple[int, int, int, int]]:
    """Per account: messages, recipients, the busiest UTC day's recipients, the most in 24 h."""
    rows = (
        duckdb.connect()
        .execute(
            f"""WITH s AS (
          SELECT account, time, CAST(time AS DATE) AS day, status,
            len(string_split(recipients, ';')) AS n
          FROM read_csv('{path}', header = true, columns = {{'time': 'TIMESTAMPTZ',
            'account': 'VARCHAR', 'recipients': 'VARCHAR', 'status': 'VARCHAR',
            'text': 'VARCHAR'}})
        ), days AS (
          SELECT account, day, count(*) FILTER (status = 'sent') AS messages,
            coalesce(sum(n) FILTER (status = 'sent'), 0) AS recipients
          FROM s GROUP BY ALL
        ), rolled AS (
          SELECT account, sum(n) OVER (PARTITION BY account ORDER BY time
            RANGE BETWEEN {WINDOW} PRECEDING AND CURRENT ROW) AS r
          FROM s WHERE status = 'sent'
        )
        SELECT d.account, sum(messages), sum(recipients), max(recipients),
          (SELECT max(r) FROM rolled WHERE rolled.account = d.account)
        FROM days AS d GROUP BY d.account"""
        )
        .fetchall()
    )
    return {a: (int(m), int(r), int(b), int(most)) for a, m, r, b, most in rows}


@pytest.mark.parametrize("lazy", [False, True], ids=["in memory", "in place"])
def test_the_analysis_agrees_with_bare_sql_rolling_maximum_included(
    tmp_path: Path, lazy: bool
) -> None:
    path = tmp_path / "fleet.csv"
    write_log(path)
    log = load_send_log(path, lazy=lazy)
    assert log.in_place is lazy
    result = analyze(log)
    mine = {
        a.account: (a.messages, a.recipients, a.max_daily_recipients, a.max_rolling_24h_recipients)
        for a in result.accounts
    }
    assert mine == bare(path)
    assert sum(len(a.cap_hits) for a in result.accounts) > 100  # refusals at the cap were read


def test_an_accounts_hits_read_as_hits_and_write_the_same_json(tmp_path: Path) -> None:
    path = tmp_path / "fleet.csv"
    write_log(path, rows=5_000, accounts=3)
    result = analyze(load_send_log(path))
    hits = max((a.cap_hits for a in result.accounts), key=len)
    assert len(hits) > 10
    made = list(hits)  # each Hit made when read
    assert made[0] == hits[0] and made[-1] == hits[-1] and list(hits[-3:]) == made[-3:]
    assert all(made[i].at <= made[i + 1].at for i in range(len(made) - 1))
    assert hits.to_dicts() == [h.to_dict() for h in made]  # what --json prints
    with pytest.raises(IndexError):
        hits[len(hits)]
