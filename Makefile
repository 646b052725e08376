# `make demo` runs Dockline against sandboxes; `make test` runs the test suite.
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo check lint test clean

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

# Second pass: the integration and scale-out tests on PostgreSQL, Redis and Celery workers.
PG_URL ?= postgres://postgres:postgres@127.0.0.1:5432/dockline
REDIS_URL ?= redis://127.0.0.1:6379/3
# The slowest tests of each pass are listed at its end, so a CI log says where the time went.
PYTEST_ARGS ?= --durations=15

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts

test: lint $(STAMP) /usr/bin/chromium
	$(BIN)/python -m pytest -m "not scale" $(PYTEST_ARGS)
	scripts/services.sh
	DATABASE_URL=$(PG_URL) BROKER_URL=$(REDIS_URL) DOCKLINE_RATE_LIMIT_STORAGE=$(REDIS_URL) \
		$(BIN)/python -m pytest -m "integration or scale" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
