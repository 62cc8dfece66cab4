"""The charts, tested on their artists: bar heights, line data, bands, markers, spans, labels."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.image import AxesImage

from outlook_kit.analysis import Analysis, analyze
from outlook_kit.caps import CapModel
from outlook_kit.plots import plot_cap_by_age, plot_daily_volume, plot_fleet
from outlook_kit.sendlog.schema import set_dtypes

plt.switch_backend("Agg")  # no window: the charts are tested on their artists

CAP = "550 5.4.1 Recipient address rejected: Access denied"
MODEL = CapModel(new_account_cap=10, growth_per_step=5, step_days=2, mature_cap=0)
A, B = "a@outlook.com", "b@outlook.com"


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def _log() -> pd.DataFrame:
    rows = []

    def add(when: str, account: str, n: int, status: str = "sent") -> None:
        rows.append(
            {
                "time": pd.Timestamp(when),
                "account": account,
                "recipients": tuple(f"r{len(rows)}.{i}@example.com" for i in range(n)),
                "n_recipients": n,
                "status": status,
                "stage": "rcpt_to" if status != "sent" else "data",
                "code": 550 if status != "sent" else 250,
                "enhanced": "5.4.1" if status != "sent" else "2.0.0",
                "text": CAP.split(" ", 2)[2] if status != "sent" else "OK",
                "category": "daily_limit_reached" if status != "sent" else None,
                "source": "hand",
                "line": len(rows) + 1,
            }
        )

    add("2026-01-01T09:00:00Z", A, 6)
    add("2026-01-01T15:00:00Z", A, 4)  # 10: the cap for ages 0-2
    add("2026-01-01T16:00:00Z", A, 1, "rejected")  # a hit
    add("2026-01-02T18:00:00Z", A, 3)  # the pause ends
    add("2026-01-04T10:00:00Z", A, 7)
    add("2026-01-01T10:00:00Z", B, 2)
    add("2026-01-03T10:00:00Z", B, 1)
    return set_dtypes(pd.DataFrame(rows))


@pytest.fixture
def result() -> Analysis:
    created = {A: "2026-01-01", B: "2026-01-01"}
    return analyze(_log(), cap_model=MODEL, created=created)


def test_daily_volume_draws_a_bar_per_day_with_that_days_recipients(result: Analysis) -> None:
    ax = plot_daily_volume(result, A)
    import matplotlib.dates as mdates

    bars = list(ax.containers[0])
    assert [round(b.get_height()) for b in bars] == [10, 3, 7]  # Jan 1, 2, 4 (none on the 3rd)
    middles = [mdates.num2date(b.get_x() + b.get_width() / 2) for b in bars]
    assert [(m.day, m.hour) for m in middles] == [(1, 12), (2, 12), (4, 12)]  # mid-day


def test_daily_volume_draws_the_assumed_cap_by_age_as_a_labelled_line(result: Analysis) -> None:
    ax = plot_daily_volume(result, A)
    line = next(ln for ln in ax.get_lines() if "assumption" in ln.get_label())
    assert list(line.get_ydata()) == [10.0, 10.0, 15.0]  # +5 every 2 days of age


def test_daily_volume_shows_the_inferred_band_the_hits_and_the_pause(result: Analysis) -> None:
    ax = plot_daily_volume(result, A)
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert bands, "the inferred cap is drawn as a band"
    ys = bands[0].get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(10) and ys.max() <= 11
    hits = next(c for c in ax.collections if c.get_label().startswith("cap hit"))
    assert len(hits.get_offsets()) == 1  # one day with a hit
    assert hits.get_offsets()[0][1] == 10
    pauses = [p for p in ax.patches if p.get_label().startswith("pause")]
    assert len(pauses) == 1
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("assumption" in label for label in labels)
    assert "inferred" in " ".join(labels)
    assert ax.get_title() == "Recipients per day of a@outlook.com against the daily cap"
    assert ax.get_ylabel() == "recipients per day"
    assert "UTC" in ax.get_xlabel()


def test_daily_volume_picks_the_account_closest_to_its_cap(result: Analysis) -> None:
    assert plot_daily_volume(result).get_title().endswith(f"{A} against the daily cap")


def test_an_unknown_account_is_refused(result: Analysis) -> None:
    with pytest.raises(KeyError, match=r"no account 'c@outlook\.com'"):
        plot_daily_volume(result, "c@outlook.com")


def test_cap_by_age_draws_the_model_and_the_estimates(result: Analysis) -> None:
    ax = plot_cap_by_age(result)
    model = next(ln for ln in ax.get_lines() if "assumption" in ln.get_label())
    x, y = model.get_xdata(), model.get_ydata()
    assert y[0] == 10 and y[list(x).index(2)] == 15
    bars = [c for c in ax.containers if c.get_label().startswith("inferred from the log")]
    assert len(bars) == 1
    points = bars[0].lines[0].get_ydata()
    assert list(points) == [10.0]  # A's first band: exactly 10
    lower = next(c for c in ax.collections if c.get_label().startswith("inferred: at least"))
    assert len(lower.get_offsets()) >= 1
    assert "age" in ax.get_xlabel()


def test_fleet_colours_each_account_day_by_its_share_of_the_cap(result: Analysis) -> None:
    ax = plot_fleet(result)
    image = next(i for i in ax.get_images() if isinstance(i, AxesImage))
    values = np.ma.filled(image.get_array(), np.nan)
    assert values.shape == (2, 4)  # 2 accounts, Jan 1 to 4
    assert [t.get_text() for t in ax.get_yticklabels()] == [A, B]
    assert values[0, 0] == pytest.approx(1.0)  # A used all 10 on Jan 1
    assert values[1, 0] == pytest.approx(0.2)  # B sent 2 of 10
    assert np.isnan(values[1, 1])  # B did not send on Jan 2
    colorbar = ax.figure.axes[-1]
    assert "share of the daily cap" in colorbar.get_ylabel()


def test_fleet_takes_a_daily_frame_too(result: Analysis) -> None:
    ax = plot_fleet(result.daily)
    assert len(ax.get_images()) == 1


def test_charts_draw_on_a_given_axes(result: Analysis) -> None:
    _, axes = plt.subplots(1, 3)
    assert plot_daily_volume(result, A, ax=axes[0]) is axes[0]
    assert plot_cap_by_age(result, ax=axes[1]) is axes[1]
    assert plot_fleet(result, ax=axes[2]) is axes[2]
