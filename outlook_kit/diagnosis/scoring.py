"""Scoring the catalogue's patterns against a parsed error and its context."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from ..protocol import ENHANCED_RE, Stage
from .catalogue import Pattern, catalogue
from .reading import Parsed, parse_error
from .values import Alternative, Category, Confidence, Context, Diagnosis

if TYPE_CHECKING:
    from ..probe import ProbeReport


def _matches(
    p: Pattern, parsed: Parsed, ctx: Context, probe_ok: bool | None, found: dict[str, bool]
) -> bool:
    if p.codes and parsed.code not in p.codes:
        return False
    if p.enhanced and p.enhanced.isdisjoint(parsed.enhanced_all):
        return False
    if p.subject and (parsed.enhanced or "").rsplit(".", 1)[0] not in p.subject:
        return False
    if p.stages:
        stage = parsed.stage
        # the probe's two EHLOs and the tls stage are one stage to a pasted text
        if stage is Stage.EHLO_TLS:
            stage = Stage.EHLO
        if stage not in p.stages:
            return False
    if p.secret and ctx.secret_kind not in p.secret:
        return False
    if p.provider and (ctx.provider or parsed.provider) not in p.provider:
        return False
    if p.arrived and ctx.arrived not in p.arrived:
        return False
    for name in ("pop_smtp_on", "two_step_on"):
        want = getattr(p, name)
        if want is not None and getattr(ctx, name) is not want:
            return False
    if p.from_differs is not None and ctx.from_differs is not p.from_differs:
        return False
    if p.near_cap is not None and ctx.near_cap is not p.near_cap:
        return False
    if p.token_for_other is not None and ctx.token_for_other is not p.token_for_other:
        return False
    if p.imap_refused is not None and ctx.imap_refused is not p.imap_refused:
        return False
    if p.probe_ok is not None and probe_ok is not p.probe_ok:
        return False
    if p.host is not None and not (ctx.host and p.host.search(ctx.host)):
        return False
    if p.port and ctx.port not in p.port:
        return False
    if p.mechanism and (ctx.mechanism or "").upper() not in p.mechanism:
        return False
    if p.starttls_skipped is not None and parsed.starttls_skipped is not p.starttls_skipped:
        return False
    return all(_in_text(rx, parsed, found) for rx in (p.said, p.text, *p.words) if rx is not None)


def _in_text(rx: re.Pattern[str], parsed: Parsed, found: dict[str, bool]) -> bool:
    """Whether the regex is in the text; each regex searched once a diagnosis (many
    patterns share one group of clients' words)."""
    hit = found.get(rx.pattern)
    if hit is None:
        hit = found[rx.pattern] = rx.search(parsed.lower) is not None
    return hit


_Indexed = tuple[int, Category, Pattern]


@cache
def _index() -> tuple[tuple[_Indexed, ...], dict[str, tuple[_Indexed, ...]]]:
    """The catalogue's patterns in order: those any text may match, and those that need an
    enhanced code, by code (most of Microsoft's list), so a text tries only its own codes'."""
    always: list[_Indexed] = []
    by_code: dict[str, list[_Indexed]] = {}
    order = 0
    for entry in catalogue().values():
        for pattern in entry.patterns:
            item = (order, entry.category, pattern)
            order += 1
            if pattern.enhanced:
                for code in pattern.enhanced:
                    by_code.setdefault(code, []).append(item)
            else:
                always.append(item)
    return tuple(always), {code: tuple(items) for code, items in by_code.items()}


def _score(
    parsed: Parsed, ctx: Context, probe_ok: bool | None
) -> list[tuple[float, Category, Pattern]]:
    always, by_code = _index()
    candidates: Iterable[_Indexed] = always
    coded = [item for code in parsed.enhanced_all for item in by_code.get(code, ())]
    if coded:  # in catalogue order, as if every pattern were tried
        candidates = sorted({id(item): item for item in (*always, *coded)}.values())
    best: dict[Category, tuple[float, Pattern]] = {}
    found: dict[str, bool] = {}
    for _order, category, pattern in candidates:
        if pattern.weight > best.get(category, (0.0, pattern))[0] and _matches(
            pattern, parsed, ctx, probe_ok, found
        ):
            best[category] = (pattern.weight, pattern)
    ranked = sorted(
        ((w, c, p) for c, (w, p) in best.items()), key=lambda item: -item[0]
    )  # stable: catalogue order breaks ties
    return ranked


CLOSE = 2.0  # an alternative whose evidence weighs within this of the top answer comes first
# (the margin below which the top answer is not `high`)

_CONFIDENCE_ORDER = (Confidence.LOW, Confidence.MEDIUM, Confidence.HIGH)


def diagnose(
    subject: ProbeReport | str | bytes,
    /,
    *,
    stage: Stage | str | None = None,
    context: Context | None = None,
) -> Diagnosis:
    """Name the cause of a failure and the fix.

    Args:
        subject: a ProbeReport, or an error text as any client prints it.
        stage: the stage the error came from, if known (a ProbeReport brings its own).
        context: what else is known: the secret's kind, the account, the checklist answers.

    Returns:
        A Diagnosis; `category` is one of `Category`, `unknown` when nothing matched.
    """
    ctx = context or Context()
    probe_ok: bool | None = None
    signed_in = False  # the probe's AUTH passed: causes that refuse a sign-in are ruled out
    if isinstance(subject, str | bytes):
        parsed = parse_error(subject, stage=stage)
        probe_ok = True if parsed.accepted else None  # a pasted transcript of a clean send
    else:
        parsed, ctx, probe_ok = _from_report(subject, ctx)
        signed_in = any(s.stage is Stage.AUTH and s.ok for s in subject.stages)
    ranked = _score(parsed, ctx, probe_ok)
    if not ranked:
        return _unknown(parsed)
    weight, category, pattern = ranked[0]
    entry = catalogue()[category]
    margin = weight - (ranked[1][0] if len(ranked) > 1 else 0.0)
    confidence = (
        Confidence.HIGH
        if weight >= 9 and margin >= 2
        else Confidence.MEDIUM
        if weight >= 6 and margin >= 1
        else Confidence.LOW
    )
    if pattern.max_confidence is not None:
        confidence = min(confidence, pattern.max_confidence, key=_CONFIDENCE_ORDER.index)
    # What else the text itself nearly decides first (unless the context decided: then the
    # catalogue's alternatives for that context), then the catalogue's own ranking of the
    # likely alternatives, then whatever else matched.
    alternatives = [
        Alternative(c, p.why)
        for w, c, p in ranked[1:]
        if w >= weight - CLOSE and not pattern.reads_context
    ]
    for alt in (*entry.alternatives, *(Alternative(c, p.why) for _w, c, p in ranked[1:])):
        if all(a.category != alt.category for a in alternatives):
            alternatives.append(alt)
    alternatives = [a for a in alternatives if not _ruled_out(a.category, ctx, signed_in)]
    return Diagnosis(
        category=category,
        title=entry.title,
        explanation=entry.explanation,
        fix=entry.fix,
        confidence=confidence,
        evidence=(*parsed.evidence, pattern.why),
        alternatives=tuple(alternatives[:4]),
        guide_step=entry.guide_step,
        guide_says=entry.guide_says,
        seen_in_practice=entry.seen_in_practice,
        code=parsed.code,
        enhanced=parsed.enhanced,
        stage=parsed.stage,
        sources=entry.sources,
    )


def _ruled_out(category: Category, ctx: Context, signed_in: bool) -> bool:
    """An alternative the facts exclude: a refused sign-in once AUTH passed, a send that went
    through once the arrival check found nothing."""
    if signed_in and catalogue()[category].refuses_signin:
        return True
    return category is Category.NO_FAILURE and ctx.arrived == "no"


def _from_report(report: ProbeReport, ctx: Context) -> tuple[Parsed, Context, bool]:
    """The failing stage's reply (or note) as text, and the report's facts as context."""
    failure = report.failure
    if failure is None:
        text, code, enhanced, stage = "", None, None, None
    else:
        reply = failure.reply
        text = str(reply) if reply else (failure.note or "")
        code, enhanced, stage = failure.code, failure.enhanced, failure.stage
    merged = dataclasses.replace(
        ctx,
        host=ctx.host or report.host,
        port=ctx.port or report.port,
        secret_kind=ctx.secret_kind or report.secret_kind,
        account=ctx.account or report.user,
        from_addr=ctx.from_addr or report.from_addr,
    )
    # the same reading as the text pasted, with what the probe knows for certain
    read = parse_error(text, stage=stage)
    evidence = [f"the probe failed at {stage}"] if stage else ["the probe passed every stage"]
    if code is not None:
        evidence.append(
            f"reply code {code}" + (f", enhanced status code {enhanced}" if enhanced else "")
        )
    parsed = dataclasses.replace(
        read,
        code=code,
        enhanced=enhanced,
        evidence=tuple(evidence),
        enhanced_all=read.enhanced_all | ({enhanced} if enhanced else set()),
    )
    return parsed, merged, failure is None


# --- unknown: explained from its parts -------------------------------------------------------

_REPLY_CLASS = {
    2: "a success reply (2xx)",
    3: "an intermediate reply (3xx): the server waits for more",
    4: "a temporary failure (4xx): the same send may work later",
    5: "a permanent failure (5xx): retrying unchanged will fail again",
}
_SUBJECT = {
    0: "other or undefined status",
    1: "addressing (a sender or recipient address)",
    2: "the mailbox",
    3: "the mail system",
    4: "network or routing",
    5: "the mail delivery protocol",
    6: "the message content or media",
    7: "security or policy",
}


def explain_code(code: int | None, enhanced: str | None) -> str:
    """Plain words for a reply code and an enhanced status code (RFC 5321, RFC 3463)."""
    parts = []
    if code is not None and code // 100 in _REPLY_CLASS:
        parts.append(f"{code} is {_REPLY_CLASS[code // 100]}")
    if enhanced and ENHANCED_RE.match(enhanced):
        klass, subject, detail = (int(x) for x in enhanced.split("."))
        kind = {5: "permanent", 4: "temporary"}.get(klass, "success")
        about = _SUBJECT.get(subject, "not defined by RFC 3463")
        parts.append(
            f"{enhanced}: class {klass} ({kind}), subject {subject} ({about}), detail {detail}"
        )
    return "; ".join(parts)


def _unknown(parsed: Parsed) -> Diagnosis:
    entry = catalogue()[Category.UNKNOWN]
    if not parsed.text.strip():
        explanation = "There is no error text to read: paste the whole error message."
        evidence: tuple[str, ...] = ("the input is empty",)
    else:
        parts = explain_code(parsed.code, parsed.enhanced)
        where = f" It came at the {parsed.stage} stage." if parsed.stage else ""
        said = f"What the codes say: {parts}." if parts else "No SMTP reply code was found."
        explanation = f"{entry.explanation} {said}{where}"
        evidence = (*parsed.evidence, "no pattern of the catalogue matched")
    return Diagnosis(
        category=Category.UNKNOWN,
        title=entry.title,
        explanation=explanation,
        fix=entry.fix,
        confidence=Confidence.LOW,
        evidence=evidence,
        code=parsed.code,
        enhanced=parsed.enhanced,
        stage=parsed.stage,
    )
