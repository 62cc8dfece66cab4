"""The readers of the kit's JSON Lines log and of delimited tables (CSV/TSV, message traces):
each turns one format's text into raw rows (text fields and line numbers). The line logs of
mail programs (Postfix, exim, msmtp) have theirs in `mta`.

A reader only splits records and picks fields; it does not judge values. Lines that are
not records of the format (a line that is not JSON, a row with the wrong number of fields,
a Postfix line that is not a delivery) are counted in the tally under their reason.
Normalisation (times, statuses, codes) happens afterwards, the same for every format.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .detect import TableSpec, TimeSpec
from .exports import cell_getter
from .report import UNSPLIT_ROWS, Tally, Where
from .schema import FIELDS, LogFormat

Row = tuple[Any, ...]  # source, line, then FIELDS in order, each a str or None

SPLIT_FAILED = UNSPLIT_ROWS


@dataclass(frozen=True)
class Raw:
    """One file's raw rows and how its times are written."""

    rows: list[Row]
    time: TimeSpec
    format: LogFormat
    has: frozenset[str]  # the fields this source provides at all


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _recipients(value: Any) -> str | None:
    if isinstance(value, list | tuple):
        parts = [str(v) for v in value if v not in (None, "")]
        return ";".join(parts) if parts else None
    return _text(value)


def lines_of(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            yield number, line


# --- the kit's own JSON Lines log ---------------------------------------------------------


def read_jsonl(text: str, label: str, tally: Tally) -> Raw:
    """The kit's log (`append_to_log`): one JSON object a line, fields as in `LOG_FIELDS`."""
    rows: list[Row] = []
    for number, line in lines_of(text):
        tally.read += 1
        where = Where(label, number)
        try:
            record = json.loads(line)
        except ValueError:
            tally.skip("lines that are not JSON", where, line.strip()[:40])
            continue
        if not isinstance(record, dict):
            tally.skip("JSON lines that are not objects", where, line.strip()[:40])
            continue
        fields = {
            "time": _text(record.get("time")),
            "account": _text(record.get("account")),
            "from": _text(record.get("from")),
            "recipients": _recipients(record.get("recipients")),
            "n_recipients": _text(record.get("n_recipients")),
            "status": _text(record.get("status")),
            "stage": _text(record.get("stage")),
            "code": _text(record.get("code")),
            "enhanced": _text(record.get("enhanced")),
            "text": _text(record.get("text")),
            "message_id": _text(record.get("token") or record.get("message_id")),
            "relay": _text(record.get("host") or record.get("relay")),
        }
        rows.append((label, number, *(fields[f] for f in FIELDS)))
    has = frozenset(FIELDS) - {"n_recipients"}
    return Raw(rows, TimeSpec(kind="iso", naive=False), LogFormat.JSONL, has)


# --- CSV / TSV, and the Microsoft 365 message trace -----------------------------------------


def read_table(text: str, label: str, spec: TableSpec, fmt: LogFormat, tally: Tally) -> Raw:
    """A delimited file whose columns `spec.mapping` names."""
    rows: list[Row] = []
    width = len(spec.header)
    index = [spec.mapping.get(f) for f in FIELDS]
    derive = spec.export.derive if spec.export else None
    cells_of = cell_getter(spec.names)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=spec.delimiter)
    previous_end = 0
    try:
        for record in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if start <= spec.header_lines or not any(c.strip() for c in record):
                continue
            tally.read += 1
            if len(record) != width:
                if len(record) > width and not any(c.strip() for c in record[width:]):
                    record = record[:width]  # trailing empty fields (a spreadsheet's habit)
                else:
                    tally.skip(SPLIT_FAILED, Where(label, start), spec.delimiter.join(record)[:40])
                    continue
            values = [record[i].strip() or None if i is not None else None for i in index]
            if derive is not None:  # a known export: fields read from several cells
                for name, value in derive(cells_of(record)).items():
                    values[FIELDS.index(name)] = value
            rows.append((label, start, *values))
    except csv.Error as exc:  # e.g. a NUL byte or an unterminated quote at the end
        tally.read += 1
        tally.skip(SPLIT_FAILED, Where(label, reader.line_num), str(exc))
    return Raw(rows, spec.time, fmt, spec.fields)
