"""The diagnosis category of each distinct refusal, computed once per (reply, stage).

A log repeats the same refusal many times, each with its own server stamp (host, time,
session id). The key the normalisation gives drops that stamp, so a thousand cap hits are
one call to `outlook_kit.diagnosis.diagnose`.
"""

from __future__ import annotations

from collections.abc import Iterable

UNKNOWN = "unknown"


def categorise(
    pairs: Iterable[tuple[str | None, str | None]],
) -> dict[tuple[str | None, str | None], str]:
    """(reply key, stage) -> diagnosis category, each distinct pair diagnosed once."""
    distinct = set(pairs)
    if not distinct:
        return {}
    try:
        from ..diagnosis import diagnose
    except ImportError:  # pragma: no cover - the diagnosis ships with the kit
        return dict.fromkeys(distinct, UNKNOWN)
    out: dict[tuple[str | None, str | None], str] = {}
    for key, stage in distinct:
        if not key:
            out[(key, stage)] = UNKNOWN
            continue
        try:
            out[(key, stage)] = str(diagnose(key, stage=stage).category)
        except ValueError:  # a stage name the diagnosis does not know: try without it
            out[(key, stage)] = str(diagnose(key).category)
    return out
