# Two commands on a fresh machine: `make demo` (build the store and the reports) and
# `make test` (the tests). `.ci/run` calls `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= ../shared/data
# In a checkout the demo store lives in data/ (git ignores it); an installed alignment
# defaults to the user data folder instead (see README: Install).
demo refresh: export ALIGNMENT_DB ?= $(CURDIR)/data/alignment.duckdb

.PHONY: install demo refresh test benchmark lint chromium readme

$(BIN)/alignment: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/alignment

# The offline demo: the store from the real files in $(DATA), then the reports of the gallery
# (reports/index.html links them).
demo: install
	$(BIN)/alignment refresh --from $(DATA)
	$(BIN)/alignment report gallery

# The scheduled job: fetch from the UN Digital Library (or $$ALIGNMENT_MIRROR) and rebuild.
refresh: install
	$(BIN)/alignment refresh

# Browser tests drive Debian's Chromium; Playwright cannot download a browser here.
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

test: install chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n 2

benchmark: install
	$(BIN)/python benchmarks/store.py
	@for b in benchmarks/*.py; do [ "$$b" = benchmarks/store.py ] || $(BIN)/python $$b; done
	$(BIN)/cog -r README.md

# The README's generated parts (command reference, benchmark figures), from the code itself.
readme: install
	$(BIN)/cog -r README.md

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
