# The README's two commands: `make demo` and `make test`. Everything else is set-up they share.
# Needs Python 3.11+ (and npm for htmx; without it the demo runs without JavaScript).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
CHROMIUM ?= $(shell command -v chromium 2>/dev/null || ls /usr/bin/chromium 2>/dev/null)

.PHONY: demo test lint unit e2e screenshots bench setup vendor vendor-optional browser clean

demo: setup vendor-optional
	@$(PY) -m tooling.demo

test: setup vendor browser lint unit e2e

setup: $(STAMP)

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=/path/to/python3.11.")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the project and its test tools into $(VENV)…"
	@$(PY) -m pip install -qq --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install -qq --disable-pip-version-check -e '.[test,lint]'
	@rm -f $(VENV)/.installed-*
	@touch $@

# htmx is fetched with npm pack and checked against tooling/vendor.sha256; never committed.
vendor: setup
	@$(PY) -m tooling.fetch_vendor

# The demo runs without htmx when npm is missing (every page works without JavaScript),
# but never with a file whose checksum does not match.
vendor-optional: setup
	@$(PY) -m tooling.fetch_vendor; status=$$?; \
	if [ $$status -eq 3 ]; then echo "Continuing without JavaScript: forms post normally."; \
	elif [ $$status -ne 0 ]; then exit $$status; fi

# A system Chromium (env CHROMIUM, else /usr/bin/chromium) is used when there is one;
# otherwise Playwright downloads its own.
browser: setup
	@if [ -n "$(CHROMIUM)" ] && [ -x "$(CHROMIUM)" ]; then \
		echo "Using Chromium at $(CHROMIUM)"; \
	else \
		$(VENV)/bin/playwright install chromium; \
	fi

lint: setup
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

unit: setup
	@$(VENV)/bin/pytest tests

e2e: setup vendor browser
	@CHROMIUM="$(CHROMIUM)" $(VENV)/bin/pytest e2e --browser chromium \
		--tracing retain-on-failure --screenshot only-on-failure --output test-results

# Benchmarks (not part of `make test`): prints a table, writes bench/results.json.
bench: setup vendor browser
	@$(PY) -m pip install -qq --disable-pip-version-check -e '.[bench]'
	@CHROMIUM="$(CHROMIUM)" $(PY) -m bench.run

# Pictures of the main states for the README (docs/screenshots/), not part of `make test`.
screenshots: setup vendor browser
	@CHROMIUM="$(CHROMIUM)" $(PY) -m tooling.screenshots

clean:
	rm -rf $(VENV) static/vendor/*.js instance test-results
