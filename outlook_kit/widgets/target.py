"""Where a test send goes: the built-in simulator (the default, started in this process on
first use) or the real Outlook.com; and the switch between them.
"""

from __future__ import annotations

import atexit
import dataclasses
import os
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..accounts import (
    Credentials,
    SmtpSettings,
    normalise_app_password,
    settings_for,
    validate_address,
)
from ..arrival import DEFAULT_TIMEOUT_S, Arrival, ImapSettings, check_arrival
from ..errors import UsageError
from ..probe import ProbeReport
from ._ui import Shown, card, esc, run_coroutine

if TYPE_CHECKING:
    from ..simulator import Simulator

SIMULATOR = "simulator"
REAL = "real"
KINDS = (SIMULATOR, REAL)
PRACTICE_ADDRESS = "healthy@outlook.com"


class Target:
    """The server test sends go to.

    Args:
        kind: "simulator" (practise offline against the built-in stand-in for
            smtp-mail.outlook.com) or "real" (your Outlook.com account at Microsoft).
        simulator: a running Simulator to use; by default one is started on first use, in
            this process, on a free port of 127.0.0.1.
        app_password_env: unattended runs only: the name of an environment variable holding
            an App Password; the simulator's practice account takes it as its App Password
            (as if you had created it at step 3), so the value never appears in a notebook.
        practice_address: the practice account that `app_password_env` applies to.
    """

    def __init__(
        self,
        kind: str = SIMULATOR,
        *,
        simulator: Simulator | None = None,
        app_password_env: str | None = None,
        practice_address: str = PRACTICE_ADDRESS,
    ) -> None:
        self.kind = kind
        self._simulator = simulator
        self._owns_simulator = simulator is None
        self._app_password_env = app_password_env or None
        self.practice_address = practice_address

    @property
    def kind(self) -> str:
        return self._kind

    @kind.setter
    def kind(self, value: str) -> None:
        if value not in KINDS:
            raise UsageError(
                f"the target is 'simulator' (practice, offline) or 'real' (your Outlook.com "
                f"account), not {value!r}"
            )
        self._kind = value

    @property
    def is_simulator(self) -> bool:
        return self.kind == SIMULATOR

    @property
    def simulator(self) -> Simulator:
        """The simulator, started in this process on first use."""
        if self._simulator is None:
            from ..simulator import Simulator, default_roster

            roster = default_roster()
            typed = os.environ.get(self._app_password_env or "", "")
            if typed:
                roster = [
                    dataclasses.replace(a, app_passwords=(normalise_app_password(typed),))
                    if a.address == self.practice_address
                    else a
                    for a in roster
                ]
            self._simulator = Simulator(roster=roster).start()
            atexit.register(self.stop)  # the kernel's exit removes the CA file too
        return self._simulator

    def settings(self, address: str) -> SmtpSettings:
        """Where to send as `address`: the simulator's address, or Outlook.com's settings."""
        address = validate_address(address)
        if self.is_simulator:
            sim = self.simulator
            return SmtpSettings(sim.host, sim.port, cafile=sim.ca_file)
        found = settings_for(address)
        if found.smtp is None:
            raise UsageError(f"{address}: {found.note}")
        return found.smtp

    def describe(self, address: str = "") -> str:
        if self.is_simulator:
            return "the built-in simulator (nothing leaves this computer)"
        try:
            smtp = self.settings(address) if address else None
        except UsageError:
            smtp = None
        where = f"{smtp.host}:{smtp.port}" if smtp else "smtp-mail.outlook.com:587"
        return f"Microsoft's server {where}"

    def imap_settings(self, smtp: SmtpSettings) -> ImapSettings | None:
        """Where the arrival check looks: the simulator's IMAP (None if it serves none), or
        the IMAP server beside the real submission server (outlook.office365.com:993)."""
        if self.is_simulator:
            return self.simulator.imap_settings()
        return ImapSettings.beside(smtp)

    @property
    def arrival_timeout(self) -> float:
        """Seconds the arrival check keeps looking: the simulator files a message before it
        answers 250, so one look; Outlook.com can take a minute."""
        return 0.0 if self.is_simulator else DEFAULT_TIMEOUT_S

    def check_arrival(
        self, smtp: SmtpSettings, credentials: Credentials, report: ProbeReport
    ) -> Arrival | None:
        """ "Did it arrive?" answered over IMAP with the credentials the send used; None when
        nothing was sent or this server offers no IMAP to look with."""
        imap = self.imap_settings(smtp)
        if imap is None or not report.sent or not report.token:
            return None
        to_self = credentials.user.casefold() in {r.casefold() for r in report.recipients}
        token, timeout = report.token, self.arrival_timeout
        return run_coroutine(
            lambda: check_arrival(imap, credentials, token, to_self=to_self, timeout=timeout)
        )

    def practice_secret(self, address: str) -> str | None:
        """The App Password prop of a simulator practice account (None off the simulator)."""
        if not self.is_simulator:
            return None
        try:
            account = self.simulator.account(address)
        except KeyError:
            return None
        return account.app_passwords[0] if account.app_passwords else None

    def stop(self) -> None:
        """Stop the simulator if this target started it."""
        if self._simulator is not None and self._owns_simulator:
            self._simulator.stop()
            self._simulator = None

    def __repr__(self) -> str:
        return f"Target({self.kind!r})"


class TargetSwitch(Shown):
    """ "Practice on the built-in simulator" (the default) or "my Outlook.com account"."""

    def __init__(self, target: Target, *, address: Any = None) -> None:
        self.target = target
        self._address = address  # a widget whose .value is the address in the form, if any
        self.toggle = w.ToggleButtons(
            options=[
                ("Practice on the built-in simulator", SIMULATOR),
                ("My Outlook.com account", REAL),
            ],
            value=target.kind,
            description="Send to",
            style={"description_width": "initial", "button_width": "auto"},
        )
        self.note = w.HTML()
        self.reveal = w.Button(
            description="Show the practice App Password",
            tooltip="The simulator's practice accounts have App Passwords that are props, "
            "not secrets",
            layout=w.Layout(width="auto"),
        )
        self.revealed = w.HTML()
        self.toggle.observe(self._switched, names="value")
        self.reveal.on_click(self._reveal)
        self.view = w.VBox([self.toggle, self.note, w.HBox([self.reveal]), self.revealed])
        self._render()

    def _switched(self, change: dict[str, Any]) -> None:
        self.target.kind = change["new"]
        self.revealed.value = ""
        self._render()

    def _render(self) -> None:
        if self.target.is_simulator:
            self.note.value = card(
                "info",
                "Practising on the built-in simulator",
                "<div>It answers like smtp-mail.outlook.com and runs inside this notebook, so "
                "nothing leaves this computer. Sign in as <code>healthy@outlook.com</code> "
                "(set up as the guide says), <code>regular.password@hotmail.co.uk</code>, "
                "<code>pop.silent@live.com</code> or another practice account: each one teaches "
                "one of the traps.</div>",
            )
            self.reveal.layout.display = None
        else:
            self.note.value = card(
                "warn",
                "Sending through your Outlook.com account",
                "<div>The test goes to Microsoft's server with the App Password you type. It "
                "is read when you click Send, used once, and the box is cleared.</div>",
            )
            self.reveal.layout.display = "none"

    def _reveal(self, _button: Any = None) -> None:
        address = str(getattr(self._address, "value", "") or PRACTICE_ADDRESS).strip()
        secret = self.target.practice_secret(address)
        if secret is None:
            self.revealed.value = card(
                "muted",
                "No practice App Password",
                f"<div>{esc(address)} is not a practice account with an App Password.</div>",
            )
            return
        self.revealed.value = card(
            "muted",
            f"Practice App Password of {address}",
            f"<div><code>{esc(secret)}</code> (a prop for practice, not a secret; a real one "
            "is shown once by Microsoft and never again)</div>",
        )
