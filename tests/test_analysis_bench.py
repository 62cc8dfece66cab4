"""The fleet benchmark runs end to end at a tiny size (the figures themselves live in
benchmarks/, never in a test: no timed assertions here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_analysis.py"


def test_the_benchmark_runs_and_its_contenders_agree(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_analysis", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--rows", "3000", "--accounts", "8", "--days", "10"]) == 0
    out = capsys.readouterr().out
    for name in ("kit", "duckdb", "pandas"):
        assert f"\n{name} " in out or out.startswith(f"{name} ") or f"{name}  " in out
    assert "kit / duckdb: time" in out and "kit / pandas: time" in out
    assert "kit vs duckdb: aggregates agree" in out
    assert "pandas vs duckdb: aggregates agree" in out
    assert "rolling maximum agrees" in out and "DIFFER" not in out
