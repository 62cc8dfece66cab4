"""Known exporters' files, recognised by their header: which column holds what, how the time
is written, and what a row's status and reply really are.

Each export was read from its tool's own source code (docs/log-formats.md names the file
and commit): WordPress mail plugins (Post SMTP, current and legacy; WP Mail SMTP Pro; WP Mail
Catcher; a FluentSMTP table dump). A file whose header is none of these is read as any CSV
(`detect.sniff_table`).

An export's `derive` reads the cells a field needs beyond one column (Post SMTP's `response`
is `Sent` or the error; its transcript holds the server's reply; FluentSMTP's cells are PHP
`serialize()` output), so these exports are read in memory, row by row (they are a site's
log: thousands of rows, not millions).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

Cells = Callable[[str], str | None]
"""A row's cell by its header name (normalised: lowercase, `_` between words), None if empty."""

_REPLY_LINE = re.compile(r"^[2-5]\d\d[ -]\S.*$", re.MULTILINE)
_FROM_HEADER = re.compile(r"(?:^|\|)\s*From:\s*(?P<from>[^|]+?)\s*(?:\||$)", re.IGNORECASE)
_SERIALIZED_MESSAGE = re.compile(r's:7:"message";s:\d+:"(?P<text>.*?)";')
_URI_HOST = re.compile(r"://(?P<host>[^/:\s]+)")


def _joined(*values: str | None) -> str | None:
    parts = [v for v in values if v]
    return "; ".join(parts) if parts else None


def _last_reply(transcript: str | None) -> str | None:
    """The last line of an SMTP transcript that is a server reply (`535 5.7.3 ...`)."""
    if not transcript:
        return None
    replies = _REPLY_LINE.findall(transcript)
    return replies[-1].strip() if replies else None


_PHPMAILER_CODES = re.compile(
    r"SMTP code: (?P<code>[2-5]\d\d)"
    r"(?: Additional SMTP info: (?P<enhanced>[245]\.\d{1,3}\.\d{1,3}))?"
)


def _codes(text: str | None) -> dict[str, str | None]:
    """The reply code and enhanced code PHPMailer (WordPress's mailer) writes at the end of
    its error text: `... SMTP code: 554 Additional SMTP info: 5.2.0`."""
    found = _PHPMAILER_CODES.search(text or "")
    if not found:
        return {"code": None, "enhanced": None}
    return {"code": found["code"], "enhanced": found["enhanced"]}


def _host(uri: str | None) -> str | None:
    """`smtp:tls:login://smtp.office365.com:587` -> `smtp.office365.com`."""
    found = _URI_HOST.search(uri or "")
    return found["host"] if found else None


@dataclass(frozen=True)
class Export:
    """One exporter's file format.

    Attributes:
        name: what the load report calls it.
        signature: header names (normalised) that all appear in this format's header.
        columns: field -> header name, for fields one column holds as written.
        layouts: strptime layouts its time column is written in (tried in order); none:
            detected as for any CSV.
        derive: fields computed from several cells (they override `columns`).
        zone: the zone its times are written in (None: the site's, so `tz` must say).
        note: said in the report whenever a file of this format is read (None: nothing).
        missing: header name -> what the report says when the file lacks that column.
    """

    name: str
    signature: frozenset[str]
    columns: Mapping[str, str]
    layouts: tuple[str, ...] = ()
    derive: Callable[[Cells], dict[str, str | None]] | None = None
    zone: str | None = None
    note: str | None = None
    missing: Mapping[str, str] = field(default_factory=dict)


def _post_smtp(cells: Cells) -> dict[str, str | None]:
    response = cells("response") or ""
    sent = response.startswith("Sent")
    queued = response == "In Queue"
    status = "sent" if sent else "deferred" if queued else "rejected"
    reply = None if sent or queued else _last_reply(cells("session_transcript"))
    return {
        "status": status,
        "text": None if sent or queued else (reply or response or None),
        "recipients": _joined(cells("to_header"), cells("cc_header"), cells("bcc_header")),
        "relay": None if "Fallback" in response else _host(cells("transport_uri")),
    }


def _post_smtp_legacy(cells: Cells) -> dict[str, str | None]:
    sent = cells("success") == "1"
    return {
        "status": "sent" if sent else "rejected",
        "text": None if sent else _last_reply(cells("session_transcript")),
        "recipients": _joined(cells("to_header"), cells("cc_header"), cells("bcc_header")),
        "relay": _host(cells("transport_uri")),
    }


_WP_MAIL_SMTP_STATUS = {
    "Sent": "sent",
    "Delivered": "sent",
    "Waiting for confirmation": "sent",  # handed to an API mailer, its webhook not in yet
    "Not Sent": "rejected",
    "Blocked": "rejected",
}


def _wp_mail_smtp(cells: Cells) -> dict[str, str | None]:
    status = cells("status")
    return {
        **_codes(cells("error_details")),
        "status": _WP_MAIL_SMTP_STATUS.get(status or "", status) if status else "sent",
        "recipients": _joined(
            cells("to_address"), cells("carbon_copy"), cells("blind_carbon_copy")
        ),
    }


def _wp_mail_catcher(cells: Cells) -> dict[str, str | None]:
    error = cells("error")
    headers = cells("additional_headers") or ""
    sender = _FROM_HEADER.search(headers)
    error = None if error == "None" else error
    return {
        **_codes(error),
        "text": error,
        "from": sender["from"] if sender else None,
    }


def _fluentsmtp(cells: Cells) -> dict[str, str | None]:
    response = cells("response") or ""
    message = _SERIALIZED_MESSAGE.search(response)
    status = cells("status")
    text = message["text"] if message and status != "sent" else None
    return {**_codes(text), "status": "sent" if status == "resent" else status, "text": text}


_SUMMARY_SENT = ("Send", "Deliver")


def _incoming(cells: Cells) -> bool:
    """A historical search row of mail the tenant received (`directionality` Incoming)."""
    return (cells("directionality") or "").lower() == "incoming"


def _enhanced_summary(cells: Cells) -> dict[str, str | None]:
    """`addr##Receive, Send;addr2##Receive, Fail`: every recipient counts (the cap counts
    what was submitted); sent when any recipient's last event is Send or Deliver."""
    outcomes = []
    addresses = []
    for part in (cells("recipient_status") or "").split(";"):
        address, _, events = part.partition("##")
        if address.strip():
            addresses.append(address.strip().strip('"'))
            outcomes.append(events.split(",")[-1].strip())
    status: str | None = None
    if _incoming(cells):
        status = "incoming"  # mail the tenant received: not a send of this sender's
    elif any(o in _SUMMARY_SENT for o in outcomes):
        status = "sent"
    elif "Fail" in outcomes:
        status = "rejected"
    elif outcomes:
        status = "deferred"
    failed = sum(1 for o in outcomes if o == "Fail")
    return {
        "status": status,
        "recipients": ";".join(addresses) or None,
        "text": f"{failed} of {len(outcomes)} recipients failed" if failed else None,
    }


_TRACE_EVENTS = {"SEND": "sent", "DELIVER": "sent", "FAIL": "rejected", "DEFER": "deferred"}


def _extended(cells: Cells) -> dict[str, str | None]:
    event = (cells("event_id") or "").upper()
    status = _TRACE_EVENTS.get(event, "trace event" if event else None)
    if _incoming(cells):
        status = "incoming"
    return {
        "status": status,
        "text": cells("recipient_status") if status in ("rejected", "deferred") else None,
    }


POST_SMTP_COLUMNS = {"time": "delivery_time", "from": "from_header", "recipients": "to_header"}

EXPORTS: tuple[Export, ...] = (
    Export(
        name="Post SMTP export",
        signature=frozenset({"response", "from_header", "to_header", "transport_uri"}),
        columns=POST_SMTP_COLUMNS,
        layouts=("%B %d, %Y %I:%M %p",),
        derive=_post_smtp,
    ),
    Export(
        name="Post SMTP export (before 2.5)",
        signature=frozenset({"success", "from_header", "to_header", "transport_uri"}),
        columns=POST_SMTP_COLUMNS,
        layouts=("%B %d, %Y %I:%M %p",),
        derive=_post_smtp_legacy,
        note="a Post SMTP export from before 2.5 holds no error text for a failed send",
    ),
    Export(
        name="WP Mail SMTP Pro export",
        signature=frozenset({"to_address", "from_address", "created_date"}),
        columns={"time": "created_date", "from": "from_address", "text": "error_details"},
        layouts=("%B %d, %Y at %I:%M %p", "%B %d, %Y %I:%M %p"),
        derive=_wp_mail_smtp,
        missing={
            "status": (
                "no Status column (WP Mail SMTP exports it only when 'Status' is ticked under "
                "the export's additional fields): every row is counted as sent, and refusals "
                "cannot be told apart; export again with Status and Error Details ticked"
            )
        },
    ),
    Export(
        name="WP Mail Catcher export",
        signature=frozenset({"time", "email_to", "status", "error", "additional_headers"}),
        columns={"time": "time", "recipients": "email_to", "status": "status"},
        layouts=("%d-%b-%Y @ %H:%M",),
        derive=_wp_mail_catcher,
        zone="UTC",
        note=(
            "WP Mail Catcher writes its times in UTC and names the sender only in a From: "
            "header, where the site set one (pass the site's address as sender= to make "
            "every row that account's)"
        ),
    ),
    Export(
        name="FluentSMTP email log (fsmpt_email_logs)",
        signature=frozenset({"to", "from", "status", "response", "resent_count", "created_at"}),
        columns={"time": "created_at", "from": "from", "recipients": "to", "status": "status"},
        derive=_fluentsmtp,
        note="FluentSMTP's table counts To recipients only (Cc and Bcc are in its headers cell)",
    ),
)


EXPORTS += (
    Export(
        name="Microsoft 365 historical search, Enhanced summary report",
        signature=frozenset({"origin_timestamp_utc", "sender_address", "recipient_status"}),
        columns={
            "time": "origin_timestamp_utc",
            "from": "sender_address",
            "message_id": "message_id",
        },
        derive=_enhanced_summary,
        note="one row per message; its recipients all count, sent when any was delivered",
    ),
    Export(
        name="Microsoft 365 historical search, Extended report",
        signature=frozenset({"date_time_utc", "event_id", "sender_address", "recipient_address"}),
        columns={
            "time": "date_time_utc",
            "from": "sender_address",
            "recipients": "recipient_address",
            "n_recipients": "recipient_count",
            "message_id": "message_id",
        },
        derive=_extended,
        note="one row per event; SEND, DELIVER, FAIL and DEFER are the deliveries",
    ),
)


def recognise(names: Sequence[str]) -> Export | None:
    """The export whose signature the header's (normalised) names hold, if any."""
    present = set(names)
    for export in EXPORTS:
        if export.signature <= present:
            return export
    return None


def cell_getter(names: Sequence[str]) -> Callable[[Sequence[str]], Cells]:
    """For a header, a function from a row to its cells by name (`NULL` and `\\N`, as
    database dumps write SQL NULL, read as empty)."""
    where = {name: i for i, name in reversed(list(enumerate(names)))}

    def cells_of(record: Sequence[str]) -> Cells:
        def cell(name: str) -> str | None:
            index = where.get(name)
            if index is None or index >= len(record):
                return None
            value = record[index].strip()
            return None if value in ("", "NULL", "\\N") else value

        return cell

    return cells_of
