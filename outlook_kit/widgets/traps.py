"""Run the simulator's trap accounts one by one (or all), and watch each failure and its
diagnosis. "Did it arrive?" is answered by the arrival check over the simulator's IMAP; the
checklist answers come from the lesson."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..accounts import Credentials, SmtpSettings
from ..arrival import Arrival, check_arrival
from ..diagnosis import Category, Context, Diagnosis, diagnose
from ..message import TestMessage
from ..probe import ProbeReport, StageResult, probe
from ._ui import Shown, card, error_html, esc, plain_error, run_coroutine
from .cards import arrival_card, diagnosis_card, stage_rows

if TYPE_CHECKING:
    from ..simulator import Account, Simulator


@dataclass(frozen=True)
class TrapResult:
    """One trap account's test send, what the arrival check found, and the diagnosis."""

    account: Account
    report: ProbeReport
    arrival: Arrival | None
    diagnosis: Diagnosis

    @property
    def arrived(self) -> str:
        """ "yes", "junk" or "no" as the arrival check answered; "not checked" without one."""
        answer = self.arrival.arrived if self.arrival else None
        return answer or ("no" if not self.report.sent else "not checked")

    @property
    def as_expected(self) -> bool:
        """Whether the diagnosis names the cause the lesson teaches."""
        return str(self.diagnosis.category) == self.account.expect.category


def send_as(
    sim: Simulator,
    account: Account,
    credentials: Credentials,
    from_addr: str,
    *,
    on_stage: Callable[[StageResult], None] | None = None,
) -> tuple[ProbeReport, Arrival | None]:
    """A test send from `account` to itself on `sim`, then "did it arrive?" answered over
    the simulator's IMAP with the same credentials (None when nothing was sent, or the
    simulator serves no IMAP)."""
    settings = SmtpSettings(sim.host, sim.port, cafile=sim.ca_file)
    message = TestMessage(from_addr, (account.address,))
    report = run_coroutine(
        lambda: probe(
            settings, credentials, message=message, on_stage=on_stage, clock=sim.clock.now
        )
    )
    imap = sim.imap_settings()
    if imap is None or not report.sent:
        return report, None
    # the simulator files a message before it answers 250: one look is enough
    return report, run_coroutine(lambda: check_arrival(imap, credentials, message.token, timeout=0))


def run_trap(
    sim: Simulator, account: Account, *, on_stage: Callable[[StageResult], None] | None = None
) -> TrapResult:
    """Send as the lesson says, answer "did it arrive?" over IMAP, and diagnose."""
    expect = account.expect
    report, arrival = send_as(
        sim, account, account.credentials(), account.sender, on_stage=on_stage
    )
    context = Context(**dict(expect.checklist)).with_arrival(arrival)
    return TrapResult(account, report, arrival, diagnose(report, context=context))


class TrapRunner(Shown):
    """Pick a trap account and run it, or run them all and see the table."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator
        self.accounts = {a.scenario: a for a in simulator.roster}
        self.choice = w.Dropdown(
            options=[(f"{a.scenario}: {a.address}", a.scenario) for a in simulator.roster],
            description="Trap",
            style={"description_width": "4em"},
            layout=w.Layout(width="40em"),
        )
        self.lesson = w.HTML()
        self.button = w.Button(description="Run this trap", button_style="primary", icon="play")
        self.run_all_button = w.Button(description="Run every trap", icon="forward")
        self.stages = w.HTML()
        self.result = w.HTML()
        self.table = w.HTML()
        self.message = w.HTML()
        self.choice.observe(self._chosen, names="value")
        self.button.on_click(self._run)
        self.run_all_button.on_click(self._run_all)
        self.view = w.VBox(
            [
                self.choice,
                self.lesson,
                w.HBox([self.button, self.run_all_button]),
                self.message,
                self.stages,
                self.result,
                self.table,
            ]
        )
        self.results: dict[str, TrapResult] = {}
        self.last_result: TrapResult | None = None
        self.last_error: str | None = None
        self._chosen()

    @property
    def last_report(self) -> ProbeReport | None:
        return self.last_result.report if self.last_result else None

    def run(self, scenario: str | None = None) -> TrapResult | None:
        """Run one trap (what the Run button does)."""
        if scenario is not None:
            self.choice.value = scenario
        self._run()
        return self.last_result

    def run_all(self) -> dict[str, TrapResult]:
        """Run every trap (what the Run every trap button does)."""
        self._run_all()
        return self.results

    def _chosen(self, _change: Any = None) -> None:
        account = self.accounts[self.choice.value]
        expect = account.expect
        if expect.stage is not None:
            what = f"expect it to fail at {expect.stage} with {expect.code} {expect.enhanced}"
        else:
            what = "expect every stage to pass" + (
                "" if expect.delivered else ", yet the mail does not arrive"
            )
        self.lesson.value = card(
            "muted", account.address, f"<div>{esc(account.lesson)}</div><div>{esc(what)}.</div>"
        )

    def _run(self, _button: Any = None) -> None:
        self.message.value = ""
        self.last_error = None
        account = self.accounts[self.choice.value]
        events: list[StageResult] = []

        def tick(result: StageResult) -> None:
            events.append(result)
            self.stages.value = stage_rows(events, running=True)

        self.stages.value = stage_rows([], running=True)
        try:
            result = run_trap(self.simulator, account, on_stage=tick)
        except Exception as error:
            self.last_error = plain_error(error)
            self.message.value = error_html(self.last_error)
            return
        self._record(result)
        self.stages.value = stage_rows(result.report.stages)
        checked = arrival_card(result.arrival) if result.arrival else ""
        headline = None
        if result.report.failure:
            headline = f"The send stopped: {result.report.failure}."
        if result.diagnosis.category is Category.NO_FAILURE:
            self.result.value = checked + card("ok", "No trap here: the send went through")
        else:
            self.result.value = checked + diagnosis_card(result.diagnosis, headline=headline)

    def _run_all(self, _button: Any = None) -> None:
        self.message.value = ""
        self.last_error = None
        rows = []
        for scenario, account in self.accounts.items():
            self.message.value = card("info", f"Running {scenario}\u2026")
            try:
                result = run_trap(self.simulator, account)
            except Exception as error:
                self.last_error = plain_error(error)
                self.message.value = error_html(self.last_error)
                return
            self._record(result)
            failure = result.report.failure
            mark = "\u2714" if result.as_expected else "\u2718"
            rows.append(
                "<tr>"
                f"<td>{esc(scenario)}</td>"
                f"<td>{esc(failure.stage if failure else 'none')}</td>"
                f"<td><code>{esc(failure.reply or failure.note if failure else '')}</code></td>"
                f"<td>{esc(result.arrived)}</td>"
                f"<td>{esc(result.diagnosis.title)}</td>"
                f"<td>{mark}</td></tr>"
            )
        self.message.value = ""
        head = (
            "<tr><th>trap</th><th>failed at</th><th>reply</th><th>arrived</th>"
            "<th>diagnosis</th><th>the lesson's cause</th></tr>"
        )
        self.table.value = (
            '<table class="ok-traps" style="border-collapse:collapse">'
            + head
            + "".join(rows)
            + "</table>"
        )

    def _record(self, result: TrapResult) -> None:
        self.results[result.account.scenario] = result
        self.last_result = result
