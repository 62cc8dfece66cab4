"""The kit's own send log: JSON Lines, one record per probe, never a secret.

Each record: time (UTC, ISO 8601), account, from, recipients, status (sent, rejected,
deferred, or checked for a probe that stopped before sending), stage, code, enhanced,
text, elapsed_ms, token. The log analysis reads this format back.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..probe import ProbeReport
from ..protocol import Stage

LOG_FIELDS = (
    "time",
    "account",
    "from",
    "recipients",
    "status",
    "stage",
    "code",
    "enhanced",
    "text",
    "elapsed_ms",
    "token",
)


def log_record(report: ProbeReport) -> dict[str, Any]:
    """The send-log record of one probe."""
    failure = report.failure
    if report.sent:
        status = "sent"
    elif failure is None:
        status = "checked"  # stopped before DATA on purpose: no mail sent
    elif failure.code is not None and 500 <= failure.code < 600:
        status = "rejected"
    else:
        status = "deferred"  # 4xx, a timeout or a dropped connection: worth retrying later
    last = failure or (report.stage(Stage.DATA) if report.sent else None)
    return {
        "time": report.started_at.isoformat().replace("+00:00", "Z"),
        "account": report.user,
        "from": report.from_addr,
        "recipients": list(report.recipients),
        "status": status,
        "stage": str(last.stage) if last else None,
        "code": last.code if last else None,
        "enhanced": last.enhanced if last else None,
        "text": (last.text or last.note) if last else None,
        "elapsed_ms": round(report.elapsed_ms, 1),
        "token": report.token,
    }


def append_to_log(path: str | os.PathLike[str], report: ProbeReport) -> dict[str, Any]:
    """Append the probe's record to a JSON Lines send log (created if missing); return it."""
    record = log_record(report)
    target = Path(path)
    if target.parent and not target.parent.exists():
        raise FileNotFoundError(f"the folder for the send log does not exist: {target.parent}")
    with target.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return record
