"""The whole `outlook-kit analyze --json`, as a user runs it, against one bare DuckDB query.

For each shape of log (generated as CSV, N rows each, 5 million by default):

- scattered: 1,000 accounts whose refusals at the cap are scattered at random (every day
  of every account looks near a cap, so the exact rolling maximum is needed everywhere);
- many: 100,000 small accounts of 50 rows each;
- one: a single account with every row;
- dupes: the fleet below with 10% of its rows written twice (overlapping exports);
- fleet: the realistic fleet of `bench_analysis.py` (1,000 accounts, skewed, a daily cap);

two contenders run as whole processes, in turns (kit, bare, kit, bare, ...), `--rounds`
times each: the kit (`outlook-kit analyze FILE --json`: load with every row accounted for,
daily volume, the exact rolling 24 hours, hits, pauses, inference, headroom, summaries) and
bare DuckDB (`python -c` one query over `read_csv`: exact duplicate rows dropped, as the kit
drops them, then the per-account-day aggregates and the exact rolling 24-hour maximum over
every send, per account). It prints each one's median
wall time and peak memory (the process's maximum resident set; the benchmark's own process
stays small, since a child's figure starts from its parent's), their ratio, and whether
the per-account figures agree (messages, recipients, the busiest day's recipients, the most
in 24 hours). Target: the kit within 1.25x the bare query, under 1.5 GiB.

Run: `python benchmarks/bench_whole.py [--rows N] [--shapes a,b] [--rounds R] [--keep]`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SHAPES = ("scattered", "many", "one", "dupes", "fleet")
CAP = 300
WINDOW = "INTERVAL '86399999999 microseconds'"  # (t - 24 h, t], as the kit counts it
CAP_TEXT = "Recipient address rejected: Access denied [BN9PR03CA0123.namprd03.prod.outlook.com]"
OK_TEXT = "OK <x@outlook.com> [Hostname=BN9PR03MB6102.namprd03.prod.outlook.com]"


def generate(path: Path, shape: str, rows: int, days: int = 180, seed: float = 0.42) -> None:
    """Write one shape's log as CSV."""
    import duckdb

    accounts = {"scattered": 1000, "many": max(1, rows // 50), "one": 1}.get(shape, 1000)
    pick = (
        f"CAST(floor({accounts} * pow(random(), 1.8)) AS INTEGER)"
        if shape in ("fleet", "dupes")
        else f"CAST(i % {accounts} AS INTEGER)"
    )
    if shape == "scattered":
        fate = "CASE WHEN u < 0.02 THEN 'cap' WHEN u < 0.03 THEN 'deferred' ELSE 'sent' END"
    else:  # refused once the day's recipients pass the cap
        fate = f"CASE WHEN used > {CAP} THEN 'cap' WHEN u < 0.01 THEN 'deferred' ELSE 'sent' END"
    copies = "UNION ALL SELECT * FROM judged WHERE u2 < 0.1" if shape == "dupes" else ""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SELECT setseed({seed})")
    con.execute(
        f"""COPY (
          WITH base AS (
            SELECT i, {pick} AS account_no,
              TIMESTAMPTZ '2026-01-01 00:00:00+00'
                + to_microseconds(CAST(random() * {days} * 86400e6 AS BIGINT)) AS time,
              CAST(1 + floor(pow(random(), 4) * 4) AS INTEGER) AS k,
              random() AS u, random() AS u2
            FROM range({rows}) AS t(i)
          ), counted AS (
            SELECT *, sum(k) OVER (PARTITION BY account_no, CAST(time AS DATE)
              ORDER BY time ROWS UNBOUNDED PRECEDING) AS used
            FROM base
          ), judged AS (SELECT *, {fate} AS fate FROM counted),
          rows AS (SELECT * FROM judged {copies})
          SELECT strftime(time, '%Y-%m-%dT%H:%M:%S.%fZ') AS time,
            'acct' || account_no || '@outlook.com' AS account,
            array_to_string(list_transform(range(k),
              lambda x: 'r' || ((i * 7 + x) % 90001) || '@example.com'), ';') AS recipients,
            CASE fate WHEN 'cap' THEN 'rejected' ELSE fate END AS status,
            CASE fate WHEN 'sent' THEN 250 WHEN 'deferred' THEN 451 ELSE 550 END AS code,
            CASE fate WHEN 'sent' THEN '2.0.0' WHEN 'deferred' THEN '4.7.0' ELSE '5.4.1' END
              AS enhanced,
            CASE fate WHEN 'sent' THEN '{OK_TEXT}'
              WHEN 'deferred' THEN 'Temporary server error. Please try again later. PRX4'
              ELSE '{CAP_TEXT}' END AS text
          FROM rows ORDER BY time
        ) TO '{path}' (HEADER, DELIMITER ',')"""
    )


BARE = """
import duckdb, sys
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute("SET enable_progress_bar = false")
con.execute('''COPY (
  WITH s AS (
    SELECT account, time, CAST(time AS DATE) AS day, status,
      len(string_split(recipients, ';')) AS n
    FROM (SELECT DISTINCT * FROM read_csv(?, header = true, columns = {'time': 'TIMESTAMPTZ',
      'account': 'VARCHAR', 'recipients': 'VARCHAR', 'status': 'VARCHAR', 'code': 'INTEGER',
      'enhanced': 'VARCHAR', 'text': 'VARCHAR'}))
  ), days AS (
    SELECT account, day, count(*) FILTER (status = 'sent') AS messages,
      coalesce(sum(n) FILTER (status = 'sent'), 0) AS recipients,
      count(*) FILTER (status = 'rejected') AS rejections
    FROM s GROUP BY ALL
  ), rolled AS (
    SELECT account, sum(n) OVER (PARTITION BY account ORDER BY time
      RANGE BETWEEN WINDOW PRECEDING AND CURRENT ROW) AS r
    FROM s WHERE status = 'sent'
  ), most AS (SELECT account, max(r) AS most_24h FROM rolled GROUP BY ALL)
  SELECT d.account, sum(messages) AS messages, sum(recipients) AS recipients,
    max(recipients) AS busiest, any_value(m.most_24h) AS most_24h
  FROM days AS d LEFT JOIN most AS m USING (account) GROUP BY d.account ORDER BY d.account
) TO '__OUT__' (FORMAT JSON, ARRAY true)''', [sys.argv[1]])
"""


def run(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one whole process."""
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    if status != 0:
        assert process.stderr is not None
        raise SystemExit(f"{command[:3]} failed:\n{process.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024  # KiB on Linux


def agreement(kit_json: Path, bare_json: Path) -> str:
    kit = {a["account"]: a for a in json.loads(kit_json.read_text())["accounts"]}
    bare = {row["account"]: row for row in json.loads(bare_json.read_text())}
    if set(kit) != set(bare):
        return f"accounts DIFFER ({len(kit)} vs {len(bare)})"
    bad = {"messages": 0, "recipients": 0, "busiest": 0, "most_24h": 0, "bounds": 0}
    for name, row in bare.items():
        mine = kit[name]
        bad["messages"] += mine["messages"] != row["messages"]
        bad["recipients"] += mine["recipients"] != row["recipients"]
        bad["busiest"] += mine["max_daily_recipients"] != row["busiest"]
        most = mine["max_rolling_24h_recipients"]
        if most is None:
            bad["bounds"] += 1  # only a bound: the output says so
        else:
            bad["most_24h"] += most != (row["most_24h"] or 0)
    wrong = {k: v for k, v in bad.items() if v}
    if not wrong:
        return f"agree on all {len(bare):,} accounts (most in 24 h exact on every one)"
    return f"DIFFER on {wrong} of {len(bare):,} accounts"


def bench_shape(shape: str, rows: int, rounds: int, workdir: Path, keep: bool) -> dict[str, Any]:
    path = workdir / f"{shape}.csv"
    began = time.perf_counter()
    # in a process of its own: a child's peak memory (ru_maxrss) starts from its parent's
    subprocess.run(
        [sys.executable, __file__, "--generate", shape, "--rows", str(rows), "--path", str(path)],
        check=True,
    )
    size = path.stat().st_size / 2**30
    made = time.perf_counter() - began
    print(f"{shape}: {rows:,} rows, {size:.2f} GiB of CSV, made in {made:.1f} s")
    kit_out, bare_out = workdir / f"{shape}.kit.json", workdir / f"{shape}.bare.json"
    kit_cmd = [sys.executable, "-m", "outlook_kit", "analyze", str(path), "--json"]
    script = BARE.replace("WINDOW", WINDOW).replace("__OUT__", str(bare_out))
    bare_cmd = [sys.executable, "-c", script, str(path)]
    with kit_out.open("w") as out:  # the kit's JSON, once, for the agreement
        subprocess.run(kit_cmd, stdout=out, check=True)  # (the parent stays small)
    kit: list[tuple[float, float]] = []
    bare: list[tuple[float, float]] = []
    for _ in range(rounds):  # in turns: a noisy spell slows both
        kit.append(run(kit_cmd))
        bare.append(run(bare_cmd))
    kit_s = statistics.median(t for t, _ in kit)
    bare_s = statistics.median(t for t, _ in bare)
    ratios = [k / b for (k, _), (b, _) in zip(kit, bare, strict=True)]
    kit_mib = max(m for _, m in kit)
    runs = ", ".join(f"{t:.2f}" for t, _ in kit)
    print(f"  kit   {kit_s:7.2f} s  peak {kit_mib:6.0f} MiB   (runs {runs})")
    print(f"  bare  {bare_s:7.2f} s  peak {max(m for _, m in bare):6.0f} MiB")
    print(f"  kit / bare: median of rounds {statistics.median(ratios):.2f}x")
    # in a process of its own too: reading a large JSON here would raise the peak every
    # later child starts from
    agree = [sys.executable, __file__, "--agree", str(kit_out), str(bare_out)]
    figures = subprocess.run(agree, check=True, capture_output=True, text=True).stdout.strip()
    print(f"  figures: {figures}")
    if not keep:
        path.unlink()
    return {"shape": shape, "ratio": statistics.median(ratios), "peak_mib": kit_mib}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated CSVs")
    parser.add_argument("--generate", choices=SHAPES, help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--agree", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.agree:
        print(agreement(*args.agree))
        return 0
    if args.generate:
        generate(args.path, args.generate, args.rows)
        return 0
    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    unknown = set(shapes) - set(SHAPES)
    if unknown:
        parser.error(f"unknown shapes {sorted(unknown)}; known: {', '.join(SHAPES)}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-whole-"))
    results = []
    try:
        for shape in shapes:
            results.append(bench_shape(shape, args.rows, args.rounds, workdir, args.keep))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}")
    met = all(r["ratio"] <= 1.25 and r["peak_mib"] < 1536 for r in results)
    summary = ", ".join(f"{r['shape']} {r['ratio']:.2f}x" for r in results)
    verdict = "met" if met else "NOT met"
    print(f"target (<= 1.25x bare, < 1.5 GiB on every shape): {verdict} ({summary})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
