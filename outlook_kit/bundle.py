"""A support bundle: one probe's facts as Markdown, safe to paste in a forum or a ticket.

Versions, settings, the stage table, the last reply, the diagnosis, the UTC time and the
transcript (already scrubbed of secrets by the probe); addresses masked on request.
"""

from __future__ import annotations

import platform
import re
import ssl
from datetime import UTC, datetime
from importlib import metadata

from .diagnosis import Diagnosis, diagnose
from .probe import ProbeReport

_ADDRESS = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{0,63}@([A-Za-z0-9.-]{1,253})")


def mask_addresses(text: str) -> str:
    """`someone@outlook.com` -> `s***@outlook.com` everywhere in the text."""
    return _ADDRESS.sub(r"\1***@\2", text)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def support_bundle(
    report: ProbeReport,
    *,
    diagnosis: Diagnosis | None = None,
    mask: bool = False,
    now: datetime | None = None,
) -> str:
    """Markdown describing one probe, with its diagnosis; no secret, addresses masked if asked."""
    diagnosis = diagnosis or diagnose(report)
    when = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    failure = report.failure
    last = failure.reply if failure else (report.stages[-1].reply if report.stages else None)
    tls = report.tls
    lines = [
        "# outlook-kit support bundle",
        "",
        f"Generated {when}. The transcript below has every password, App Password and token "
        "removed (plain and base64).",
        "",
        "## Versions",
        "",
        "| component | version |",
        "|---|---|",
        f"| Python | {platform.python_version()} ({platform.system()}) |",
        f"| OpenSSL | {ssl.OPENSSL_VERSION} |",
        f"| aiosmtplib | {_version('aiosmtplib')} |",
        f"| outlook-kit | {_version('outlook-kit')} |",
        "",
        "## Settings",
        "",
        f"- server: {report.host}:{report.port}, STARTTLS",
        f"- user: {report.user} (signed in with: {report.secret_kind})",
        f"- from: {report.from_addr}; to: {', '.join(report.recipients)}",
        f"- TLS: {tls}" if tls else "- TLS: not reached",
        f"- started: {report.started_at.astimezone(UTC).isoformat()}",
        "",
        "## Stages",
        "",
        "| stage | result | ms | reply |",
        "|---|---|---:|---|",
        *(
            f"| {s.stage} | {'ok' if s.ok else 'FAILED'} | {s.elapsed_ms:.1f} | "
            f"{_cell(str(s.reply) if s.reply else (s.note or ''))} |"
            for s in report.stages
        ),
        "",
        "## Last reply",
        "",
        "```",
        str(last) if last else (failure.note if failure and failure.note else "(none)"),
        "```",
        "",
        "## Diagnosis",
        "",
        f"**{diagnosis.title}** (`{diagnosis.category}`, {diagnosis.confidence} confidence)",
        "",
        diagnosis.explanation,
        "",
        *(f"{i}. {step}" for i, step in enumerate(diagnosis.fix, 1)),
        "",
        "## Transcript",
        "",
        "```",
        *report.transcript,
        "```",
        "",
    ]
    text = "\n".join(lines)
    return mask_addresses(text) if mask else text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
