"""The command line: one module per subcommand, each a thin front over the package.

`outlook-kit simulate` (simulate.py), `outlook-kit probe` (probe.py), `outlook-kit analyze`
(analyze.py), `outlook-kit diagnose` (diagnose.py), `outlook-kit scan` (scan.py). Secrets
are never taken as arguments: a flag that looks like one is refused before argparse could
echo it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import UsageError
from . import analyze, diagnose, probe, scan, simulate
from .probe import EXIT_CODES, EXIT_USAGE, PASSWORD_ENV
from .words import for_cli

__all__ = ["EXIT_CODES", "EXIT_USAGE", "PASSWORD_ENV", "main"]

_SECRET_FLAGS = ("--password", "--pass", "--app-password", "--secret", "--token", "-p")


class _Refused(Exception):
    """A usage problem found before argparse sees the arguments."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="outlook-kit",
        description="Send through Outlook.com SMTP, find out why it fails, and practise "
        "on a local simulator.",
        allow_abbrev=False,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for command in (simulate, probe, diagnose, analyze, scan):
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `outlook-kit` command; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        _refuse_secret_arguments(args_list)
    except _Refused as exc:
        print(f"outlook-kit: {exc}", file=sys.stderr)
        return EXIT_USAGE
    args = _parser().parse_args(args_list)
    try:
        status: int = args.run(args, sys.stdout)
        return status
    except UsageError as exc:
        print(f"outlook-kit: {for_cli(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("outlook-kit: interrupted", file=sys.stderr)
        return 130


def _refuse_secret_arguments(argv: list[str]) -> None:
    """Refuse a secret given as an argument, without echoing it (argparse would)."""
    for arg in argv:
        flag = arg.split("=", 1)[0]
        if flag in _SECRET_FLAGS:
            raise _Refused(
                f"{flag} is not accepted: secrets are never taken on the command line "
                "(they would stay in the shell history and the process list). "
                f"Set {PASSWORD_ENV}, pipe it with --password-stdin, or type it at the prompt."
            )
