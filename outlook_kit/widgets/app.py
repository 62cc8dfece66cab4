"""The web app (served by Voilà with `make app`): the setup wizard, the troubleshooter and the
log analysis, on three tabs, for people who never open a notebook.

Whatever goes wrong shows in the page in plain words: each form catches its user's mistakes,
and `show_app` catches a failure to build the page itself.
"""

from __future__ import annotations

import os
from typing import Any

import ipywidgets as w

from ._ui import Shown, error_html, plain_error
from .logs import LogExplorer
from .oauth import OAuthSignIn
from .troubleshoot import CatalogueBrowser, Troubleshooter
from .wizard import SetupWizard

TITLE = "outlook-kit: send mail through Outlook.com"
TAB_TITLES = ("Set up", "Why did it fail?", "Daily cap")


class App(Shown):
    """Three tabs: set up, troubleshoot, log analysis.

    Args:
        target: where test sends go: "simulator" (the default) or "real".
        log_path: a send log to append each test send's record to, or None.
    """

    def __init__(
        self, target: str = "simulator", *, log_path: str | os.PathLike[str] | None = None
    ) -> None:
        self.wizard = SetupWizard(target, log_path=log_path)
        self.oauth = OAuthSignIn(self.wizard.target)
        oauth = w.Accordion(
            children=[self.oauth.view],
            titles=("App Password refused? Sign in with OAuth2 (a device code) instead",),
        )
        oauth.selected_index = None
        self.troubleshooter = Troubleshooter()
        self.catalogue = CatalogueBrowser()
        self.logs = LogExplorer()
        browse = w.Accordion(children=[self.catalogue.view], titles=("Browse every known cause",))
        browse.selected_index = None
        self.tabs = w.Tab(
            children=[
                w.VBox([self.wizard.view, oauth]),
                w.VBox([self.troubleshooter.view, browse]),
                self.logs.view,
            ],
            titles=TAB_TITLES,
        )
        header = w.HTML(
            f"<h2 style='margin:4px 0'>{TITLE}</h2><div style='color:#555'>Practise on the "
            "built-in simulator (nothing leaves this computer), then set up your own account. "
            "Paste any error to find its cause, or load a send log to see the daily cap."
            "</div>"
        )
        self.view = w.VBox([header, self.tabs])


def show_app(target: str = "simulator") -> Any:
    """The app, or, if it cannot be built, a page saying why in plain words."""
    try:
        return App(target)
    except Exception as error:
        return w.HTML(error_html(f"The app could not start: {plain_error(error)}"))
