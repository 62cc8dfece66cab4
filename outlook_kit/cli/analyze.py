"""`outlook-kit analyze`: read send logs and report volume against the daily cap, per account.

Human output: the load report (every row read: loaded or skipped, and why), then one line
per account: days active, messages, recipients, busiest day, most in any 24 hours, cap
hits, pauses, the cap inferred from the log, and the headroom now. `--json` prints one
object instead; `--png` writes the daily-volume chart.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from ..errors import UsageError


def register(sub: Any) -> None:
    an = sub.add_parser(
        "analyze",
        help="analyse send logs against the daily cap",
        allow_abbrev=False,
        description="Read send logs (the kit's JSON Lines, CSV/TSV and .xlsx exports, Postfix "
        "maillogs, exim and msmtp logs, Microsoft 365 message traces; files, folders, .gz) "
        "and report, per account, the volume against the daily cap, cap hits, pauses, the "
        "cap the log shows, and the headroom now.",
    )
    an.add_argument("logs", nargs="+", metavar="LOG", help="a log file or a folder of logs")
    an.add_argument(
        "--format",
        choices=["jsonl", "csv", "tsv", "postfix", "exim", "msmtp", "m365"],
        help="the log format (detected when omitted)",
    )
    an.add_argument(
        "--tz",
        help="the zone of times written without one (required for such logs), and of the "
        "calendar days in the report (UTC by default)",
    )
    an.add_argument(
        "--account-created",
        action="append",
        default=[],
        metavar="ACCOUNT=DATE",
        help="an account's creation date (YYYY-MM-DD), for the cap model's age (repeatable)",
    )
    an.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="for CSV: which column holds a field, e.g. time='Date sent' (repeatable)",
    )
    an.add_argument("--encoding", help="the file encoding (detected when omitted)")
    first = an.add_mutually_exclusive_group()
    first.add_argument(
        "--dayfirst", action="store_true", help="dates like 05/01/2026 are day first"
    )
    first.add_argument(
        "--monthfirst", action="store_true", help="dates like 05/01/2026 are month first"
    )
    an.add_argument("--year", type=int, help="the year of classic syslog dates (maillogs)")
    an.add_argument(
        "--date-format",
        metavar="LAYOUT",
        help="for CSV: the time column's layout in strftime codes, e.g. '%%d/%%m/%%Y %%H:%%M' "
        "(detected when omitted)",
    )
    an.add_argument(
        "--sender",
        metavar="ADDRESS",
        help="the account whose log it is, for an export with no sender column (WP Mail "
        "Catcher): every row is that account's",
    )
    an.add_argument("--json", action="store_true", help="print one JSON object")
    an.add_argument("--png", metavar="FILE", help="write the daily-volume chart to this PNG")
    an.add_argument("--account", help="the account the chart shows (default: closest to its cap)")
    an.set_defaults(run=run)


def _pairs(values: list[str], flag: str, example: str) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip() or not rest.strip():
            raise UsageError(f"{flag} expects {example}, got {value!r}")
        out[name.strip()] = rest.strip().strip("'\"")
    return out


def _created(values: list[str]) -> dict[str, datetime]:
    out = {}
    for account, text in _pairs(values, "--account-created", "ACCOUNT=YYYY-MM-DD").items():
        try:
            out[account.lower()] = datetime.fromisoformat(text)
        except ValueError:
            raise UsageError(
                f"--account-created {account}={text}: the date must look like 2025-09-01"
            ) from None
    return out


def run(args: argparse.Namespace, out: TextIO) -> int:
    from ..analysis import analyze
    from ..sendlog import load_send_log
    from .words import for_cli

    created = _created(args.account_created)
    columns = _pairs(args.column, "--column", "FIELD=COLUMN")
    log = load_send_log(
        args.logs,
        format=args.format,
        tz=args.tz,
        columns=columns or None,
        encoding=args.encoding,
        dayfirst=True if args.dayfirst else False if args.monthfirst else None,
        year=args.year,
        date_format=args.date_format,
        sender=args.sender,
    )
    result = analyze(log, tz=args.tz or "UTC", created=created or None)
    if args.png:
        _chart(result, args.png, args.account)
    if args.json:
        document = result.to_dict()
        # indented while a reader may look at it; compact (the C encoder: an indented dump
        # runs in pure Python) when it lists many accounts, hits and pauses
        items = sum(1 + len(a["cap_hits"]) + len(a["pauses"]) for a in document["accounts"])
        indent = 2 if items <= 10_000 else None
        out.write(json.dumps(document, indent=indent, ensure_ascii=False) + "\n")
    else:
        out.write(for_cli(str(result)) + "\n")
        if args.png:
            out.write(f"Chart written to {args.png}\n")
    return 0


def _chart(result: Any, target: str, account: str | None) -> None:
    import matplotlib

    matplotlib.use("Agg")  # a file, never a window
    import matplotlib.pyplot as plt

    from ..plots import plot_daily_volume

    path = Path(target)
    if not path.parent.exists():
        raise UsageError(f"the folder for --png does not exist: {path.parent}")
    try:
        ax = plot_daily_volume(result, account)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    figure = ax.get_figure(root=True)
    assert figure is not None
    try:
        figure.savefig(path, dpi=110, bbox_inches="tight")
    finally:
        plt.close(figure)
