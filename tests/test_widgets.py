"""The forms, headless: each is built, filled (`.value`), its button clicked (`.click()`),
and the result its handler recorded is checked. No browser, no kernel."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from outlook_kit.diagnosis import Category
from outlook_kit.simulator import Account, Simulator, default_roster
from outlook_kit.widgets import (
    BundleMaker,
    CatalogueBrowser,
    ConnectionCheck,
    LogExplorer,
    OAuthSignIn,
    SetupWizard,
    StepState,
    Target,
    TeachingLab,
    TrapRunner,
    Troubleshooter,
)
from outlook_kit.widgets._ui import plain_error
from outlook_kit.widgets.lab import EXERCISES, LabSettings, self_check

ROSTER = {a.scenario: a for a in default_roster()}
HEALTHY = ROSTER["healthy"]


def widget_values(widget: Any) -> Iterator[str]:
    """Every string value in a widget tree (what a page or saved state could show)."""
    for name in ("value", "description", "placeholder", "tooltip"):
        value = getattr(widget, name, None)
        if isinstance(value, str):
            yield value
    for child in getattr(widget, "children", ()):
        yield from widget_values(child)


@pytest.fixture
def wizard() -> Iterator[SetupWizard]:
    wizard = SetupWizard("simulator", address=HEALTHY.address)
    yield wizard
    wizard.target.stop()


@pytest.fixture(scope="module")
def simulator() -> Iterator[Simulator]:
    sim = Simulator().start()
    yield sim
    sim.stop()


def fill(wizard: SetupWizard, account: Account, kind: str | None = None) -> None:
    kind = kind or account.expect.secret
    wizard.form.address.value = account.address
    wizard.form.secret_kind.value = kind
    wizard.form.password.value = account.secret(kind)  # type: ignore[arg-type]
    wizard.form.from_addr.value = account.expect.from_address or ""


# --- the setup wizard and the Send test button ----------------------------------------------


def test_the_healthy_account_sends_the_box_is_cleared_and_the_stages_ticked_live(
    wizard: SetupWizard,
) -> None:
    fill(wizard, HEALTHY)
    wizard.send.button.click()
    report = wizard.send.last_report
    assert report is not None and report.ok and report.sent
    assert wizard.form.password.value == ""
    # on_stage delivered every stage, in order, before the report existed
    assert [s.stage for s in wizard.send.stage_events] == [s.stage for s in report.stages]
    assert "ok-success" in wizard.send.result.value and report.token in wizard.send.result.value
    assert wizard.send.arrived_box.layout.display is None  # "did it arrive?" is asked
    assert wizard.states[4] is StepState.DONE
    assert str(wizard.send.last_verdict.kind) == "app_password_works"  # type: ignore[union-attr]
    assert "Sign-in verdict" in wizard.send.verdict.value


def test_did_it_arrive_yes_proves_every_step_and_no_points_to_step_1(
    wizard: SetupWizard,
) -> None:
    fill(wizard, HEALTHY)
    wizard.send.button.click()
    # the arrival check answers "did it arrive?" over the simulator's IMAP, with no click
    arrival = wizard.send.last_arrival
    assert arrival is not None and arrival.found and arrival.folder == "Inbox", arrival
    assert wizard.send.arrived.value == "yes" and "Arrived: in Inbox" in wizard.send.arrival.value
    assert wizard.send.last_diagnosis.category is Category.NO_FAILURE  # type: ignore[union-attr]
    assert set(wizard.states.values()) == {StepState.DONE}
    # the buttons stay, for when IMAP cannot answer: the user's "No" still leads to step 1
    assert wizard.send.arrived_box.layout.display is None
    wizard.send.arrived.value = "no"
    assert wizard.send.last_diagnosis.category is Category.POP_SMTP_DISABLED  # type: ignore[union-attr]
    assert wizard.states[1] is StepState.FAILED and wizard.states[4] is StepState.FAILED
    assert "Back to Step 1" in wizard.send.step_button.description


def test_a_silently_dropped_send_is_found_nowhere_and_leads_to_step_1(
    wizard: SetupWizard,
) -> None:
    fill(wizard, ROSTER["pop_disabled_silent"])
    wizard.send.button.click()
    arrival = wizard.send.last_arrival
    assert wizard.send.last_report is not None and wizard.send.last_report.ok
    assert arrival is not None and arrival.reason == "not_found", arrival
    assert "Not arrived" in wizard.send.arrival.value and wizard.send.arrived.value == "no"
    assert wizard.send.last_diagnosis.category is Category.POP_SMTP_DISABLED  # type: ignore[union-attr]


def test_without_imap_the_arrival_step_leaves_the_question_to_the_buttons() -> None:
    sim = Simulator(imap_port=None).start()
    try:
        wizard = SetupWizard(Target(simulator=sim), address=HEALTHY.address)
        fill(wizard, HEALTHY)
        wizard.send.button.click()
        assert wizard.send.last_report is not None and wizard.send.last_report.ok
        assert wizard.send.last_arrival is None and wizard.send.arrived.value is None
        assert "No arrival check here" in wizard.send.arrival.value
        assert wizard.send.arrived_box.layout.display is None
        wizard.send.arrived.value = "junk"  # the user looked, and found it in junk
        assert wizard.send.last_diagnosis.category is Category.DELIVERED_TO_JUNK  # type: ignore[union-attr]
    finally:
        sim.stop()


def test_the_regular_password_points_back_to_the_app_password_step(
    wizard: SetupWizard,
) -> None:
    fill(wizard, HEALTHY, kind="password")
    wizard.send.button.click()
    diagnosis = wizard.send.last_diagnosis
    assert diagnosis is not None and diagnosis.category is Category.APP_PASSWORD_REQUIRED
    assert diagnosis.guide_step == 3
    assert 'href="#step-3"' in wizard.send.diagnosis.value
    assert wizard.send.step_button.description == "Back to Step 3: Create an App Password"
    assert wizard.send.step_box.layout.display is None  # shown
    assert wizard.states[3] is StepState.FAILED
    wizard.send.step_button.click()
    assert wizard.current == 3 and wizard.accordion.selected_index == 2


def test_the_secret_is_in_no_widget_and_on_no_object_after_the_send(
    wizard: SetupWizard,
) -> None:
    secret = HEALTHY.app_passwords[0]
    fill(wizard, HEALTHY)
    wizard.send.button.click()
    assert wizard.send.last_report is not None and wizard.send.last_report.ok
    shown = "\n".join(widget_values(wizard.view))
    assert secret not in shown
    for obj in (wizard, wizard.form, wizard.send):
        assert secret not in repr(vars(obj))
    assert secret not in repr(wizard.send.last_report.to_dict())


def test_an_address_mistake_clears_the_box_but_holds_the_app_password(
    wizard: SetupWizard,
) -> None:
    wizard.form.address.value = "healthy@@outlook.com"
    assert "ok-note-fail" in wizard.form.address_note.value
    wizard.form.password.value = HEALTHY.app_passwords[0]
    wizard.send.button.click()
    assert wizard.send.last_report is None
    assert wizard.send.last_error and wizard.send.last_error.startswith("Email address:")
    assert "Traceback" not in wizard.send.message.value
    # out of the widget at the first click (a notebook saved now holds no secret) ...
    assert wizard.form.password.value == ""
    assert "held in memory" in wizard.form.password.placeholder
    assert HEALTHY.app_passwords[0] not in "\n".join(widget_values(wizard.view))
    assert HEALTHY.app_passwords[0] not in repr(vars(wizard.form))
    # ... and held, so fixing the address is enough
    wizard.form.address.value = HEALTHY.address
    wizard.send.button.click()
    assert wizard.send.last_report is not None and wizard.send.last_report.ok
    assert "held in memory" not in wizard.form.password.placeholder  # used: held no longer


def test_an_empty_app_password_box_sends_nothing() -> None:
    wizard = SetupWizard("simulator", address=HEALTHY.address)
    try:
        wizard.send.button.click()
        assert wizard.send.last_report is None
        assert "App Password box is empty" in (wizard.send.last_error or "")
    finally:
        wizard.target.stop()


def test_inline_validation_warns_about_a_from_that_is_not_the_mailbox(
    wizard: SetupWizard,
) -> None:
    assert "ok-note-ok" in wizard.form.address_note.value
    assert "smtp-mail.outlook.com" in wizard.form.address_note.value
    wizard.form.from_addr.value = "newsletter@example.com"
    assert "5.7.60" in wizard.form.from_note.value
    wizard.form.to.value = "not an address"
    assert "ok-note-fail" in wizard.form.to_note.value
    wizard.form.address.value = "someone@gmail.com"
    assert "not a Microsoft address" in wizard.form.address_note.value


def test_the_checklist_answers_set_the_steps_and_feed_the_diagnosis(
    wizard: SetupWizard,
) -> None:
    wizard.answer(1, True)
    wizard.answer(2, False)
    assert wizard.states[1] is StepState.DONE and wizard.states[2] is StepState.NOT_STARTED
    assert wizard.context().pop_smtp_on is True and wizard.context().two_step_on is False
    assert "Step 1" in wizard.progress.value and "(done)" in wizard.progress.value
    wizard.go_to(2)
    assert wizard.accordion.selected_index == 1


@pytest.mark.parametrize(
    "account",
    [a for a in default_roster() if a.expect.secret != "oauth_token"],
    ids=lambda a: a.scenario,
)
def test_each_trap_sent_through_the_form_is_diagnosed_as_its_lesson(
    wizard: SetupWizard, account: Account
) -> None:
    for name, value in account.expect.checklist:
        number = {"pop_smtp_on": 1, "two_step_on": 2}[name]
        wizard.answer(number, bool(value))
    fill(wizard, account)
    wizard.send.button.click()
    assert wizard.send.last_report is not None
    diagnosis = wizard.send.last_diagnosis
    assert diagnosis is not None and str(diagnosis.category) == account.expect.category


def test_the_real_target_uses_outlooks_settings_and_refuses_other_providers() -> None:
    target = Target("real")
    settings = target.settings("someone@hotmail.co.uk")
    assert (settings.host, settings.port) == ("smtp-mail.outlook.com", 587)
    wizard = SetupWizard(target, address="someone@gmail.com")
    wizard.form.password.value = "abcdabcdabcdabcd"
    wizard.send.button.click()  # refused before any connection
    assert wizard.send.last_report is None
    assert "not a Microsoft address" in (wizard.send.last_error or "")


def test_the_target_switch_changes_the_target(wizard: SetupWizard) -> None:
    wizard.switch.toggle.value = "real"
    assert wizard.target.kind == "real"
    assert wizard.switch.reveal.layout.display == "none"
    wizard.switch.toggle.value = "simulator"
    wizard.switch.reveal.click()
    assert HEALTHY.app_passwords[0] in wizard.switch.revealed.value  # a prop, shown on request


# --- troubleshooting ----------------------------------------------------------------------


def test_a_pasted_error_gets_its_diagnosis_card() -> None:
    form = Troubleshooter("Error: Invalid login: 535 5.7.139 Authentication unsuccessful")
    form.secret.value = "password"
    form.button.click()
    assert form.last_diagnosis is not None
    assert form.last_diagnosis.category is Category.APP_PASSWORD_REQUIRED
    assert "ok-diagnosis" in form.result.value


def test_an_empty_paste_says_what_to_do() -> None:
    form = Troubleshooter()
    form.button.click()
    assert form.last_diagnosis is None
    assert "Paste the whole error message" in (form.last_error or "")


def test_the_catalogue_browser_filters_and_shows_a_cause() -> None:
    browser = CatalogueBrowser()
    browser.search.value = "5.7.60"
    assert "send_as_denied" in [value for _label, value in browser.choice.options]
    entry = browser.show("daily_limit_reached")
    assert entry.category is Category.DAILY_LIMIT_REACHED
    assert entry.title in browser.card.value


@pytest.mark.parametrize("scenario", list(ROSTER), ids=str)
def test_each_trap_run_shows_the_lessons_diagnosis(simulator: Simulator, scenario: str) -> None:
    runner = TrapRunner(simulator)
    runner.choice.value = scenario
    runner.button.click()
    result = runner.last_result
    assert result is not None and result.as_expected
    assert str(result.diagnosis.category) == ROSTER[scenario].expect.category
    assert "ok-stage" in runner.stages.value


def test_run_every_trap_fills_the_table(simulator: Simulator) -> None:
    runner = TrapRunner(simulator)
    runner.run_all_button.click()
    assert set(runner.results) == set(ROSTER)
    assert all(r.as_expected for r in runner.results.values())
    assert runner.table.value.count("<tr>") == len(ROSTER) + 1


def test_the_support_bundle_masks_addresses_holds_no_secret_and_is_saved(
    simulator: Simulator, tmp_path: Any
) -> None:
    runner = TrapRunner(simulator)
    bundle = BundleMaker(runner, folder=tmp_path)
    bundle.button.click()
    assert bundle.last_bundle is None and "no test send" in (bundle.last_error or "")
    runner.run("regular_password")
    bundle.button.click()
    text = bundle.last_bundle
    assert text is not None and "r***@hotmail.co.uk" in text
    assert "regular.password@" not in text
    account = ROSTER["regular_password"]
    for secret in (account.password, *account.app_passwords):
        assert secret not in text
    assert bundle.last_path is not None and bundle.last_path.read_text() == text


def test_the_connection_check_stops_before_signing_in(simulator: Simulator) -> None:
    target = Target("simulator", simulator=simulator)
    check = ConnectionCheck(target, address=HEALTHY.address)
    check.button.click()
    report = check.last_report
    assert report is not None and report.ok
    assert [str(s.stage) for s in report.stages][-2:] == ["ehlo_tls", "quit"]
    assert report.stage("auth") is None
    check.address.value = ""
    check.button.click()
    assert "email address is empty" in (check.last_error or "")


# --- OAuth2 ---------------------------------------------------------------------------------


def test_the_device_code_sign_in_sends_with_the_token_on_the_simulator(
    simulator: Simulator,
) -> None:
    form = OAuthSignIn(Target("simulator", simulator=simulator))
    try:
        form.button.click()
        form.play.click()  # the learner signs in on the simulated Microsoft page
        form.wait()
        assert form.last_error is None
        assert form.last_code is not None and form.last_code.user_code in form.code.value
        report = form.last_report
        assert report is not None and report.ok and str(report.secret_kind) == "oauth_token"
        assert form.signed_in_as == "basic.off@outlook.com"
        assert "ok-success" in form.result.value
        # the same token, with the IMAP scope, finds the test mail in the Inbox
        assert form.last_arrival is not None and form.last_arrival.folder == "Inbox"
        assert "Arrived: in Inbox" in form.arrival.value
        token = ROSTER["basic_auth_disabled"].oauth_tokens[0]
        assert token not in "\n".join(widget_values(form.view)) + repr(report.to_dict())
    finally:
        form.stop()


def test_a_real_sign_in_without_a_client_id_says_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OUTLOOK_KIT_CLIENT_ID", raising=False)
    form = OAuthSignIn(Target("real"), address="someone@outlook.com")
    form.button.click()  # refused before anything reaches Microsoft
    form.wait()
    assert form.last_report is None
    assert "client id" in (form.last_error or "").lower()


# --- the teaching lab ---------------------------------------------------------------------

SOLUTIONS: dict[str, dict[str, Any]] = {
    "pop_refused": {"pop_smtp": True},
    "silent_killer": {"pop_smtp": True},
    "regular_password": {"sign_in_with": "app_password"},
    "no_two_step": {"two_step": True, "sign_in_with": "app_password"},
    "send_as": {"from_addr": "send.as.alias@outlook.com"},
    "server_settings": {"host": "smtp-mail.outlook.com", "port": 587},
    "daily_cap": {"wait_hours": 24},
}


def test_every_exercise_starts_broken_and_its_fix_passes_the_self_check() -> None:
    lab = TeachingLab()
    assert set(SOLUTIONS) == {ex.key for ex in EXERCISES}
    for key, fix in SOLUTIONS.items():
        form = lab.exercise(key)
        form.check_button.click()
        assert form.last_check is not None and not form.last_check.passed, key
        assert form.last_check.why
        for name, value in fix.items():
            getattr(form, name).value = value
        form.check_button.click()
        assert form.last_check.passed, (key, form.last_check.why)
        assert "ok-pass" in form.result.value
    assert all(lab.passed.values())
    assert f"{len(EXERCISES)} of {len(EXERCISES)}" in lab.scoreboard.value


def test_a_half_fix_fails_and_says_why() -> None:
    ex = next(e for e in EXERCISES if e.key == "no_two_step")
    result = self_check(ex, LabSettings(two_step_on=False, sign_in_with="app_password"))
    assert not result.passed and "two-step verification" in result.why
    cap = next(e for e in EXERCISES if e.key == "daily_cap")
    result = self_check(cap, LabSettings(wait_hours=5))
    assert not result.passed
    assert result.diagnosis is not None
    assert result.diagnosis.category is Category.DAILY_LIMIT_REACHED


# --- the send-log explorer ------------------------------------------------------------------


@pytest.fixture(scope="module")
def explorer() -> LogExplorer:
    form = LogExplorer(tz="Europe/Paris")
    form.sample_button.click()
    assert form.last_error is None, form.last_error
    return form


def test_the_sample_log_loads_with_its_report_and_every_chart_is_drawn(
    explorer: LogExplorer,
) -> None:
    report = explorer.last_report
    assert report is not None and report.read == report.loaded + report.skipped > 1000
    assert "ok-load-report" in explorer.report.value
    assert set(explorer.axes) == {"daily", "age", "fleet"}
    assert all(bytes(image.value[:4]) == b"\x89PNG" for image in explorer.images.values())
    daily = explorer.axes["daily"]
    assert len(daily.patches) > 0 and daily.get_legend() is not None  # bars, with a legend
    assert explorer.account.value in explorer.account.options
    assert "ok-headroom" in explorer.account_table.value


def test_picking_another_account_redraws_its_chart(explorer: LogExplorer) -> None:
    before, draws = explorer.axes["daily"], explorer.draws
    other = next(a for a in explorer.account.options if a != explorer.account.value)
    explorer.account.value = other
    after = explorer.axes["daily"]
    assert explorer.draws == draws + 1 and after is not before
    assert other in after.get_title()
    assert explorer.axes["age"] is not None


def test_a_new_cap_model_redraws_every_chart_with_it(explorer: LogExplorer) -> None:
    before = dict(explorer.axes)
    explorer.new_account_cap.value = 250
    assert explorer.last_analysis is not None
    assert explorer.last_analysis.cap_model.new_account_cap == 250
    assert all(explorer.axes[name] is not before[name] for name in before)
    model_line = explorer.axes["age"].get_lines()[0]
    assert model_line.get_ydata()[0] == 250  # the dashed steps start at the new cap
    explorer.new_account_cap.value = 300


def test_a_wrong_time_zone_is_said_in_plain_words(explorer: LogExplorer) -> None:
    explorer.tz.value = "Nowhere/Land"
    assert "unknown time zone" in (explorer.last_error or "")
    explorer.tz.value = "UTC"
    assert explorer.last_error is None and explorer.last_analysis is not None
    assert explorer.last_analysis.tz == "UTC"


def test_an_uploaded_export_is_loaded_and_a_broken_one_explained() -> None:
    from datetime import UTC, datetime

    from outlook_kit.sendlog.data import sample_path

    form = LogExplorer()
    data = sample_path("mailer_csv").read_bytes()
    form.upload.value = (
        {
            "name": "export.csv",
            "type": "text/csv",
            "size": len(data),
            "content": memoryview(data),
            "last_modified": datetime.now(UTC),
        },
    )
    assert form.last_error is None and form.last_report is not None
    assert form.last_report.loaded > 0 and form.draws == 1
    junk = b"\x00\x01\x02 not a log"
    form.upload.value = (
        {
            "name": "photo.jpg.log",
            "type": "",
            "size": len(junk),
            "content": memoryview(junk),
            "last_modified": datetime.now(UTC),
        },
    )
    assert form.last_error and "Traceback" not in form.last_error


# --- the app and the words for errors -------------------------------------------------------


def test_the_app_has_the_wizard_the_troubleshooter_and_the_logs() -> None:
    from outlook_kit.widgets.app import App

    app = App()
    try:
        assert len(app.tabs.children) == 3
        assert [app.tabs.get_title(i) for i in range(3)] == [
            "Set up",
            "Why did it fail?",
            "Daily cap",
        ]
    finally:
        app.wizard.target.stop()


def test_unexpected_errors_are_said_in_words_not_tracebacks() -> None:
    said = plain_error(KeyError("x"))
    assert "KeyError" in said and "Traceback" not in said
    assert plain_error(ConnectionRefusedError(111, "Connection refused")).startswith(
        "The computer refused"
    )
