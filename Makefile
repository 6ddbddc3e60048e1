# Two commands on a fresh machine: `make demo` (build the store and the reports) and
# `make test` (the tests). `.ci/run` calls `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= ../shared/data
# In a checkout the demo store lives in data/ (git ignores it); an installed alignment
# defaults to the user data folder instead (see docs/install.md).
demo refresh: export ALIGNMENT_DB ?= $(CURDIR)/data/alignment.duckdb

.PHONY: install demo refresh test test-fast test-lowest benchmark lint typecheck chromium readme docs serve-docs lock

# The test environment is pinned by requirements/lock.txt (`make lock` renews it), so that
# tests comparing printed tables see the same polars and DuckDB as on the maintainer's machine.
$(BIN)/alignment: pyproject.toml requirements/lock.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements/lock.txt -e '.[test,docs,pandas,mcmc]'
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

test: install chromium lint typecheck
	$(BIN)/pytest -n 2

# The fast loop: everything but the tests that read the store built from all of
# ../shared/data, the slow ones and the browser (about 40 s on 2 cores at load 2).
test-fast: install
	$(BIN)/pytest -n 2 -m "not store and not slow and not browser"

# The fast loop on the lowest versions pyproject.toml admits (requirements/lowest.txt, from
# `make lock`), in a venv of its own: the floors are tested, not guessed.
LOWEST := .venv-lowest
$(LOWEST)/bin/alignment: pyproject.toml requirements/lowest.txt
	rm -rf $(LOWEST)
	$(PYTHON) -m venv $(LOWEST)
	$(LOWEST)/bin/pip install --quiet --no-deps -r requirements/lowest.txt
	$(LOWEST)/bin/pip install --quiet --no-deps -e .
	touch $@

test-lowest: $(LOWEST)/bin/alignment
	$(LOWEST)/bin/pytest -n 2 -p no:cacheprovider -m "not store and not slow and not browser" \
	  --deselect tests/test_docs.py::test_the_site_builds_strictly  # the site's tools: make docs

# Renew both pins from pyproject.toml with uv (installed into .venv on demand).
lock: install
	test -x $(BIN)/uv || $(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile --quiet --python-version 3.11 pyproject.toml \
	  --extra test --extra docs --extra pandas --extra mcmc -o requirements/lock.txt
	$(BIN)/uv pip compile --quiet --python-version 3.11 --resolution lowest-direct \
	  pyproject.toml --extra test --extra pandas --extra mcmc -o requirements/lowest.txt

typecheck: install
	$(BIN)/mypy alignment

benchmark: install
	$(BIN)/python benchmarks/store.py
	@for b in benchmarks/*.py; do [ "$$b" = benchmarks/store.py ] || $(BIN)/python $$b; done
	$(MAKE) readme

# The docs' generated parts (command reference, cookbook outputs, measured figures, floors),
# from the code and benchmarks/results: every page under docs/ with a cog block.
readme: install
	$(BIN)/cog -r README.md $$(grep -rl --include='*.md' '\[\[\[cog' docs)

# The documentation site (mkdocs.yml): built into site/ (git-ignored), or served with live
# reload. NO_MKDOCS_2_WARNING: the theme's banner about MkDocs 2 (pinned below 2: see the
# docs extra in pyproject.toml) is not a problem of this site.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

serve-docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/vulture
