"""The cap model: the guide's figures as visible, overridable defaults."""

import pytest

from outlook_kit.caps import CapModel


def test_a_new_account_gets_about_300_a_day() -> None:
    assert CapModel().cap_for_age(0) == 300


def test_the_cap_grows_with_age_and_more_after_six_months() -> None:
    model = CapModel()
    caps = [model.cap_for_age(days) for days in (0, 29, 30, 90, 181, 182, 3650)]
    assert caps == sorted(caps)
    assert model.cap_for_age(30) > model.cap_for_age(29)
    assert model.cap_for_age(182) >= model.mature_cap > model.cap_for_age(181)
    assert model.cap_for_age(100_000) == model.ceiling == 5000


def test_every_parameter_can_be_overridden() -> None:
    model = CapModel(new_account_cap=15, growth_per_step=0, mature_cap=0)
    assert model.cap_for_age(400) == 15
    assert "assumed" in model.label


@pytest.mark.parametrize(
    "kwargs", [{"new_account_cap": 0}, {"window_hours": 0}, {"growth_per_step": -1}]
)
def test_impossible_parameters_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="CapModel"):
        CapModel(**kwargs)  # type: ignore[arg-type]


def test_a_negative_age_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        CapModel().cap_for_age(-1)
