"""`outlook-kit scan`: find secrets saved in notebooks (Password widget values, AUTH blobs,
tokens); exit 1 when there is one, so it serves as a pre-commit hook."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from ..errors import UsageError

EXIT_FOUND = 1


def register(sub: Any) -> None:
    sc = sub.add_parser(
        "scan",
        help="find secrets saved in notebooks",
        allow_abbrev=False,
        description="Look through .ipynb files (or folders of them) for Password widget "
        "values in the saved widget state and for a secret's SMTP AUTH forms (AUTH PLAIN, "
        "AUTH LOGIN answers, XOAUTH2, access tokens) in cells and outputs. Says where and "
        "what kind, never the secret.",
        epilog=f"Exit status: 0 nothing found; {EXIT_FOUND} secrets found; 2 usage.",
    )
    sc.add_argument("paths", nargs="+", metavar="PATH", help="a notebook or a folder")
    sc.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    from ..scan import notebooks, scan

    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    files = notebooks(args.paths)
    findings = scan(files)
    for finding in findings:
        out.write(f"{finding}\n")
    if findings:
        out.write(
            f"{len(findings)} saved secret(s) in {len({f.path for f in findings})} of "
            f"{len(files)} notebook(s): clear the outputs and the widget state (Edit > Clear "
            "Outputs of All Cells; Settings > Save Widget State off), save, and change the "
            "App Password or token if the file left this machine\n"
        )
        return EXIT_FOUND
    out.write(f"no saved secrets in {len(files)} notebook(s)\n")
    return 0
