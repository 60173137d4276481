# alertkit — two commands matter: `make compile` (the main job) and `make test`.
# Both bootstrap .venv on a machine that has only Python.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: compile test lint tools bench golden review clean

compile: $(STAMP)
	$(BIN)/alertkit compile

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# promtool, amtool and prometheus-alertmanager come from Debian's packages (2.42 and 0.25 are the judges of exactness;
# the fire drill tests run the real Alertmanager; the backtest tests run the real prometheus server, same package as promtool);
# chromium and chromium-driver too (the report's browser test).
tools:
	@if ! command -v promtool >/dev/null || ! command -v amtool >/dev/null || \
		! command -v prometheus >/dev/null || ! command -v prometheus-alertmanager >/dev/null; then \
		echo "installing promtool/amtool from Debian's prometheus packages"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
			prometheus prometheus-alertmanager >/dev/null; \
	fi
	@promtool --version 2>&1 | head -1
	@prometheus --version 2>&1 | head -1
	@prometheus-alertmanager --version 2>&1 | head -1
	@# The HTML report's browser test (tests/report) opens the report in Debian's headless Chromium.
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		echo "installing chromium and chromium-driver from Debian"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
			chromium chromium-driver >/dev/null; \
	fi
	@chromedriver --version 2>&1 | head -1

test: $(STAMP) tools lint
	$(BIN)/python -m pytest -q

# Static checks: ruff (lint + format) over the whole tree, mypy over the packages (settings in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check compiler simulator common tests benchmarks
	$(BIN)/ruff format --check compiler simulator common tests benchmarks
	$(BIN)/mypy

# Regenerate the golden files of compiled output (review the diff like code).
golden: $(STAMP)
	ALERTKIT_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/compiler/test_golden.py

# What this branch does to alerts, runbooks, detection and paging, against its merge base with main
# (docs/review.md). REVIEW_ARGS passes options: make review REVIEW_ARGS="--fail-on regression --out review.md".
REVIEW_BASE ?= main
review: $(STAMP)
	$(BIN)/alertkit diff --base "$$(git merge-base HEAD $(REVIEW_BASE))" $(REVIEW_ARGS)

bench: $(STAMP) tools
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf build $(VENV)
