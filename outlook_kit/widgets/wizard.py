"""The setup wizard: the guide's four steps in order, each with its why, where to click and a
checklist answer the kit remembers; each step shows its state (not started, done, failed)
and leads on to the next; step 4 holds the credentials form, the target switch and the
Send test button.
"""

from __future__ import annotations

import enum
import os
from typing import Any

import ipywidgets as w

from ..diagnosis import Category, Context
from ._ui import Shown, bullets, card, esc
from .credentials import CredentialsForm
from .guide import STEPS, GuideStep, step
from .send import SendTest
from .target import PRACTICE_ADDRESS, Target, TargetSwitch


class StepState(enum.StrEnum):
    NOT_STARTED = "not started"
    DONE = "done"
    FAILED = "failed"


_BADGE = {
    StepState.NOT_STARTED: ("\u25cb", "#757575"),
    StepState.DONE: ("\u2714", "#2e7d32"),
    StepState.FAILED: ("\u2718", "#c62828"),
}
_ANSWERS = [("Yes", "yes"), ("Not yet", "no")]


class SetupWizard(Shown):
    """The guide's four steps with their state, ending in the test send.

    Args:
        target: "simulator" (default) or "real", or a Target.
        address: the address to fill in (e.g. the simulator's practice account).
        log_path: a send log to append each test send's record to, or None.
        app_password_env: unattended runs only: the name of an environment variable holding
            the App Password; on the simulator, the practice account at `address` takes it
            as its App Password (see `Target`), and `send.type_and_send` types it.
    """

    def __init__(
        self,
        target: Target | str = "simulator",
        *,
        address: str = "",
        log_path: str | os.PathLike[str] | None = None,
        app_password_env: str | None = None,
    ) -> None:
        self.target = (
            target
            if isinstance(target, Target)
            else Target(
                target,
                app_password_env=app_password_env,
                practice_address=address.strip() or PRACTICE_ADDRESS,
            )
        )
        self.checklist: dict[str, bool | None] = {
            s.checklist: None for s in STEPS if s.checklist is not None
        }
        self.states: dict[int, StepState] = {s.number: StepState.NOT_STARTED for s in STEPS}
        self.reasons: dict[int, str] = {}
        self.current = 1
        self.form = CredentialsForm(address)
        self.switch = TargetSwitch(self.target, address=self.form.address)
        self.send = SendTest(
            self.form,
            self.target,
            context=self.context,
            on_result=self._after_send,
            on_step=self.go_to,
            log_path=log_path,
        )
        self.progress = w.HTML()
        self._questions: dict[int, w.ToggleButtons] = {}
        self._notes: dict[int, w.HTML] = {}
        self._panels: dict[int, w.VBox] = {s.number: self._panel(s) for s in STEPS}
        self.accordion = w.Accordion(children=[self._panels[s.number] for s in STEPS])
        self.accordion.selected_index = 0
        self.view = w.VBox([self.progress, self.accordion])
        self._render()

    # --- what the notebook shows ------------------------------------------------------------

    def panel(self, number: int) -> w.VBox:
        """One step's panel (the notebook shows each under its own heading)."""
        step(number)
        return self._panels[number]

    # --- state ------------------------------------------------------------------------------

    def answer(self, number: int, yes: bool) -> None:
        """Answer a step's checklist question (what its Yes / Not yet buttons do)."""
        self._questions[number].value = "yes" if yes else "no"

    def context(self) -> Context:
        """What the checklist says, for the diagnosis."""
        return Context(
            pop_smtp_on=self.checklist.get("pop_smtp_on"),
            two_step_on=self.checklist.get("two_step_on"),
        )

    def go_to(self, number: int) -> None:
        """Open step `number` (the "next" buttons and the diagnosis's links)."""
        step(number)
        self.current = number
        self.accordion.selected_index = number - 1
        self._render()

    def _answered(self, number: int, change: dict[str, Any]) -> None:
        guide = step(number)
        value = change["new"]
        if guide.checklist is not None:
            self.checklist[guide.checklist] = None if value is None else value == "yes"
        if value == "yes":
            self.states[number] = StepState.DONE
            self.reasons.pop(number, None)
            self._notes[number].value = ""
        elif value == "no":
            self.states[number] = StepState.NOT_STARTED
            self._notes[number].value = card(
                "warn",
                "Do this step before the test send",
                f"<div>Follow the clicks above, then answer Yes. {esc(_skipped(number))}</div>",
            )
        self._render()

    def _after_send(self, send: SendTest) -> None:
        report, diagnosis = send.last_report, send.last_diagnosis
        if send.last_error is not None or report is None:
            return
        for number, reason in list(self.reasons.items()):  # a new send re-judges the steps
            if number != 4 and reason.startswith("The test send"):
                self.states[number] = (
                    StepState.DONE if self._answer(number) else StepState.NOT_STARTED
                )
                del self.reasons[number]
        if diagnosis is None:  # sent; waiting for "did it arrive?"
            self.states[4] = StepState.DONE if report.ok else StepState.FAILED
        elif diagnosis.category is Category.NO_FAILURE:
            for number in self.states:  # the mail arrived: every step is proven done
                self.states[number] = StepState.DONE
            self.reasons[4] = "The test mail arrived"
        else:
            self.states[4] = StepState.FAILED
            self.reasons[4] = f"The test send says: {diagnosis.title}"
            back = diagnosis.guide_step
            if back and back != 4:
                self.states[back] = StepState.FAILED
                self.reasons[back] = f"The test send points here: {diagnosis.title}"
        self._render()

    def _answer(self, number: int) -> bool:
        key = step(number).checklist
        return bool(key and self.checklist.get(key))

    # --- drawing ----------------------------------------------------------------------------

    def _panel(self, guide: GuideStep) -> w.VBox:
        body = (
            f'<div id="{guide.anchor}-panel"><div><b>Why:</b> {esc(guide.why)}</div>'
            f"<div style='margin-top:4px'><b>Where to click</b></div>"
            f"{bullets(guide.where, ordered=guide.number != 4)}</div>"
        )
        children: list[w.Widget] = [w.HTML(body)]
        note = w.HTML()
        self._notes[guide.number] = note
        if guide.question is not None:
            question = w.ToggleButtons(
                options=_ANSWERS,
                value=None,
                description=guide.question,
                style={"description_width": "initial", "button_width": "auto"},
            )
            question.observe(lambda change, n=guide.number: self._answered(n, change), "value")
            self._questions[guide.number] = question
            children.append(question)
        else:
            children += [self.switch.view, self.form.view, self.send.view]
        children.append(note)
        if guide.number < len(STEPS):
            nxt = step(guide.number + 1)
            button = w.Button(description=f"Next: {nxt.label}", layout=w.Layout(width="auto"))
            button.on_click(lambda _b, n=nxt.number: self.go_to(n))
            children.append(w.HBox([button]))
        return w.VBox(children)

    def _render(self) -> None:
        badges = []
        for guide in STEPS:
            state = self.states[guide.number]
            mark, colour = _BADGE[state]
            here = " ok-current" if guide.number == self.current else ""
            weight = "700" if guide.number == self.current else "400"
            badges.append(
                f'<span class="ok-step ok-step-{state.name.lower()}{here}" '
                f'data-step="{guide.number}" style="color:{colour};font-weight:{weight};'
                f'margin-right:1.2em">{mark} <a href="#{guide.anchor}" style="color:inherit">'
                f"Step {guide.number}</a>: {esc(guide.title)} ({state})</span>"
            )
        self.progress.value = f'<div class="ok-progress">{"".join(badges)}</div>'
        for index, guide in enumerate(STEPS):
            state = self.states[guide.number]
            self.accordion.set_title(index, f"{guide.label} \u2014 {state}")
        for number, reason in self.reasons.items():
            if self.states[number] is StepState.FAILED and number != 4:
                self._notes[number].value = card(
                    "fail", f"Step {number} needs another look", f"<div>{esc(reason)}.</div>"
                )
            elif number != 4 and self.states[number] is StepState.DONE:
                self._notes[number].value = ""

    def __repr__(self) -> str:
        states = ", ".join(f"{n}: {s}" for n, s in self.states.items())
        return f"<SetupWizard {self.target.kind}; {states}>"


def _skipped(number: int) -> str:
    return {
        1: "With POP/SMTP access off, the sign-in is refused or the mail silently vanishes.",
        2: "Without two-step verification there is no App passwords section to create one in.",
        3: "Without an App Password, Outlook refuses the sign-in (535 5.7.139).",
    }.get(number, "")
