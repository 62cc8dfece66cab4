"""Send-log analysis at fleet scale: the kit against bare DuckDB SQL and plain pandas.

Generates a synthetic fleet log of N rows (default 10 million rows, 1,000 accounts, 180
days, over 2 GB of CSV) and runs three contenders on it, each in a process of its own (so
each one's peak memory is its own), each once to warm up (discarded: these machines charge
the first touch of freed memory) and then timed:

1. kit: `load_send_log(path)` (every row accounted for: the load report) and
   `daily_volume(log)` (per account and day: messages, recipients, rejections,
   deferrals, cap hits, and the rolling 24-hour maximum where it can matter).
2. duckdb: one bare SQL query over `read_csv` computing the same per-account-day
   aggregates and the rolling 24-hour maximum of every day (a window over every send).
3. pandas: `read_csv` and `groupby` for the aggregates, `rolling("24h")` for the maxima.

The machines are noisy, so the kit and bare DuckDB run in turns, `--rounds` times each
(kit, duckdb, kit, duckdb, ...): a slow spell then slows both. It prints each one's
median wall time and peak memory (resident set), the kit-to-DuckDB ratio of every round
and their median, and whether the results agree (aggregates on every day; the rolling
maximum on the days the kit computed it). pandas, ten times slower, is timed once.
Target: the kit within 1.25 times the bare SQL's time (the median ratio), under 1.5 GiB.

Run: `make bench-analysis`, or
`python benchmarks/bench_analysis.py [--rows N] [--accounts A] [--days D] [--keep]`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CAP = 300  # recipients a day after which the generator refuses an account's sends
WINDOW = "INTERVAL '86399999999 microseconds'"  # (t - 24 h, t]


def generate(path: Path, rows: int, accounts: int, days: int, seed: float = 0.42) -> float:
    """Write a fleet's send log as CSV; return the seconds it took."""
    import duckdb

    began = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")  # the figures, not a progress bar
    con.execute(f"SELECT setseed({seed})")
    stamp = "[BN9PR03CA0123.namprd03.prod.outlook.com ' || strftime(time, '%Y-%m-%dT%H:%M:%S.%gZ') || ' 08DE' || substr(md5(i::VARCHAR), 1, 12) || ']"  # noqa: E501
    store = "[Hostname=BN9PR03MB6102.namprd03.prod.outlook.com]"
    con.execute(
        f"""COPY (
          WITH base AS (
            SELECT i,
              CAST(floor({accounts} * pow(random(), 1.8)) AS INTEGER) AS account_no,
              TIMESTAMPTZ '2026-01-01 00:00:00+00'
                + to_microseconds(CAST(random() * {days} * 86400e6 AS BIGINT)) AS time,
              CAST(1 + floor(pow(random(), 4) * 4) AS INTEGER) AS k,
              random() AS u
            FROM range({rows}) AS t(i)
          ), counted AS (
            SELECT *, sum(k) OVER (PARTITION BY account_no, CAST(time AS DATE)
              ORDER BY time ROWS UNBOUNDED PRECEDING) AS used
            FROM base
          ), judged AS (
            SELECT *, CASE WHEN used > {CAP} THEN 'cap' WHEN u < 0.01 THEN 'deferred'
              WHEN u < 0.013 THEN 'unknown' ELSE 'sent' END AS fate
            FROM counted
          )
          SELECT strftime(time, '%Y-%m-%dT%H:%M:%S.%gZ') AS time,
            'fleet' || account_no || '@outlook.com' AS account,
            'fleet' || account_no || '@outlook.com' AS "from",
            array_to_string(list_transform(range(k),
              lambda x: 'r' || ((i * 7 + x) % 90001) || '@example.com'), ';') AS recipients,
            CASE fate WHEN 'sent' THEN 'sent' WHEN 'deferred' THEN 'deferred'
              ELSE 'rejected' END AS status,
            CASE fate WHEN 'sent' THEN 'data' WHEN 'deferred' THEN 'data' ELSE 'rcpt_to' END
              AS stage,
            CASE fate WHEN 'sent' THEN 250 WHEN 'deferred' THEN 451 ELSE 550 END AS code,
            CASE fate WHEN 'sent' THEN '2.0.0' WHEN 'deferred' THEN '4.7.0' ELSE '5.4.1' END
              AS enhanced,
            CASE fate
              WHEN 'sent' THEN 'OK <' || md5(i::VARCHAR) || '@outlook.com> {store}'
              WHEN 'deferred' THEN 'Temporary server error. Please try again later. PRX4'
              WHEN 'unknown' THEN 'Recipient address rejected: Access denied. AS(201806281) '
                || '[BN8NAM12FT011.eop-nam12.prod.protection.outlook.com]'
              ELSE 'Recipient address rejected: Access denied {stamp}'
            END AS text
          FROM judged ORDER BY time
        ) TO '{path}' (HEADER, DELIMITER ',')"""
    )
    return time.perf_counter() - began


# --- the contenders: each returns per account and day (UTC) -----------------------------------


def run_kit(path: str) -> Any:
    from outlook_kit.analysis import daily_volume
    from outlook_kit.sendlog import load_send_log

    log = load_send_log(path)
    assert log.report.read == log.report.loaded + log.report.skipped
    daily = daily_volume(log)
    return daily[
        ["account", "day", "messages", "recipients", "rejections", "deferrals", "max_rolling_24h"]
    ]


def run_duckdb(path: str) -> Any:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    columns = (
        "{'time': 'TIMESTAMPTZ', 'account': 'VARCHAR', 'from': 'VARCHAR', "
        "'recipients': 'VARCHAR', 'status': 'VARCHAR', 'stage': 'VARCHAR', 'code': 'INTEGER', "
        "'enhanced': 'VARCHAR', 'text': 'VARCHAR'}"
    )
    return con.execute(
        f"""WITH s AS (
          SELECT account, time, CAST(time AS DATE) AS day, status,
            len(string_split(recipients, ';')) AS n
          FROM read_csv('{path}', header = true, columns = {columns})
        ), a AS (
          SELECT account, day, count(*) FILTER (status = 'sent') AS messages,
            coalesce(sum(n) FILTER (status = 'sent'), 0) AS recipients,
            count(*) FILTER (status = 'rejected') AS rejections,
            count(*) FILTER (status = 'deferred') AS deferrals
          FROM s GROUP BY ALL
        ), w AS (
          SELECT account, day, sum(n) OVER (PARTITION BY account ORDER BY time
            RANGE BETWEEN {WINDOW} PRECEDING AND CURRENT ROW) AS r
          FROM s WHERE status = 'sent'
        ), m AS (SELECT account, day, max(r) AS max_rolling_24h FROM w GROUP BY ALL)
        SELECT a.*, coalesce(m.max_rolling_24h, 0) AS max_rolling_24h
        FROM a LEFT JOIN m USING (account, day)"""
    ).fetchdf()


def run_pandas(path: str) -> Any:
    import pandas as pd

    frame = pd.read_csv(path, usecols=["time", "account", "recipients", "status"])
    frame["time"] = pd.to_datetime(frame["time"], utc=True, format="ISO8601")
    frame["n"] = frame["recipients"].str.count(";") + 1
    frame["day"] = frame["time"].dt.floor("D")
    sent = frame["status"] == "sent"
    frame["sent_n"] = frame["n"].where(sent, 0)
    daily = frame.groupby(["account", "day"]).agg(
        messages=("status", lambda s: int((s == "sent").sum())),
        recipients=("sent_n", "sum"),
        rejections=("status", lambda s: int((s == "rejected").sum())),
        deferrals=("status", lambda s: int((s == "deferred").sum())),
    )
    sends = frame.loc[sent, ["account", "time", "day", "n"]].sort_values(["account", "time"])
    rolled = sends.set_index("time").groupby("account")["n"].rolling("24h").sum().reset_index()
    rolled["day"] = rolled["time"].dt.floor("D")
    maxima = rolled.groupby(["account", "day"])["n"].max().rename("max_rolling_24h")
    return daily.join(maxima).fillna({"max_rolling_24h": 0}).reset_index()


CONTENDERS = {"kit": run_kit, "duckdb": run_duckdb, "pandas": run_pandas}


def _child(name: str, path: str, out: str) -> None:
    """Serve one contender: a warm-up, then a timed run for each `run` line on stdin (its
    seconds on stdout); at `stop`, the process's peak memory, and the last result to `out`."""
    result = CONTENDERS[name](path)  # warm-up, discarded
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            break
        began = time.perf_counter()
        result = CONTENDERS[name](path)
        print(json.dumps({"seconds": time.perf_counter() - began}), flush=True)
    import pandas as pd

    frame = result.copy()
    frame["day"] = [pd.Timestamp(d).strftime("%Y-%m-%d") for d in frame["day"]]
    frame.to_csv(out, index=False)
    print(json.dumps({"peak_mib": _peak_mib()}), flush=True)


def _peak_mib() -> float:
    """This process's peak resident memory in MiB: VmHWM (Linux), which, unlike ru_maxrss,
    does not inherit the parent's peak across fork and exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class _Contender:
    """A contender's own process (so its peak memory is its own), kept warm between runs."""

    def __init__(self, name: str, path: Path, workdir: Path) -> None:
        self.name = name
        self.out = workdir / f"{name}.csv"
        command = [sys.executable, __file__, "--child", name, "--path", str(path)]
        self.process = subprocess.Popen(
            [*command, "--out", str(self.out)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.times: list[float] = []
        self._reply()  # the warm-up is done

    def _reply(self) -> dict[str, Any]:
        assert self.process.stdout is not None and self.process.stderr is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"the {self.name} run failed:\n{self.process.stderr.read()[-3000:]}")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def run(self) -> float:
        assert self.process.stdin is not None
        self.process.stdin.write("run\n")
        self.process.stdin.flush()
        self.times.append(float(self._reply()["seconds"]))
        return self.times[-1]

    def stop(self) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write("stop\n")
        self.process.stdin.flush()
        figures = self._reply()
        self.process.wait()
        return {
            "seconds": statistics.median(self.times),
            "peak_mib": figures["peak_mib"],
            "out": self.out,
            "times": self.times,
        }


def _agreement(results: dict[str, dict[str, Any]]) -> list[str]:
    import pandas as pd

    def read(name: str) -> pd.DataFrame:
        frame = pd.read_csv(results[name]["out"]).set_index(["account", "day"]).sort_index()
        return frame

    lines = []
    reference = read("duckdb") if "duckdb" in results else None
    if reference is None:
        return ["(no bare DuckDB run to compare with)"]
    for name in results:
        if name == "duckdb":
            continue
        other = read(name)
        same_days = other.index.equals(reference.index)
        columns = ["messages", "recipients", "rejections", "deferrals"]
        aggregates = (
            same_days and (other[columns].astype("int64") == reference[columns]).all().all()
        )
        computed = other["max_rolling_24h"].notna()
        rolling = same_days and bool(
            (
                other.loc[computed, "max_rolling_24h"].astype("int64")
                == reference.loc[computed, "max_rolling_24h"].astype("int64")
            ).all()
        )
        lines.append(
            f"{name} vs duckdb: aggregates {'agree' if aggregates else 'DIFFER'} on "
            f"{len(other):,} account-days; rolling maximum {'agrees' if rolling else 'DIFFERS'} "
            f"on the {int(computed.sum()):,} account-days it was computed for"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--path", type=Path, help="use this CSV instead of generating one")
    parser.add_argument("--keep", action="store_true", help="keep the generated CSV")
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="timed runs of the kit and bare DuckDB, alternated, after a warm-up each (5)",
    )
    parser.add_argument(
        "--contenders", default="kit,duckdb,pandas", help="comma-separated (kit,duckdb,pandas)"
    )
    parser.add_argument("--child", choices=sorted(CONTENDERS), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, str(args.path), args.out)
        return 0
    names = [n.strip() for n in args.contenders.split(",") if n.strip()]
    unknown = set(names) - set(CONTENDERS)
    if unknown:
        parser.error(f"unknown contender(s): {', '.join(sorted(unknown))}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-analysis-"))
    path = args.path or workdir / "fleet.csv"
    if args.path is None:
        seconds = generate(path, args.rows, args.accounts, args.days)
        print(
            f"generated {args.rows:,} rows, {args.accounts:,} accounts, {args.days} days: "
            f"{path.stat().st_size / 2**30:.2f} GiB of CSV in {seconds:.1f} s"
        )
    rounds = max(1, args.rounds)
    contenders = {name: _Contender(name, path, workdir) for name in names}
    paired = [name for name in ("kit", "duckdb") if name in contenders]
    for _ in range(rounds):  # alternated, so a noisy spell hits both alike
        for name in paired:
            contenders[name].run()
    for name in set(names) - set(paired):  # pandas: far slower; one timed run is enough
        contenders[name].run()
    results = {name: contenders[name].stop() for name in names}
    for name, figures in results.items():
        runs = ", ".join(f"{t:.2f}" for t in figures["times"])
        print(
            f"{name:<7} {figures['seconds']:8.2f} s (median; runs {runs})   "
            f"peak {figures['peak_mib']:8,.0f} MiB",
            flush=True,
        )
    if "kit" in results:
        kit = results["kit"]
        for name in ("duckdb", "pandas"):
            if name in results:
                other = results[name]
                print(
                    f"kit / {name}: time {kit['seconds'] / other['seconds']:.2f}x, "
                    f"memory {kit['peak_mib'] / other['peak_mib']:.2f}x"
                )
        if "duckdb" in results:
            ratios = [k / d for k, d in zip(kit["times"], results["duckdb"]["times"], strict=True)]
            ratio = statistics.median(ratios)
            print(
                f"kit / duckdb, round by round: {', '.join(f'{r:.2f}' for r in ratios)}; "
                f"median {ratio:.2f}x"
            )
            ok = ratio <= 1.25 and kit["peak_mib"] <= 1.5 * 1024
            print(
                "target (kit <= 1.25x bare SQL by the median ratio, < 1.5 GiB): "
                f"{'met' if ok else 'NOT met'}"
            )
    for line in _agreement(results):
        print(line)
    if args.path is None and not args.keep:
        path.unlink(missing_ok=True)
    elif args.path is None:
        print(f"kept {path}")
    for figures in results.values():
        Path(figures["out"]).unlink(missing_ok=True)
    if not args.keep:
        with contextlib.suppress(OSError):  # not empty when a contender left files
            os.rmdir(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
