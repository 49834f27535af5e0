# taskforce: developer tasks.  Run `make help` for the list.
#
# Everything runs inside a virtual environment in .venv, built on first use
# and reinstalled whenever pyproject.toml changes.

PYTHON ?= python3
# PG=1 runs the tests on SQLite and on a throwaway PostgreSQL server too;
# PG=0 runs them on SQLite only (the PostgreSQL ones are skipped).
PG ?= 1
# Extra arguments for pytest, e.g. make test PYTEST_ARGS='-x -k migrations'
PYTEST_ARGS ?=

VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed
PGCTL := tests/support/postgres.sh

# One bash per recipe line, stopping at the first failing command.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

.DEFAULT_GOAL := help
# A recipe that fails half-way leaves no target behind to look finished.
.DELETE_ON_ERROR:
.PHONY: help setup demo web test lint audit format clean bench bench-quick messages

help: ## List the targets
	@echo "Usage: make TARGET [PG=0|1] [PYTHON=python3] [PYTEST_ARGS=...]"
	@echo
	@grep -E '^[a-z.-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  %-12s %s\n", $$1, $$2}'

# --- the virtual environment -------------------------------------------------

# Created once; needs Python 3.11 or newer.
$(BIN)/python:
	@if ! command -v $(PYTHON) >/dev/null; then \
		echo "taskforce needs Python 3.11 or newer, but '$(PYTHON)' is not installed." \
			"Install it, or name another: make PYTHON=/path/to/python3.11 ..." >&2; \
		exit 1; \
	elif ! $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then \
		echo "taskforce needs Python 3.11 or newer, but '$(PYTHON)' is" \
			"$$($(PYTHON) --version 2>&1). Install a newer one, or name it:" \
			"make PYTHON=/path/to/python3.11 ..." >&2; \
		exit 1; \
	fi
	$(PYTHON) -m venv $(VENV)

# (Re)installed whenever pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv and install taskforce with its dev tools

# --- running -------------------------------------------------------------------

demo: $(STAMP) ## Run the end-to-end demo
	$(BIN)/taskforce demo

web: $(STAMP) ## Serve the web pages on the bundled meeting (http://127.0.0.1:8000)
	$(BIN)/taskforce web --sample

# --- testing -------------------------------------------------------------------

define PG_MISSING
make test runs the suite against PostgreSQL as well as SQLite, but initdb and
pg_ctl were found neither on PATH nor under /usr/lib/postgresql/*/bin. Install
the PostgreSQL server (Debian/Ubuntu: apt-get install postgresql; macOS:
brew install postgresql@15), or run the tests on SQLite only: make test PG=0
endef
export PG_MISSING

# The suite runs in two processes (pytest-xdist), one per core of the machines it runs
# on; the tests of the flows, which share one Prefect server, stay in one of them.
# PYTEST_PARALLEL= runs it in one process.
PYTEST_PARALLEL ?= -n 2 --dist loadgroup

ifeq ($(PG),0)
# SQLite only: make sure no PostgreSQL settings leak in from the environment.
test: $(STAMP) ## Run the tests (on SQLite and a throwaway PostgreSQL; PG=0: SQLite only)
	env -u TASKFORCE_TEST_POSTGRES_URL -u TASKFORCE_TEST_REQUIRE_POSTGRES \
		$(BIN)/pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)
else
# Start a PostgreSQL server in a fresh temporary directory, run pytest against
# it (postgres tests fail rather than skip), then stop the server and remove
# the directory whatever happened: the EXIT trap runs on success, failure and
# interruption alike, and the recipe exits with pytest's status.
test: $(STAMP)
	@$(PGCTL) bindir >/dev/null || { echo "$$PG_MISSING" >&2; exit 1; }
	@pgdir=$$(mktemp -d "$${TMPDIR:-/tmp}/taskforce-pg.XXXXXX"); \
	trap '$(PGCTL) stop "$$pgdir"' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM; \
	echo "Starting a throwaway PostgreSQL server in $$pgdir"; \
	url=$$($(PGCTL) start "$$pgdir"); \
	echo "TASKFORCE_TEST_POSTGRES_URL=$$url"; \
	TASKFORCE_TEST_POSTGRES_URL="$$url" TASKFORCE_TEST_REQUIRE_POSTGRES=1 \
		$(BIN)/pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)
endif

# --- benchmarks ----------------------------------------------------------------

# Arguments for the benchmarks, e.g. make bench BENCH_ARGS='--database-url URL --only sweep'
BENCH_ARGS ?=
BENCH_STAMP := $(VENV)/.bench-installed

# The benchmarks' own tools (the peer engine, profilers), never installed by setup or test.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP) ## Run the benchmarks (a few minutes); writes bench/results.json
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-quick: $(BENCH_STAMP) ## Run the benchmarks at smaller sizes (under a minute)
	$(BIN)/python -m bench --quick $(BENCH_ARGS)

# --- translations --------------------------------------------------------------

# The interface's texts: every t("English text", ...) and N_("English text") in the
# page modules and templates (babel.cfg says which extractor reads which file).
# Extraction writes the template messages.pot; update merges it into each
# language's .po, marking changed texts fuzzy (shown in English until a translator
# clears the flag) and keeping the previous English for the translator to compare.
LOCALES := taskforce/web/locales

messages: $(STAMP) ## Extract the web's texts and the engine's messages into messages.pot and merge them into each .po
	cd taskforce/web && ../../$(BIN)/pybabel extract -F ../../babel.cfg \
		--keyword=t --keyword=tn:1,2 --keyword=N_ --keyword=Nn_:1,2 --keyword=Message --no-default-keywords \
		--add-comments=Translators: --add-location=file --project=taskforce \
		--copyright-holder="" --output-file=locales/messages.pot . ../../states ../../db
	$(BIN)/pybabel update --input-file=$(LOCALES)/messages.pot --output-dir=$(LOCALES) \
		--domain=messages --previous

# --- code quality --------------------------------------------------------------

lint: $(STAMP) ## Check style (ruff), types (mypy) and the layers' import direction
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

audit: $(STAMP) ## Security checks: bandit on the code, pip-audit on the dependencies
	$(BIN)/bandit -q -c pyproject.toml -r states db notifications flows taskforce -ll
	$(BIN)/python tests/support/audit_dependencies.py

format: $(STAMP) ## Sort imports and reformat the code (ruff)
	$(BIN)/ruff check --select I --fix .
	$(BIN)/ruff format .

# --- tidying -------------------------------------------------------------------

clean: ## Remove .venv, caches and SQLite databases
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache build *.egg-info
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -path ./.git -prune -o -type f \
		\( -name '*.sqlite3' -o -name '*.sqlite3-wal' -o -name '*.sqlite3-shm' \) \
		-exec rm -f {} +
