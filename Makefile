# `make demo` runs Dockline against sandboxes; `make test` runs the test suite.
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo check test clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/dockline demo $(ARGS)

check: $(STAMP)
	$(BIN)/dockline demo --check $(ARGS)

# The browser tests drive Debian's Chromium (never a downloaded browser); install it when missing.
/usr/bin/chromium:
	apt-get update && apt-get install -y chromium

test: $(STAMP) /usr/bin/chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
