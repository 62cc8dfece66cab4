"""ipywidgets forms over the kit: thin, they call probe, diagnose and the analysis and render
the results. Each handler records its result on the form (`last_report`, `last_diagnosis`,
...), so tests and unattended runs can read it without a page.

    from outlook_kit.widgets import SetupWizard
    wizard = SetupWizard("simulator", address="healthy@outlook.com")
    wizard          # in a notebook: the four steps, ending in the test send

One module per form: `wizard` (the guide's steps), `credentials` (the form), `target` (the
simulator or the real server), `send` (Send test, result, did it arrive?), `connection`,
`oauth` (the device-code sign-in), `troubleshoot` (paste an error; the catalogue), `traps`,
`bundle`, `lab` (the teaching lab), `logs` (the send-log analysis) and `app` (the Voila page).
"""

from .bundle import BundleMaker
from .connection import ConnectionCheck
from .credentials import CredentialsForm
from .lab import TeachingLab
from .logs import LogExplorer
from .oauth import OAuthSignIn
from .send import SendTest
from .target import Target, TargetSwitch
from .traps import TrapRunner
from .troubleshoot import CatalogueBrowser, Troubleshooter
from .wizard import SetupWizard, StepState

__all__ = [
    "BundleMaker",
    "CatalogueBrowser",
    "ConnectionCheck",
    "CredentialsForm",
    "LogExplorer",
    "OAuthSignIn",
    "SendTest",
    "SetupWizard",
    "StepState",
    "Target",
    "TargetSwitch",
    "TeachingLab",
    "TrapRunner",
    "Troubleshooter",
]
