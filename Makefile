# Zhiqiao — the two commands are `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install messages migrate demo serve test lint format bench fuzz screenshots clean

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

fuzz: install messages
	FUZZ_EXAMPLES=20000 $(VENV)/bin/pytest -m fuzz tests

# PNGs of the home, product, bundle, cart and library pages at desktop (1280×800) and
# phone (390×844) widths, in Chinese and English, in var/screenshots/ (needs /usr/bin/chromium).
screenshots: install messages
	SCREENSHOTS_DIR=var/screenshots $(VENV)/bin/pytest tests/browser/test_screenshots.py -q
	@echo "Screenshots in var/screenshots/"

clean:
	rm -rf $(VENV) staticfiles .mypy_cache .ruff_cache .pytest_cache
