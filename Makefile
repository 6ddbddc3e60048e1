# Two commands on a fresh machine: `make demo` (build the store and the reports) and
# `make test` (the tests). `.ci/run` calls `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= ../shared/data
# In a checkout the demo store lives in data/ (git ignores it); an installed alignment
# defaults to the user data folder instead (see docs/install.md).
demo refresh: export ALIGNMENT_DB ?= $(CURDIR)/data/alignment.duckdb

.PHONY: install demo refresh test benchmark lint chromium readme docs serve-docs

$(BIN)/alignment: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,docs]'
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
	$(MAKE) readme

# The docs' generated parts (command reference, cookbook outputs, measured figures, floors),
# from the code and benchmarks/results: every page under docs/ with a cog block.
readme: install
	$(BIN)/cog -r $$(grep -rl --include='*.md' '\[\[\[cog' docs)

# The documentation site (mkdocs.yml): built into site/ (git-ignored), or served with live
# reload. NO_MKDOCS_2_WARNING: the theme's banner about MkDocs 2 (pinned below 2: see the
# docs extra in pyproject.toml) is not a problem of this site.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

serve-docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
