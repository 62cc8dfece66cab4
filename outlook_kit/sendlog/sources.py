"""Files in, text out: folders of rotated logs, compressed files, and the encodings met in practice.

UTF-8 with or without a BOM, UTF-16 as Excel saves "Unicode text" (with a BOM, or without one
but with the NUL bytes that give it away), and Windows cp1252 for the rest. A file that is
none of these, an empty file, or a binary one (a spreadsheet, a zip) is a `SendLogError`
whose message says what to do instead.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import lzma
import os
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .report import SendLogError

HEAD_BYTES = 1 << 16
"""How much of a file the format and encoding detection reads."""

_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz"}
_NOT_LOGS = {
    b"PK\x03\x04": "a zip archive or an Excel workbook (.xlsx); save the sheet as CSV",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls); save the sheet as CSV",
    b"%PDF": "a PDF; export the log as CSV or text instead",
    b"SQLite format 3": "an SQLite database; export the table as CSV",
    b"PAR1": "a Parquet file; export it as CSV or JSON Lines",
}
_UTF16_NAMES = {"utf-16", "utf_16", "utf16", "utf-16-le", "utf-16le", "utf-16-be", "utf-16be"}


@dataclass(frozen=True)
class Source:
    """One file to read."""

    path: Path
    label: str  # how reports name it
    compression: str | None
    size: int  # bytes on disk

    def open_bytes(self) -> bytes:
        """The whole file, decompressed."""
        data = _read(self.path)
        return _decompress(data, self) if self.compression else data

    def head(self, size: int = HEAD_BYTES) -> bytes:
        """The first `size` bytes, decompressed (a truncated tail is fine)."""
        if self.compression is None:
            with self.path.open("rb") as fh:
                return fh.read(size)
        opener: Any = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}[self.compression]
        try:
            with opener(self.path, "rb") as fh:
                return bytes(fh.read(size))
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            raise _broken(self, exc) from None


def expand(paths: Iterable[str | os.PathLike[str]]) -> list[Source]:
    """The files to read: each path itself, or every file in a folder (rotated logs, by name)."""
    out: list[Source] = []
    given = list(paths)
    if not given:
        raise SendLogError("no send log given; pass a file, several files, or a folder")
    for item in given:
        path = Path(item)
        if path.is_dir():
            files = sorted(
                (p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")),
                key=_rotation_order,
            )
            if not files:
                raise SendLogError(f"the folder {path} holds no files; point at the log files")
            out.extend(_source(p, f"{path.name}/{p.name}") for p in files)
        elif path.is_file():
            out.append(_source(path, path.name))
        elif path.exists():
            raise SendLogError(f"{path} is neither a file nor a folder")
        else:
            raise SendLogError(f"no such file or folder: {path}")
    return out


def _rotation_order(path: Path) -> tuple[str, int, str]:
    """maillog.3.gz, maillog.2.gz, maillog.1, maillog: oldest first, as rotation numbers them."""
    match = re.match(r"^(.*?)(?:[.-](\d+))?((?:\.(?:gz|bz2|xz))?)$", path.name)
    if not match:  # pragma: no cover - the pattern matches every name
        return (path.name, 0, "")
    stem, number, _ext = match.groups()
    return (stem, -int(number) if number else 0, path.name)


def _source(path: Path, label: str) -> Source:
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            magic = fh.read(8)
    except OSError as exc:
        raise SendLogError(f"cannot read {path}: {exc.strerror or exc}") from None
    compression = next((kind for m, kind in _MAGIC.items() if magic.startswith(m)), None)
    return Source(path, label, compression, size)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SendLogError(f"cannot read {path}: {exc.strerror or exc}") from None


def _decompress(data: bytes, source: Source) -> bytes:
    try:
        if source.compression == "gzip":
            return gzip.decompress(data)
        if source.compression == "bz2":
            return bz2.decompress(data)
        return lzma.decompress(data)
    except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error) as exc:
        raise _broken(source, exc) from None


def _broken(source: Source, exc: BaseException) -> SendLogError:
    return SendLogError(
        f"{source.label} looks {source.compression}-compressed but cannot be decompressed "
        f"({exc or type(exc).__name__}); the file may be truncated: copy it again"
    )


WORKBOOK = b"PK\x03\x04"
"""How an Excel workbook (.xlsx, a zip archive) starts."""


def workbook_text(source: Source, data: bytes) -> tuple[str, str | None]:
    """An .xlsx workbook's first sheet as CSV text (cells as shown: WP Mail SMTP writes every
    cell as text; a date cell becomes `YYYY-MM-DD HH:MM:SS`), and a note when it has more
    sheets; SendLogError when it cannot be opened as a workbook."""
    import csv
    import io
    import zipfile
    from datetime import datetime

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SendLogError(
            f"{source.label} is a zip archive or an Excel workbook (.xlsx) that cannot be "
            f"opened as a workbook ({exc or type(exc).__name__}); open it in Excel and save "
            "the sheet as CSV, or export the log again"
        ) from None
    sheets = book.worksheets
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in sheets[0].iter_rows(values_only=True):
        writer.writerow(
            [
                ""
                if value is None
                else value.isoformat(sep=" ")
                if isinstance(value, datetime)
                else str(value)
                for value in row
            ]
        )
    book.close()
    note = (
        f"{source.label}: a workbook of {len(sheets)} sheets; read the first, {sheets[0].title!r}"
        if len(sheets) > 1
        else None
    )
    return out.getvalue(), note


def refuse_non_text(source: Source, head: bytes) -> None:
    """SendLogError for an empty file or one that is clearly not a text log."""
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        what = "is empty (0 bytes)" if not head else "holds only blank lines"
        raise SendLogError(
            f"{source.label} {what}: there is nothing to analyse; export the log again, "
            "or point at the file that has the sends"
        )
    for magic, advice in _NOT_LOGS.items():
        if head.startswith(magic):
            raise SendLogError(f"{source.label} is not a text log but {advice}")
    if guess_encoding(head) is None:
        raise SendLogError(
            f"{source.label} is not a text log (it holds binary data, e.g. NUL bytes); give "
            "the exported .csv, .jsonl or maillog file, not a database or an archive other "
            "than .gz, .bz2 or .xz"
        )


def guess_encoding(head: bytes) -> str | None:
    """The encoding of a file from its first bytes, or None for binary data."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:4096]
    if len(sample) >= 4:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be"
    if b"\x00" in sample:
        return None
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    if controls > 0.02 * len(sample):
        return None
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut at the end of the head
            return "utf-8"
    return "cp1252"


def decode(source: Source, data: bytes, encoding: str | None) -> tuple[str, str]:
    """The file's text and the encoding used; SendLogError naming the fix when it cannot be read."""
    chosen = encoding or guess_encoding(data[:HEAD_BYTES]) or "utf-8"
    try:
        codecs.lookup(chosen)
    except LookupError:
        raise SendLogError(
            f"unknown encoding {encoding!r}; use e.g. 'utf-8', 'utf-16' or 'cp1252'"
        ) from None
    likely = guess_encoding(data[:HEAD_BYTES])
    if (
        encoding is not None
        and likely in ("utf-16", "utf-16-le", "utf-16-be")
        and chosen.replace("_", "-").lower() not in _UTF16_NAMES
    ):  # cp1252 and latin-1 read anything: say so before the header comes out as noise
        raise SendLogError(
            f"{source.label} is UTF-16 (as Windows saves 'Unicode' files), not {encoding}: "
            "pass encoding='utf-16', or leave encoding unset to detect it"
        )
    try:
        text = data.decode(chosen)
    except UnicodeDecodeError as exc:
        if encoding is not None:
            hint = f"; it looks like {likely}" if likely and likely != encoding else ""
            raise SendLogError(
                f"{source.label} is not {encoding} (byte {exc.start} cannot be read as "
                f"{encoding}){hint}: pass the right encoding=, or leave encoding unset to "
                "detect it"
            ) from None
        if chosen.replace("_", "-").lower() in _UTF16_NAMES or chosen == "utf-8-sig":
            raise SendLogError(
                f"{source.label} starts as {chosen} but byte {exc.start} is not {chosen}; the "
                "file is damaged or mixes encodings: export it again as UTF-8 CSV"
            ) from None
        try:
            text, chosen = data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            text, chosen = data.decode("latin-1"), "latin-1"
    return text.lstrip("\ufeff"), chosen
