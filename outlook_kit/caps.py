"""The daily sending cap as a function of account age: an assumption with visible parameters.

Microsoft publishes no cap for free Outlook.com accounts. The setup guide the kit
teaches says about 300 messages a day for a new account, growing as the account ages
and earns reputation, with more after six months of steady sending. Microsoft's
published figure for Microsoft 365 subscribers (5,000 recipients a day) is the
ceiling. Limits count recipients, not messages. The simulator and the log analysis
share this model, so the cap a learner meets in practice is the curve the charts draw.
"""

from __future__ import annotations

from dataclasses import dataclass

ASSUMPTION_LABEL = (
    "assumed cap (setup guide's ~300/day for new accounts, growing with age; "
    "Microsoft publishes no figure for free accounts)"
)


@dataclass(frozen=True)
class CapModel:
    """Daily recipient cap by account age; every parameter can be overridden.

    Attributes:
        new_account_cap: recipients a day for an account younger than one growth step.
        growth_per_step: recipients added for each full step of account age.
        step_days: the length of one growth step in days.
        mature_after_days: from this age on the account counts as established.
        mature_cap: the cap of an established account (the guide's "more after 6 months").
        ceiling: the cap never exceeds this (Microsoft's published 5,000 for subscribers).
        window_hours: the window the cap applies over (rolling; Microsoft does not publish it).
        pause_hours: how long sending pauses after the cap is met (the guide: about 24 hours).
    """

    new_account_cap: int = 300
    growth_per_step: int = 50
    step_days: int = 30
    mature_after_days: int = 182
    mature_cap: int = 1000
    ceiling: int = 5000
    window_hours: float = 24.0
    pause_hours: float = 24.0
    label: str = ASSUMPTION_LABEL

    def __post_init__(self) -> None:
        for name in ("new_account_cap", "step_days", "ceiling"):
            if getattr(self, name) <= 0:
                raise ValueError(f"CapModel.{name} must be positive, got {getattr(self, name)}")
        if self.growth_per_step < 0 or self.mature_after_days < 0 or self.mature_cap < 0:
            raise ValueError("CapModel growth, maturity age and mature cap cannot be negative")
        if self.window_hours <= 0 or self.pause_hours < 0:
            raise ValueError("CapModel.window_hours must be positive and pause_hours not negative")

    def cap_for_age(self, age_days: float) -> int:
        """The daily recipient cap for an account `age_days` old."""
        if age_days < 0:
            raise ValueError(f"account age cannot be negative ({age_days} days)")
        grown = self.new_account_cap + self.growth_per_step * int(age_days // self.step_days)
        if age_days >= self.mature_after_days:
            grown = max(grown, self.mature_cap)
        return min(grown, self.ceiling)
