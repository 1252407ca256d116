# SafePact: `make run` for a local demo, `make test` for lint + the whole suite.
SHELL := /bin/bash
PORT ?= 8000
PYTEST_ARGS ?= -n auto
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PY := $(UV) run --frozen python

.PHONY: run worker test install lint messages pytest serve demo clean

$(UV):
	python3 -m pip install --user --quiet uv

install: $(UV)
	$(UV) sync --frozen

# The background worker (periodic jobs and queued emails) runs beside the development server and stops
# with it (Ctrl+C, or runserver exiting).
run: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py demo
	$(PY) manage.py worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Only the background worker (for `make serve` deployments run it as its own service, docs/operations.md).
worker: install
	$(PY) manage.py worker

demo: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py demo

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

pytest: install
	$(UV) run --frozen pytest $(PYTEST_ARGS)

test: lint pytest

# Production server (granian, WSGI); configure with environment variables (HOST, PORT, WEB_CONCURRENCY and
# any GRANIAN_* option), see docs/configuration.md and docs/decisions/0008-production-server.md.
serve: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input -v0
	$(UV) run --frozen granian --interface wsgi --no-ws --blocking-threads 1 --respawn-failed-workers --host $${HOST:-127.0.0.1} --port $(PORT) --workers $${WEB_CONCURRENCY:-2} safepact.wsgi:application

# Translations: extract strings (needs GNU gettext) and compile the catalogues.
messages: install
	$(PY) manage.py makemessages -l nl --ignore=.venv --ignore=var --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf var/safepact.sqlite3* var/static .pytest_cache
