"""The embedded analytical engine: one DuckDB connection per job, set up the same way each time.

DuckDB reads CSV and JSON out of core and queries pandas frames in place, so the same SQL
serves a notebook's small frame and a fleet's files; results come back as pandas frames.
Times are TIMESTAMPTZ with the session zone UTC.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

MEMORY_LIMIT = os.environ.get("OUTLOOK_KIT_DUCKDB_MEMORY", "1GB")
"""DuckDB's memory limit; beyond it, it spills to a temporary folder."""


def connect() -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB connection with the kit's settings."""
    import duckdb

    con = duckdb.connect(config={"threads": max(1, os.cpu_count() or 1)})
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    # past the limit DuckDB spills to disk: to the system's temporary folder, never the
    # current one (its default, `.tmp`, would land in whatever folder the user is in)
    spill = Path(tempfile.gettempdir()) / "outlook-kit-duckdb"
    con.execute(f"SET temp_directory = '{str(spill).replace(chr(39), chr(39) * 2)}'")
    con.execute("SET preserve_insertion_order = false")
    return con


def valid_timezone(tz: str) -> str:
    """`tz` if the engine knows the zone; otherwise a SendLogError naming examples."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from .report import SendLogError

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise SendLogError(
            f"unknown time zone {tz!r}; use an IANA name such as 'UTC', 'Europe/Paris' or "
            "'America/New_York'"
        ) from None
    return tz
