# The two commands of the README's quick start: `make lab` and `make test`.
# Both create the virtual environment .venv with pip on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: lab test lint simulate bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("outlook-kit needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

# Jupyter refuses to run as root unless told; containers and CI machines often are root.
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP_RUN)
	cd notebooks && ../$(BIN)/jupyter lab $(LAB_FLAGS)

test: $(STAMP_TEST) lint
	$(BIN)/python -m pytest

lint: $(STAMP_TEST)
	$(BIN)/ruff check .
	$(BIN)/mypy outlook_kit

simulate: $(STAMP_RUN)
	$(BIN)/outlook-kit simulate

bench: $(STAMP_TEST)
	$(BIN)/python benchmarks/bench_probe.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
