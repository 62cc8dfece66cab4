# The two commands of the README's quick start: `make lab` and `make test`.
# Both create the virtual environment .venv with pip on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: lab app test lint simulate bench bench-analysis sample-data clean

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
	cd notebooks && ../$(BIN)/jupyter lab $(LAB_FLAGS) \
	  --ContentsManager.pre_save_hook=outlook_kit.notebook.scrub_before_save \
	  01_set_up_outlook_smtp.ipynb

# The web app: the setup wizard, the troubleshooter and the log analysis, served by Voila on
# this machine only, code hidden, errors in the page in plain words (never tracebacks).
APP_FLAGS ?= --Voila.ip=127.0.0.1 --show_tracebacks=False --strip_sources=True

app: $(STAMP_RUN)
	cd notebooks && ../$(BIN)/voila app.ipynb $(APP_FLAGS)

test: $(STAMP_TEST) lint
	$(BIN)/python -m pytest

lint: $(STAMP_TEST)
	$(BIN)/ruff check .
	$(BIN)/mypy outlook_kit

simulate: $(STAMP_RUN)
	$(BIN)/outlook-kit simulate

bench: $(STAMP_TEST)
	$(BIN)/python benchmarks/bench_probe.py

# The send-log analysis on a generated fleet log (10 million rows, over 2 GB of CSV in /tmp).
bench-analysis: $(STAMP_TEST)
	$(BIN)/python benchmarks/bench_analysis.py

# Regenerate the synthetic sample send logs in data/ with the simulator (about a minute).
sample-data: $(STAMP_RUN)
	$(BIN)/python -m outlook_kit.sendlog.sample

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
