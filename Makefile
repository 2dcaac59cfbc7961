# The README's two commands: `make demo` and `make test`. Everything else is set-up they share.
# Needs Python 3.11+ (and npm for htmx; without it the demo runs without JavaScript).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -qq --disable-pip-version-check
HASH := $(shell cksum < pyproject.toml | cut -d' ' -f1)
RUNTIME := $(VENV)/.runtime-$(HASH)
TOOLS := $(VENV)/.tools-$(HASH)
CHROMIUM ?= $(shell command -v chromium 2>/dev/null || ls /usr/bin/chromium 2>/dev/null)
REDIS_SERVER ?= $(shell command -v redis-server 2>/dev/null)

.PHONY: demo test lint unit e2e e2e-remote screenshots bench setup runtime vendor \
	vendor-optional browser redis catalogues extract update-catalogues clean

demo: runtime catalogues vendor-optional
	@$(PY) -m tooling.demo

test: setup catalogues vendor browser redis lint unit e2e

# What the app needs to run (make demo): nothing of the test tools.
runtime: $(RUNTIME)

$(RUNTIME):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=/path/to/python3.11.")'
	@test -x $(PY) || (echo "Creating $(VENV)…" && $(PYTHON) -m venv $(VENV))
	@echo "Installing the app's dependencies into $(VENV) (first run only, about 20 s)…"
	@$(PIP) --upgrade pip
	@$(PIP) -e .
	@rm -f $(VENV)/.runtime-*
	@touch $@

# Everything, test tools included (make test).
setup: $(TOOLS)

$(TOOLS): $(RUNTIME)
	@echo "Installing the test tools into $(VENV) (first run only)…"
	@$(PIP) -e '.[test,lint]'
	@rm -f $(VENV)/.tools-*
	@touch $@

# The translations: .po files are committed, the .mo files the app reads are built here.
catalogues: runtime
	@$(VENV)/bin/pybabel -q compile -d translations

# A fresh messages.pot from the code and templates (not committed: the .po files are).
extract: runtime
	@$(VENV)/bin/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location \
		--sort-output -o translations/messages.pot .

# New and changed words into every .po file, to translate (a test fails until they are).
update-catalogues: extract
	@$(VENV)/bin/pybabel -q update -i translations/messages.pot -d translations \
		--no-fuzzy-matching --width 100

# htmx is fetched with npm pack and checked against tooling/vendor.sha256; never committed.
vendor: runtime
	@$(PY) -m tooling.fetch_vendor

# The demo runs without htmx when npm is missing (every page works without JavaScript),
# but never with a file whose checksum does not match.
vendor-optional: runtime
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

# The tests start their own redis-server on free ports (two app processes sharing one).
redis:
	@if [ -z "$(REDIS_SERVER)" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's redis-server for the tests…"; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
		else \
			echo "make test needs redis-server (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis)."; \
			exit 1; \
		fi; \
	fi

lint: setup
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

unit: setup
	@$(VENV)/bin/pytest tests

e2e: setup catalogues vendor browser
	@CHROMIUM="$(CHROMIUM)" $(VENV)/bin/pytest e2e --browser chromium \
		--tracing retain-on-failure --screenshot only-on-failure --output test-results

# The browser suite against a deployment started elsewhere (not part of make test): set
# E2E_BASE_URL, and E2E_SANDBOX_URL when it uses a sandbox with its controls on (see
# e2e/README.md). A JUnit report in test-results/junit.xml; each failure's trace and
# screenshot beside it.
e2e-remote: setup browser
	@test -n "$(E2E_BASE_URL)" || { echo "Set E2E_BASE_URL to the deployment to test" \
		"(and E2E_SANDBOX_URL to its sandbox, if it has one): see e2e/README.md."; exit 2; }
	@CHROMIUM="$(CHROMIUM)" $(VENV)/bin/pytest e2e --browser chromium \
		--base-url "$(E2E_BASE_URL)" $(if $(E2E_SANDBOX_URL),--sandbox-url "$(E2E_SANDBOX_URL)") \
		--tracing retain-on-failure --screenshot only-on-failure --output test-results \
		--junitxml test-results/junit.xml

# Benchmarks (not part of `make test`): prints a table, writes bench/results.json.
bench: setup catalogues vendor browser redis
	@CHROMIUM="$(CHROMIUM)" $(PY) -m bench.run

# Pictures of the main states for the README (docs/screenshots/), not part of `make test`.
screenshots: setup catalogues vendor browser
	@CHROMIUM="$(CHROMIUM)" $(PY) -m tooling.screenshots

clean:
	rm -rf $(VENV) static/vendor/*.js instance test-results
