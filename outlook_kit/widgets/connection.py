"""Can this computer reach the server and start encryption? A check that signs in to nothing:
it stops after the second EHLO, before AUTH, so no password is needed or sent."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ..accounts import Credentials
from ..probe import ProbeReport, probe
from ..protocol import Stage
from ..secret import Secret
from ._ui import Shown, card, error_html, esc, plain_error, run_coroutine
from .cards import stage_rows
from .target import Target

_NOT_SENT = Secret("never-sent-the-check-stops-before-auth")


class ConnectionCheck(Shown):
    """Look up the server, connect, read its greeting, start TLS, and stop before signing in."""

    def __init__(self, target: Target | str = "simulator", *, address: str = "") -> None:
        self.target = target if isinstance(target, Target) else Target(target)
        self.address = w.Text(
            value=address,
            description="Email address",
            placeholder="you@outlook.com",
            style={"description_width": "9em"},
            layout=w.Layout(width="34em"),
        )
        self.button = w.Button(description="Check the connection", icon="plug")
        self.button.layout.width = "auto"
        self.message = w.HTML()
        self.stages = w.HTML()
        self.button.on_click(self._run)
        self.view = w.VBox([self.address, self.button, self.message, self.stages])
        self.last_report: ProbeReport | None = None
        self.last_error: str | None = None

    def run(self) -> ProbeReport | None:
        """What the button does."""
        self._run()
        return self.last_report

    def _run(self, _button: Any = None) -> None:
        self.message.value = ""
        self.last_error = None
        try:
            settings = self.target.settings(self.address.value)
            credentials = Credentials(self.address.value.strip(), _NOT_SENT)
            report = run_coroutine(lambda: probe(settings, credentials, stop_after=Stage.EHLO_TLS))
        except Exception as error:
            self.last_error = plain_error(error)
            self.message.value = error_html(self.last_error)
            return
        self.last_report = report
        self.stages.value = stage_rows(report.stages, stop_after=Stage.EHLO_TLS)
        where = f"{report.host}:{report.port}"
        if report.ok:
            tls = f" ({report.tls.version})" if report.tls else ""
            self.message.value = card(
                "ok",
                "The server answers and encryption starts",
                f"<div>{esc(where)} greeted this computer and started TLS{esc(tls)}; it offers "
                f"sign-in with {esc(', '.join(report.auth_mechanisms) or 'nothing')}. Nothing "
                "was signed in to and no password was sent.</div>",
            )
        else:
            self.message.value = card(
                "fail",
                "The connection check stopped",
                f"<div>{esc(report.failure)}</div><div>Nothing was signed in to and no password "
                "was sent.</div>",
            )
