"""The simulator's sense of time: the real clock, or a clock a test moves by hand.

The rolling cap window, the pause after the cap, the banner date and the time
stamps in reply suffixes all read one clock, so a test (or a notebook) can jump
a day ahead with `SimClock.advance(days=1)` instead of waiting.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything with a `now()` returning a timezone-aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class SimClock:
    """A clock that stands still until `advance()` moves it; safe to share between threads.

    Args:
        start: the first `now()`; timezone-aware. Defaults to the current UTC time.
    """

    def __init__(self, start: datetime | None = None) -> None:
        if start is None:
            start = datetime.now(UTC).replace(microsecond=0)
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError(
                f"SimClock needs a timezone-aware start, got {start!r}; "
                "pass e.g. datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)"
            )
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, hours: float = 0, days: float = 0) -> datetime:
        """Move the clock forward and return the new time. Time never runs backwards."""
        step = timedelta(hours=hours, days=days)
        if step < timedelta(0):
            raise ValueError(f"SimClock only moves forward (asked for {step})")
        with self._lock:
            self._now += step
            return self._now

    def __repr__(self) -> str:
        return f"SimClock({self.now().isoformat()})"
