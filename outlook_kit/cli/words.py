"""The package's messages in a command-line user's words: Python arguments become flags.

The package speaks to Python callers (`tz='Europe/Paris'`, `columns={'time': ...}`); the
command line shows the same message with the flags that do the same (`--tz Europe/Paris`,
`--column time=COLUMN`), so every message a user reads names what that user can type.
"""

from __future__ import annotations

import re
import shlex

_COLUMNS = re.compile(r"columns=\{'(\w+)': '[^']*'\}")
_MORE_COLUMNS = re.compile(r" or \{'(\w+)': \.\.\.\}")
_QUOTED = re.compile(r"\b(tz|format|encoding|date_format|sender)='([^']*)'")
_BARE = re.compile(r"\b(tz|format|encoding|year|date_format|sender)=(?=[\s.,;)]|$)")
_FLAGS = {
    "tz": "--tz",
    "format": "--format",
    "encoding": "--encoding",
    "year": "--year",
    "date_format": "--date-format",
    "sender": "--sender",
}


def for_cli(message: str) -> str:
    """`message` with Python arguments written as the CLI's flags."""
    text = _COLUMNS.sub(r"--column \1=COLUMN", message)
    text = _MORE_COLUMNS.sub(r" or --column \1=COLUMN", text)
    text = text.replace("dayfirst=True", "--dayfirst").replace("dayfirst=False", "--monthfirst")
    text = _QUOTED.sub(lambda m: f"{_FLAGS[m[1]]} {shlex.quote(m[2])}", text)
    return _BARE.sub(lambda m: _FLAGS[m[1]], text)
