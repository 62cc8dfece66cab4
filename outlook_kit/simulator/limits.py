"""The per-mailbox counters: recipients in the rolling cap window, the pause, live sessions.

The cap is `CapModel.cap_for_age(age)` recipients in a rolling window of
`CapModel.window_hours`, so the simulator and the log analysis draw the same curve.
Every check-and-update is one synchronous call under a lock: the server calls it
from its event loop with no `await` in between, so concurrent sessions can never
both take the last place. Tests read the counters from other threads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from outlook_kit.caps import CapModel
from outlook_kit.simulator.clock import Clock

THREAD_LIMIT = 3
"""Concurrent sessions one mailbox may submit from (Exchange Online's sender thread limit)."""


@dataclass(eq=False)
class Entry:
    """Recipients counted at one moment; held by a transaction until it completes or is undone."""

    address: str
    at: datetime
    count: int


class Ledger:
    """Cap windows, pauses and session slots for every mailbox of one simulator."""

    def __init__(self, cap_model: CapModel, clock: Clock, created: dict[str, datetime]) -> None:
        self.cap_model = cap_model
        self._clock = clock
        self._created = {k.casefold(): v for k, v in created.items()}
        self._lock = threading.Lock()
        self._entries: dict[str, list[Entry]] = {}
        self._paused_until: dict[str, datetime] = {}
        self._sessions: dict[str, list[object]] = {}

    # --- the cap ----------------------------------------------------------------------------

    def cap(self, address: str) -> int:
        """Today's cap for this mailbox, from its age on the clock."""
        return self._cap(address.casefold(), self._clock.now())

    def _cap(self, key: str, now: datetime) -> int:
        created = self._created.get(key, now)
        age_days = max((now - created).total_seconds() / 86400, 0.0)
        return self.cap_model.cap_for_age(age_days)

    def _live(self, key: str, now: datetime) -> list[Entry]:
        horizon = now - timedelta(hours=self.cap_model.window_hours)
        entries = [e for e in self._entries.get(key, []) if e.at > horizon]
        self._entries[key] = entries
        return entries

    def window_count(self, address: str) -> int:
        """Recipients counted for this mailbox in the current rolling window."""
        with self._lock:
            return sum(e.count for e in self._live(address.casefold(), self._clock.now()))

    def paused_until(self, address: str) -> datetime | None:
        """When this mailbox's pause ends, or None when it is not paused."""
        with self._lock:
            until = self._paused_until.get(address.casefold())
            return until if until is not None and until > self._clock.now() else None

    def preload(self, address: str, count: int) -> None:
        """Count `count` recipients as sent just now (an account that starts near its cap)."""
        if count:
            with self._lock:
                key = address.casefold()
                self._entries.setdefault(key, []).append(Entry(key, self._clock.now(), count))

    def take(self, address: str, count: int) -> Entry | None:
        """Count `count` more recipients if the cap allows; otherwise start the pause.

        Returns the entry to `release` if the message is not sent after all, or None
        when the mailbox is paused or the recipients would pass its cap.
        """
        key = address.casefold()
        with self._lock:
            now = self._clock.now()
            until = self._paused_until.get(key)
            if until is not None and until > now:
                return None
            used = sum(e.count for e in self._live(key, now))
            if used + count > self._cap(key, now):
                if self.cap_model.pause_hours > 0:
                    self._paused_until[key] = now + timedelta(hours=self.cap_model.pause_hours)
                return None
            entry = Entry(key, now, count)
            self._entries.setdefault(key, []).append(entry)
            return entry

    def release(self, entries: Iterable[Entry]) -> None:
        """Undo counted recipients of a transaction that did not complete."""
        with self._lock:
            for entry in entries:
                live = self._entries.get(entry.address, [])
                self._entries[entry.address] = [e for e in live if e is not entry]

    # --- sender threads ---------------------------------------------------------------------

    def open_session(self, address: str, session: object) -> None:
        """Register a signed-in session of this mailbox."""
        with self._lock:
            self._sessions.setdefault(address.casefold(), []).append(session)

    def close_session(self, address: str, session: object) -> None:
        with self._lock:
            sessions = self._sessions.get(address.casefold(), [])
            if session in sessions:
                sessions.remove(session)

    def may_submit(self, address: str, session: object) -> bool:
        """True for the first THREAD_LIMIT live sessions of the mailbox, in sign-in order."""
        with self._lock:
            return session in self._sessions.get(address.casefold(), [])[:THREAD_LIMIT]

    def session_count(self, address: str) -> int:
        with self._lock:
            return len(self._sessions.get(address.casefold(), []))
