"""`load_send_log`: any supported log, one file or many, into one normalised send log.

Small logs (the usual: one account, thousands of rows) are read into a pandas frame.
Large CSV/TSV files (a fleet's export, millions of rows) stay on disk: DuckDB reads them
out of core with the same normalisation, once to account for every row, and again for
each analysis; `SendLog.frame` would materialise them, the analysis never needs to.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .detect import TableSpec, detect_format, in_utc
from .diagnose import categorise
from .engine import connect, valid_timezone
from .inplace import DEDUP_KEY, CsvUnreadable, InPlace, Options, load_in_place
from .mta import read_exim, read_msmtp, read_postfix
from .normalise import CAP_HIT_SQL, SKIP_REASONS, normalise_sql
from .readers import Raw, read_jsonl, read_table
from .report import FIRST_LINES, FileInfo, LoadReport, SendLogError, Skip, Tally, Where
from .schema import COLUMNS, FIELDS, RAW_COLUMNS, LogFormat, empty_frame, set_dtypes
from .sources import HEAD_BYTES, WORKBOOK, Source, decode, expand, refuse_non_text, workbook_text

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

LAZY_BYTES = 64 << 20
"""CSV inputs larger than this (64 MiB in all) are read by DuckDB out of core."""
FALLBACK_BYTES = 512 << 20
"""A CSV DuckDB cannot split is read in memory instead, up to this size."""

PathArg = str | os.PathLike[str]


@dataclass(frozen=True, eq=False)
class SendLog:
    """A loaded send log: the normalised rows (`frame`) and the load report (`report`).

    A small log holds its frame. A large CSV (`in_place`) is held by DuckDB as a compact
    table; `frame` reads the files again to build the full frame, which the analysis never
    needs. Every analysis function takes a SendLog or a frame.
    """

    report: LoadReport
    tz: str | None = None
    data: pd.DataFrame | None = field(default=None, repr=False)
    scan: InPlace | None = field(default=None, repr=False)

    @property
    def in_place(self) -> bool:
        """True when DuckDB holds the rows (a large CSV), not a pandas frame."""
        return self.data is None

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The normalised rows as a pandas DataFrame (see `outlook_kit.sendlog.schema`)."""
        if self.data is not None:
            return self.data
        assert self.scan is not None
        con = self.scan.cursor()
        con.execute("SET disabled_optimizers = 'filter_pushdown'")
        con.register("frame_categories", self.scan.categories)
        columns = ", ".join(f"n.{_quoted(c)}" for c in COLUMNS if c != "category")
        frame = con.execute(
            f"""SELECT {columns}, c.category FROM ({self.scan.frame_sql()}) AS n
            LEFT JOIN frame_categories AS c
              ON n.key = c.key AND n.stage IS NOT DISTINCT FROM c.stage
            ORDER BY n.time, n.file_no"""
        ).fetchdf()
        return _finish(frame)

    def __len__(self) -> int:
        return self.report.loaded

    def __str__(self) -> str:
        return str(self.report)


def _quoted(name: str) -> str:
    return f'"{name}"'


def load_send_log(
    paths: PathArg | Iterable[PathArg],
    /,
    *,
    format: str | LogFormat | None = None,
    tz: str | None = None,
    columns: Mapping[str, str | int] | None = None,
    encoding: str | None = None,
    dayfirst: bool | None = None,
    year: int | None = None,
    lazy: bool | None = None,
    date_format: str | None = None,
    sender: str | None = None,
) -> SendLog:
    """Read send logs (files, folders of rotated logs, .gz) into one normalised log.

    Args:
        paths: a file, a folder, or several of them.
        format: "jsonl" (the kit's own log), "csv" (CSV/TSV from a mailer or a spreadsheet),
            "postfix" (maillog), "m365" (Microsoft 365 message trace); detected when None.
        tz: the zone of times written without one (e.g. "Europe/Paris"); required when the
            log has such times, never guessed.
        columns: for CSV, which column holds a field the names do not give away, e.g.
            {"time": "Date sent", "recipients": "To"} (names or 0-based positions).
        encoding: the file encoding; detected when None (UTF-8 with or without BOM,
            UTF-16 as Excel writes it, cp1252).
        dayfirst: for dates like 05/01/2026: True for day first; month first when None
            and the dates do not tell (the report then says so).
        year: the year of classic syslog dates (which carry none); this year when None.
        lazy: read CSV in place with DuckDB instead of into memory; by default, when the
            CSV inputs are over 64 MiB.
        date_format: for CSV, the time column's layout in strftime codes (e.g.
            "%d/%m/%Y %H:%M") when detection is not enough.
        sender: the account whose log it is, for an export with no sender column (WP Mail
            Catcher's): every row is that account's.

    Returns:
        A SendLog: `.frame` the rows, `.report` what became of every row read.

    Raises:
        SendLogError: the log cannot be read at all (empty, header only, binary, unknown
            encoding, times without a zone and no `tz`); the message names the fix.
    """
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    sources = expand(items)
    fmt = _format(format)
    if tz is not None:
        tz = valid_timezone(tz)
    if year is not None and not 1970 <= year <= 2100:
        raise SendLogError(f"year={year} is not a plausible year for a send log")
    if sender is not None:
        sender = _valid_sender(sender)
    options = Options(columns, encoding, dayfirst, year, date_format, sender)
    tally = Tally()
    if lazy is None:
        lazy = fmt in (None, LogFormat.CSV, LogFormat.M365) and (
            sum(s.size for s in sources) > LAZY_BYTES
        )
    if lazy:
        try:
            scan, report = load_in_place(sources, fmt, tz, options, tally)
        except CsvUnreadable as exc:
            size = sum(s.size for s in sources)
            if size > FALLBACK_BYTES:
                raise SendLogError(
                    f"DuckDB could not split {exc.label} as CSV ({exc.reason}); check its "
                    "delimiter, quotes and line endings, or export it again"
                ) from None
            tally = Tally()  # read it again, in memory, with Python's CSV reader
            tally.note(
                f"{exc.label}: DuckDB could not split it as CSV ({exc.reason}); read in "
                "memory instead"
            )
        else:
            return SendLog(report=report, tz=tz, data=None, scan=scan)
    raws: list[Raw] = []
    problems: list[str] = []
    for source in sources:
        try:
            raw = _read(source, fmt, options, tally)
        except SendLogError as exc:
            if len(sources) == 1:
                raise
            problems.append(str(exc))
            tally.note(f"left out: {exc}")
            continue
        raws.append(raw)
    if not raws:
        raise SendLogError("none of the files could be read:\n  " + "\n  ".join(problems))
    if tally.read == 0:
        raise SendLogError(_no_rows_message(sources, tally))
    return _normalise(raws, tz, sender, tally)


def _valid_sender(address: str) -> str:
    from ..accounts import validate_address
    from ..errors import AddressError

    try:
        return validate_address(address, local_ok=True)
    except AddressError as exc:
        raise SendLogError(f"sender={address!r}: {exc}") from None


def _format(value: str | LogFormat | None) -> LogFormat | None:
    if value is None:
        return None
    name = str(value).lower()
    if name == "tsv":
        return LogFormat.CSV
    try:
        return LogFormat(name)
    except ValueError:
        known = ", ".join(f.value for f in LogFormat)
        raise SendLogError(f"unknown format {value!r}; use one of {known}") from None


def _no_rows_message(sources: list[Source], tally: Tally) -> str:
    names = ", ".join(s.label for s in sources)
    kinds = {f.format for f in tally.files}
    if kinds & {"csv", "m365"}:
        return (
            f"{names}: a header but no rows; the export holds no sends (check the date range "
            "or the filter of the export, and export again)"
        )
    return f"{names}: no rows to read; the log is empty"


def _read(source: Source, fmt: LogFormat | None, options: Options, tally: Tally) -> Raw:
    data = source.open_bytes()
    if data.startswith(WORKBOOK):  # an .xlsx export (WP Mail SMTP's, a spreadsheet's)
        text, note = workbook_text(source, data)
        used = "xlsx"
        if note:
            tally.note(note)
    else:
        refuse_non_text(source, data[:HEAD_BYTES])
        text, used = decode(source, data, options.encoding)
    kind = fmt or detect_format(text[:HEAD_BYTES], source.label)
    before = tally.read
    if kind is LogFormat.JSONL:
        raw = read_jsonl(text, source.label, tally)
    elif kind is LogFormat.POSTFIX:
        raw = read_postfix(text, source.label, tally, year=options.year)
    elif kind is LogFormat.EXIM:
        raw = read_exim(text, source.label, tally)
    elif kind is LogFormat.MSMTP:
        raw = read_msmtp(text, source.label, tally, year=options.year)
    else:
        spec = options.sniff(text[:HEAD_BYTES], source.label)
        if kind is LogFormat.M365:
            spec = in_utc(spec, options.dayfirst)
        _note_table(spec, source.label, tally)
        raw = read_table(text, source.label, spec, kind, tally)
    note = "a header but no rows" if tally.read == before and kind in ("csv", "m365") else None
    tally.files.append(FileInfo(source.label, str(kind), used, tally.read - before, note))
    return raw


def _note_table(spec: TableSpec, label: str, tally: Tally) -> None:
    for note in spec.notes:
        tally.note(f"{label}: {note}")
    if spec.time.ambiguous_day_month:
        tally.note(
            f"{label}: dates such as 05/01 fit both month-first and day-first; read "
            "month-first (US). Pass dayfirst=True if they are day-first"
        )
    if not spec.fields & {"recipients", "n_recipients"}:
        tally.note(f"{label}: no recipients column; each message is counted as one recipient")


def _raw_frame(raw: Raw) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(raw.rows, columns=list(RAW_COLUMNS), dtype=object)
    for name in ("source", *FIELDS):
        frame[name] = frame[name].astype(pd.StringDtype())
    frame["line"] = frame["line"].astype("Int64")
    return frame


def _normalise(raws: list[Raw], tz: str | None, sender: str | None, tally: Tally) -> SendLog:
    con = connect()
    parts = []
    for number, raw in enumerate(raws):
        con.register(f"raw_{number}", _raw_frame(raw))
        sql = normalise_sql(f"raw_{number}", raw.time, tz, has=raw.has, padded=True, sender=sender)
        parts.append(f"SELECT {number} AS file_no, * FROM ({sql})")
    con.execute("CREATE TEMP TABLE norm AS " + " UNION ALL ".join(parts))
    _refuse_naive(con, "norm", tz, {f.source: f.format for f in tally.files})
    con.execute(
        f"""CREATE TEMP TABLE marked AS
        SELECT * REPLACE (
          CASE WHEN skip IS NULL AND row_number() OVER (
                 PARTITION BY skip IS NULL, {DEDUP_KEY} ORDER BY file_no, line) > 1
               THEN 'duplicate' ELSE skip END AS skip)
        FROM norm"""
    )
    _count_skips(con, "marked", tally)
    frame = con.execute(
        f"""SELECT {", ".join(_quoted(c) for c in COLUMNS if c != "category")}, key
        FROM marked WHERE skip IS NULL ORDER BY time, file_no, line"""
    ).fetchdf()
    frame["category"] = _categories_for(frame)
    frame = _finish(frame.drop(columns=["key"]))
    report = tally.report(loaded=len(frame))
    return SendLog(report=report, tz=tz, data=frame)


def _categories_for(frame: pd.DataFrame) -> list[str | None]:
    keys = frame["key"].tolist()
    stages = frame["stage"].tolist()
    refused = frame["status"].isin(["rejected", "deferred"]).tolist()
    pairs = [(_none(k), _none(s)) for k, s, r in zip(keys, stages, refused, strict=True) if r]
    mapping = categorise(pairs)
    return [
        mapping[(_none(k), _none(s))] if r else None
        for k, s, r in zip(keys, stages, refused, strict=True)
    ]


def _none(value: Any) -> Any:
    """None for pandas' missing markers (NA, NaN, None)."""
    import pandas as pd

    return (
        None
        if value is None or value is pd.NA or (isinstance(value, float) and value != value)
        else value
    )


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    """Recipients as tuples, and the schema's dtypes."""
    if len(frame) == 0:
        return empty_frame()
    recipients = frame["recipients"].tolist()
    frame = frame.copy()
    frame["recipients"] = [
        tuple(r.split(";")) if isinstance(r, str) and r else () for r in recipients
    ]
    return set_dtypes(frame)


def _refuse_naive(
    con: duckdb.DuckDBPyConnection, table: str, tz: str | None, formats: dict[str, str]
) -> None:
    if tz is not None:
        return
    row = con.execute(
        f"""SELECT count(*), arg_min(example, line), arg_min(source, line), min(line)
        FROM {table} WHERE skip = 'naive'"""
    ).fetchall()
    count, example, source, line = row[0]
    if not count:
        return
    where = f" at {source}:{line}" if line is not None else f" in {source}"
    raise SendLogError(
        f"{count:,} row(s) give the time without a time zone (e.g. {example!r}{where}); "
        "pass tz= the zone they are in, e.g. tz='UTC' or tz='Europe/Paris'."
        f"{_NAIVE_HINTS.get(formats.get(source, ''), '')}"
    )


_NAIVE_HINTS = {
    "postfix": " Classic syslog times are the mail server's local time: pass its zone.",
    "exim": " exim logs the server's local time (unless log_timezone is set): pass its zone.",
    "msmtp": " msmtp logs the local time of the machine that sent: pass its zone.",
}


def _count_skips(con: duckdb.DuckDBPyConnection, table: str, tally: Tally) -> None:
    rows = con.execute(
        f"""SELECT skip, count(*) AS n,
          list(struct_pack(source := source, line := line) ORDER BY file_no, line)[1:{FIRST_LINES}],
          any_value(example)
        FROM {table} WHERE skip IS NOT NULL GROUP BY skip"""
    ).fetchall()
    tally.read += 0  # the readers counted the rows they read
    for skip, count, lines, example in rows:
        where = tuple(Where(w["source"], int(w["line"])) for w in lines if w["line"] is not None)
        tally.add([Skip(SKIP_REASONS[skip], int(count), where, example)])


def connect_log(log: SendLog | pd.DataFrame, *, name: str = "log") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with view `name` of the log's loaded rows, in the schema's columns
    (recipients `;`-joined): the frame in place, or the table of a log held in place."""
    import pandas as pd

    if isinstance(log, pd.DataFrame) or log.data is not None:
        frame = log if isinstance(log, pd.DataFrame) else log.data
        assert frame is not None
        _check_frame(frame)
        con = connect()
        wanted = [c for c in COLUMNS if c in frame.columns and c != "recipients"]
        view = frame[wanted].copy(deep=False)
        if "recipients" in frame.columns:
            view["recipients"] = [
                ";".join(r) if isinstance(r, tuple | list) else r for r in frame["recipients"]
            ]
            view["recipients"] = view["recipients"].astype("string")
        for missing in set(COLUMNS) - set(view.columns):
            view[missing] = pd.Series([None] * len(view), dtype="string")
        view["row_id"] = range(len(view))
        con.register(f"{name}_frame", view)
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {name} AS "
            f"SELECT *, {CAP_HIT_SQL} AS hit FROM {name}_frame"
        )
        return con
    scan = log.scan
    assert scan is not None
    con = scan.cursor()
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {scan.view_sql()}")
    return con


def connect_recipients(log: SendLog | pd.DataFrame) -> duckdb.DuckDBPyConnection:
    """Like `connect_log`, but a log held in place reads its files again for the addresses."""
    if not isinstance(log, SendLog) or log.data is not None:
        return connect_log(log)
    scan = log.scan
    assert scan is not None
    con = scan.cursor()
    con.execute("SET disabled_optimizers = 'filter_pushdown'")
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW log AS SELECT *, false AS hit FROM ({scan.frame_sql()})"
    )
    return con


def _check_frame(frame: pd.DataFrame) -> None:
    missing = [c for c in ("time", "account", "n_recipients", "status") if c not in frame.columns]
    if missing:
        raise SendLogError(
            f"the frame lacks the column(s) {', '.join(missing)}; pass a frame from "
            "load_send_log(...).frame or load_sample_log()"
        )
    import pandas as pd

    time = frame["time"]
    if not isinstance(time.dtype, pd.DatetimeTZDtype):
        raise SendLogError(
            "the frame's time column must be timezone-aware; use "
            "pd.to_datetime(frame['time'], utc=True) or load the log with load_send_log"
        )
