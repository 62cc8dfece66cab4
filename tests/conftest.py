"""Shared fixtures: a simulator per test, configured by markers.

@pytest.mark.simulator(clock=SimClock(), cap_model=CapModel(new_account_cap=5))
def test_x(simulator): ...

@pytest.mark.scenario("cap_reached")   # that scenario's account first in the roster
def test_y(simulator): ...
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from outlook_kit.simulator import Simulator, default_roster


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "simulator(**kwargs): keyword arguments for the simulator fixture's Simulator(...)",
    )


@pytest.fixture
def simulator(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    """A Simulator on a free loopback port for one test, stopped at teardown."""
    marker = request.node.get_closest_marker("simulator")
    kwargs = dict(marker.kwargs) if marker else {}
    scenario = request.node.get_closest_marker("scenario")
    if scenario is not None:
        name = scenario.args[0] if scenario.args else scenario.kwargs["name"]
        roster = list(kwargs.get("roster") or default_roster())
        chosen = [a for a in roster if a.scenario == name]
        if not chosen:
            pytest.fail(f"no roster account has scenario {name!r}")
        kwargs["roster"] = chosen + [a for a in roster if a.scenario != name]
    sim = Simulator(**kwargs).start()
    try:
        yield sim
    finally:
        sim.stop()
