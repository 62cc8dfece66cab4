"""`outlook-kit diagnose`: name the cause of a pasted SMTP error, and the fix."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from ..accounts import SecretKind, validate_address
from ..diagnosis import Context, Diagnosis, diagnose, to_stage
from ..errors import UsageError
from ..protocol import Stage


def register(sub: Any) -> None:
    dg = sub.add_parser(
        "diagnose",
        help="explain an SMTP error and how to fix it",
        allow_abbrev=False,
        description="Paste an error from any program (a raw reply, nodemailer, Python, "
        ".NET, PHPMailer, a bounce) and get its cause and the fix.",
    )
    dg.add_argument("text", nargs="?", help="the error text, or - (default) for standard input")
    dg.add_argument(
        "--stage", help="where it failed, if known: " + ", ".join(str(s) for s in Stage)
    )
    dg.add_argument(
        "--secret-kind",
        choices=[str(k) for k in SecretKind],
        help="what was used to sign in (changes the reading of a bare 535)",
    )
    dg.add_argument(
        "--user",
        metavar="ADDRESS",
        help="the address that was signing in (its domain tells a personal account from a "
        "work one, as in a probe)",
    )
    dg.add_argument("--json", action="store_true", help="print the diagnosis as JSON")
    dg.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    text = args.text
    if text is None or text == "-":
        if text is None and sys.stdin.isatty():
            raise UsageError(
                "give the error text as an argument (quoted), or pipe it: "
                "outlook-kit diagnose - < error.txt"
            )
        text = sys.stdin.read()
    try:
        stage = to_stage(args.stage)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    context = Context(
        secret_kind=SecretKind(args.secret_kind) if args.secret_kind else None,
        account=validate_address(args.user) if args.user else None,
    )
    result = diagnose(text, stage=stage, context=context)
    out.write(
        json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
        if args.json
        else card(result)
    )
    return 0


def card(result: Diagnosis) -> str:
    """A short card for a person: title, what happened, the fix."""
    lines = [f"{result.title}  [{result.category}, {result.confidence} confidence]", ""]
    lines += ["What happened:", f"  {result.explanation}", "", "The fix:"]
    lines += [f"  {i}. {step}" for i, step in enumerate(result.fix, 1)]
    if result.guide_says and result.seen_in_practice:
        lines += ["", f"The guide says: {result.guide_says}"]
        lines += [f"Seen in practice: {result.seen_in_practice}"]
    if result.alternatives:
        lines += ["", "Also possible:"]
        lines += [f"  - {a.category}: {a.reason}" for a in result.alternatives]
    return "\n".join(lines) + "\n"
