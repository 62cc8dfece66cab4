"""Sign in with OAuth2 (Microsoft's device-code flow), for accounts that refuse App Passwords:
the page shows a link and a short code, you sign in on any device, and the test send signs
in with the token (SASL XOAUTH2) instead of a password.

On the simulator, a local stand-in plays Microsoft's sign-in service, and a button plays
you at its page. The sign-in waits in a worker thread, so the page stays usable meanwhile;
`wait()` joins it. The token cache of a practice sign-in lives in a private temporary
folder that is removed when the sign-in ends; a real sign-in uses the kit's token cache
(`outlook_kit.oauth.default_token_cache_path()`).
"""

from __future__ import annotations

import asyncio
import atexit
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..accounts import Credentials, validate_address
from ..arrival import IMAP_SCOPE, Arrival
from ..diagnosis import diagnose
from ..message import TestMessage
from ..probe import ProbeReport, StageResult, probe
from ._ui import Shown, card, error_html, esc, plain_error
from .cards import arrival_card, diagnosis_card, stage_rows, success_card
from .target import Target

if TYPE_CHECKING:
    from ..oauth import DeviceCode, MicrosoftIdentity
    from ..simulator.identity import IdentityStandIn

PRACTICE_OAUTH_ADDRESS = "basic.off@outlook.com"
CODE_WAIT_S = 30.0  # how long the simulated page waits for the code to be asked for


class OAuthSignIn(Shown):
    """A device-code sign-in, then a test send with the token.

    Args:
        target: the simulator (a local stand-in signs you in) or the real Outlook.com.
        address: the account to sign in as.
        client_id: for the real target, the Application (client) ID of the app you registered
            (default `$OUTLOOK_KIT_CLIENT_ID`); the simulator's stand-in knows its own.
    """

    def __init__(
        self, target: Target, *, address: str = PRACTICE_OAUTH_ADDRESS, client_id: str = ""
    ) -> None:
        self.target = target
        style = {"description_width": "9em"}
        self.address = w.Text(
            value=address, description="Sign in as", style=style, layout=w.Layout(width="34em")
        )
        self.client_id = w.Text(
            value=client_id,
            description="Client id",
            placeholder="your app's Application (client) ID (real accounts only)",
            style=style,
            layout=w.Layout(width="34em"),
        )
        self.button = w.Button(
            description="Sign in with Microsoft", button_style="primary", icon="sign-in"
        )
        self.button.layout.width = "auto"
        self.play = w.Button(
            description="Sign in on the simulated Microsoft page",
            icon="user",
            layout=w.Layout(width="auto", display="none"),
        )
        self.code = w.HTML()
        self.message = w.HTML()
        self.stages = w.HTML()
        self.result = w.HTML()
        self.arrival = w.HTML()
        self.button.on_click(self._start)
        self.play.on_click(self._play)
        self.view = w.VBox(
            [
                self.address,
                self.client_id,
                self.button,
                self.code,
                self.play,
                self.message,
                self.stages,
                self.result,
                self.arrival,
            ]
        )
        self.last_code: DeviceCode | None = None
        self.last_report: ProbeReport | None = None
        self.last_arrival: Arrival | None = None
        self.last_error: str | None = None
        self.signed_in_as: str | None = None
        self._standin: IdentityStandIn | None = None
        self._thread: threading.Thread | None = None
        self._code_ready = threading.Event()
        self._render_target()

    # --- what the buttons do ----------------------------------------------------------------

    def start(self) -> None:
        """What *Sign in with Microsoft* does: ask for a code, then wait (in a thread)."""
        self._start()

    def sign_in_on_simulated_page(self) -> None:
        """What the simulator's button does: enter the code and sign in, as you would."""
        self._play()

    def wait(self) -> None:
        """Wait until the sign-in and the test send are over."""
        if self._thread is not None:
            self._thread.join()

    def run_on_simulator(self) -> ProbeReport | None:
        """Unattended runs: start, sign in on the simulated page, wait. Off the simulator,
        does nothing (a real sign-in needs you at Microsoft's page)."""
        if not self.target.is_simulator:
            return None
        self.start()
        self.sign_in_on_simulated_page()
        self.wait()
        return self.last_report

    def stop(self) -> None:
        """Stop the practice sign-in service, if one was started."""
        if self._standin is not None:
            self._standin.stop()
            self._standin = None

    # --- the work ---------------------------------------------------------------------------

    def _render_target(self) -> None:
        simulated = self.target.is_simulator
        self.client_id.layout.display = "none" if simulated else None

    def _start(self, _button: Any = None) -> None:
        if self._thread is not None and self._thread.is_alive():
            self.message.value = error_html("A sign-in is already waiting: finish it first.")
            return
        self._render_target()
        self.message.value = self.code.value = self.stages.value = self.result.value = ""
        self.arrival.value = ""
        self.last_error = None
        self.last_report = None
        self.last_arrival = None
        self.last_code = None
        self._code_ready.clear()
        try:
            address = validate_address(self.address.value)
            settings = self.target.settings(address)
            identity, cache_dir = self._identity()
        except Exception as error:
            self._fail(error)
            return
        self.button.disabled = True
        self.message.value = card("info", "Asking Microsoft for a sign-in code\u2026")
        self._thread = threading.Thread(
            target=self._sign_in_and_send,
            args=(identity, address, settings, cache_dir),
            name="outlook-kit-oauth",
            daemon=True,
        )
        self._thread.start()

    def _identity(self) -> tuple[MicrosoftIdentity, Path | None]:
        from ..oauth import SMTP_SEND_SCOPE, MicrosoftIdentity

        scopes = (SMTP_SEND_SCOPE, IMAP_SCOPE)  # the send, and the arrival check over IMAP

        if not self.target.is_simulator:
            return (
                MicrosoftIdentity(
                    self.client_id.value.strip() or None, scopes=scopes, on_code=self._show_code
                ),
                None,
            )
        from ..simulator.identity import DEMO_CLIENT_ID, IdentityStandIn

        if self._standin is None:
            self._standin = IdentityStandIn(roster=self.target.simulator.roster).start()
            atexit.register(self.stop)
        cache_dir = Path(tempfile.mkdtemp(prefix="outlook-kit-oauth-"))
        identity = MicrosoftIdentity(
            DEMO_CLIENT_ID,
            authority=self._standin.authority(),
            cafile=self._standin.ca_file,
            token_cache=cache_dir / "token-cache.json",
            scopes=scopes,
            on_code=self._show_code,
        )
        return identity, cache_dir

    def _show_code(self, code: DeviceCode) -> None:
        self.last_code = code
        self.code.value = card("info", "Sign in at Microsoft", code._repr_html_())
        self.message.value = card("muted", "Waiting for you to sign in\u2026")
        self.play.layout.display = None if self.target.is_simulator else "none"
        self._code_ready.set()

    def _play(self, _button: Any = None) -> None:
        standin = self._standin
        if standin is None or not self._code_ready.wait(CODE_WAIT_S) or self.last_code is None:
            self.message.value = error_html("Click *Sign in with Microsoft* first.")
            return
        standin.sign_in(self.last_code.user_code, self.address.value.strip())
        self.play.layout.display = "none"

    def _sign_in_and_send(
        self, identity: MicrosoftIdentity, address: str, settings: Any, cache_dir: Path | None
    ) -> None:
        events: list[StageResult] = []

        def tick(result: StageResult) -> None:
            events.append(result)
            self.stages.value = stage_rows(events, running=True)

        try:
            token = identity.get_token(address)
            self.signed_in_as = identity.signed_in_as
            credentials = Credentials.oauth_token(address, token)
            self.message.value = card(
                "ok", "Signed in", f"<div>Signed in as {esc(self.signed_in_as or address)}.</div>"
            )
            clock = self.target.simulator.clock.now if self.target.is_simulator else None
            report = asyncio.run(
                probe(
                    settings,
                    credentials,
                    message=TestMessage(address, (address,)),
                    on_stage=tick,
                    clock=clock,
                )
            )
            self.last_report = report
            self.stages.value = stage_rows(report.stages)
            if report.ok:
                self.result.value = success_card(report)
                self.last_arrival = self.target.check_arrival(settings, credentials, report)
                if self.last_arrival is not None:
                    self.arrival.value = arrival_card(self.last_arrival)
            else:
                self.result.value = diagnosis_card(
                    diagnose(report), headline=f"The send stopped: {report.failure}."
                )
        except Exception as error:
            self._fail(error)
            return
        finally:
            self.button.disabled = False
            self.play.layout.display = "none"
            if cache_dir is not None:
                shutil.rmtree(cache_dir, ignore_errors=True)

    def _fail(self, error: BaseException) -> None:
        self.last_error = plain_error(error)
        self.message.value = error_html(self.last_error)
