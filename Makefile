# MagicTask: `make run` installs everything and starts it; `make test` installs everything and runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
DATA_DIR ?=
API_PROCESSES ?=

.PHONY: run test install lint typecheck pytest test-external clean web web-test chromium

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

# The web app (web/): npm ci from the committed lock, then a Vite build, each redone only when its inputs change.
WEB_STAMP := web/node_modules/.package-lock.json
WEB_SRC := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json

$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	touch $(WEB_STAMP)

web/dist/index.html: $(WEB_STAMP) $(WEB_SRC)
	cd web && npm run build --silent

web: web/dist/index.html

# Debian's chromium for the browser tests: installed with apt-get when run as root, else a stop at once
# with the command that installs it (scripts/ensure-chromium.sh).
chromium:
	@sh scripts/ensure-chromium.sh

# Vitest component tests, then Playwright end-to-end in Debian's chromium against `magictask up` on a
# fresh data dir and a free port (web/playwright.config.ts).
web-test: chromium install web
	cd web && npx vitest run
	cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npx playwright test

run: install web
	$(BIN)/magictask up --port $(PORT) $(if $(DATA_DIR),--data-dir $(DATA_DIR)) $(if $(API_PROCESSES),--api-processes $(API_PROCESSES))

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

pytest: install $(JS_STAMP)
	$(BIN)/pytest -q -p no:cacheprovider

# chromium first: a machine that cannot run the browser tests says so before the long part.
test: chromium lint typecheck pytest web-test

# The same suite against the machine's PostgreSQL and Redis instead of the embedded servers.
test-external: install $(JS_STAMP)
	MAGICTASK_DATABASE_URL=$${MAGICTASK_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres} \
	MAGICTASK_REDIS_URL=$${MAGICTASK_REDIS_URL:-redis://127.0.0.1:6379/0} \
	$(BIN)/pytest -q -p no:cacheprovider

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache web/node_modules web/dist
