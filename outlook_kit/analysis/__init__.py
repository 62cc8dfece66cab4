"""Send-log analysis: pure functions, a send log (or its frame) in, DataFrames out.

    from outlook_kit import load_send_log
    from outlook_kit.analysis import analyze, daily_volume
    log = load_send_log("data/sample_sendlog.jsonl.gz")
    daily_volume(log)              # per account and day: volume, hits, rolling maximum, cap
    result = analyze(log)          # everything at once; result.to_dict() is the CLI's JSON

The heavy aggregation runs in DuckDB over the frame in place, or over the files for a
large log read in place, and comes back as pandas DataFrames.

Modules: `volume` (daily volume, the rolling 24-hour count), `events` (cap hits, pauses,
the evidence for the cap inference in `outlook_kit.caps`), `headroom` (headroom now, the
forecast, first-time recipients), `fleet` (ranking by utilisation), `summary` (`analyze`).
"""

from .events import cap_evidence, cap_hits, pauses
from .fleet import fleet_ranking
from .headroom import NON_RELATIONSHIP_LIMIT, first_time_recipients, headroom
from .summary import AccountSummary, Analysis, Hit, Pause, analyze
from .volume import daily_volume, rolling_24h

__all__ = [
    "NON_RELATIONSHIP_LIMIT",
    "AccountSummary",
    "Analysis",
    "Hit",
    "Pause",
    "analyze",
    "cap_evidence",
    "cap_hits",
    "daily_volume",
    "first_time_recipients",
    "fleet_ranking",
    "headroom",
    "pauses",
    "rolling_24h",
]
