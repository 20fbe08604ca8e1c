# MagicTask: `make run` installs everything and starts it; `make test` installs everything and runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
DATA_DIR ?=

.PHONY: run test install lint typecheck pytest test-external clean

# The official socket.io JavaScript client, for the real-time protocol tests (pinned by package-lock.json).
JS_CLIENT := tests/realtime/js
JS_STAMP := $(JS_CLIENT)/node_modules/.package-lock.json

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

$(JS_STAMP): $(JS_CLIENT)/package.json $(JS_CLIENT)/package-lock.json
	cd $(JS_CLIENT) && npm ci --no-audit --no-fund --loglevel=error
	touch $(JS_STAMP)

run: install
	$(BIN)/magictask up --port $(PORT) $(if $(DATA_DIR),--data-dir $(DATA_DIR))

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

pytest: install $(JS_STAMP)
	$(BIN)/pytest -q -p no:cacheprovider

test: lint typecheck pytest

# The same suite against the machine's PostgreSQL and Redis instead of the embedded servers.
test-external: install $(JS_STAMP)
	MAGICTASK_DATABASE_URL=$${MAGICTASK_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres} \
	MAGICTASK_REDIS_URL=$${MAGICTASK_REDIS_URL:-redis://127.0.0.1:6379/0} \
	$(BIN)/pytest -q -p no:cacheprovider

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
