"""A local stand-in for smtp-mail.outlook.com, for lessons and tests.

    from outlook_kit.simulator import Simulator
    with Simulator() as sim:          # STARTTLS on 127.0.0.1:sim.port, CA in sim.ca_file
        ...                           # send as a roster account; read sim.mailbox

Modules: `roster` (demo accounts and their traits), `rules` (Outlook's decisions),
`limits` (cap window, pause, sender threads), `replies` (reply texts and sources),
`server` (aiosmtpd protocol and handler), `runner` (the thread), `clock`,
`mailbox`, `faults`, `certs`, `redaction` (keeps AUTH payloads out of logs).
"""

from outlook_kit.simulator.clock import SimClock, SystemClock
from outlook_kit.simulator.faults import Faults
from outlook_kit.simulator.mailbox import Delivered
from outlook_kit.simulator.roster import Account, default_roster
from outlook_kit.simulator.runner import Simulator

__all__ = [
    "Account",
    "Delivered",
    "Faults",
    "SimClock",
    "Simulator",
    "SystemClock",
    "default_roster",
]
