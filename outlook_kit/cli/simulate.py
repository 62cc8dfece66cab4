"""`outlook-kit simulate`: run the local Outlook simulator, or list its demo accounts."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any, TextIO

from ..errors import UsageError


def register(sub: Any) -> None:
    sim = sub.add_parser(
        "simulate",
        help="run the local Outlook simulator",
        allow_abbrev=False,
        description="Run a local SMTP server that answers like smtp-mail.outlook.com, "
        "with demo accounts that each teach one lesson.",
    )
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    sim.add_argument("--port", type=int, default=2525, help="port to listen on (2525; 0: any)")
    sim.add_argument(
        "--imap-port",
        type=int,
        default=1993,
        help="port for the mailboxes over IMAP, TLS from the first byte (1993; 0: any)",
    )
    sim.add_argument("--no-imap", action="store_true", help="serve SMTP only")
    sim.add_argument(
        "--list-accounts", action="store_true", help="print the demo accounts and exit"
    )
    sim.add_argument("--json", action="store_true", help="with --list-accounts: print JSON")
    sim.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    from ..simulator import Simulator, default_roster

    if args.list_accounts:
        if args.json:
            roster = [account.to_dict() for account in default_roster()]
            out.write(json.dumps(roster, indent=2) + "\n")
        else:
            for account in default_roster():
                out.write(f"{account.address:<40} {account.scenario:<28} {account.lesson}\n")
        return 0
    simulator = Simulator(
        host=args.host, port=args.port, imap_port=None if args.no_imap else args.imap_port
    )
    try:
        simulator.start()
    except OSError as exc:  # the port is taken, or the address is not this machine's
        raise UsageError(exc.strerror or str(exc)) from None
    # A service manager's SIGTERM stops it as cleanly as Ctrl+C (the CA file is removed).
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        out.write(f"Outlook simulator listening on {simulator.host}:{simulator.port} (STARTTLS)\n")
        out.write(f"CA file: {simulator.ca_file}\n")
        if simulator.imap_port is not None:
            out.write(
                f"IMAP (Inbox, Junk, Sent Items) on {simulator.host}:{simulator.imap_port} (TLS)\n"
            )
        out.write("Demo accounts (lesson props, not secrets):\n")
        for account in simulator.roster:
            apps = ", ".join(account.app_passwords) or "none"
            out.write(f"  {account.address} [{account.scenario}]: {account.lesson}\n")
            out.write(f"      password {account.password}; App Password {apps}\n")
        arrival = (
            f" --check-arrival --imap-port {simulator.imap_port}"
            if simulator.imap_port is not None
            else ""
        )
        out.write(
            f"Try: OUTLOOK_KIT_PASSWORD=... outlook-kit probe --user ADDRESS "
            f"--host {simulator.host} --port {simulator.port} --cafile {simulator.ca_file}"
            f"{arrival}\n"
            "Press Ctrl+C to stop.\n"
        )
        out.flush()
        threading.Event().wait()  # until Ctrl+C or SIGTERM
    except KeyboardInterrupt:
        print("outlook-kit: simulator stopped", file=sys.stderr)
    finally:
        simulator.stop()
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
