# CARE — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(PYTHON) -m uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: run test lint typecheck pytest bench venv browser screenshots clean

## the virtual environment, exactly as uv.lock pins it, compiled to bytecode: every flow
## process a Prefect worker starts imports Prefect and CARE, 2-3 times faster from .pyc
CARE_PACKAGES := adapters care_cli deployments flows intake models policy record tasks
venv: $(VENV)/.synced
$(VENV)/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(UV) sync --frozen --quiet --compile-bytecode
	$(BIN)/python -m compileall -q $(CARE_PACKAGES) >/dev/null
	@touch $@

## Debian's chromium for the browser tests (Playwright drives it; no browser download)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "install Debian's chromium (sudo apt-get install chromium)"; exit 1; fi; }

run: venv
	$(BIN)/python -m deployments.embedded

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: venv
	$(BIN)/mypy .

pytest: venv browser
	CARE_TEST_PG_URL="$$(scripts/postgres.sh)" $(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

## the README's screenshots, written to docs/screenshots/ (the tests alone never do)
screenshots: venv browser
	CARE_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/e2e/test_console_browser.py \
	  tests/e2e/test_signoff_in_browser.py

bench: venv
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done
	@echo "== bench/escalation.py --topology workers"; $(BIN)/python bench/escalation.py --topology workers

clean:
	rm -rf $(VENV) .care .mypy_cache .ruff_cache .pytest_cache
