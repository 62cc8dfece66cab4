"""The sample data: made by the simulator, documented, and read back with dtypes set."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from outlook_kit.sendlog import LOG_FIELDS, SAMPLE_CREATED, SendLogError, load_sample_log
from outlook_kit.sendlog.data import DATA_DIR_ENV, SAMPLES, data_dir, sample_path
from outlook_kit.sendlog.sample import HABITS, SAMPLE_START, main

README = data_dir() / "README.md"


def test_load_sample_log_sets_the_dtypes() -> None:
    frame = load_sample_log()
    assert str(frame["time"].dtype) == "datetime64[us, UTC]"
    for name in ("account", "status", "stage", "category", "source"):
        assert isinstance(frame[name].dtype, pd.CategoricalDtype), name
    assert str(frame["n_recipients"].dtype) == "Int32"
    assert set(frame["account"].cat.categories) == set(SAMPLE_CREATED)
    assert frame["time"].min() >= pd.Timestamp(SAMPLE_START)
    assert frame["time"].max() < pd.Timestamp(SAMPLE_START + timedelta(days=120))
    assert {"daily_limit_reached", "recipient_rejected"} <= set(frame["category"].dropna())


def test_the_sample_is_the_kits_own_log_format() -> None:
    with gzip.open(sample_path(), "rt", encoding="utf-8") as fh:
        first = json.loads(fh.readline())
    assert list(first) == list(LOG_FIELDS)


@pytest.mark.parametrize("name", sorted(set(SAMPLES) - {"sendlog"}))
def test_the_other_samples_load(name: str) -> None:
    frame = load_sample_log(name)
    assert len(frame) > 50
    assert frame["account"].nunique() == 1


def test_the_creation_dates_are_the_simulators_ages() -> None:
    for habit in HABITS:
        assert SAMPLE_CREATED[habit.address] == SAMPLE_START - timedelta(days=habit.age_days)


def test_the_readme_gives_the_command_and_every_file() -> None:
    text = README.read_text()
    assert "python -m outlook_kit.sendlog.sample" in text
    assert "synthetic" in text
    for file in SAMPLES.values():
        assert f"`{file}`" in text, file
    for field in LOG_FIELDS:
        assert f"`{field}`" in text, field


def test_a_missing_sample_says_how_to_make_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(SendLogError, match=r"python -m outlook_kit\.sendlog\.sample"):
        load_sample_log()
    with pytest.raises(SendLogError, match="no sample named 'x'"):
        load_sample_log("x")


def test_the_generating_command_writes_every_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--days", "2", "--out", str(tmp_path)]) == 0
    assert "sends of 5 accounts over 2 days" in capsys.readouterr().out
    for file in SAMPLES.values():
        assert (tmp_path / file).stat().st_size > 0, file
