"""One normalisation for every format and size: raw text fields in, the normalised columns out.

It is SQL run by DuckDB, over a pandas frame of raw rows (a reader's output) or straight
over a large file, so a notebook's log and a fleet's files are read by the same rules:

- time: ISO 8601 with a zone, or without one and then in `tz`; strptime layouts; epoch
  seconds or milliseconds. A time without a zone and no `tz` is flagged, never guessed.
- account: the account column, else the sender; the address inside `Name <addr>`; lowercase.
- recipients: the addresses, `;`-joined; their count is the number of `@` (or the count
  column). A source without recipients counts each message as one.
- status: sent, rejected or deferred from the words mailers and exports use, else from the
  reply code (2xx, 5xx, 4xx).
- code, enhanced, text: from their columns or out of the reply text.
- relay: the server's host name, without its address or port, lowercase.
- key: for refusals, the reply without the server's bracketed stamp (host, time, session
  id), so each distinct reply is diagnosed once.
- skip: why a row cannot be used, or NULL.
"""

from __future__ import annotations

from collections.abc import Iterable

from .detect import OFFSET_RE, TimeSpec
from .report import UNREAD_TIMES
from .schema import FIELDS

# Status words, after lower() and trim(), as mailers, spreadsheets, Postfix and the
# Microsoft 365 message trace write them.
SENT_WORDS = (
    "sent", "delivered", "ok", "success", "successful", "accepted", "relayed", "expanded",
    "resolved", "filteredasspam", "quarantined", "done", "250", "2xx",
)  # fmt: skip
REJECTED_WORDS = (
    "rejected", "bounced", "bounce", "failed", "failure", "fail", "error", "refused",
    "hard bounce", "hard_bounce", "hardbounce", "dropped", "expired", "undeliverable",
    "blocked", "5xx",
)  # fmt: skip
DEFERRED_WORDS = (
    "deferred", "pending", "queued", "retry", "tempfail", "soft bounce", "soft_bounce",
    "softbounce", "delayed", "gettingstatus", "throttled", "temporary", "4xx",
)  # fmt: skip
NOT_SENT_WORDS = ("checked",)  # the kit's probe that stopped before DATA on purpose
TRACE_EVENT_WORDS = ("trace event",)  # a message trace's RECEIVE, SUBMIT, EXPAND, ... row
INCOMING_WORDS = ("incoming",)  # a message trace's row of mail the tenant received

STAGE_WORDS = {
    "rcpt_to": ("rcpt_to", "rcpt", "rcpt to", "recipient", "to"),
    "mail_from": ("mail_from", "mail", "mail from", "sender"),
    "data": ("data", "end of data", "end_of_data", "message", "body"),
    "auth": ("auth", "authentication", "login", "sasl"),
    "connect": ("connect", "connection", "tcp"),
    "banner": ("banner", "greeting"),
    "ehlo": ("ehlo", "helo"),
    "starttls": ("starttls", "tls"),
    "ehlo_tls": ("ehlo_tls",),
    "dns": ("dns", "lookup"),
    "quit": ("quit",),
}

CAP_HIT_SQL = """(status IN ('rejected', 'deferred') AND (
  coalesce(category = 'daily_limit_reached', false)
  OR coalesce(enhanced = '5.4.1' AND coalesce(stage, 'rcpt_to') = 'rcpt_to'
      AND coalesce(category, '') <> 'recipient_rejected'
      AND NOT contains(coalesce(text, ''), 'AS(')
      AND contains(lower(coalesce(text, '')), 'access denied'), false)))"""
"""A refusal for the daily cap, over a log's columns: the diagnosis says so, or the guide's
`550 5.4.1 Recipient address rejected: Access denied` where it is not the recipient's side
(`AS(...)` marks the recipient's domain refusing an address)."""

SKIP_REASONS = {
    "no_time": "rows without a send time",
    "naive": "rows whose time has no time zone",
    "bad_time": UNREAD_TIMES,
    "no_account": (
        "rows without an account or sender address (when the whole file is one account's, "
        "pass its address as sender=)"
    ),
    "bad_status": "rows whose status is not sent, rejected or deferred",
    "not_sent": "probe records that sent no mail (stopped before DATA on purpose)",
    "trace_event": (
        "message trace events that are not a delivery (RECEIVE, SUBMIT, EXPAND, ...: the "
        "message's SEND, DELIVER or FAIL row counts)"
    ),
    "incoming": "message trace rows of mail received (directionality Incoming), not sent",
    "duplicate": "duplicate rows (the same send twice, e.g. overlapping rotated logs)",
}
"""The reasons the normalisation gives, as the load report words them."""

_ADDRESS_IN_ANGLES = r"<\s*([^<>\s]+@[^<>\s]+)\s*>"
_STAMP = r"(\s*\[[^\]]*\])+\s*$"
_ENHANCED = r"([245]\.\d{1,3}\.\d{1,3})"
_ZONED = r"\d:\d\d(?::\d\d)?(?:[.,]\d+)?\s*" + OFFSET_RE


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _cases(pairs: Iterable[tuple[str, str]]) -> str:
    """`WHEN 'a' THEN 'x' ...`: a simple CASE, which DuckDB runs in place (a long IN list
    becomes a join, several times slower over millions of rows)."""
    return " ".join(f"WHEN {quote(word)} THEN {quote(value)}" for word, value in pairs)


def _time(spec: TimeSpec, tz: str | None) -> tuple[str, str, str]:
    """SQL for the time: columns parsed once (over t and zoned), then the UTC time and
    "this row's time has no zone" over those columns."""
    zone = spec.zone or tz
    local = f"timezone({quote(zone)}, local_time)" if zone else "NULL::TIMESTAMPTZ"
    if spec.kind in ("epoch_s", "epoch_ms"):
        scale = " / 1000.0" if spec.kind == "epoch_ms" else ""
        parsed = (
            f"to_timestamp(TRY_CAST(t AS DOUBLE){scale}) AS zoned_time, "
            "NULL::TIMESTAMP AS local_time"
        )
        return parsed, "zoned_time", "false"
    if spec.kind == "layout" and spec.layout:
        layout = f"try_strptime(t, {quote(spec.layout)})"
        if spec.zoned_layout:
            return f"{layout} AS zoned_time, NULL::TIMESTAMP AS local_time", "zoned_time", "false"
        return (
            f"NULL::TIMESTAMPTZ AS zoned_time, {layout} AS local_time",
            local,
            "false" if spec.zone else "local_time IS NOT NULL",
        )
    fixed = "CASE WHEN contains(t, ',') THEN replace(t, ',', '.') ELSE t END"
    parsed = (
        f"CASE WHEN zoned THEN TRY_CAST({fixed} AS TIMESTAMPTZ) END AS zoned_time, "
        f"CASE WHEN NOT zoned THEN TRY_CAST({fixed} AS TIMESTAMP) END AS local_time"
    )
    return parsed, f"coalesce(zoned_time, {local})", "local_time IS NOT NULL"


def _spellings(word: str) -> set[str]:
    """A status word as exports write it: lowercase, Capitalised, UPPERCASE, CamelCase."""
    camel = {"filteredasspam": "FilteredAsSpam", "gettingstatus": "GettingStatus"}
    return {word, word.capitalize(), word.upper(), word.title(), camel.get(word, word)}


def normalise_sql(
    raw: str,
    spec: TimeSpec,
    tz: str | None,
    *,
    has: Iterable[str],
    details: bool = True,
    padded: bool = False,
    sender: str | None = None,
) -> str:
    """SELECT over relation `raw` (columns source, line and the FIELDS as text) -> normalised.

    Args:
        raw: a relation name or a parenthesised query.
        spec: how the source writes its times.
        tz: the zone of times written without one, or None (such rows are flagged `naive`).
        has: the fields the source provides; the rest are NULL.
        details: also clean the recipients, codes and text of accepted sends (a fleet's
            scan leaves those raw: only refusals are read closely).
        padded: fields may have spaces around them (trim them; a copy per field, so only
            when the source's sample showed some).
        sender: the account every row is (an export with no sender column), or None.

    The SQL is written for a fleet's millions of rows: each costly step runs only on the
    rows that need it (a simple CASE instead of an IN list, which DuckDB turns into a
    join; codes and texts only for refusals unless `details`).
    """
    fields = set(has)
    parsed, utc, naive = _time(spec, tz)

    def clean(name: str, trim: bool) -> str:
        if name not in fields:
            return f"NULL::VARCHAR AS c_{name}"
        value = f'r."{name}"'
        if not trim:  # DuckDB's CSV reader and the readers give NULL for empty fields
            return f"{value} AS c_{name}"
        value = (
            f"CASE WHEN prefix({value}, ' ') THEN trim({value}) "
            f"WHEN suffix({value}, ' ') THEN trim({value}) ELSE {value} END"
        )
        return f"NULLIF({value}, '') AS c_{name}"

    always = {"time", "account", "from", "recipients", "n_recipients", "status"}
    cleaned = ", ".join(clean(f, padded and f in always) for f in FIELDS)

    def later(name: str) -> str:
        """A detail field, trimmed where wanted (NULL elsewhere: computed once, below)."""
        return f"d_{name}"

    def code_of(code_column: str, text_column: str) -> str:
        """The reply code: the code column, else the three digits the text starts with."""
        number = f"TRY_CAST({code_column} AS SMALLINT)"
        from_text = (
            f"TRY_CAST(regexp_extract({text_column}, '^([2-5]\\d\\d)(?:[ -]|$)', 1) AS SMALLINT)"
        )
        return (
            f"CASE WHEN {number} BETWEEN 200 AND 599 THEN {number} "
            f"WHEN {text_column} IS NULL THEN NULL "
            f"WHEN {text_column}[1] NOT IN ('2', '3', '4', '5') THEN NULL "
            f"ELSE {from_text} END"
        )

    code = code_of(later("code"), later("text"))
    words = (
        [(w, "sent") for w in SENT_WORDS]
        + [(w, "rejected") for w in REJECTED_WORDS]
        + [(w, "deferred") for w in DEFERRED_WORDS]
        + [(w, "checked") for w in NOT_SENT_WORDS]
        + [(w, "event") for w in TRACE_EVENT_WORDS]
        + [(w, "incoming") for w in INCOMING_WORDS]
    )
    by_code = (
        "NULL"
        if "status" in fields
        else (
            f"CASE {code_of('trim(c_code)', 'trim(c_text)')} // 100 WHEN 2 THEN 'sent' "
            "WHEN 5 THEN 'rejected' "
            "WHEN 4 THEN 'deferred' END"
        )
    )
    spelt = [(w, v) for w, v in words] + [  # as written first: one test for most rows
        (other, v) for w, v in words for other in sorted(_spellings(w) - {w})
    ]
    status = (
        "CASE c_status "
        + _cases(spelt)
        + " ELSE CASE lower(trim(c_status)) "
        + _cases(words)
        + f" ELSE CASE WHEN c_status IS NULL THEN {by_code} END END END"
    )
    account = (
        "CASE WHEN contains(c_who, '<') "
        f"THEN lower(NULLIF(regexp_extract(c_who, {quote(_ADDRESS_IN_ANGLES)}, 1), '')) "
        "ELSE lower(c_who) END"
    )
    # DuckDB evaluates both sides of AND / OR in a projection; a CASE stops at the first
    # branch that holds, so the cheap test comes first and the costly one runs rarely.
    several = "strlen(c_recipients) - strlen(replace(c_recipients, '@', ''))"
    at_count = (
        f"CASE WHEN contains(c_recipients, ';') THEN {several} "
        f"WHEN contains(c_recipients, ',') THEN {several} "
        f"WHEN contains(c_recipients, ' ') THEN {several} "
        "WHEN c_recipients IS NULL THEN 0 ELSE 1 END"
    )
    if "n_recipients" in fields:
        count = f"coalesce(TRY_CAST(c_n_recipients AS INTEGER), NULLIF({at_count}, 0), 1)"
    else:
        count = f"coalesce(NULLIF({at_count}, 0), 1)"
    zoned = (
        f"CASE WHEN suffix(t, 'Z') THEN true ELSE regexp_matches(t, {quote(_ZONED)}) END"
        if spec.kind == "iso"
        else "true"
    )
    wanted = "true" if details else "refused"
    stage = (  # the NULL test first: a simple CASE tries every WHEN on a NULL
        f"CASE WHEN {later('stage')} IS NULL THEN NULL ELSE CASE lower({later('stage')}) "
        + _cases([(w, name) for name, words in STAGE_WORDS.items() for w in words])
        + " END END"
    )
    text = later("text")
    enhanced = (
        f"CASE WHEN {later('enhanced')}[2] = '.' "
        f"THEN NULLIF(regexp_extract({later('enhanced')}, '^{_ENHANCED}', 1), '') "
        f"WHEN {text} IS NULL THEN NULL "
        f"ELSE NULLIF(regexp_extract({text}, '^(?:[2-5]\\d\\d[ -]+)?{_ENHANCED}\\b', 1), '') END"
    )
    clean_text = (
        f"CASE WHEN {text}[1] IN ('2', '3', '4', '5') THEN NULLIF(trim(regexp_replace({text}, "
        f"'^[2-5]\\d\\d(?:[ -]+{_ENHANCED})?[ -]*', '')), '') ELSE {text} END"
    )
    canonical = (
        "NULLIF(array_to_string(regexp_extract_all(lower(c_recipients), "
        "'[^\\s;,<>\"'']+@[^\\s;,<>\"'']+'), ';'), '')"
    )

    # The reply without the server's bracketed stamp at its end, when it has one: cut at
    # the last '[' (string functions: a fleet has many refusals; over column `joined`, so
    # DuckDB cannot hoist it out of the CASE and run it on every row).
    cut = (
        "NULLIF(rtrim(left(joined, length(joined) - length(split_part(joined, '[', -1)) - 1)), '')"
    )
    key = (
        "CASE WHEN joined IS NULL THEN NULL "
        f"WHEN suffix(joined, ']') THEN {cut} ELSE NULLIF(trim(joined), '') END"
    )
    recipients = canonical if details else "c_recipients"
    who = quote(sender.lower()) if sender else "coalesce(c_account, c_from)"
    # the host alone: `smtp.office365.com[52.96.40.242]:587` or `host:587` -> the name
    relay = "NULLIF(lower(trim(split_part(split_part(c_relay, '[', 1), ':', 1))), '')"
    derived = (
        f"{recipients} AS recipients, CASE WHEN {wanted} THEN {stage} END AS stage, "
        f"CASE WHEN {wanted} THEN {code} END AS code, "
        f"CASE WHEN {wanted} THEN {enhanced} END AS enhanced, "
        # an accepted send's text stays as written: only the duplicate check reads it
        f"CASE WHEN {wanted} THEN {clean_text} ELSE c_text END AS text"
    )
    if padded:  # trimmed once, where wanted (a trim inside the CASEs would be hoisted)
        detail_columns = ", ".join(
            f"CASE WHEN {wanted} THEN NULLIF(trim(c_{f}), '') END AS d_{f}"
            for f in ("stage", "code", "enhanced", "text")
        )
    else:  # no spaces to trim: the fields as they are
        detail_columns = ", ".join(f"c_{f} AS d_{f}" for f in ("stage", "code", "enhanced", "text"))
    return f"""
SELECT
  source, line, time, account, "from", recipients, n_recipients, status, stage, code,
  enhanced, text, message_id, relay,
  CASE
    WHEN t IS NULL THEN 'no_time'
    WHEN time IS NULL AND naive THEN 'naive'
    WHEN time IS NULL THEN 'bad_time'
    WHEN account IS NULL THEN 'no_account'
    WHEN status IS NULL THEN 'bad_status'
    WHEN status = 'checked' THEN 'not_sent'
    WHEN status = 'event' THEN 'trace_event'
    WHEN status = 'incoming' THEN 'incoming'
  END AS skip,
  CASE WHEN t IS NULL OR time IS NULL THEN t WHEN status IS NULL THEN c_status END AS example,
  {key} AS key
FROM (
 SELECT *, CASE WHEN refused THEN concat_ws(' ', code, enhanced, text) END AS joined
 FROM (
  SELECT
    source, line, t, time, naive, account, "from", n_recipients, status, c_status, refused,
    c_message_id AS message_id, {relay} AS relay, {derived}
  FROM (
    SELECT *, {detail_columns}
    FROM (
      SELECT *, status IN ('rejected', 'deferred') AS refused
      FROM (
        SELECT *, {utc} AS time, {naive} AS naive
        FROM (
          SELECT *, {parsed}, {status} AS status
          FROM (
            SELECT
              source, line, t, {zoned} AS zoned, {account} AS account, lower(c_from) AS "from",
              CAST({count} AS INTEGER) AS n_recipients,
              c_recipients, c_status, c_stage, c_code, c_enhanced, c_text, c_message_id,
              c_relay
            FROM (
              SELECT *, c_time AS t, {who} AS c_who
              FROM (SELECT r.source, CAST(r.line AS BIGINT) AS line, {cleaned} FROM {raw} AS r)
            )
          )
        )
      )
    )
  )
 )
)
"""
