"""The readers of mail programs' line logs: Postfix's maillog, exim's mainlog, msmtp's log
file. Each line that is a delivery attempt becomes a raw row (the sender, the recipient, the
relay, the server's reply); every other line is counted under its reason.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .detect import TimeSpec
from .readers import Raw, Row, lines_of
from .report import Tally, Where
from .schema import FIELDS, LogFormat

# --- Postfix maillog ------------------------------------------------------------------------

_SYSLOG_LINE = re.compile(
    r"^(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\S+) \S+ "
    r"postfix(?:/[\w.-]+)*/(?P<prog>[\w-]+)\[(?P<pid>\d+)\]: (?P<rest>.*)$"
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


_TOKEN_FILE = re.compile(r"TokenStore::Read: file=\S*?/(?P<user>[^/\s]+@[^/\s]+)$")
_REFRESH_HTTP = re.compile(r"TokenStore::Refresh: http error: (?P<detail>.*)$")
_REFRESH_ERROR = re.compile(
    r'TokenStore::Refresh: code=(?P<code>\d+), response=.*?"error":"(?P<error>\w+)"'
)


class TokenLines:
    """What the sasl-xoauth2 plugin's lines tell: whose token a Postfix `smtp` process read
    (its token file named after the account, as the plugin's README sets it up), and which
    token refreshes failed: a finding, with the fix."""

    def __init__(self) -> None:
        self.users: dict[str | None, str] = {}  # smtp process id (None: the plugin's ident)
        self.failed: dict[str, str] = {}  # user (or "a token") -> the refresh's error
        self.findings: list[str] = []

    def read(self, pid: str | None, text: str) -> None:
        text = text.strip()
        token_file = _TOKEN_FILE.search(text)
        if token_file:
            self.users[pid] = self.users[None] = token_file["user"].lower()
            return
        refused = _REFRESH_ERROR.search(text)
        unreachable = _REFRESH_HTTP.search(text)
        if not (refused or unreachable or text.endswith("TokenStore::Refresh: request failed")):
            return
        who = self.users.get(pid) or self.users.get(None) or "an account"
        if who in self.failed:
            return  # one finding per account: the plugin repeats itself
        if refused:
            why = f"{refused['error']}: Microsoft no longer accepts its refresh token"
            fix = "sign in again (sasl-xoauth2-tool get-token) and put the new token in its file"
        elif unreachable:
            why = f"it could not reach the token endpoint: {unreachable['detail'][:80]}"
            fix = "check the plugin's CA file and network access inside Postfix's chroot"
        else:
            why = "the refresh request failed"
            fix = "set log_full_trace_on_failure in its config to see why"
        self.failed[who] = why
        self.findings.append(
            f"finding: sasl-xoauth2 could not refresh the OAuth2 token of {who} ({why}); {fix}"
        )

    def user(self, pid: str) -> str | None:
        """The account whose token this process read, if its lines said."""
        return self.users.get(pid)


class SyslogClock:
    """Times as mail programs log them: classic syslog (`Nov  3 09:14:22`: no year, no zone;
    the year assumed, rolled over at New Year), or ISO 8601 (`2026-11-03T09:14:22+01:00`,
    `2026-11-03 09:14:22`) kept as written."""

    def __init__(self, year: int | None) -> None:
        self.given = year
        self.year = year or datetime.now(UTC).year
        self.last_month = 0
        self.classic = False
        self.zoneless = False

    def iso(self, stamp: str) -> str:
        if stamp[:1].isalpha():
            self.classic = True
            month = _MONTHS[stamp[:3]]
            if self.last_month == 12 and month == 1:
                self.year += 1  # the log ran over New Year
            self.last_month = month
            day, clock = int(stamp[4:6]), stamp[7:]
            return f"{self.year:04d}-{month:02d}-{day:02d}T{clock}"
        if not _ZONED.search(stamp):
            self.zoneless = True
        return stamp

    @property
    def naive(self) -> bool:
        """Some times had no zone (the `tz` of the load then says theirs)."""
        return self.classic or self.zoneless

    def note(self, label: str, tally: Tally) -> None:
        if self.classic and self.given is None:
            tally.note(
                f"{label}: syslog dates carry no year; read as {datetime.now(UTC).year} "
                "(pass year= for an older log)"
            )


_ZONED = re.compile(r"(?:[Zz]|[+-]\d\d:?\d\d)$")

_LOCAL = frozenset({"local", "virtual", "pipe", "lmtp", "discard"})
# the plugin's lines: `[sasl-xoauth2] ...` inside postfix/smtp's (0.25 on), or its own
# syslog ident `sasl-xoauth2[pid]: ...` (before 0.25)
_XOAUTH2 = re.compile(r"\[?sasl-xoauth2(?:\]|\[\d+\])?:? ")
XOAUTH2_LINES = (
    "sasl-xoauth2 plugin lines (no delivery attempt; 'auth failed ... "
    "TokenStore::Refresh' means the OAuth2 token needs a new sign-in)"
)
NULL_SENDER = (
    "notices Postfix itself sent (from=<>: bounces, delay warnings), not the account's sends"
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
    clock = SyslogClock(year)
    tokens = TokenLines()
    for number, line in lines_of(text):
        tally.read += 1
        where = Where(label, number)
        match = _SYSLOG_LINE.match(line)
        if not match:
            plugin = _XOAUTH2.search(line)
            if plugin:
                tokens.read(None, line[plugin.end() :])
                tally.skip(XOAUTH2_LINES, where, line[plugin.end() :].strip()[:60])
                continue
            tally.skip("lines that are not Postfix log lines", where, line.strip()[:40])
            continue
        stamp = clock.iso(match["ts"])
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
            tokens.read(match["pid"], match["rest"][plugin.end() :])
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
        if sender_address == "":  # from=<>: a bounce or delay notice Postfix wrote itself
            tally.skip(NULL_SENDER, where, delivery["to"])
            continue
        account = sender_address or logins.get(queued["qid"]) or tokens.user(match["pid"])
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
    _note_unnamed(label, unnamed, "qmgr from=", tally)
    for finding in tokens.findings:
        tally.note(f"{label}: {finding}")
    clock.note(label, tally)
    has = frozenset(FIELDS) - {"n_recipients", "code"}
    return Raw(rows, TimeSpec(kind="iso", naive=clock.naive), LogFormat.POSTFIX, has)


# --- exim mainlog ---------------------------------------------------------------------------

_EXIM_LINE = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)(?: (?P<zone>[+-]\d{4}))? "
    r"(?:\[\d+\] )?(?P<id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) (?P<rest>.*)$"
)
_EXIM_FLAG = re.compile(r"^(?P<flag><=|=>|->|>>|\*\*|==|\*>|\(=) (?P<addr>\S+)(?P<rest>.*)$")
_EXIM_HOST = re.compile(r"\bH=(?P<host>[^\s\[]+)")
_EXIM_CONFIRMATION = re.compile(r'\bC="(?P<reply>(?:[^"\\]|\\.)*)"')
_EXIM_AFTER = re.compile(
    r"after (?:pipelined )?(?P<cmd>RCPT TO|MAIL FROM|end of data|DATA|AUTH|EHLO|HELO|STARTTLS)"
)
_REPLY_IN_TEXT = re.compile(r"(?P<reply>[2-5]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b.*)$")
_EXIM_STATUS = {"=>": "sent", "->": "sent", ">>": "sent", "**": "rejected", "==": "deferred"}
EXIM_OTHER = "exim lines that are not delivery attempts (arrivals, completions, queue runs)"


def _exim_stage(text: str) -> str | None:
    after = _EXIM_AFTER.search(text)
    if after:
        return _COMMANDS.get(after["cmd"])
    if "defer (-42)" in text or "authentication" in text.lower():
        return "auth"
    if "Connection refused" in text or "Connection timed out" in text:
        return "connect"
    return None


def read_exim(text: str, label: str, tally: Tally) -> Raw:
    """exim's mainlog: `=>`, `->`, `>>` deliveries (sent), `**` failures, `==` deferrals.

    The account is the sender of the message's `<=` arrival line; where that line is not in
    the log, `unknown@<relay host>`. Times are the server's local time unless its
    `log_timezone` wrote the offset.
    """
    rows: list[Row] = []
    senders: dict[str, str] = {}
    unnamed: dict[str, int] = {}
    zoneless = False
    for number, line in lines_of(text):
        tally.read += 1
        where = Where(label, number)
        match = _EXIM_LINE.match(line)
        if not match:
            tally.skip("lines that are not exim log lines", where, line.strip()[:40])
            continue
        flagged = _EXIM_FLAG.match(match["rest"])
        if flagged and flagged["flag"] == "<=":
            senders[match["id"]] = flagged["addr"].strip("<>")
        if not flagged or flagged["flag"] not in _EXIM_STATUS:
            tally.skip(EXIM_OTHER, where)
            continue
        rest = flagged["rest"]
        host_match = _EXIM_HOST.search(rest)
        host = host_match["host"].lower() if host_match else None
        status = _EXIM_STATUS[flagged["flag"]]
        confirmation = _EXIM_CONFIRMATION.search(rest)
        stage: str | None
        if status == "sent":
            reply, stage = (confirmation["reply"] if confirmation else None), "data"
        else:
            said = rest.split(": ", 1)[1] if ": " in rest else rest
            in_text = _REPLY_IN_TEXT.search(said)
            reply = in_text["reply"] if in_text else said.strip()
            stage = _exim_stage(said)
        sender = senders.get(match["id"])
        account = sender or None
        if account is None:
            account = f"unknown@{host or 'unknown-relay'}"
            unnamed[account] = unnamed.get(account, 0) + 1
        stamp = match["ts"].replace(" ", "T")
        if match["zone"]:
            stamp += f"{match['zone'][:3]}:{match['zone'][3:]}"
        else:
            zoneless = True
        fields = {
            "time": stamp,
            "account": account,
            "from": sender or None,
            "recipients": flagged["addr"],
            "n_recipients": None,
            "status": status,
            "stage": stage,
            "code": None,
            "enhanced": None,
            "text": reply or None,
            "message_id": match["id"],
            "relay": host,
        }
        rows.append((label, number, *(fields[f] for f in FIELDS)))
    _note_unnamed(label, unnamed, "arrival line (<=)", tally)
    has = frozenset(FIELDS) - {"n_recipients", "code", "enhanced"}
    return Raw(rows, TimeSpec(kind="iso", naive=zoneless), LogFormat.EXIM, has)


def _note_unnamed(label: str, unnamed: dict[str, int], line: str, tally: Tally) -> None:
    for account, count in unnamed.items():
        tally.note(
            f"{label}: {count} deliveries whose sender line ({line}) is not in the log are "
            f"loaded under {account}"
        )


# --- msmtp log file -------------------------------------------------------------------------

_MSMTP_LINE = re.compile(
    r"^(?:(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[T ]\S+) )?"
    r"(?:\S+ msmtp(?:\[\d+\])?: )?(?P<rest>(?:host|socket)=.*\bexitcode=EX_\w+.*)$"
)
_MSMTP_PAIR = re.compile(r"(?P<key>\w+)=(?:'(?P<quoted>[^']*)'|(?P<bare>\S*))")
_MSMTP_TEMPORARY = frozenset({"EX_TEMPFAIL", "EX_IOERR", "EX_OSERR"})


def _msmtp_stage(error: str) -> str | None:
    lowered = error.lower()
    if "authentication" in lowered or "auth" in lowered.split():
        return "auth"
    if "cannot connect" in lowered or "cannot locate host" in lowered:
        return "connect" if "cannot connect" in lowered else "dns"
    if "tls" in lowered or "starttls" in lowered:
        return "starttls"
    if "envelope from" in lowered:
        return "mail_from"
    if "recipient" in lowered:
        return "rcpt_to"
    return None


def read_msmtp(text: str, label: str, tally: Tally, *, year: int | None = None) -> Raw:
    """msmtp's log file (`logfile`) or its syslog lines: one line per mail, `exitcode=EX_OK`
    for sent; the account is the `user=` that signed in, else the envelope `from=`."""
    rows: list[Row] = []
    clock = SyslogClock(year)
    no_time = False
    for number, line in lines_of(text):
        tally.read += 1
        where = Where(label, number)
        match = _MSMTP_LINE.match(line)
        if not match:
            tally.skip("lines that are not msmtp log lines", where, line.strip()[:40])
            continue
        if not match["ts"]:
            no_time = True
        pairs = {
            m["key"]: m["quoted"] if m["quoted"] is not None else m["bare"]
            for m in _MSMTP_PAIR.finditer(match["rest"])
        }
        exit_code = pairs.get("exitcode", "")
        code = pairs.get("smtpstatus") or None
        if exit_code == "EX_OK":
            status = "sent"
        elif exit_code in _MSMTP_TEMPORARY or (code or "").startswith("4"):
            status = "deferred"
        else:
            status = "rejected"
        error = pairs.get("errormsg") or ""
        reply = pairs.get("smtpmsg") or None
        fields = {
            "time": clock.iso(match["ts"]) if match["ts"] else None,
            "account": pairs.get("user") or None,
            "from": pairs.get("from") or None,
            "recipients": (pairs.get("recipients") or "").replace(",", ";") or None,
            "n_recipients": None,
            "status": status,
            "stage": "data" if status == "sent" else _msmtp_stage(error),
            "code": code,
            "enhanced": None,
            "text": reply or error or None,
            "message_id": None,
            "relay": pairs.get("host") or None,
        }
        rows.append((label, number, *(fields[f] for f in FIELDS)))
    clock.note(label, tally)
    if no_time:
        tally.note(
            f"{label}: lines without a time (msmtp's `logfile_time_format none`, or syslog "
            "lines without their prefix) cannot be placed in a day and are skipped"
        )
    has = frozenset(FIELDS) - {"n_recipients", "enhanced", "message_id"}
    return Raw(rows, TimeSpec(kind="iso", naive=clock.naive), LogFormat.MSMTP, has)
