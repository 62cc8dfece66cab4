"""The normalised send log: its columns, their dtypes, and the vocabulary of statuses and formats.

Every reader turns its format into this one shape, one row per send attempt:

========================  =====================  ==============================================
column                    dtype                  meaning
========================  =====================  ==============================================
time                      datetime64[us, UTC]    when the send was attempted
account                   category               the mailbox that signed in (else the sender)
from                      str                    the From / envelope sender
recipients                object (tuple of str)  the recipient addresses, where the log has them
n_recipients              Int32                  how many recipients (what the cap counts)
status                    category               sent, rejected or deferred (`Status`)
stage                     category               the SMTP stage of the reply (`Stage`), if known
code                      Int16                  the reply code (250, 550, ...)
enhanced                  str                    the enhanced status code (5.4.1, ...)
text                      str                    the reply text after the codes
category                  category               the diagnosis of the reply (not for sent rows)
message_id                str                    the message's id in the source, if any
relay                     category               the server the send went through, if known
source                    category               the file the row came from
line                      Int64                  its line number in that file
========================  =====================  ==============================================
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class Status(enum.StrEnum):
    """What became of a send attempt."""

    SENT = "sent"  # the server accepted the message
    REJECTED = "rejected"  # a permanent refusal (5xx, bounced, failed)
    DEFERRED = "deferred"  # a temporary refusal or no answer (4xx, pending): retried later


class LogFormat(enum.StrEnum):
    """The send-log formats the loader reads."""

    JSONL = "jsonl"  # the kit's own JSON Lines log (`outlook-kit probe --log`)
    CSV = "csv"  # CSV or TSV exported from a mailer or a spreadsheet
    POSTFIX = "postfix"  # Postfix maillog delivery attempts through any relay
    EXIM = "exim"  # exim's mainlog
    MSMTP = "msmtp"  # msmtp's log file (or its syslog lines)
    M365 = "m365"  # the Microsoft 365 message trace export (work accounts)


COLUMNS = (
    "time",
    "account",
    "from",
    "recipients",
    "n_recipients",
    "status",
    "stage",
    "code",
    "enhanced",
    "text",
    "category",
    "message_id",
    "relay",
    "source",
    "line",
)
"""The normalised frame's columns, in order."""

FIELDS = (
    "time",
    "account",
    "from",
    "recipients",
    "n_recipients",
    "status",
    "stage",
    "code",
    "enhanced",
    "text",
    "message_id",
    "relay",
)
"""What a source can provide; `columns=` in `load_send_log` maps these to a file's columns."""

RAW_COLUMNS = ("source", "line", *FIELDS)
"""The readers' intermediate frame: these columns as text, before normalisation."""

DAILY_LIMIT = "daily_limit_reached"
"""The diagnosis category of a send refused for the daily cap."""

RECIPIENT_REJECTED = "recipient_rejected"
"""The diagnosis category of the recipient's side refusing an address."""


def empty_frame() -> pd.DataFrame:
    """A normalised frame with no rows and every dtype set."""
    import pandas as pd

    return set_dtypes(pd.DataFrame({name: [] for name in COLUMNS}))


def set_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with the normalised dtypes (tz-aware UTC times, categoricals, nullable ints)."""
    import pandas as pd

    from ..protocol import Stage

    out = frame.copy()
    for name in COLUMNS:
        if name not in out.columns:
            out[name] = None
    out["time"] = pd.to_datetime(out["time"], utc=True).astype("datetime64[us, UTC]")
    out["account"] = out["account"].astype("category")
    out["from"] = out["from"].astype(pd.StringDtype())
    out["n_recipients"] = out["n_recipients"].astype("Int32")
    out["status"] = pd.Categorical(out["status"], categories=[str(s) for s in Status])
    out["stage"] = pd.Categorical(out["stage"], categories=[str(s) for s in Stage])
    out["code"] = out["code"].astype("Int16")
    for name in ("enhanced", "text", "message_id"):
        out[name] = out[name].astype(pd.StringDtype())
    out["category"] = out["category"].astype("category")
    out["relay"] = out["relay"].astype("category")
    out["source"] = out["source"].astype("category")
    out["line"] = out["line"].astype("Int64")
    return out[list(COLUMNS)]
