# The two commands: `make demo` runs the whole system, `make test` passes the tests.
# Both create .venv and install the locked dependencies on a fresh machine.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PG_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export ZHIFU_TEST_DATABASE_URL ?= $(PG_URL)

.PHONY: demo test checks lint typecheck imports secrets lock test-sqlite test-postgres test-dates test-system browser test-e2e clean

# Two locks, both with hashes (docs/development.md "Dependencies"): requirements.lock is
# what runs zhifu (`make demo` installs only it); requirements-dev.lock is the same pins plus
# the test, lint and type-check tools (`make test`).
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "zhifu needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	touch $(DEV_STAMP)

demo: $(STAMP)
	$(BIN)/zhifu demo

# Everything, three jobs at a time on two cores, longest first so that the short ones fill
# the gaps at the end (the PostgreSQL pass, then the browser tests, which wait on pages
# more than they compute; each pass also runs its longest modules beside the rest, see
# scripts/pytest_sites.py); each job's output is printed whole when it ends, and every job
# runs even if one fails.
TEST_JOBS ?= 3
test: $(DEV_STAMP)
	@echo "make test: $(TEST_JOBS) jobs at a time; each job's output appears when it ends"
	@$(MAKE) --no-print-directory --jobs=$(TEST_JOBS) --output-sync=target --keep-going \
		test-postgres test-e2e test-sqlite test-system test-dates checks

checks: lint typecheck imports secrets audit

lint: $(DEV_STAMP)
	$(BIN)/ruff check
	$(BIN)/ruff format --check

# Locked dependencies against known vulnerabilities (pip-audit, or the PyPA advisory
# snapshot in ../shared/data or ZHIFU_ADVISORY_DB), then bandit at no high finding.
.PHONY: audit
audit: $(DEV_STAMP)
	$(BIN)/python scripts/audit_deps.py
	$(BIN)/bandit -q -c pyproject.toml -r src scripts --severity-level high

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

imports: $(DEV_STAMP)
	$(BIN)/lint-imports

# No secret in any tracked file but the reviewed findings in .secrets.baseline (test
# fixtures and published demo values; docs/development.md "Secrets").
secrets: $(DEV_STAMP)
	$(BIN)/python scripts/check_secrets.py

# Re-pin after changing pyproject.toml's dependencies: existing pins are kept unless
# UPGRADE="--upgrade-package NAME" (or --upgrade) is given.
LOCK_VENV := .venv-lock
PIP_COMPILE := $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links --build-deps-for wheel $(UPGRADE)
$(LOCK_VENV)/bin/pip-compile:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet pip-tools==7.6.2
lock: $(LOCK_VENV)/bin/pip-compile
	CUSTOM_COMPILE_COMMAND="make lock" $(PIP_COMPILE) -o requirements.lock pyproject.toml
	CUSTOM_COMPILE_COMMAND="make lock" $(PIP_COMPILE) --extra dev -c requirements.lock -o requirements-dev.lock pyproject.toml

# The suite runs once per database; scripts/pytest-sites runs each site's tests with
# that site's settings (Django settings are per process).
test-sqlite: $(DEV_STAMP)
	ZHIFU_TEST_DB=sqlite $(BIN)/python scripts/pytest_sites.py

test-postgres: $(DEV_STAMP)
	ZHIFU_TEST_DB=postgres $(BIN)/python scripts/pytest_sites.py

# The tests that read the clock, on SQLite, at each pinned date of tests/harness/clock.py
# (a month's 1st, a 31st, 29 February, 31 December), one process per site and date.
test-dates: $(DEV_STAMP)
	$(BIN)/python scripts/pytest_sites.py --dates

# Whole-system tests: real processes, real ports (zhifu demo, zhifu serve).
test-system: $(DEV_STAMP)
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
test-e2e: $(DEV_STAMP) browser
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/pytest -p no:django -p no:cacheprovider tests/e2e

clean:
	rm -rf $(VENV) $(LOCK_VENV) .mypy_cache .ruff_cache .pytest_cache
