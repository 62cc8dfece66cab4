"""Which format a log is in, which column holds what, and how its times are written.

Detection reads the head of a file. Columns of a CSV are recognised by name first (the
names mailers, spreadsheets and Microsoft's exports use), then by content (a column of
dates, of addresses, of reply codes); `columns=` maps the rest explicitly.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from .exports import Export, recognise
from .report import SendLogError
from .schema import FIELDS, LogFormat

_SYSLOG = re.compile(
    r"^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S*) \S+ "
    r"(?:postfix|sasl-xoauth2[\[:])"
)
_EXIM = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [+-]\d{4})? (?:\[\d+\] )?"
    r"[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4} "
)
_MSMTP = re.compile(r"\b(?:host|socket)=\S+ tls=(?:on|off) auth=(?:on|off) .*\bexitcode=EX_")
_M365_MARKERS = (
    {"message_trace_id"},
    {"messagetraceid"},
    {"origin_timestamp_utc", "sender_address"},
    {"received", "sender_address", "recipient_address", "status"},
    {"received", "senderaddress", "recipientaddress", "status"},
    {"date_time_utc", "sender_address", "recipient_address"},
)

# Column names as mailers, spreadsheets and Microsoft's exports write them (lowercase, `_`).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "time": (
        "time",
        "timestamp",
        "date",
        "datetime",
        "date_time",
        "sent_at",
        "sent_time",
        "sent_date",
        "created",
        "created_at",
        "received",
        "date_time_utc",
        "origin_timestamp_utc",
        "logged_at",
        "event_time",
        "when",
        "date_utc",
        "time_utc",
    ),
    "account": (
        "account",
        "user",
        "username",
        "user_name",
        "login",
        "mailbox",
        "smtp_user",
        "sender_account",
        "auth_user",
    ),
    "from": (
        "from",
        "sender",
        "from_address",
        "sender_address",
        "senderaddress",
        "mail_from",
        "envelope_from",
        "from_email",
        "sender_email",
    ),
    "recipients": (
        "recipients",
        "to",
        "recipient",
        "rcpt",
        "to_address",
        "recipient_address",
        "recipientaddress",
        "rcpt_to",
        "to_email",
        "recipient_email",
        "emails",
        "email",
        "recipient_status",
    ),
    "n_recipients": (
        "n_recipients",
        "recipient_count",
        "recipients_count",
        "num_recipients",
        "rcpt_count",
        "nrcpt",
    ),
    "status": ("status", "result", "outcome", "state", "delivery_status", "event", "delivery"),
    "stage": ("stage", "smtp_stage", "command", "phase", "smtp_command"),
    "code": ("code", "smtp_code", "reply_code", "response_code", "status_code"),
    "enhanced": ("enhanced", "enhanced_code", "dsn", "enhanced_status", "enhanced_status_code"),
    "text": (
        "text",
        "response",
        "reply",
        "error",
        "smtp_response",
        "smtp_reply",
        "diagnostic",
        "detail",
        "details",
        "reason",
        "error_message",
        "server_response",
    ),
    "message_id": (
        "message_id",
        "messageid",
        "msgid",
        "token",
        "queue_id",
        "network_message_id",
        "message_trace_id",
        "messagetraceid",
    ),
    "relay": ("relay", "relay_host", "smtp_host", "smtp_server", "mail_server", "server", "host"),
}

_DATEISH = re.compile(r"^\s*(\d{4}-\d\d-\d\d|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|[A-Z][a-z]{2},? )")
_ADDRESS = re.compile(r"[^@\s;,<>\"']+@[^@\s;,<>\"']+\.[A-Za-z]{2,}")
_CODE = re.compile(r"^[2-5]\d\d$")
_REPLY = re.compile(r"^[2-5]\d\d[ -]+\S")
_ENHANCED = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")
_STATUS_WORDS = {
    "sent",
    "delivered",
    "rejected",
    "bounced",
    "deferred",
    "failed",
    "pending",
    "ok",
    "success",
    "error",
    "queued",
    "expanded",
    "checked",
}

# Time layouts other than ISO 8601 (which DuckDB reads itself), tried in this order.
_LAYOUTS_MONTH_FIRST = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
)
_LAYOUTS_DAY_FIRST = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %I:%M:%S %p",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
)
_LAYOUTS_OTHER = (
    "%a, %d %b %Y %H:%M:%S %z",
    "%d %b %Y %H:%M:%S",
    "%b %d %Y %H:%M:%S",
    # WordPress and PHP date formats as sites write them (`F j, Y g:i a`, `d-M-Y @ H:i`, ...)
    "%B %d, %Y %I:%M %p",
    "%B %d, %Y at %I:%M %p",
    "%B %d, %Y %H:%M",
    "%d-%b-%Y @ %H:%M",
    "%d %B %Y %H:%M",
    "%d %b %Y %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
)
_ISO = re.compile(r"^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?)?")
OFFSET_RE = r"(?:[Zz]|UTC|GMT|[+-]\d\d(?::?\d\d)?)$"
"""A time that ends like this carries its zone."""
_OFFSET = re.compile(r"\d\d:\d\d(?::\d\d)?(?:[.,]\d+)?\s*" + OFFSET_RE)


@dataclass(frozen=True)
class TimeSpec:
    """How a source writes its times: ISO 8601, a strptime layout, or epoch numbers."""

    kind: str = "iso"  # "iso", "layout", "epoch_s", "epoch_ms"
    layout: str | None = None  # for "layout": a strptime layout (may end with %z)
    naive: bool = False  # the sample had times without a zone
    zone: str | None = None  # the zone a layout's times are in, whatever `tz` says
    ambiguous_day_month: bool = False  # every sampled date fits month-first and day-first

    @property
    def zoned_layout(self) -> bool:
        return self.layout is not None and "%z" in self.layout


@dataclass(frozen=True)
class TableSpec:
    """A delimited file: its delimiter, header, and which column holds each field."""

    delimiter: str
    header: tuple[str, ...]
    mapping: Mapping[str, int]  # field -> column index
    time: TimeSpec = field(default_factory=TimeSpec)
    header_lines: int = 1
    padded: bool = False  # some sampled fields have spaces around them (trim them)
    export: Export | None = None  # a known exporter's format (`exports`), recognised
    names: tuple[str, ...] = ()  # the header's names, normalised
    notes: tuple[str, ...] = ()  # what the load report should say about this file

    @property
    def fields(self) -> frozenset[str]:
        """The fields this file provides: its mapped columns, and what its export derives."""
        derived = (
            self.export.derive(lambda _name: None) if self.export and self.export.derive else {}
        )
        return frozenset(self.mapping) | frozenset(derived)


_PREAMBLES = ("sep=", "#type ")


_TRACE_DAY_FIRST = {"%m/%d/%Y %H:%M:%S": "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M": "%d/%m/%Y %H:%M"}


def in_utc(spec: TableSpec, dayfirst: bool | None = None) -> TableSpec:
    """A message trace's spec: times without a zone are UTC (Microsoft's docs: "the time
    stamps on the output are in UTC"), whatever the exporting machine's culture wrote.

    PowerShell writes a time in the exporting machine's culture: en-US as `11/3/2026
    9:14:22 AM`, day-first cultures (en-GB, fr-FR, es-ES, pt-BR, ...) in 24 hours as
    `03/11/2026 09:14:22`. So a trace's 24-hour times with slashes that fit both orders are
    read day-first (unless `dayfirst` says otherwise)."""
    if not spec.time.naive:
        return spec
    notes = [
        *spec.notes,
        "times without a zone read as UTC, as Microsoft's message trace writes them",
    ]
    time = replace(spec.time, naive=False, zone="UTC")
    day_first = _TRACE_DAY_FIRST.get(time.layout or "")
    if day_first and time.ambiguous_day_month and dayfirst is None:
        time = replace(time, layout=day_first, ambiguous_day_month=False)
        notes.append(
            "24-hour times with dates such as 03/11/2026: a day-first culture (en-GB, fr-FR, "
            "...) exported this trace, so they are read day-first (pass dayfirst=False if not)"
        )
    return replace(spec, time=time, notes=tuple(notes))


def detect_format(text_head: str, name: str) -> LogFormat:
    """The format of a log from its first lines and its name."""
    lines = [ln for ln in text_head.splitlines()[:50] if ln.strip()]
    if not lines:
        return LogFormat.CSV
    if lines[0].lstrip("\ufeff").startswith("#TYPE") and len(lines) > 1:
        lines = lines[1:]  # Windows PowerShell's Export-Csv type line
    first = lines[0].lstrip("\ufeff").strip()
    if first.startswith("{"):
        return LogFormat.JSONL
    half = max(1, len(lines) // 2)
    if sum(1 for ln in lines if _SYSLOG.match(ln)) >= half:
        return LogFormat.POSTFIX
    if sum(1 for ln in lines if _EXIM.match(ln)) >= half:
        return LogFormat.EXIM
    if sum(1 for ln in lines if _MSMTP.search(ln)) >= half:
        return LogFormat.MSMTP
    lowered = name.lower()
    if lowered.endswith((".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")):
        return LogFormat.JSONL
    header = {_norm(h) for h in _split_header(first)}
    if any(marker <= header for marker in _M365_MARKERS):
        return LogFormat.M365
    return LogFormat.CSV


def _norm(name: str) -> str:
    """A header name as the synonyms list writes it: lowercase, words joined by `_`."""
    name = re.sub(r"\(.*?\)", "", name.strip().strip('"').lower())
    return re.sub(r"[^a-z0-9]+", "_", name).strip("_")


def _split_header(line: str) -> list[str]:
    delimiter = sniff_delimiter([line])
    return next(csv.reader([line], delimiter=delimiter), [])


def sniff_delimiter(lines: Sequence[str]) -> str:
    """The delimiter that splits the first lines into the same number of fields (>1)."""
    best, best_score = ",", -1
    for delimiter in (",", "\t", ";", "|"):
        counts = [len(row) for row in csv.reader(lines[:20], delimiter=delimiter)]
        if not counts or counts[0] < 2:
            continue
        score = counts[0] * 10 + sum(1 for c in counts if c == counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def sniff_table(
    text_head: str,
    label: str,
    *,
    columns: Mapping[str, str | int] | None = None,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    sender: str | None = None,
) -> TableSpec:
    """Delimiter, header and column mapping of a CSV/TSV, from its first lines.

    A known exporter's header (`exports`) gives its own columns and time layout; `columns=`
    and `date_format=` (a strftime layout) override what detection finds."""
    lines = text_head.splitlines()
    # skip a leading "sep=," line (Excel), "#TYPE ..." (PowerShell) and blank lines
    skip = 0
    while skip < len(lines) and (
        not lines[skip].strip() or lines[skip].lstrip("\ufeff").lower().startswith(_PREAMBLES)
    ):
        skip += 1
    body = lines[skip : skip + 200]
    if not body:
        raise SendLogError(f"{label} has no header line; it is empty")
    delimiter = sniff_delimiter(body)
    rows = list(csv.reader(body, delimiter=delimiter))
    header = tuple(h.strip().lstrip("\ufeff") for h in rows[0])
    if len(header) < 2:
        raise SendLogError(
            f"{label} does not look like a table: its first line has one column "
            f"({header[0][:60]!r} if anything); give a CSV or TSV with a header row, a JSON "
            "Lines log, or a Postfix maillog, or name the format with format="
        )
    sample = [r for r in rows[1:] if any(c.strip() for c in r)]
    names = tuple(_norm(h) for h in header)
    export = recognise(names)
    if export is not None:
        known = {f: names.index(c) for f, c in export.columns.items() if c in names}
        mapping = {**known, **_map_columns(header, sample, columns, label, by_name=False)}
    else:
        mapping = _map_columns(header, sample, columns, label)
    if "time" not in mapping:
        raise SendLogError(
            f"{label}: no column holds the send time (columns: {', '.join(header)}); "
            "name it with columns={'time': 'Your column'}"
        )
    derived = export.derive(lambda _name: None) if export and export.derive else {}
    if "account" not in mapping and "from" not in mapping and "from" not in derived and not sender:
        raise SendLogError(
            f"{label}: no column names the sending account (columns: {', '.join(header)}); "
            "name it with columns={'account': 'Your column'} or {'from': ...}; when the "
            "whole file is one account's, pass its address as sender="
        )
    values = [r[mapping["time"]] for r in sample if len(r) > mapping["time"]]
    padded = any(
        cell != cell.strip() for r in sample for i, cell in enumerate(r) if i in mapping.values()
    )
    notes: list[str] = []
    if export is not None:
        notes.append(f"read as a {export.name}" + (f"; {export.note}" if export.note else ""))
        notes += [text for name, text in export.missing.items() if name not in names]
    if date_format is not None:
        time = TimeSpec(kind="layout", layout=date_format, naive="%z" not in date_format)
        if values and not _fitting([v.strip() for v in values[:200]], [date_format]):
            raise SendLogError(
                f"{label}: date_format={date_format!r} does not read its times (e.g. "
                f"{values[0]!r}); write the layout in strftime codes, e.g. "
                "date_format='%d/%m/%Y %H:%M'"
            )
    else:
        stripped = [v.strip() for v in values[:200] if v.strip()]
        layout = _fitting(stripped, export.layouts) if export and stripped else None
        if layout and export and export.zone:
            time = TimeSpec(kind="layout", layout=layout, zone=export.zone)
        elif layout:
            time = TimeSpec(kind="layout", layout=layout, naive="%z" not in layout)
        else:
            time = sniff_time(values, label, dayfirst=dayfirst)
    return TableSpec(
        delimiter=delimiter,
        header=header,
        mapping=mapping,
        time=time,
        header_lines=skip + 1,
        padded=padded,
        export=export,
        names=names,
        notes=tuple(notes),
    )


def _map_columns(
    header: Sequence[str],
    sample: Sequence[Sequence[str]],
    explicit: Mapping[str, str | int] | None,
    label: str,
    *,
    by_name: bool = True,
) -> dict[str, int]:
    """Field -> column: `explicit` first, then by name (unless `by_name` is False: a known
    export's own columns stand instead), then by content."""
    names = [_norm(h) for h in header]
    mapping: dict[str, int] = {}
    for field_name, column in (explicit or {}).items():
        if field_name not in FIELDS:
            raise SendLogError(
                f"columns= names an unknown field {field_name!r}; the fields are "
                + ", ".join(FIELDS)
            )
        if isinstance(column, int):
            index = column
        elif column in header:
            index = list(header).index(column)
        elif _norm(column) in names:
            index = names.index(_norm(column))
        else:
            raise SendLogError(
                f"{label} has no column {column!r} (for {field_name}); its columns are "
                + ", ".join(header)
            )
        if not 0 <= index < len(header):
            raise SendLogError(f"{label} has no column number {index} (it has {len(header)})")
        mapping[field_name] = index
    if not by_name:
        return mapping
    taken = set(mapping.values())
    for field_name in FIELDS:  # by name, in the synonyms' order of preference
        if field_name in mapping:
            continue
        for synonym in SYNONYMS[field_name]:
            if synonym in names and names.index(synonym) not in taken:
                mapping[field_name] = names.index(synonym)
                taken.add(mapping[field_name])
                break
    for index in range(len(header)):  # by content, for columns no name explained
        if index in taken:
            continue
        guess = _guess_by_content([r[index] for r in sample if len(r) > index], mapping)
        if guess and guess not in mapping:
            mapping[guess] = index
            taken.add(index)
    return mapping


def _guess_by_content(values: Sequence[str], mapping: Mapping[str, int]) -> str | None:
    values = [v.strip() for v in values if v.strip()][:100]
    if not values:
        return None

    def share(pattern: re.Pattern[str]) -> float:
        return sum(1 for v in values if pattern.search(v)) / len(values)

    if share(_DATEISH) > 0.8:
        return "time"
    if share(_REPLY) > 0.8 and "text" not in mapping:
        return "text"
    if share(_CODE) > 0.8:
        return "code"
    if share(_ENHANCED) > 0.8:
        return "enhanced"
    if sum(1 for v in values if v.lower() in _STATUS_WORDS) / len(values) > 0.8:
        return "status"
    addresses = [len(_ADDRESS.findall(v)) for v in values]
    if sum(1 for n in addresses if n) / len(values) > 0.8:
        sender_known = "from" in mapping or "account" in mapping
        return "recipients" if max(addresses) > 1 or sender_known else "from"
    return None


def sniff_time(values: Sequence[str], label: str, *, dayfirst: bool | None = None) -> TimeSpec:
    """How a column writes its times, from a sample of its values."""
    sample = [v.strip() for v in values if v and v.strip()][:200]
    if not sample:
        return TimeSpec()
    if all(v.isdigit() for v in sample):
        digits = max(len(v) for v in sample)
        return TimeSpec(kind="epoch_ms" if digits >= 12 else "epoch_s")
    if sum(1 for v in sample if _ISO.match(v)) >= 0.8 * len(sample):
        naive = any(not _OFFSET.search(v) for v in sample if _ISO.match(v))
        return TimeSpec(kind="iso", naive=naive)
    month_first = _fitting(sample, _LAYOUTS_MONTH_FIRST)
    day_first = _fitting(sample, _LAYOUTS_DAY_FIRST)
    if dayfirst is True and day_first:
        return TimeSpec(kind="layout", layout=day_first, naive=True)
    if month_first and (dayfirst is None or dayfirst is False or not day_first):
        return TimeSpec(
            kind="layout",
            layout=month_first,
            naive=True,
            ambiguous_day_month=dayfirst is None and day_first is not None,
        )
    if day_first:
        return TimeSpec(kind="layout", layout=day_first, naive=True)
    other = _fitting(sample, _LAYOUTS_OTHER)
    if other:
        return TimeSpec(kind="layout", layout=other, naive="%z" not in other)
    return TimeSpec(kind="iso")  # rows whose time is not a time are skipped, with the reason


def _fitting(sample: Sequence[str], layouts: Sequence[str]) -> str | None:
    """The first layout that reads at least 80% of the sample."""
    for layout in layouts:
        ok = 0
        for value in sample:
            try:
                datetime.strptime(value, layout)
                ok += 1
            except ValueError:
                pass
        if ok >= 0.8 * len(sample):
            return layout
    return None


def looks_like_kit_record(line: str) -> bool:
    """True for a JSON object with the kit's `time` field (used when the name does not say)."""
    try:
        value = json.loads(line)
    except ValueError:
        return False
    return isinstance(value, dict) and "time" in value
