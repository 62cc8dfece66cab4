"""The load report: every row read is either loaded or skipped, with the reason and where.

    UsageError (outlook_kit.errors)
    └── SendLogError    a log that cannot be read at all: empty, header only, binary,
                        undecodable, naive times without tz=, no time column, ...

Rows that cannot be used (a line that is not JSON, a time that is not a time, a status the
kit does not know, a duplicate) are not errors: they are counted in the report under their
reason, with the first line numbers, and the rest of the log loads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError

FIRST_LINES = 5
"""How many line numbers the report keeps per reason."""


class SendLogError(UsageError):
    """A send log that cannot be read; the message names the problem and the fix."""


@dataclass(frozen=True, order=True)
class Where:
    """A line in a source file."""

    source: str
    line: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line}"


UNSPLIT_ROWS = (
    "rows the CSV reader could not split (a number of fields other than the header's, a "
    "bad quote, or bytes that are not UTF-8)"
)
"""The skip reason of rows that do not fit the header."""
UNREAD_TIMES = "rows whose send time is not a date and time"
"""The skip reason of rows whose time no layout read."""


@dataclass(frozen=True)
class Skip:
    """Rows skipped for one reason: how many, the first few lines, and an example value."""

    reason: str
    count: int
    first_lines: tuple[Where, ...] = ()
    example: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "count": self.count,
            "first_lines": [{"source": w.source, "line": w.line} for w in self.first_lines],
            "example": self.example,
        }

    def __str__(self) -> str:
        where = ", ".join(str(w) for w in self.first_lines)
        more = ", ..." if self.count > len(self.first_lines) else ""
        example = f" (e.g. {self.example!r})" if self.example else ""
        return f"{self.count:,} {self.reason}{example}" + (f" at {where}{more}" if where else "")


@dataclass(frozen=True)
class FileInfo:
    """One file read: its format, encoding and rows."""

    source: str
    format: str
    encoding: str | None
    read: int
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "format": self.format,
            "encoding": self.encoding,
            "read": self.read,
            "note": self.note,
        }


@dataclass(frozen=True)
class LoadReport:
    """What loading a send log did with every row: `read == loaded + skipped`.

    Attributes:
        read: rows (records) read from the sources; blank lines are not rows.
        loaded: rows in the normalised log.
        skipped: rows left out, each under its reason in `skips`.
        skips: the reasons, most frequent first, with the first line numbers of each.
        files: each file read, with its detected format and encoding.
        notes: assumptions the loader made that the reader should know about.
    """

    read: int
    loaded: int
    skips: tuple[Skip, ...] = ()
    files: tuple[FileInfo, ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.read != self.loaded + self.skipped:
            raise AssertionError(  # a bug in the kit, never the user's input
                f"row accounting broken: read {self.read} != loaded {self.loaded} "
                f"+ skipped {self.skipped}"
            )

    @property
    def skipped(self) -> int:
        return sum(s.count for s in self.skips)

    def to_dict(self) -> dict[str, Any]:
        """The `rows` object of `outlook-kit analyze --json`, plus files and notes."""
        return {
            "read": self.read,
            "loaded": self.loaded,
            "skipped": self.skipped,
            "skipped_reasons": [s.to_dict() for s in self.skips],
            "files": [f.to_dict() for f in self.files],
            "notes": list(self.notes),
        }

    def __str__(self) -> str:
        names = ", ".join(f"{f.source} ({f.format}, {f.encoding or '?'})" for f in self.files)
        lines = [
            f"Read {self.read:,} rows from {len(self.files)} file(s): loaded {self.loaded:,}, "
            f"skipped {self.skipped:,}.",
        ]
        if names:
            lines.append(f"  files: {names}")
        lines.extend(f"  skipped {s}" for s in self.skips)
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


@dataclass
class Tally:
    """Collects skips while reading; `report()` freezes them into a LoadReport."""

    read: int = 0
    skips: dict[str, list[Any]] = field(default_factory=dict)  # reason -> [count, lines, example]
    files: list[FileInfo] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def skip(
        self,
        reason: str,
        where: Where | None = None,
        example: str | None = None,
        count: int = 1,
    ) -> None:
        entry = self.skips.setdefault(reason, [0, [], None])
        entry[0] += count
        if where is not None and len(entry[1]) < FIRST_LINES:
            entry[1].append(where)
        if entry[2] is None and example:
            entry[2] = example[:80]

    def add(self, skips: Iterable[Skip]) -> None:
        for s in skips:
            entry = self.skips.setdefault(s.reason, [0, [], None])
            entry[0] += s.count
            entry[1] = sorted([*entry[1], *s.first_lines])[:FIRST_LINES]
            entry[2] = entry[2] or s.example

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    @property
    def skipped(self) -> int:
        return sum(int(entry[0]) for entry in self.skips.values())

    def report(self, loaded: int) -> LoadReport:
        unread = self.skips.get(UNREAD_TIMES)
        if loaded == 0 and unread is not None:  # not one time read: the layout is unknown
            count, lines, example = unread
            where = f" at {lines[0]}" if lines else ""
            raise SendLogError(
                f"none of the {self.read:,} rows read has a time the kit can read "
                f"({count:,} like {example!r}{where}); pass date_format= the layout in "
                "strftime codes, e.g. date_format='%d/%m/%Y %H:%M', or columns={'time': "
                "'Your column'} if this column is not the send time"
            )
        unsplit = self.skips.get(UNSPLIT_ROWS)
        if loaded == 0 and unsplit is not None and unsplit[0] == self.read:
            count, lines, example = unsplit
            raise SendLogError(
                f"none of the {count:,} rows splits into the header's columns (e.g. "
                f"{example!r} at {lines[0]}): the header is from another export, another "
                "version of it, or another file; export the log again with its own header"
            )
        skips = sorted(
            (Skip(r, int(c), tuple(lines), ex) for r, (c, lines, ex) in self.skips.items()),
            key=lambda s: (-s.count, s.reason),
        )
        return LoadReport(
            read=self.read,
            loaded=loaded,
            skips=tuple(skips),
            files=tuple(self.files),
            notes=tuple(self.notes),
        )
