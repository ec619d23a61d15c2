# Two commands do all the set-up on a fresh machine:
#   make serve   the sample API on 127.0.0.1:8000 (and its stores service on PORT+1), on the
#                drf_async stack: migrates, seeds, prints the URLs; Ctrl-C stops everything
#   make test    the whole test suite
# Both create .venv and install what they need. PYTHON, VENV and PIN pick another
# interpreter and pinned versions (space-separated specs) for a matrix leg (see .ci/run).

PYTHON ?= python3
VENV ?= .venv
PIN ?=
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= $(or $(WEB_CONCURRENCY),1)
SERVE_WORKER ?= drf_async.worker.AiohttpWorker
PYTEST_ARGS ?=

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install serve test test-drf test-ecosystem lint bench bench-serve bench-scenarios bench-reliability clean

$(STAMP): pyproject.toml requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e . -r requirements-dev.txt $(foreach spec,$(PIN),"$(spec)")
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	DJANGO_SETTINGS_MODULE=sampleapi.settings $(BIN)/python -m sampleapi.serve \
		--host $(HOST) --port $(PORT) --workers $(WORKERS) --worker-class $(SERVE_WORKER)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# DRF's own test suite (the installed DRF's sdist), on plain DRF and through drf_async's classes.
test-drf: $(STAMP)
	$(BIN)/python tests/drf_suite/run.py

# The ecosystem matrix (tests/ecosystem/): DRF packages on drf_async, with their own settings.
test-ecosystem: $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-ecosystem.txt $(foreach spec,$(PIN),"$(spec)")
	DJANGO_SETTINGS_MODULE=tests.ecosystem.settings $(BIN)/python -m pytest tests/ecosystem $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check drf_async tests sampleapi bench
	$(BIN)/mypy drf_async

bench: $(STAMP)
	$(BIN)/python bench/dispatch.py

bench-serve: $(STAMP)
	$(BIN)/python bench/serve.py

# API scenarios (DB rows, nested detail, JWT, pagination, create, JSON, Redis, HTTP fan-out):
# drf_async vs sync DRF on gthread 8/32 and django-ninja on uvicorn-worker. Set DATABASE_URL for PostgreSQL.
bench-scenarios: $(STAMP)
	$(BIN)/python bench/scenarios.py

# Faults during load, bad input, request bodies, connection bound, RSS, fuzzing: drf_async vs sync DRF on gthread;
# writes bench/RELIABILITY.md (~11 minutes). Set DATABASE_URL (PostgreSQL) and REDIS_URL
# for the database-connections and throttle rows.
bench-reliability: $(STAMP)
	$(BIN)/python bench/reliability.py --write

clean:
	rm -rf $(VENV) .venv-* .pytest_cache .ruff_cache .mypy_cache sampleapi/db.sqlite3 sampleapi/staticfiles build dist site .drf-suite
