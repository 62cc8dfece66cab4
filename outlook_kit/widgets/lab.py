"""The teaching lab: break-and-fix exercises for a class. Each puts the simulator into one of
the guide's traps; the learner changes the settings (on the simulated account page, or in
the simulated mail program), and a self-check sends a test and says pass or fail, and why.
"""

from __future__ import annotations

import dataclasses
import hashlib
import string
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..accounts import OUTLOOK_HOST, SUBMISSION_PORT, SmtpSettings
from ..arrival import Arrival
from ..diagnosis import Category, Context, Diagnosis, diagnose
from ..errors import UsageError
from ..probe import ProbeReport
from ..simulator.roster import SecretKind as LessonSecret
from ._ui import Shown, card, error_html, esc, plain_error
from .cards import arrival_card, diagnosis_card, stage_rows
from .guide import step
from .traps import send_as

if TYPE_CHECKING:
    from ..simulator import Account


@dataclass(frozen=True)
class LabSettings:
    """Everything a learner can change: the account page (Microsoft's side) and the mail
    program (the learner's side)."""

    pop_smtp_on: bool = True
    two_step_on: bool = True
    host: str = OUTLOOK_HOST
    port: int = SUBMISSION_PORT
    sign_in_with: LessonSecret = "app_password"  # or "password"
    from_addr: str = ""  # empty: the account's own address
    wait_hours: int = 0


@dataclass(frozen=True)
class Exercise:
    """One break-and-fix exercise over a trap account of the simulator's roster."""

    key: str
    title: str
    story: str
    scenario: str
    guide_step: int
    broken: LabSettings
    hint: str
    solution: str
    instructor: str
    waits: bool = False  # shows the "wait before sending" control


@dataclass(frozen=True)
class CheckResult:
    """The self-check: pass or fail, why, and the send it made (if it got that far)."""

    passed: bool
    why: str
    report: ProbeReport | None = None
    diagnosis: Diagnosis | None = None
    arrival: Arrival | None = None

    @property
    def arrived(self) -> str | None:
        """Where the arrival check found the test mail: "yes", "junk", "no" (None: unchecked)."""
        return self.arrival.arrived if self.arrival else None


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        key="pop_refused",
        title="The sign-in is refused",
        story="Your mail program signs in with a fresh App Password, and Outlook answers 535.",
        scenario="pop_disabled_reject",
        guide_step=1,
        broken=LabSettings(pop_smtp_on=False),
        hint="A 535 at the sign-in with a good App Password: the guide says go back to step 1.",
        solution="Tick \u201cLet devices and apps use POP\u201d.",
        instructor="Students often make a second App Password here; the switch is on the "
        "Outlook.com settings page, not the security page.",
    ),
    Exercise(
        key="silent_killer",
        title="The silent killer",
        story="Every step answers OK, the program says sent, and the mail never arrives.",
        scenario="pop_disabled_silent",
        guide_step=1,
        broken=LabSettings(pop_smtp_on=False),
        hint="Nothing failed, yet nothing arrived: which switch lets apps use the mailbox?",
        solution="Tick \u201cLet devices and apps use POP\u201d.",
        instructor="The point is to check the inbox (and junk) after a test; a 250 is not "
        "delivery. Ask what the program's log would have shown (nothing).",
    ),
    Exercise(
        key="regular_password",
        title="The regular password",
        story="The mail program has the account's usual sign-in password; Outlook answers "
        "535 5.7.139.",
        scenario="regular_password",
        guide_step=3,
        broken=LabSettings(sign_in_with="password"),
        hint="Third-party programs need the password made for them, not the web password.",
        solution="Sign in with the App Password.",
        instructor="Mention that since September 2024 some accounts refuse App Passwords "
        "too (basic authentication disabled): then OAuth2 is the way in.",
    ),
    Exercise(
        key="no_two_step",
        title="No App passwords section",
        story="You look for \u201cApp passwords\u201d on the security page and it is not there.",
        scenario="no_two_step",
        guide_step=2,
        broken=LabSettings(two_step_on=False, sign_in_with="password"),
        hint="App Passwords appear only once something else is switched on; then sign in with one.",
        solution="Tick \u201cTwo-step verification\u201d, then sign in with the App Password.",
        instructor="Two changes are needed, in order: two-step verification on, then an App "
        "Password in the program. Let students discover the second.",
    ),
    Exercise(
        key="send_as",
        title="Sending as someone else",
        story="The program sends as newsletter@example.com; Outlook answers 550 5.7.60.",
        scenario="send_as_denied",
        guide_step=4,
        broken=LabSettings(from_addr="newsletter@example.com"),
        hint="Outlook lets you send only as the signed-in mailbox or one of its aliases.",
        solution="Clear the From, or put the account's own address (send.as@live.com) or its "
        "alias (send.as.alias@outlook.com).",
        instructor="This account has the alias send.as.alias@outlook.com: either it or the "
        "address itself passes. Discuss why providers enforce this (spoofing).",
    ),
    Exercise(
        key="server_settings",
        title="Old server settings",
        story="An old tutorial said smtp.live.com on port 465 with SSL.",
        scenario="healthy",
        guide_step=4,
        broken=LabSettings(host="smtp.live.com", port=465),
        hint="The guide's step 4 names the server and the port.",
        solution="Server smtp-mail.outlook.com, port 587.",
        instructor="smtp.live.com is retired; 465 (TLS from the first byte) is not served. "
        "STARTTLS on 587 starts plain and switches to encryption before the sign-in.",
    ),
    Exercise(
        key="daily_cap",
        title="The daily cap",
        story="A young account sent 300 messages today; the next one is refused with 550 5.4.1.",
        scenario="cap_reached",
        guide_step=4,
        broken=LabSettings(),
        hint="The cap is counted over 24 hours and sending pauses for about a day.",
        solution="Wait 24 hours (the slider) before sending.",
        instructor="No setting fixes a cap: waiting does, and so does sending less. The cap "
        "notebook (03) shows how to see it coming in a send log.",
        waits=True,
    ),
)


def exercise(key: str) -> Exercise:
    for item in EXERCISES:
        if item.key == key:
            return item
    known = ", ".join(e.key for e in EXERCISES)
    raise UsageError(f"no exercise {key!r}; the lab has {known}")


def _prop_app_password(address: str) -> str:
    digest = hashlib.sha256(f"lab:{address}".encode()).digest()
    return "".join(string.ascii_lowercase[b % 26] for b in digest[:16])


def lab_account(base: Account, settings: LabSettings) -> Account:
    """The trap account as the learner has set it up on the (simulated) account page."""
    from ..simulator.roster import Expect

    traits = dataclasses.replace(
        base.traits, pop_smtp_enabled=settings.pop_smtp_on, two_step=settings.two_step_on
    )
    if not settings.two_step_on:
        app_passwords: tuple[str, ...] = ()
    else:
        app_passwords = base.app_passwords or (_prop_app_password(base.address),)
    return dataclasses.replace(
        base, traits=traits, app_passwords=app_passwords, expect=Expect(secret="password")
    )


def self_check(ex: Exercise, settings: LabSettings) -> CheckResult:
    """Send a test with the learner's settings on a simulator in the exercise's trap."""
    from ..simulator import SimClock, Simulator, default_roster

    base = next(a for a in default_roster() if a.scenario == ex.scenario)
    try:
        SmtpSettings(settings.host.strip(), int(settings.port))
    except UsageError as error:
        return CheckResult(False, f"The mail program's settings cannot work: {error}.")
    if settings.host.strip().lower() != OUTLOOK_HOST or int(settings.port) != SUBMISSION_PORT:
        return CheckResult(
            False,
            f"{settings.host}:{settings.port} is not Outlook.com's submission server for "
            f"personal accounts: use {OUTLOOK_HOST} on port {SUBMISSION_PORT} (step 4).",
        )
    account = lab_account(base, settings)
    if settings.sign_in_with == "app_password" and not account.app_passwords:
        return CheckResult(
            False,
            "There is no App Password to sign in with: the App passwords section appears only "
            "once two-step verification is on (step 2).",
        )
    sender = settings.from_addr.strip() or account.address
    clock = SimClock()
    sim = Simulator(roster=[account], clock=clock)
    sim.start()
    try:
        if settings.wait_hours:
            clock.advance(hours=settings.wait_hours)
        report, arrival = send_as(sim, account, account.credentials(settings.sign_in_with), sender)
    except UsageError as error:
        return CheckResult(False, f"The mail program's settings cannot work: {error}.")
    finally:
        sim.stop()
    context = Context(two_step_on=settings.two_step_on).with_arrival(arrival)
    diagnosis = diagnose(report, context=context)
    if report.ok and arrival is not None and arrival.arrived == "yes":
        return CheckResult(
            True,
            f"The test mail arrived ({arrival.detail}): the trap is fixed.",
            report,
            diagnosis,
            arrival,
        )
    where = f" (the guide's {step(diagnosis.guide_step).label})" if diagnosis.guide_step else ""
    if diagnosis.category is Category.NO_FAILURE or report.ok:
        found = f" ({arrival.detail})" if arrival is not None else ""
        why = f"Every stage passed, but the test mail did not arrive in the inbox{found}"
    else:
        why = f"The send stopped: {report.failure}"
    return CheckResult(False, f"{why}: {diagnosis.title}{where}.", report, diagnosis, arrival)


class ExerciseForm(Shown):
    """One exercise: the story, the settings to change, and Check my fix."""

    def __init__(self, ex: Exercise) -> None:
        self.exercise = ex
        style = {"description_width": "15em"}
        self.pop_smtp = w.Checkbox(description="Let devices and apps use POP", indent=False)
        self.two_step = w.Checkbox(description="Two-step verification", indent=False)
        self.host = w.Text(description="Server (host)", style=style)
        self.port = w.IntText(description="Port", style=style, layout=w.Layout(width="22em"))
        self.sign_in_with = w.ToggleButtons(
            options=[("App Password", "app_password"), ("Regular password", "password")],
            description="Sign in with",
            style={**style, "button_width": "auto"},
        )
        self.from_addr = w.Text(
            description="From", placeholder="the account's address", style=style
        )
        self.wait_hours = w.IntSlider(
            min=0,
            max=48,
            step=1,
            description="Wait before sending (hours)",
            style=style,
            layout=w.Layout(display=None if ex.waits else "none", width="36em"),
        )
        self.check_button = w.Button(
            description="Check my fix", button_style="primary", icon="check"
        )
        self.reset_button = w.Button(description="Start over", icon="undo")
        self.hint_button = w.Button(description="Show a hint", icon="lightbulb-o")
        self.hint = w.HTML()
        self.stages = w.HTML()
        self.result = w.HTML()
        self.check_button.on_click(self._check)
        self.reset_button.on_click(self._reset)
        self.hint_button.on_click(self._hint)
        story = card(
            "muted",
            ex.title,
            f"<div>{esc(ex.story)}</div><div>Account: <code>{esc(self._address)}</code>. Change "
            "the settings below until the self-check passes.</div>",
        )
        self.view = w.VBox(
            [
                w.HTML(story),
                w.HTML("<b>The account's settings page (Microsoft's side)</b>"),
                self.pop_smtp,
                self.two_step,
                w.HTML("<b>The mail program's settings (your side)</b>"),
                self.host,
                self.port,
                self.sign_in_with,
                self.from_addr,
                self.wait_hours,
                w.HBox([self.check_button, self.reset_button, self.hint_button]),
                self.hint,
                self.stages,
                self.result,
            ]
        )
        self.last_check: CheckResult | None = None
        self.checks: list[CheckResult] = []
        self._reset()

    @property
    def _address(self) -> str:
        from ..simulator import default_roster

        return next(a.address for a in default_roster() if a.scenario == self.exercise.scenario)

    @property
    def settings(self) -> LabSettings:
        """The settings as the learner has them now."""
        return LabSettings(
            pop_smtp_on=self.pop_smtp.value,
            two_step_on=self.two_step.value,
            host=self.host.value,
            port=self.port.value,
            sign_in_with=self.sign_in_with.value,
            from_addr=self.from_addr.value,
            wait_hours=self.wait_hours.value,
        )

    def check(self) -> CheckResult | None:
        """What Check my fix does."""
        self._check()
        return self.last_check

    def _reset(self, _button: Any = None) -> None:
        broken = self.exercise.broken
        self.pop_smtp.value = broken.pop_smtp_on
        self.two_step.value = broken.two_step_on
        self.host.value = broken.host
        self.port.value = broken.port
        self.sign_in_with.value = broken.sign_in_with
        self.from_addr.value = broken.from_addr
        self.wait_hours.value = broken.wait_hours
        self.hint.value = self.stages.value = self.result.value = ""

    def _hint(self, _button: Any = None) -> None:
        self.hint.value = card("info", "Hint", f"<div>{esc(self.exercise.hint)}</div>")

    def _check(self, _button: Any = None) -> None:
        self.result.value = ""
        try:
            result = self_check(self.exercise, self.settings)
        except Exception as error:
            result = CheckResult(False, plain_error(error))
            self.result.value = error_html(result.why)
        self.last_check = result
        self.checks.append(result)
        self.stages.value = stage_rows(result.report.stages) if result.report else ""
        if result.arrival is not None:
            self.stages.value += arrival_card(result.arrival)
        if result.passed:
            self.result.value = card(
                "ok", "Pass", f"<div>{esc(result.why)}</div>", css_class="ok-pass"
            )
        elif result.diagnosis is not None and result.diagnosis.category is not Category.NO_FAILURE:
            self.result.value = card("fail", "Not yet", f"<div>{esc(result.why)}</div>") + (
                diagnosis_card(result.diagnosis)
            )
        elif not self.result.value:
            self.result.value = card("fail", "Not yet", f"<div>{esc(result.why)}</div>")


_TICK, _CIRCLE = "\u2714", "\u25cb"


class TeachingLab(Shown):
    """Every exercise, and a scoreboard of the self-checks passed."""

    def __init__(self) -> None:
        self.forms = {ex.key: ExerciseForm(ex) for ex in EXERCISES}
        self.scoreboard = w.HTML()
        for form in self.forms.values():
            form.check_button.on_click(lambda _b: self._score())
        tabs = w.Tab(children=[f.view for f in self.forms.values()])
        for index, ex in enumerate(EXERCISES):
            tabs.set_title(index, f"{index + 1}. {ex.title}")
        self.view = w.VBox([tabs, self.scoreboard])
        self._score()

    def dry_run(self) -> dict[str, CheckResult]:
        """The instructor's check before class: every exercise, as it starts, must fail."""
        results = {}
        for key, form in self.forms.items():
            form._reset()
            result = form.check()
            assert result is not None
            results[key] = result
        self._score()
        return results

    def notes_for_instructors(self) -> w.HTML:
        """Each exercise's trap, solution and what to discuss."""
        rows = "".join(
            f"<tr><td><b>{esc(ex.title)}</b></td><td>{esc(step(ex.guide_step).label)}</td>"
            f"<td>{esc(ex.solution)}</td><td>{esc(ex.instructor)}</td></tr>"
            for ex in EXERCISES
        )
        head = "<tr><th>exercise</th><th>guide</th><th>solution</th><th>to discuss</th></tr>"
        return w.HTML(
            f'<table class="ok-notes" style="border-collapse:collapse">{head}{rows}</table>'
        )

    def exercise(self, key: str) -> ExerciseForm:
        """One exercise's form (the notebook shows each under its own heading)."""
        exercise(key)
        return self.forms[key]

    @property
    def passed(self) -> dict[str, bool]:
        return {
            key: bool(form.last_check and form.last_check.passed)
            for key, form in self.forms.items()
        }

    def _score(self) -> None:
        done = self.passed
        marks = " ".join(
            f"{_TICK if ok else _CIRCLE} {esc(exercise(key).title)}" for key, ok in done.items()
        )
        self.scoreboard.value = card(
            "info",
            f"Self-checks passed: {sum(done.values())} of {len(done)}",
            f"<div>{marks}</div>",
        )
