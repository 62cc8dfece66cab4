"""`outlook-kit probe`: a staged test send, one line per stage, exit status per failing stage.

The secret never comes from the command line: it is read from the OUTLOOK_KIT_PASSWORD
environment variable, from standard input (--password-stdin), or from a prompt that does
not echo.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from typing import Any, TextIO

from ..accounts import Credentials, SmtpSettings, settings_for
from ..errors import UsageError
from ..message import TestMessage
from ..probe import ProbeReport, Timeouts, probe
from ..protocol import Stage
from ..sendlog import append_to_log

PASSWORD_ENV = "OUTLOOK_KIT_PASSWORD"
EXIT_USAGE = 2
# A distinct exit code per failing stage, so scripts can tell where a send failed.
EXIT_CODES = {stage: 10 + i for i, stage in enumerate(Stage)}


def register(sub: Any) -> None:
    pr = sub.add_parser(
        "probe",
        help="run a staged test send",
        allow_abbrev=False,
        description="Connect, STARTTLS, sign in and send a test message, stage by stage. "
        f"The password comes from ${PASSWORD_ENV}, --password-stdin, or a prompt.",
        epilog=f"Exit status: 0 success; {EXIT_USAGE} usage; "
        + ", ".join(f"{code} {stage}" for stage, code in EXIT_CODES.items()),
    )
    pr.add_argument("--user", required=True, help="the account's full address")
    pr.add_argument("--from", dest="from_addr", help="the From address (default: --user)")
    pr.add_argument(
        "--to", action="append", help="a recipient (repeatable; default: --user itself)"
    )
    pr.add_argument("--host", help="SMTP host (default: from the address's domain)")
    pr.add_argument("--port", type=int, default=587, help="SMTP port (587)")
    tls = pr.add_mutually_exclusive_group()
    tls.add_argument("--cafile", help="PEM file of CAs to trust (the simulator's CA file)")
    tls.add_argument(
        "--insecure", action="store_true", help="do not verify the certificate (tests only)"
    )
    pr.add_argument("--stop-after", choices=[str(s) for s in Stage], help="end after this stage")
    pr.add_argument(
        "--timeout", type=float, default=30.0, help="seconds per command (30; connect: 10)"
    )
    pr.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    pr.add_argument(
        "--regular-password",
        action="store_true",
        help="the secret is the account's sign-in password, not an App Password",
    )
    pr.add_argument("--json", action="store_true", help="print the report as JSON")
    pr.add_argument("--transcript", action="store_true", help="print the SMTP transcript")
    pr.add_argument("--log", metavar="FILE", help="append a record to this JSON Lines send log")
    pr.set_defaults(run=run)


def _read_secret(args: argparse.Namespace) -> str:
    if args.password_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise UsageError("--password-stdin read an empty line; pipe the password in")
        return value
    value = os.environ.get(PASSWORD_ENV, "")
    if value:
        return value
    if not sys.stdin.isatty():
        raise UsageError(
            f"no password: set {PASSWORD_ENV}, use --password-stdin, or run in a terminal "
            "to be prompted"
        )
    return getpass.getpass("App Password (not shown): ")


def run(args: argparse.Namespace, out: TextIO) -> int:
    if args.host:
        settings = SmtpSettings(args.host, args.port, cafile=args.cafile, insecure=args.insecure)
    else:
        account = settings_for(args.user)
        if account.smtp is None:
            raise UsageError(f"{account.address}: {account.note}")
        settings = SmtpSettings(
            account.smtp.host, args.port, cafile=args.cafile, insecure=args.insecure
        )
    if args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    secret = _read_secret(args)
    credentials = (
        Credentials.password(args.user, secret)
        if args.regular_password
        else Credentials.app_password(args.user, secret)
    )
    del secret
    message = TestMessage(args.from_addr or credentials.user, tuple(args.to or [credentials.user]))
    timeouts = Timeouts(connect=min(10.0, args.timeout), command=args.timeout)
    report = asyncio.run(
        probe(settings, credentials, message=message, stop_after=args.stop_after, timeouts=timeouts)
    )
    if args.log:
        append_to_log(args.log, report)
    out.write(_render(report, json_out=args.json, transcript=args.transcript))
    return 0 if report.ok else EXIT_CODES[report.failed_stage or Stage.QUIT]


def _render(report: ProbeReport, *, json_out: bool, transcript: bool) -> str:
    if json_out:
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    lines = [f"Probe of {report.user} at {report.host}:{report.port}"]
    for stage in report.stages:
        mark = "ok  " if stage.ok else "FAIL"
        lines.append(f"  {mark} {stage.stage:<10} {stage.elapsed_ms:8.1f} ms")
    failure = report.failure
    if failure is not None:
        said = str(failure.reply) if failure.reply else failure.note
        lines.append(f"Failed at {failure.stage}: {said}")
    elif report.sent:
        lines.append(f"Sent. Look for {report.token} in the inbox (and the junk folder).")
    else:
        lines.append(f"All stages up to {report.stop_after} passed; no mail was sent.")
    for hint in report.hints:
        lines.append(f"Hint: {hint}")
    if transcript:
        lines.append("Transcript:")
        lines.extend(f"  {line}" for line in report.transcript)
    return "\n".join(lines) + "\n"
