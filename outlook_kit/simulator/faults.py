"""Network faults the simulator can put in front of the Outlook behaviour.

They stand in for what sits between a client and smtp-mail.outlook.com: a firewall
that swallows the greeting, an overloaded front end, a proxy that cuts the line, a
slow path. `Simulator.faults` may be replaced while it runs; each connection reads
the current value at every step.
"""

from __future__ import annotations

from dataclasses import dataclass

from outlook_kit.protocol import Stage

DROP_STAGES = frozenset(
    {
        Stage.BANNER,
        Stage.EHLO,
        Stage.STARTTLS,
        Stage.EHLO_TLS,
        Stage.AUTH,
        Stage.MAIL_FROM,
        Stage.RCPT_TO,
        Stage.DATA,
        Stage.QUIT,
    }
)


@dataclass(frozen=True)
class Faults:
    """What goes wrong on the way.

    Attributes:
        silent_banner: accept the connection and never send a greeting.
        banner_421: greet with `421 4.3.2 Service not available, ...` and close.
        drop_at: close the connection, without a reply, when the client sends the command
            of this stage (`Stage.BANNER`: close right after accepting).
        reply_delay_s: wait this long before every reply.
    """

    silent_banner: bool = False
    banner_421: bool = False
    drop_at: Stage | None = None
    reply_delay_s: float = 0.0

    def __post_init__(self) -> None:
        if self.drop_at is not None:
            stage = Stage(self.drop_at)
            if stage not in DROP_STAGES:
                names = ", ".join(sorted(s.value for s in DROP_STAGES))
                raise ValueError(
                    f"drop_at={stage.value!r} is not a server-side stage; use one of {names}"
                )
            object.__setattr__(self, "drop_at", stage)
        if self.reply_delay_s < 0:
            raise ValueError(f"reply_delay_s cannot be negative ({self.reply_delay_s})")
        if self.silent_banner and self.banner_421:
            raise ValueError("choose silent_banner or banner_421, not both")
