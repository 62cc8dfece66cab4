"""Large CSV/TSV logs (a fleet's export, millions of rows), read by DuckDB without pandas.

One pass reads and normalises the files (the same SQL as every other log) into a compact
columnar table inside DuckDB: account, time, recipient count, status (or why the row was
skipped), the refusal's reply key and stage, and a hash of the whole row for duplicates.
Texts of accepted sends are not kept. Every analysis then runs on that table in place, and
only results come back as pandas frames. What needs the rows' full text (the recipients'
addresses, `SendLog.frame`, the first line numbers of skipped rows) reads the files again.
"""

from __future__ import annotations

import codecs
import gzip
import lzma
import shutil
import tempfile
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .detect import TableSpec, detect_format, in_utc, sniff_table
from .diagnose import categorise
from .engine import connect
from .normalise import CAP_HIT_SQL, SKIP_REASONS, normalise_sql, quote
from .readers import SPLIT_FAILED
from .report import FIRST_LINES, FileInfo, LoadReport, SendLogError, Skip, Tally, Where
from .schema import LogFormat
from .sources import Source, guess_encoding, refuse_non_text

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

DEDUP_KEY = "time, account, recipients, n_recipients, status, stage, key, text, message_id"
"""The columns two rows must share to be the same send twice (the reply key holds a
refusal's code; the text, as written, tells two sends in the same second apart)."""

_tables = count()

STATUSES = (
    "sent", "rejected", "deferred", *(f"skip:{reason}" for reason in SKIP_REASONS)
)  # fmt: skip
"""The table's status column: a loaded row's status, or `skip:` and why it was skipped (an
ENUM: a byte a row, compared as a number)."""
LOADED = "status IN ('sent', 'rejected', 'deferred')"
"""SQL: the table's row was loaded (not skipped)."""


class CsvUnreadable(Exception):
    """DuckDB's CSV reader gave up on a file (the loader falls back, or says so)."""

    def __init__(self, label: str, reason: str) -> None:
        super().__init__(f"{label}: {reason}")
        self.label = label
        self.reason = reason


@dataclass(frozen=True, eq=False)
class InPlace:
    """A large log held as a compact DuckDB table; the files stay where they are."""

    con: duckdb.DuckDBPyConnection  # owns the in-memory database with the table
    table: str
    labels: tuple[str, ...]  # file number -> the name reports use
    files_sql: str  # the files' normalised rows (details of refusals only)
    full_sql: str  # the same with every detail, for `SendLog.frame`
    categories: pd.DataFrame  # key, stage, category of each distinct refusal
    duplicates: bool

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own to the database that holds the table."""
        return self.con.cursor()

    def view_sql(self) -> str:
        """The loaded rows in the normalised columns (texts of accepted sends are NULL).

        Each refusal's category and whether it is a cap hit were stored on the table at
        load; codes and text come out of the reply key only where a query reads them.
        """
        labels = "[" + ", ".join(quote(label) for label in self.labels) + "]"
        enhanced = r"[245]\.\d{1,3}\.\d{1,3}"
        return f"""
          SELECT r.account, r.time, r.n_recipients, r.status, r.stage, r.category, r.hit,
            NULL::VARCHAR AS "from", NULL::VARCHAR AS recipients, NULL::VARCHAR AS message_id,
            r.relay,
            {labels}[r.file_no + 1] AS source, NULL::BIGINT AS line, r.rowid AS row_id,
            CASE WHEN r.key IS NOT NULL THEN
              TRY_CAST(regexp_extract(r.key, '^([2-5]\\d\\d)\\b', 1) AS SMALLINT) END AS code,
            CASE WHEN r.key IS NOT NULL THEN
              NULLIF(regexp_extract(r.key, '^(?:[2-5]\\d\\d )?({enhanced})\\b', 1), '')
            END AS enhanced,
            CASE WHEN r.key IS NOT NULL THEN
              NULLIF(trim(regexp_replace(r.key, '^[2-5]\\d\\d(?: {enhanced})?', '')), '')
            END AS text
          FROM {self.table} AS r WHERE r.{LOADED}"""

    def frame_sql(self) -> str:
        """Every loaded row with every column, read from the files again."""
        return _loaded(self.full_sql, self.duplicates)


def _loaded(sql: str, duplicates: bool) -> str:
    rows = f"SELECT * FROM ({sql}) WHERE skip IS NULL"
    if duplicates:
        rows += f" QUALIFY row_number() OVER (PARTITION BY {DEDUP_KEY} ORDER BY file_no) = 1"
    return rows


@dataclass(frozen=True)
class Options:
    """What the caller of `load_send_log` said about the files (None: detect it)."""

    columns: Mapping[str, str | int] | None = None
    encoding: str | None = None
    dayfirst: bool | None = None
    year: int | None = None
    date_format: str | None = None
    sender: str | None = None

    def sniff(self, text_head: str, label: str) -> TableSpec:
        """A CSV's layout, with these options."""
        return sniff_table(
            text_head,
            label,
            columns=self.columns,
            dayfirst=self.dayfirst,
            date_format=self.date_format,
            sender=self.sender,
        )


def load_in_place(
    sources: list[Source],
    fmt: LogFormat | None,
    tz: str | None,
    options: Options,
    tally: Tally,
) -> tuple[InPlace, LoadReport]:
    """Read CSV/TSV files into a compact DuckDB table; account for every row."""
    con = connect()
    workdir: Path | None = None
    files: list[tuple[Path, TableSpec, str]] = []
    for number, source in enumerate(sources):
        head = source.head()
        refuse_non_text(source, head)
        used = options.encoding or guess_encoding(head) or "utf-8"
        text = head.decode(used, errors="ignore").lstrip("\ufeff")
        kind = fmt or detect_format(text, source.label)
        if kind not in (LogFormat.CSV, LogFormat.M365):
            raise SendLogError(
                f"{source.label} is a {kind} log; only CSV/TSV is read in place by DuckDB "
                "(pass lazy=False to read it into memory)"
            )
        spec = options.sniff(text, source.label)
        if kind is LogFormat.M365:
            spec = in_utc(spec, options.dayfirst)
        if spec.export is not None and spec.export.derive is not None:
            raise CsvUnreadable(source.label, f"a {spec.export.name} is read row by row")
        for note in spec.notes:
            tally.note(f"{source.label}: {note}")
        if spec.time.ambiguous_day_month:
            tally.note(
                f"{source.label}: dates such as 05/01 fit both month-first and day-first; read "
                "month-first (US). Pass dayfirst=True if they are day-first"
            )
        path = source.path
        plain = used.replace("_", "-").lower() in ("utf-8", "utf8", "ascii", "utf-8-sig")
        if not plain or source.compression not in (None, "gzip"):
            workdir = workdir or Path(tempfile.mkdtemp(prefix="outlook-kit-log-"))
            path = _transcode(source, used, workdir / f"{number}.csv")
        files.append((path, spec, source.label))
        tally.files.append(FileInfo(source.label, str(kind), used, 0, "read by DuckDB"))

    def union(*, details: bool, numbered: bool = False) -> str:
        parts = []
        for number, (path, spec, label) in enumerate(files):
            raw = _csv_relation(path, spec, label, f"rejects_{number}", numbered=numbered)
            sql = normalise_sql(
                raw,
                spec.time,
                tz,
                has=spec.fields,
                details=details,
                padded=spec.padded,
                sender=options.sender,
            )
            parts.append(f"SELECT {number} AS file_no, * FROM ({sql})")
        return " UNION ALL ".join(parts)

    rejects = [f"rejects_{number}" for number in range(len(files))]
    files_sql, full_sql = union(details=False), union(details=True)
    table = f"send_log_{next(_tables)}"
    import duckdb

    statuses = ", ".join(quote(s) for s in STATUSES)
    con.execute(f"CREATE TYPE {table}_status AS ENUM ({statuses})")
    try:
        con.execute(
            f"""CREATE TABLE {table} AS SELECT CAST(file_no AS UTINYINT) AS file_no, account,
              time, n_recipients,
              CAST(CASE WHEN skip IS NULL THEN status ELSE 'skip:' || skip END
                AS {table}_status) AS status,
              key, stage, relay, hash({DEDUP_KEY}) AS h, false AS hit, NULL::VARCHAR AS category
            FROM ({files_sql})"""
        )
    except duckdb.Error as exc:  # the CSV reader gave up (a parser state it cannot leave)
        reason = str(exc).splitlines()[0].split(": ", 1)[-1]
        raise CsvUnreadable(", ".join(s.label for s in sources), reason) from exc
    by_file = con.execute(  # one scan: the rows per file and per status and reply
        f"""SELECT file_no, status, key, stage, count(*) AS n FROM {table} GROUP BY ALL"""
    ).fetchall()
    split_failed = _rejected_lines(con, rejects, sources)
    counts = {label: 0 for label in (s.label for s in sources)}
    summed: dict[tuple[Any, Any, Any], int] = {}
    for file_no, status, key, stage, n in by_file:
        counts[sources[int(file_no)].label] += int(n)
        summed[(status, key, stage)] = summed.get((status, key, stage), 0) + int(n)
    groups = [(status, key, stage, n) for (status, key, stage), n in summed.items()]
    read = sum(counts.values()) + sum(len(v) for v in split_failed.values())
    tally.files = [
        FileInfo(f.source, f.format, f.encoding, counts[f.source] + len(split_failed[f.source]))
        for f in tally.files
    ]
    if read == 0:
        names = ", ".join(s.label for s in sources)
        raise SendLogError(f"{names}: a header but no rows; the export holds no sends")
    tally.read = read
    skipped = {str(s)[5:]: 0 for s, _k, _st, _n in groups if str(s).startswith("skip:")}
    for status, _key, _stage, n in groups:
        if str(status).startswith("skip:"):
            skipped[str(status)[5:]] += int(n)
    if skipped.get("naive") and tz is None:
        raise SendLogError(
            f"{skipped['naive']:,} row(s) give the time without a time zone; pass tz= the zone "
            "they are in, e.g. tz='UTC' or tz='Europe/Paris'"
        )
    loaded_rows = sum(int(n) for s, _k, _st, n in groups if not str(s).startswith("skip:"))
    copies = con.execute(f"SELECT count(*) - count(DISTINCT h) FROM {table}").fetchall()
    duplicates = 0
    if copies[0][0]:  # some row repeats: count the repeats among the loaded rows only
        distinct = con.execute(f"SELECT count(DISTINCT h) FROM {table} WHERE {LOADED}").fetchall()
        duplicates = loaded_rows - int(distinct[0][0])
    if duplicates:  # keep one of each; the copies are equal in every column kept
        con.execute(
            f"""CREATE TABLE {table}_duplicated AS SELECT h FROM {table}
            WHERE {LOADED} GROUP BY h HAVING count(*) > 1"""
        )
        con.execute(
            f"""DELETE FROM {table} WHERE rowid IN (
              SELECT rowid FROM {table}
              WHERE h IN (SELECT h FROM {table}_duplicated) AND {LOADED}
              QUALIFY row_number() OVER (PARTITION BY h ORDER BY rowid) > 1)"""
        )
    pairs = [(k, st) for s, k, st, _n in groups if s in ("rejected", "deferred")]
    mapping = categorise((k, st) for k, st in pairs)
    import pandas as pd

    categories = pd.DataFrame(
        [(k, st, c) for (k, st), c in mapping.items()], columns=["key", "stage", "category"]
    ).astype("string")
    con.register(f"{table}_categories_frame", categories)
    enhanced = r"[245]\.\d{1,3}\.\d{1,3}"
    con.execute(  # whether each distinct refusal is a cap hit, worked out once
        f"""CREATE TABLE {table}_categories AS
        SELECT key, stage, category, {CAP_HIT_SQL} AS hit FROM (
          SELECT key, stage, category, 'rejected' AS status,
            NULLIF(regexp_extract(key, '^(?:[2-5]\\d\\d )?({enhanced})\\b', 1), '')
              AS enhanced,
            NULLIF(trim(regexp_replace(key, '^[2-5]\\d\\d(?: {enhanced})?', '')), '') AS text
          FROM {table}_categories_frame)"""
    )
    con.execute(  # only refusals have a key: a few rows
        f"""UPDATE {table} SET hit = c.hit, category = c.category
        FROM {table}_categories AS c
        WHERE {table}.key = c.key AND {table}.stage IS NOT DISTINCT FROM c.stage"""
    )
    firsts = (
        _first_lines(
            con,
            union(details=False, numbered=True),
            split_failed,
            f"{table}_duplicated" if duplicates else None,
        )
        if (skipped or duplicates)
        else {}
    )
    for skip, n in skipped.items():
        lines, example = firsts.get(skip, ((), None))
        tally.add([Skip(SKIP_REASONS[skip], n, lines, example)])
    if duplicates:
        lines, _ = firsts.get("duplicate", ((), None))
        tally.add([Skip(SKIP_REASONS["duplicate"], duplicates, lines)])
    for label, bad in split_failed.items():
        if bad:
            where = tuple(Where(label, n) for n in sorted(bad)[:FIRST_LINES])
            tally.add([Skip(SPLIT_FAILED, len(bad), where)])
    scan = InPlace(
        con=con,
        table=table,
        labels=tuple(s.label for s in sources),
        files_sql=files_sql,
        full_sql=full_sql,
        categories=categories,
        duplicates=duplicates > 0,
    )
    if workdir is not None:
        weakref.finalize(scan, shutil.rmtree, workdir, True)
    return scan, tally.report(loaded=loaded_rows - duplicates)


def _csv_relation(
    path: Path, spec: TableSpec, label: str, rejects: str, *, numbered: bool = False
) -> str:
    """The file's mapped columns as text; `line` is its data row number when `numbered`
    (a streaming row_number(), in file order while insertion order is preserved)."""
    names = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(spec.header)))
    picked = ", ".join(f'c{index} AS "{name}"' for name, index in spec.mapping.items())
    line = f"row_number() OVER () + {spec.header_lines}" if numbered else "NULL::BIGINT"
    return f"""(SELECT {quote(label)} AS source, {line} AS line, {picked}
      FROM read_csv({quote(str(path))}, columns = {{{names}}}, header = false,
        skip = {spec.header_lines}, delim = {quote(spec.delimiter)}, quote = '"', escape = '"',
        auto_detect = false, store_rejects = true, rejects_table = {quote(rejects)},
        rejects_scan = {quote(rejects + "_scan")}, max_line_size = 1048576))"""


def _transcode(source: Source, encoding: str, target: Path) -> Path:
    """A UTF-8 copy of a file DuckDB cannot read as it is (UTF-16, cp1252, bz2, xz)."""
    import bz2

    openers: dict[str | None, Any] = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}
    opener = openers.get(source.compression, open)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    first = True
    with opener(source.path, "rb") as src, target.open("w", encoding="utf-8", newline="") as out:
        while chunk := src.read(1 << 22):
            text = decoder.decode(chunk)
            out.write(text.lstrip("\ufeff") if first else text)
            first = False
        out.write(decoder.decode(b"", final=True))
    return target


def _rejected_lines(
    con: duckdb.DuckDBPyConnection, rejects: list[str], sources: list[Source]
) -> dict[str, list[int]]:
    """The line numbers the CSV reader could not split, per file."""
    import duckdb

    out: dict[str, list[int]] = {}
    for table, source in zip(rejects, sources, strict=True):
        try:
            rows = con.execute(f"SELECT DISTINCT line FROM {table}").fetchall()
        except duckdb.CatalogException:  # DuckDB makes the table only when a row is rejected
            rows = []
        out[source.label] = [int(r[0]) for r in rows]
    return out


def _first_lines(
    con: duckdb.DuckDBPyConnection,
    numbered_sql: str,
    split_failed: dict[str, list[int]],
    duplicated: str | None,
) -> dict[str, tuple[tuple[Where, ...], str | None]]:
    """The first line numbers (and an example) of each skip reason: a second read of the
    files, only when rows were skipped. `duplicated` holds the hashes of repeated rows."""
    copies = (
        f"""UNION ALL SELECT 'duplicate', source, line, NULL FROM (
              SELECT source, line, file_no, h FROM (
                SELECT *, hash({DEDUP_KEY}) AS h FROM ({numbered_sql}) WHERE skip IS NULL
              ) WHERE h IN (SELECT h FROM {duplicated})
              QUALIFY row_number() OVER (PARTITION BY h ORDER BY file_no, line) > 1)"""
        if duplicated
        else ""
    )
    con.execute("SET preserve_insertion_order = true")
    try:
        rows = con.execute(
            f"""WITH marked AS (
              SELECT skip, source, line, example FROM ({numbered_sql}) WHERE skip IS NOT NULL
              {copies}
            )
            SELECT skip, list(struct_pack(source := source, line := line)
                ORDER BY line)[1:{FIRST_LINES}], any_value(example)
            FROM marked GROUP BY skip"""
        ).fetchall()
    finally:
        con.execute("SET preserve_insertion_order = false")
    out: dict[str, tuple[tuple[Where, ...], str | None]] = {}
    for skip, places, example in rows:
        found = []
        for place in places:
            line = int(place["line"])  # counting data rows; lines the reader rejected come too
            for bad in sorted(split_failed.get(place["source"], [])):
                if bad <= line:
                    line += 1
            found.append(Where(place["source"], line))
        out[str(skip)] = (tuple(found), example)
    return out
