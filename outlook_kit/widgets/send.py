"""The Send test button: the stages tick as they pass, then the result card (success with
the token to look for, or the diagnosis with its fix and a link back to the guide's step),
then the arrival step: "did it arrive?" answered by the arrival check over IMAP with the same
credentials (the buttons stay for when IMAP cannot answer), feeding the diagnosis; and the
sign-in verdict when the probes tell it.

Every handler records what it found on the object (`last_report`, `last_arrival`,
`last_diagnosis`, `last_verdict`, `last_error`), so tests and unattended runs read results
without a page.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w

from ..accounts import Credentials, SmtpSettings
from ..arrival import Arrival
from ..diagnosis import Category, Context, Diagnosis, diagnose
from ..message import TestMessage
from ..probe import ProbeReport, StageResult, probe
from ..sendlog import append_to_log
from ..verdict import SignInVerdict, VerdictKind, signin_verdict
from ._ui import Shown, card, error_html, esc, plain_error, run_coroutine
from .cards import arrival_card, diagnosis_card, stage_rows, success_card, verdict_card
from .credentials import CredentialsForm
from .guide import step
from .target import Target

ARRIVED_OPTIONS = [("Yes, in the inbox", "yes"), ("No", "no"), ("Yes, in junk", "junk")]


class SendTest(Shown):
    """A Send test button over a credentials form and a target.

    Args:
        form: where the address, the App Password, From and To are typed.
        target: the simulator or the real server.
        context: called for what else is known (the wizard's checklist answers).
        on_result: called after each send and each "did it arrive?" answer.
        on_step: called with a guide step number when the user follows a "back to step" link.
        log_path: a send log (JSON Lines) to append each probe's record to, or None.
    """

    def __init__(
        self,
        form: CredentialsForm,
        target: Target,
        *,
        context: Callable[[], Context] | None = None,
        on_result: Callable[[SendTest], None] | None = None,
        on_step: Callable[[int], None] | None = None,
        log_path: str | os.PathLike[str] | None = None,
    ) -> None:
        self.form = form
        self.target = target
        self._context = context or Context
        self._on_result = on_result
        self._on_step = on_step
        self.log_path = Path(log_path) if log_path else None
        self.button = w.Button(
            description="Send test",
            button_style="primary",
            icon="paper-plane",
            tooltip="Run the staged test send",
        )
        self.stages = w.HTML()
        self.result = w.HTML()
        self.arrival = w.HTML()
        self.arrived = w.ToggleButtons(
            options=ARRIVED_OPTIONS,
            value=None,
            description="Did it arrive?",
            style={"description_width": "initial", "button_width": "auto"},
        )
        self.arrived_box = w.VBox([self.arrived], layout=w.Layout(display="none"))
        self.diagnosis = w.HTML()
        self.step_button = w.Button(
            button_style="warning", icon="arrow-left", layout=w.Layout(width="auto")
        )
        self.step_box = w.HBox([self.step_button], layout=w.Layout(display="none"))
        self.verdict = w.HTML()
        self.message = w.HTML()
        self.button.on_click(self._send)
        self.arrived.observe(self._arrived_changed, names="value")
        self.step_button.on_click(self._follow_step)
        self.view = w.VBox(
            [
                self.button,
                self.message,
                self.stages,
                self.result,
                self.arrival,
                self.arrived_box,
                self.diagnosis,
                self.step_box,
                self.verdict,
            ]
        )
        # what the handlers found: read these in tests and unattended runs
        self.last_report: ProbeReport | None = None
        self.last_diagnosis: Diagnosis | None = None
        self.last_verdict: SignInVerdict | None = None
        self.last_error: str | None = None
        self.last_arrived: str | None = None
        self.last_arrival: Arrival | None = None
        self.reports: list[ProbeReport] = []
        self.stage_events: list[StageResult] = []

    # --- sending ----------------------------------------------------------------------------

    def send(self) -> ProbeReport | None:
        """What clicking Send test does; returns the report (None if nothing was sent)."""
        self._send()
        return self.last_report

    def type_and_send(self, app_password_env: str | None) -> bool:
        """Unattended runs: type the App Password held in that environment variable into the
        box, as a user would, and click Send test. Does nothing when the name is empty.

        The value goes from the environment into the Password box, nowhere else, so it is
        in no notebook cell, output or saved state.
        """
        if not app_password_env:
            return False
        value = os.environ.get(app_password_env, "")
        if not value:
            self.message.value = error_html(
                f"The environment variable {app_password_env} is empty or not set, so there "
                "is nothing to type into the App Password box."
            )
            return False
        self.form.password.value = value
        del value
        self.button.click()
        return True

    def _send(self, _button: Any = None) -> None:
        self.message.value = self.result.value = self.diagnosis.value = self.verdict.value = ""
        self.arrival.value = ""
        self.arrived_box.layout.display = "none"
        self.step_box.layout.display = "none"
        self.last_error = None
        self.last_diagnosis = None
        self.last_arrived = None
        self.last_arrival = None
        self.stage_events = []
        self.form.hold_secret()  # first: whatever fails next, the box no longer holds it
        try:
            user, sender, to = self.form.addresses()
            settings = self.target.settings(user)
            message = TestMessage(sender, to)
            credentials = self.form.take_credentials()
        except Exception as error:  # a user's mistake: said in plain words, nothing sent
            self._fail(error)
            return
        self.button.disabled = True
        self.stages.value = stage_rows([], running=True)
        clock = self.target.simulator.clock.now if self.target.is_simulator else None

        def tick(result: StageResult) -> None:
            self.stage_events.append(result)
            self.stages.value = stage_rows(self.stage_events, running=True)

        try:
            report = run_coroutine(
                lambda: probe(settings, credentials, message=message, on_stage=tick, clock=clock)
            )
        except Exception as error:
            self._fail(error)
            return
        finally:
            self.button.disabled = False
        self.stages.value = stage_rows(report.stages)
        self.last_report = report
        self.reports.append(report)
        if self.log_path is not None:
            try:
                append_to_log(self.log_path, report)
            except OSError as error:
                self.message.value = error_html(f"The send log was not written: {error}")
        self._show_report(report)
        if report.sent:
            self._look(settings, credentials, report)
        self._notify()

    def _fail(self, error: BaseException) -> None:
        self.last_error = plain_error(error)
        self.message.value = error_html(self.last_error)
        self.stages.value = ""
        self._notify()

    def _show_report(self, report: ProbeReport) -> None:
        if report.ok:
            self.result.value = success_card(report)
            self.arrived_box.layout.display = None if report.sent else "none"
            self.arrived.value = None
        else:
            self._diagnose()
        self._show_verdict()

    def _look(self, smtp: SmtpSettings, credentials: Credentials, report: ProbeReport) -> None:
        """The arrival step: sign in over IMAP with the send's credentials and look for the
        token; its answer sets "did it arrive?" (and so the diagnosis). When IMAP cannot
        answer, the buttons are left for the user."""
        imap = self.target.imap_settings(smtp)
        if imap is None:
            self.arrival.value = card(
                "muted",
                "No arrival check here",
                "<div>This server offers no IMAP: look in the inbox and the junk folder and "
                "answer below.</div>",
            )
            return
        self.arrival.value = card(
            "info",
            "Did it arrive? Looking over IMAP\u2026",
            f"<div>Signing in at {esc(imap.host)}:{imap.port} with the same credentials and "
            "searching the inbox, the junk folder and Sent Items (up to "
            f"{self.target.arrival_timeout:g} s).</div>",
        )
        try:
            arrival = self.target.check_arrival(smtp, credentials, report)
        except Exception as error:  # never lose the send's result to the check
            self.arrival.value = error_html(f"The arrival check failed: {plain_error(error)}")
            return
        if arrival is None:
            return
        self.last_arrival = arrival
        self.arrival.value = arrival_card(arrival)
        if arrival.arrived is not None:
            self.arrived.value = arrival.arrived  # diagnoses, as a click would
        elif arrival.refused:
            self._diagnose()

    def _diagnose(self) -> None:
        report = self.last_report
        if report is None:
            return
        context = self._context()
        context = context.with_arrival(self.last_arrival)
        if self.last_arrived:
            context = dataclasses.replace(context, arrived=self.last_arrived)
        diagnosis = diagnose(report, context=context)
        self.last_diagnosis = diagnosis
        if diagnosis.category is Category.NO_FAILURE:
            self.diagnosis.value = card(
                "ok",
                "All set: the setup works",
                "<div>The mail arrived: the setup works.</div>",
                css_class="ok-diagnosis",
            )
            self.step_box.layout.display = "none"
            return
        failure = report.failure
        stopped = f"The send stopped: {failure}." if failure else None
        self.diagnosis.value = diagnosis_card(diagnosis, headline=stopped)
        if diagnosis.guide_step and diagnosis.guide_step != 4:
            self.step_button.description = f"Back to {step(diagnosis.guide_step).label}"
            self.step_box.layout.display = None
        else:
            self.step_box.layout.display = "none"

    def _show_verdict(self) -> None:
        report = self.last_report
        if report is None:
            return
        mine = [r for r in self.reports if r.user == report.user]
        verdict = signin_verdict(mine, context=self._context())
        self.last_verdict = verdict
        tells = verdict.kind is not VerdictKind.CANNOT_TELL
        self.verdict.value = verdict_card(verdict) if tells else ""

    def _arrived_changed(self, change: dict[str, Any]) -> None:
        self.last_arrived = change["new"]
        if self.last_report is None or change["new"] is None:
            return
        try:
            self._diagnose()
        except Exception as error:
            self._fail(error)
            return
        self._notify()

    def _follow_step(self, _button: Any = None) -> None:
        diagnosis = self.last_diagnosis
        if diagnosis is not None and diagnosis.guide_step and self._on_step is not None:
            self._on_step(diagnosis.guide_step)

    def _notify(self) -> None:
        if self._on_result is not None:
            self._on_result(self)
