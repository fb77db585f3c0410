# The two commands: `make demo` runs the whole system, `make test` passes the tests.
# Both create .venv and install the locked dependencies on a fresh machine.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export ZHIFU_TEST_DATABASE_URL ?= $(PG_URL)

.PHONY: demo test lint typecheck imports test-sqlite test-postgres test-system browser test-e2e clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "zhifu needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/zhifu demo

test: lint typecheck imports audit test-sqlite test-postgres test-system test-e2e

lint: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/ruff format --check

# Locked dependencies against known vulnerabilities (pip-audit, or the PyPA advisory
# snapshot in ../shared/data or ZHIFU_ADVISORY_DB), then bandit at no high finding.
.PHONY: audit
audit: $(STAMP)
	$(BIN)/python scripts/audit_deps.py
	$(BIN)/bandit -q -c pyproject.toml -r src scripts --severity-level high

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
