"""Results as HTML: the stage rows of a send, the success card, the arrival check, the
diagnosis card, the sign-in verdict and a catalogue entry. Pure functions from the kit's
values to HTML text.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..arrival import Arrival
from ..diagnosis import Diagnosis, Entry, catalogue
from ..probe import ProbeReport, StageResult
from ..protocol import Stage
from ..verdict import SignInVerdict, VerdictKind
from ._ui import bullets, card, esc
from .guide import step

STAGE_LABELS: dict[Stage, str] = {
    Stage.DNS: "Find the server (DNS look-up)",
    Stage.CONNECT: "Connect",
    Stage.BANNER: "Server says hello",
    Stage.EHLO: "Introduce ourselves (EHLO)",
    Stage.STARTTLS: "Start encryption (STARTTLS)",
    Stage.EHLO_TLS: "Introduce ourselves again, encrypted",
    Stage.AUTH: "Sign in (AUTH)",
    Stage.MAIL_FROM: "Name the sender (MAIL FROM)",
    Stage.RCPT_TO: "Name the recipient (RCPT TO)",
    Stage.DATA: "Hand over the message (DATA)",
    Stage.QUIT: "Say goodbye (QUIT)",
}


def stage_rows(
    results: Sequence[StageResult], *, running: bool = False, stop_after: Stage | None = None
) -> str:
    """Every stage of a send as a row: passed, failed, running, waiting or skipped."""
    done = {r.stage: r for r in results}
    failed = any(not r.ok for r in results)
    last = stop_after or Stage.DATA
    rows = []
    next_found = False
    for stage in Stage:
        label = esc(STAGE_LABELS[stage])
        result = done.get(stage)
        if result is not None:
            mark, colour = ("\u2714", "#2e7d32") if result.ok else ("\u2718", "#c62828")
            said = str(result.reply) if result.reply else (result.note or "")
            detail = f"{result.elapsed_ms:.0f} ms" + (
                f" \u2014 {esc(said)}" if said and not result.ok else ""
            )
            state = "passed" if result.ok else "failed"
        elif stage is Stage.QUIT or stage.order > last.order or failed:
            if stage is Stage.QUIT and running:
                mark, colour, detail, state = "\u25cb", "#9e9e9e", "", "waiting"
            else:
                mark, colour, detail, state = "\u2013", "#bdbdbd", "not needed", "skipped"
                if failed and stage is not Stage.QUIT and stage.order <= last.order:
                    detail = "not reached"
        elif running and not next_found:
            next_found = True
            mark, colour, detail, state = "\u25d4", "#1565c0", "running\u2026", "running"
        else:
            mark, colour, detail, state = "\u25cb", "#9e9e9e", "", "waiting"
        cell = "padding:0 0.8em 0 0;line-height:1.35;border:none"
        rows.append(
            f'<tr class="ok-stage ok-stage-{state}" data-stage="{stage}">'
            f'<td style="{cell};color:{colour};width:1.2em;font-weight:700">{mark}</td>'
            f'<td style="{cell};white-space:nowrap">{label}</td>'
            f'<td style="{cell};color:#555">{detail}</td></tr>'
        )
    return (
        '<table class="ok-stages" style="border-collapse:collapse;font-size:0.9em;'
        'margin:4px 0">' + "".join(rows) + "</table>"
    )


def success_card(report: ProbeReport) -> str:
    """The card for a send the server accepted: what passed, and the token to look for."""
    if not report.sent:
        body = (
            f"<div>Every stage up to {esc(report.stop_after or 'the end')} passed; "
            "no mail was sent.</div>"
        )
        return card("ok", "The checks passed", body, css_class="ok-success")
    to = ", ".join(report.recipients)
    body = (
        f"<div>The server accepted the test message from {esc(report.from_addr)} to "
        f"{esc(to)} (the final reply was 250): accepted, not yet arrived.</div>"
        f"<div>Its subject holds <code>{esc(report.token)}</code>. The arrival check below "
        "looks for it over IMAP in the inbox, the junk folder and Sent Items; where it cannot, "
        "look yourself and answer \u201cDid it arrive?\u201d.</div>"
    )
    return card("ok", "Sent: the test message was accepted", body, css_class="ok-success")


def arrival_card(arrival: Arrival) -> str:
    """The arrival step: where the check found the test mail over IMAP, or why it did not."""
    where = f"{esc(arrival.host)}:{arrival.port}" if arrival.host else "IMAP"
    body = f"<div>{esc(arrival.detail)} (checked over IMAP at {where}).</div>"
    if arrival.arrived == "junk":
        return card("warn", "Arrived, in the Junk folder", body, css_class="ok-arrival")
    if arrival.found:
        return card("ok", f"Arrived: in {arrival.folder}", body, css_class="ok-arrival")
    if arrival.checked:
        return card("fail", "Not arrived", body, css_class="ok-arrival")
    body += "<div>Look in the inbox and the junk folder yourself and answer below.</div>"
    return card("muted", "The mailbox could not be checked", body, css_class="ok-arrival")


def step_link(number: int) -> str:
    """A link to the guide's step (the notebook's heading with that anchor)."""
    target = step(number)
    return f'<a href="#{target.anchor}">{esc(target.label)}</a>'


def diagnosis_card(diagnosis: Diagnosis, *, headline: str | None = None) -> str:
    """The named cause, the fix in steps, the guide's step, what the guide says against
    what servers answer, the other likely causes and the evidence."""
    from ..diagnosis import Category

    kind = "ok" if diagnosis.category is Category.NO_FAILURE else "fail"
    parts = []
    if headline:
        parts.append(f"<div>{esc(headline)}</div>")
    parts.append(f"<div>{esc(diagnosis.explanation)}</div>")
    if diagnosis.fix:
        parts.append("<div style='margin-top:4px'><b>What to do</b></div>")
        parts.append(bullets(diagnosis.fix, ordered=True))
    if diagnosis.guide_step:
        parts.append(
            f'<div class="ok-step-link">This is fixed in the guide\'s '
            f"{step_link(diagnosis.guide_step)}.</div>"
        )
    if diagnosis.guide_says:
        parts.append(f"<div><b>What the guide says:</b> {esc(diagnosis.guide_says)}</div>")
    if diagnosis.seen_in_practice:
        parts.append(
            "<div><b>What real servers have been seen to answer:</b> "
            f"{esc(diagnosis.seen_in_practice)}</div>"
        )
    if diagnosis.alternatives:
        entries = catalogue()
        items = [f"{entries[a.category].title} ({a.reason})" for a in diagnosis.alternatives]
        parts.append("<div style='margin-top:4px'><b>It could also be</b></div>")
        parts.append(bullets(items))
    if diagnosis.evidence:
        parts.append(
            "<details><summary>How the kit knows</summary>"
            + bullets(diagnosis.evidence)
            + f"<div style='color:#555'>Category <code>{esc(diagnosis.category)}</code>, "
            f"{esc(diagnosis.confidence)} confidence.</div></details>"
        )
    return card(kind, diagnosis.title, "".join(parts), css_class="ok-diagnosis")


def verdict_card(verdict: SignInVerdict) -> str:
    """The sign-in verdict for the account, when the probes tell it."""
    good = verdict.kind in (
        VerdictKind.APP_PASSWORD_WORKS,
        VerdictKind.OAUTH_WORKS,
        VerdictKind.PASSWORD_WORKS,
    )
    text = str(verdict)
    body = f"<div>{esc(text[:1].upper() + text[1:])}.</div>"
    if verdict.offer_oauth:
        body += (
            "<div>OAuth2 (signing in through Microsoft's own page and sending with a token) "
            "is the way in for accounts that refuse App Passwords: "
            "<code>outlook-kit probe --oauth</code>.</div>"
        )
    return card("ok" if good else "warn", "Sign-in verdict", body, css_class="ok-verdict")


def entry_card(entry: Entry) -> str:
    """One cause of the catalogue, for browsing."""
    parts = [f"<div><i>{esc(entry.group)}</i> \u00b7 <code>{esc(entry.category)}</code></div>"]
    parts.append(f"<div>{esc(entry.explanation)}</div>")
    parts.append("<div style='margin-top:4px'><b>What to do</b></div>")
    parts.append(bullets(entry.fix, ordered=True))
    if entry.guide_step:
        parts.append(f"<div>Guide: {step_link(entry.guide_step)}.</div>")
    if entry.guide_says:
        parts.append(f"<div><b>What the guide says:</b> {esc(entry.guide_says)}</div>")
    if entry.seen_in_practice:
        parts.append(
            "<div><b>What real servers have been seen to answer:</b> "
            f"{esc(entry.seen_in_practice)}</div>"
        )
    examples = [str(e.get("text", "")) for e in entry.examples if e.get("text")]
    if examples:
        parts.append("<div style='margin-top:4px'><b>Errors that mean this</b></div>")
        parts.append(
            "<ul style='margin:4px 0 4px 18px;padding:0'>"
            + "".join(f"<li><code>{esc(x)}</code></li>" for x in examples)
            + "</ul>"
        )
    if entry.sources:
        parts.append(f"<div style='color:#555'>Sources: {esc(', '.join(entry.sources))}</div>")
    return card("info", entry.title, "".join(parts), css_class="ok-entry")
