# Two commands do everything on a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/tongzhou
REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: demo install test test-unit test-integration test-e2e services browser clean

$(BIN)/activate: requirements.txt requirements-dev.txt
	bash scripts/python-venv.sh $(PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(BIN)/activate

install: $(BIN)/activate

# The main job on embedded defaults: SQLite, tasks in-process. Serves on 127.0.0.1:$(PORT).
demo: install
	rm -f tongzhou.sqlite3 tongzhou.sqlite3-wal tongzhou.sqlite3-shm
	$(BIN)/python manage.py migrate --verbosity 0
	$(BIN)/python manage.py load_disease_library
	$(BIN)/python manage.py demo_setup --cases 2000
	$(BIN)/python manage.py run_nightly --progress
	@echo "Admin: http://127.0.0.1:$(PORT)/admin/  Portal: http://127.0.0.1:$(PORT)/portal/  API docs: http://127.0.0.1:$(PORT)/api/docs/  Public disclosure: http://127.0.0.1:$(PORT)/disclosure/"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Every test group: unit (SQLite), integration (PostgreSQL, Redis, a Celery worker), e2e (chromium).
test: install services browser
	$(BIN)/python -m pytest -m "not integration and not e2e" -q
	DATABASE_URL=$(PG_URL) CELERY_BROKER_URL=$(REDIS_URL) $(BIN)/python -m pytest -m integration -q
	$(BIN)/python -m pytest -m e2e -q

test-unit: install
	$(BIN)/python -m pytest -m "not integration and not e2e" -q

test-integration: install services
	DATABASE_URL=$(PG_URL) CELERY_BROKER_URL=$(REDIS_URL) $(BIN)/python -m pytest -m integration -q

test-e2e: install browser
	$(BIN)/python -m pytest -m e2e -q

services:
	bash scripts/services.sh

browser:
	bash scripts/browser.sh

clean:
	rm -rf $(VENV) tongzhou.sqlite3 tongzhou.sqlite3-wal tongzhou.sqlite3-shm .pytest_cache
