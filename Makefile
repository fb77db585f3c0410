# The two commands: `make demo` runs the whole system, `make test` passes the tests.
# Both create .venv and install the locked dependencies on a fresh machine.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export ZHIFU_TEST_DATABASE_URL ?= $(PG_URL)

.PHONY: demo test checks lint typecheck imports test-sqlite test-postgres test-dates test-system browser test-e2e clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "zhifu needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/zhifu demo

# Everything, three jobs at a time on two cores (the PostgreSQL pass, the longest, first);
# each job's output is printed whole when it ends, and every job runs even if one fails.
TEST_JOBS ?= 3
test: $(STAMP)
	@echo "make test: $(TEST_JOBS) jobs at a time; each job's output appears when it ends"
	@$(MAKE) --no-print-directory --jobs=$(TEST_JOBS) --output-sync=target --keep-going \
		test-postgres checks test-sqlite test-e2e test-system test-dates

checks: lint typecheck imports

lint: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/ruff format --check

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

# The suite runs once per database; scripts/pytest-sites runs each site's tests with
# that site's settings (Django settings are per process).
test-sqlite: $(STAMP)
	ZHIFU_TEST_DB=sqlite $(BIN)/python scripts/pytest_sites.py

test-postgres: $(STAMP)
	ZHIFU_TEST_DB=postgres $(BIN)/python scripts/pytest_sites.py

# The tests that read the clock, on SQLite, at each pinned date of tests/harness/clock.py
# (a month's 1st, a 31st, 29 February, 31 December).
test-dates: $(STAMP)
	$(BIN)/python scripts/pytest_sites.py --dates

# Whole-system tests: real processes, real ports (zhifu demo, zhifu serve).
test-system: $(STAMP)
	$(BIN)/pytest -p no:django -p no:cacheprovider tests/system

# Browser tests use Debian's chromium, never a downloaded browser (CI runs as root;
# elsewhere sudo is used when available).
CHROMIUM := /usr/bin/chromium
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends chromium; \
	fi

# End-to-end: `zhifu demo` (SQLite) on free ports, driven by Playwright; run once.
# Screenshots land in test-output/e2e/.
test-e2e: $(STAMP) browser
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/pytest -p no:django -p no:cacheprovider tests/e2e

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
