"""`outlook-kit probe`: a staged test send, one line per stage, exit status per failing stage.

The secret never comes from the command line: it is read from the OUTLOOK_KIT_PASSWORD
environment variable, from standard input (--password-stdin), or from a prompt that does
not echo. With --oauth it is an OAuth2 access token from Microsoft's device-code sign-in
(or its private cache); with --token-env VAR, a ready access token from that variable.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

from ..accounts import Credentials, Provider, SmtpSettings, provider_of, settings_for
from ..diagnosis import Context, Diagnosis, diagnose
from ..errors import SignInError, UsageError
from ..protocol import Stage
from .diagnose import card

if TYPE_CHECKING:
    from ..arrival import Arrival
    from ..probe import ProbeReport

PASSWORD_ENV = "OUTLOOK_KIT_PASSWORD"
EXIT_USAGE = 2
EXIT_SIGN_IN = 3  # the OAuth2 sign-in gave no token (before any SMTP stage ran)
EXIT_NOT_ARRIVED = 4  # --check-arrival: sent, and not found in the mailbox in time
EXIT_ARRIVAL_UNCHECKED = 5  # --check-arrival: sent, but IMAP refused or could not be reached
# A distinct exit code per failing stage, so scripts can tell where a send failed.
EXIT_CODES = {stage: 10 + i for i, stage in enumerate(Stage)}


def register(sub: Any) -> None:
    pr = sub.add_parser(
        "probe",
        help="run a staged test send",
        allow_abbrev=False,
        description="Connect, STARTTLS, sign in and send a test message, stage by stage. "
        f"The password comes from ${PASSWORD_ENV}, --password-stdin, or a prompt.",
        epilog=f"Exit status: 0 success; {EXIT_USAGE} usage; {EXIT_SIGN_IN} OAuth2 sign-in; "
        f"{EXIT_NOT_ARRIVED} sent but not arrived, {EXIT_ARRIVAL_UNCHECKED} arrival not "
        "checkable (with --check-arrival); "
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
    oauth = pr.add_argument_group(
        "OAuth2 (XOAUTH2)",
        "Sign in with an OAuth2 access token instead of a password, for accounts whose App "
        "Password is refused (basic authentication is disabled).",
    )
    oauth.add_argument(
        "--oauth",
        action="store_true",
        help="sign in at Microsoft with a device code (or reuse the saved sign-in) and "
        "authenticate with AUTH XOAUTH2",
    )
    oauth.add_argument(
        "--client-id",
        help="the Application (client) ID of the app you registered "
        "(default: $OUTLOOK_KIT_CLIENT_ID)",
    )
    oauth.add_argument(
        "--tenant",
        help="consumers, organizations, or a tenant id or domain (default: consumers for "
        "personal addresses, organizations for others)",
    )
    oauth.add_argument(
        "--token-cache",
        metavar="FILE",
        help="the private file (mode 0600) keeping the sign-in "
        "(default: $OUTLOOK_KIT_TOKEN_CACHE or ~/.config/outlook-kit/token-cache.json)",
    )
    oauth.add_argument(
        "--authority",
        metavar="URL",
        help="the identity endpoint instead of https://login.microsoftonline.com/TENANT "
        "(the local identity stand-in, in lessons)",
    )
    oauth.add_argument(
        "--authority-cafile",
        metavar="FILE",
        help="PEM file of CAs to trust for the identity endpoint (the stand-in's CA file)",
    )
    oauth.add_argument(
        "--token-env",
        metavar="VAR",
        help="read a ready OAuth2 access token from the environment variable VAR "
        "(never from an argument) and authenticate with AUTH XOAUTH2",
    )
    arrival = pr.add_argument_group(
        "arrival (IMAP)",
        "After a send, sign in over IMAP with the same credentials and look for the test "
        "message in the Inbox, Junk and Sent Items (read-only).",
    )
    arrival.add_argument(
        "--check-arrival", action="store_true", help="look for the sent message over IMAP"
    )
    arrival.add_argument(
        "--imap-host",
        help="IMAP host (default: outlook.office365.com for Microsoft's hosts, else --host)",
    )
    arrival.add_argument(
        "--imap-port", type=int, help="IMAP port, TLS from the first byte (993; simulator 1993)"
    )
    arrival.add_argument(
        "--arrival-timeout",
        type=float,
        default=60.0,
        help="seconds to keep looking (60)",
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
    import asyncio

    from ..message import TestMessage
    from ..probe import Timeouts, probe

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
    if args.arrival_timeout < 0:
        raise UsageError("--arrival-timeout must be zero or a positive number of seconds")
    if not args.check_arrival and (args.imap_host or args.imap_port):
        raise UsageError("--imap-host and --imap-port go with --check-arrival")
    # a local server's own domains (user@localhost) are for probing a server not Microsoft's
    local_ok = not settings.is_microsoft
    signed_in_as: str | None = None
    if args.oauth or args.token_env:
        try:
            credentials, signed_in_as = _oauth_credentials(args, local_ok=local_ok)
        except SignInError as exc:
            print(f"outlook-kit: sign-in failed: {exc}", file=sys.stderr)
            return EXIT_SIGN_IN
    else:
        secret = _read_secret(args)
        make = Credentials.password if args.regular_password else Credentials.app_password
        credentials = make(args.user, secret, local_ok=local_ok)
        del secret
    message = TestMessage(
        args.from_addr or credentials.user,
        tuple(args.to or [credentials.user]),
        local_ok=local_ok,
    )
    timeouts = Timeouts(connect=min(10.0, args.timeout), command=args.timeout)
    report = asyncio.run(
        probe(settings, credentials, message=message, stop_after=args.stop_after, timeouts=timeouts)
    )
    if args.log:
        from ..sendlog.record import append_to_log

        append_to_log(args.log, report)
    arrival = None
    if args.check_arrival and report.sent and report.token:
        arrival = asyncio.run(_check_arrival(args, settings, credentials, report))
    # the diagnosis at once, so that no one has to paste the reply into a second command
    context = Context(token_for=signed_in_as).with_arrival(arrival)
    diagnosis = diagnose(report, context=context)
    out.write(_render(report, diagnosis, arrival, json_out=args.json, transcript=args.transcript))
    if not report.ok:
        return EXIT_CODES[report.failed_stage or Stage.QUIT]
    if arrival is not None and not arrival.found:
        return EXIT_NOT_ARRIVED if arrival.reason == "not_found" else EXIT_ARRIVAL_UNCHECKED
    return 0


async def _check_arrival(
    args: argparse.Namespace, smtp: SmtpSettings, credentials: Credentials, report: ProbeReport
) -> Arrival:
    from ..arrival import ImapSettings, check_arrival

    imap = ImapSettings.beside(smtp, args.imap_port)
    if args.imap_host:
        imap = dataclasses.replace(imap, host=args.imap_host)
    to_self = credentials.user.casefold() in {r.casefold() for r in report.recipients}
    if not args.json:
        print(
            f"Looking for {report.token} over IMAP at {imap.host}:{imap.port}...", file=sys.stderr
        )
    return await check_arrival(
        imap, credentials, report.token or "", to_self=to_self, timeout=args.arrival_timeout
    )


def _oauth_credentials(
    args: argparse.Namespace, *, local_ok: bool
) -> tuple[Credentials, str | None]:
    """Credentials.oauth_token from --token-env or --oauth, and who the token is for."""
    from ..arrival import IMAP_SCOPE
    from ..oauth import SMTP_SEND_SCOPE, EnvironmentToken, MicrosoftIdentity

    if args.oauth and args.token_env:
        raise UsageError("give either --oauth or --token-env, not both")
    if args.password_stdin or args.regular_password:
        raise UsageError(
            "--password-stdin and --regular-password are for passwords; "
            "--oauth and --token-env sign in with an OAuth2 token"
        )
    if args.token_env:
        token = EnvironmentToken(args.token_env).get_token(args.user)
        return Credentials.oauth_token(args.user, token, local_ok=local_ok), None
    tenant = args.tenant
    if tenant is None and args.authority is None:
        tenant = "consumers" if provider_of(args.user) is Provider.PERSONAL else "organizations"
    identity = MicrosoftIdentity(
        args.client_id,
        tenant=tenant,
        authority=args.authority,
        token_cache=args.token_cache,
        cafile=args.authority_cafile,
        interactive=True,
        # one token for both: SMTP to send, IMAP to look for the message (same resource)
        scopes=(SMTP_SEND_SCOPE, IMAP_SCOPE) if args.check_arrival else (SMTP_SEND_SCOPE,),
    )
    token = identity.get_token(args.user)
    who = identity.signed_in_as
    how = {"cache": "saved sign-in", "refresh": "saved sign-in, refreshed"}.get(
        identity.last_source or "", "new sign-in"
    )
    print(f"Signed in as {who or args.user} ({how}).", file=sys.stderr, flush=True)
    if who and who.casefold() != args.user.casefold():
        print(
            f"Warning: the token is for {who}, not {args.user}; Outlook will refuse it "
            "(535 5.7.3).",
            file=sys.stderr,
            flush=True,
        )
    return Credentials.oauth_token(args.user, token, local_ok=local_ok), who


def _render(
    report: ProbeReport,
    diagnosis: Diagnosis,
    arrival: Arrival | None,
    *,
    json_out: bool,
    transcript: bool,
) -> str:
    if json_out:
        data = {**report.to_dict(), "diagnosis": diagnosis.to_dict()}
        if arrival is not None:
            data["arrival"] = arrival.to_dict()
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    lines = [f"Probe of {report.user} at {report.host}:{report.port}"]
    for stage in report.stages:
        mark = "ok  " if stage.ok else "FAIL"
        lines.append(f"  {mark} {stage.stage:<10} {stage.elapsed_ms:8.1f} ms")
    failure = report.failure
    if failure is not None:
        said = str(failure.reply) if failure.reply else failure.note
        lines.append(f"Failed at {failure.stage}: {said}")
    elif report.sent and arrival is not None:
        lines.append(f"Sent. Arrival: {arrival.detail}.")
    elif report.sent:
        lines.append(f"Sent. Look for {report.token} in the inbox (and the junk folder).")
    else:
        lines.append(f"All stages up to {report.stop_after} passed; no mail was sent.")
    for hint in report.hints:
        lines.append(f"Hint: {hint}")
    if not report.ok or (arrival is not None and (not arrival.found or arrival.arrived == "junk")):
        lines += ["", card(diagnosis).rstrip("\n")]
    if transcript:
        lines.append("Transcript:")
        lines.extend(f"  {line}" for line in report.transcript)
    return "\n".join(lines) + "\n"
