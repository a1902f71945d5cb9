# Zhiqiao — the two commands are `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install messages migrate demo serve test lint format bench fuzz load audit screenshots clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

messages: install
	$(MANAGE) compilemessages --ignore=.venv --verbosity 0

migrate: install
	$(MANAGE) migrate --noinput

demo: install messages migrate
	$(MANAGE) demo_data
	@echo "Serving Zhiqiao at http://$(HOST):$(PORT)/ (API docs at /api/docs/)"
	$(MANAGE) runserver $(HOST):$(PORT)

serve: install messages migrate
	$(MANAGE) runserver $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install messages lint
	$(VENV)/bin/pytest

bench: install messages
	$(PY) bench/run.py

# The long fuzzing run: property tests with FUZZ_EXAMPLES, and schemathesis over every API
# operation in three contexts with API_FUZZ_EXAMPLES (plus its boundary-coverage cases).
API_FUZZ_EXAMPLES ?= 300
fuzz: install messages
	FUZZ_EXAMPLES=20000 API_FUZZ_EXAMPLES=$(API_FUZZ_EXAMPLES) $(VENV)/bin/pytest -m fuzz tests

# A few minutes of mixed shopper load (locust) on Gunicorn + PostgreSQL + Redis + Celery, on
# 127.0.0.1 only; needs PostgreSQL and Redis running (LOAD_DATABASE_SERVER, LOAD_REDIS_URL).
LOAD_ARGS ?= --users 20 --duration 180
load: install messages
	$(PY) bench/load/run.py $(LOAD_ARGS)

# Known vulnerabilities in the installed packages (needs the PyPI vulnerability service).
audit: install
	$(VENV)/bin/pip-audit --local --progress-spinner off

# PNGs of the home, product, bundle, cart and library pages at desktop (1280×800) and
# phone (390×844) widths, in Chinese and English, in var/screenshots/ (needs /usr/bin/chromium).
screenshots: install messages
	SCREENSHOTS_DIR=var/screenshots $(VENV)/bin/pytest tests/browser/test_screenshots.py tests/browser/test_portal_statements.py -q
	@echo "Screenshots in var/screenshots/"

clean:
	rm -rf $(VENV) staticfiles .mypy_cache .ruff_cache .pytest_cache
