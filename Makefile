# The two commands of the README: `make run` and `make test`. `make check` runs the linters.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
DB ?= data/warehouse.duckdb
PORT ?= 8501
# More options of `streamlit run` for `make run`, e.g. ARGS="--server.fileWatcherType auto".
ARGS :=

.PHONY: run test quick check demo bench clean chromium graphviz

$(VENV)/.run-installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { \
	  if [ "$$(id -u)" = "0" ]; then \
	    rm -rf $(VENV); apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && $(PYTHON) -m venv $(VENV); \
	  else \
	    echo "python3-venv is missing: sudo apt-get install python3-venv" >&2; exit 1; \
	  fi; \
	}
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt requirements-spark.txt $(VENV)/.run-installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

$(DB): | $(VENV)/.run-installed
	@mkdir -p $(dir $(DB))
	$(PY) -m pipelines.demo --db $(DB)

demo: $(VENV)/.run-installed
	$(PY) -m pipelines.demo --db $(DB)

run: $(VENV)/.run-installed $(DB) graphviz
	VSM_DB=$(DB) $(PY) -m ui.serve --server.port $(PORT) --server.headless true --browser.gatherUsageStats false $(ARGS)

# Debian packages the tests need: chromium drives the browser tests; graphviz's dot renders
# the process map (on the page, and to PNG and SVG); a Java runtime runs Spark for the
# engine's tests. One apt-get run installs whichever is missing.
chromium:
	@missing="$$(command -v chromium >/dev/null 2>&1 || echo chromium) $$(command -v dot >/dev/null 2>&1 || echo graphviz) $$(command -v java >/dev/null 2>&1 || echo openjdk-17-jre-headless)"; \
	if [ -n "$$(echo $$missing)" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Debian's $$missing missing and you are not root: the browser tests skip, the process map does not export (sudo apt-get install $$missing)." >&2; \
	  fi; \
	fi

# The app itself needs only graphviz: dot draws the process map (without it the browser
# lays the map out) and renders its PNG and SVG downloads.
graphviz:
	@if ! command -v dot >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	  else \
	    echo "Debian's graphviz is missing and you are not root: the browser will lay out the process map, which will not export to PNG or SVG (sudo apt-get install graphviz)." >&2; \
	  fi; \
	fi

test: $(VENV)/.dev-installed chromium
	$(PY) -m pytest

# The quick loop while editing: everything but the browser, property and script tests.
quick: $(VENV)/.dev-installed
	$(PY) -m pytest -m "not browser and not slow"

check: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: $(VENV)/.dev-installed
	$(PY) bench/ingest.py
	$(PY) bench/metrics.py
	$(PY) bench/pages.py
	$(PY) bench/floor.py
	$(PY) bench/findings.py
	$(PY) bench/concurrency.py
	$(PY) bench/spark.py
	$(PY) bench/scale.py
	$(PY) bench/counted_ids.py
	$(PY) bench/counted_ids.py --year 2025

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts
