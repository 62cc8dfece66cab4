"""The sample data in data/: where it is, and `load_sample_log()` to read it.

All of it is synthetic: `python -m outlook_kit.sendlog.sample` makes it with the Outlook
simulator (see `outlook_kit.sendlog.sample` and data/README.md).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .report import SendLogError

if TYPE_CHECKING:
    import pandas as pd

DATA_DIR_ENV = "OUTLOOK_KIT_DATA"
SAMPLES = {
    "sendlog": "sample_sendlog.jsonl.gz",
    "mailer_csv": "sample_mailer_export.csv",
    "postfix": "sample_maillog.log",
    "m365": "sample_message_trace.csv",
}
"""The sample files in data/, by name."""

SAMPLE_CREATED = {
    "news.letter@outlook.com": datetime(2025, 12, 24, tzinfo=UTC),
    "shop.orders@outlook.com": datetime(2024, 11, 11, tzinfo=UTC),
    "agency.team@hotmail.com": datetime(2025, 11, 26, tzinfo=UTC),
    "j.doe@live.com": datetime(2023, 7, 20, tzinfo=UTC),
    "events.club@outlook.com": datetime(2025, 7, 29, tzinfo=UTC),
}
"""When the sample's accounts were created (the simulator's roster ages at the start)."""


def data_dir() -> Path:
    """The folder with the sample data: $OUTLOOK_KIT_DATA, or data/ of the source checkout."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "data"


def sample_path(name: str = "sendlog") -> Path:
    """The path of a sample file (`SAMPLES` names them)."""
    if name not in SAMPLES:
        raise SendLogError(f"no sample named {name!r}; the samples are {', '.join(SAMPLES)}")
    path = data_dir() / SAMPLES[name]
    if not path.exists():
        raise SendLogError(
            f"the sample data is not at {path}; it ships in the source checkout's data/ "
            "folder. Make it with `python -m outlook_kit.sendlog.sample`, or set "
            f"{DATA_DIR_ENV} to the folder that has it"
        )
    return path


def load_sample_log(name: str = "sendlog") -> pd.DataFrame:
    """The synthetic sample send log as a normalised DataFrame (tz-aware times, categoricals).

    Args:
        name: "sendlog" (the kit's JSON Lines log of five accounts over four months), or
            "mailer_csv", "postfix", "m365" for the small samples of the other formats.
    """
    from .load import load_send_log

    tz = "UTC" if name == "m365" else None
    return load_send_log(sample_path(name), tz=tz).frame
