"""The readers: each turns one format's text into raw rows (text fields and line numbers).

A reader only splits records and picks fields; it does not judge values. Lines that are
not records of the format (a line that is not JSON, a row with the wrong number of fields,
a Postfix line that is not a delivery) are counted in the tally under their reason.
Normalisation (times, statuses, codes) happens afterwards, the same for every format.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .detect import TableSpec, TimeSpec
from .exports import cell_getter
from .report import Tally, Where
from .schema import FIELDS, LogFormat

Row = tuple[Any, ...]  # source, line, then FIELDS in order, each a str or None

SPLIT_FAILED = (
    "rows the CSV reader could not split (a number of fields other than the header's, a "
    "bad quote, or bytes that are not UTF-8)"
)


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


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            yield number, line


# --- the kit's own JSON Lines log ---------------------------------------------------------


def read_jsonl(text: str, label: str, tally: Tally) -> Raw:
    """The kit's log (`append_to_log`): one JSON object a line, fields as in `LOG_FIELDS`."""
    rows: list[Row] = []
    for number, line in _lines(text):
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


# --- Postfix maillog ------------------------------------------------------------------------

_SYSLOG_LINE = re.compile(
    r"^(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\S+) \S+ "
    r"postfix(?:/[\w.-]+)*/(?P<prog>[\w-]+)\[\d+\]: (?P<rest>.*)$"
)
_QUEUE = re.compile(r"^(?P<qid>[0-9A-Za-z]{5,}): (?P<rest>.*)$")
_FROM = re.compile(r"^from=<(?P<from>[^>]*)>")
_DELIVERY = re.compile(
    r"^to=<(?P<to>[^>]*)>,(?: orig_to=<[^>]*>,)? relay=(?P<relay>[^,]+),.*?"
    r"(?: dsn=(?P<dsn>[\d.]+),)? status=(?P<status>\w+)(?: \((?P<said>.*)\))?$"
)
_SAID = re.compile(r"^host \S+ said: (?P<reply>.*?)(?: \(in reply to (?P<cmd>.+?) command\))?$")
_COMMANDS = {
    "RCPT TO": "rcpt_to",
    "MAIL FROM": "mail_from",
    "end of DATA": "data",
    "DATA": "data",
    "AUTH": "auth",
    "EHLO": "ehlo",
    "HELO": "ehlo",
    "STARTTLS": "starttls",
}
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}
_LOCAL = frozenset({"local", "virtual", "pipe", "lmtp", "discard"})
# the plugin's lines: `[sasl-xoauth2] ...` inside postfix/smtp's (0.25 on), or its own
# syslog ident `sasl-xoauth2[pid]: ...` (before 0.25)
_XOAUTH2 = re.compile(r"\[?sasl-xoauth2(?:\]|\[\d+\])?:? ")
XOAUTH2_LINES = (
    "sasl-xoauth2 plugin lines (no delivery attempt; 'auth failed ... "
    "TokenStore::Refresh' means the OAuth2 token needs a new sign-in)"
)
# `relay=none`: no server was reached or the sign-in failed; the server the text names
_NAMED_HOST = re.compile(
    r"(?:server |connect to |name=|host )(?P<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
)
_SASL_USER = re.compile(r"sasl_username=(?P<user>[^,\s]+)")


def relay_host(relay: str, said: str) -> str | None:
    """The relay's host name: `smtp.office365.com[52.96.40.242]:587` -> `smtp.office365.com`;
    for `relay=none`, the host the server's words name, if any."""
    if relay != "none":
        return relay.split("[", 1)[0].lower() or None
    named = _NAMED_HOST.search(said)
    return named["host"].lower() if named else None


def read_postfix(
    text: str, label: str, tally: Tally, *, year: int | None = None, relay: str | None = None
) -> Raw:
    """Postfix `smtp` delivery attempts through any relay (or only `relay`, when given).

    The account is the sender of the qmgr `from=` line; where that line is not in the log,
    the SASL login of the `smtpd` line (`sasl_username=`), else `unknown@<relay host>`.
    """
    rows: list[Row] = []
    senders: dict[str, str] = {}
    logins: dict[str, str] = {}
    unnamed: dict[str, int] = {}
    assumed = year or datetime.now(UTC).year
    last_month = 0
    classic = False
    for number, line in _lines(text):
        tally.read += 1
        where = Where(label, number)
        match = _SYSLOG_LINE.match(line)
        if not match:
            plugin = _XOAUTH2.search(line)
            if plugin:
                tally.skip(XOAUTH2_LINES, where, line[plugin.end() :].strip()[:60])
                continue
            tally.skip("lines that are not Postfix log lines", where, line.strip()[:40])
            continue
        stamp = match["ts"]
        if stamp[0].isalpha():  # classic syslog: no year, no zone
            classic = True
            month = _MONTHS[stamp[:3]]
            if last_month == 12 and month == 1:
                assumed += 1  # the log ran over New Year
            last_month = month
            day, clock = int(stamp[4:6]), stamp[7:]
            stamp = f"{assumed:04d}-{month:02d}-{day:02d}T{clock}"
        queued = _QUEUE.match(match["rest"])
        delivery = _DELIVERY.match(queued["rest"]) if queued else None
        if queued and match["prog"] == "qmgr":
            sender = _FROM.match(queued["rest"])
            if sender:
                senders[queued["qid"]] = sender["from"]
        if queued and match["prog"] == "smtpd":
            login = _SASL_USER.search(queued["rest"])
            if login:
                logins[queued["qid"]] = login["user"]
        plugin = _XOAUTH2.match(match["rest"])
        if plugin:
            tally.skip(XOAUTH2_LINES, where, match["rest"][plugin.end() :][:60])
            continue
        if "warning: " in match["rest"]:
            tally.skip(
                "Postfix warnings (no delivery attempt; a SASL or TLS warning tells why "
                "sign-ins fail)",
                where,
                match["rest"].split("warning: ", 1)[1][:60],
            )
            continue
        if not queued or delivery is None:
            tally.skip(
                "Postfix lines that are not delivery attempts (queue, connection, cleanup)",
                where,
            )
            continue
        said = delivery["said"] or ""
        dsn = delivery["dsn"]
        host = relay_host(delivery["relay"], said)
        if match["prog"] in _LOCAL or host in _LOCAL:
            tally.skip("local deliveries (not sent through a relay)", where, delivery["relay"])
            continue
        if relay is not None and relay not in (host or ""):
            tally.skip(f"deliveries through a relay other than {relay}", where, host)
            continue
        sender_address = senders.get(queued["qid"])
        account = sender_address or logins.get(queued["qid"])
        if account is None:
            account = f"unknown@{host or 'unknown-relay'}"
            unnamed[account] = unnamed.get(account, 0) + 1
        reply, stage = said, None
        host_said = _SAID.match(said)
        if host_said:
            reply = host_said["reply"]
            stage = _COMMANDS.get(host_said["cmd"] or "")
        elif said.startswith("250"):
            stage = "data"
        elif "SASL authentication failed" in said:
            stage = "auth"
            reply = said.split(" said: ", 1)[-1]
            dsn = None  # Postfix's own 4.7.0: the server's code is in its reply
        elif delivery["relay"] == "none":
            stage = "dns" if "name service error" in said.lower() else "connect"
        fields = {
            "time": stamp,
            "account": account,
            "from": sender_address or None,
            "recipients": delivery["to"] or None,
            "n_recipients": None,
            "status": delivery["status"],
            "stage": stage,
            "code": None,
            "enhanced": dsn,
            "text": reply or None,
            "message_id": queued["qid"],
            "relay": host,
        }
        rows.append((label, number, *(fields[f] for f in FIELDS)))
    for account, count in unnamed.items():
        tally.note(
            f"{label}: {count} deliveries whose sender line (qmgr from=) is not in the log "
            f"are loaded under {account}"
        )
    if classic and year is None:
        tally.note(
            f"{label}: syslog dates carry no year; read as {datetime.now(UTC).year} "
            "(pass year= for an older log)"
        )
    has = frozenset(FIELDS) - {"n_recipients", "code"}
    return Raw(rows, TimeSpec(kind="iso", naive=classic), LogFormat.POSTFIX, has)
