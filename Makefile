# make build: bootstrap .venv from the pins, then validate, derive, export and publish.
# make test:  the same bootstrap, then the whole test suite (browser tests included).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Fixed timestamps make builds byte-identical: the commit's time, or a constant outside git.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 1700000000)
export SOURCE_DATE_EPOCH
export NO_MKDOCS_2_WARNING := 1

.DEFAULT_GOAL := help
.PHONY: help build test validate diff serve clean lint lock bench citation

help: ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

build: $(STAMP) ## Validate the package and build dist/ (downloads) and site/
	$(BIN)/builder build --strict

test: $(STAMP) ## Run the tests (browser tests need /usr/bin/chromium)
	$(BIN)/python -m pytest -q

validate: $(STAMP) ## Check the package and list every problem
	$(BIN)/builder validate --strict

diff: $(STAMP) ## What changed since the last release: make diff [OLD=0.1.0] [NEW=folder|commit] [FORMAT=--markdown]
	$(BIN)/builder diff $(FORMAT) $(OLD) $(NEW)

serve: $(STAMP) ## Preview the built site on http://127.0.0.1:8000/
	$(BIN)/builder serve

lint: $(STAMP) ## Run ruff
	$(BIN)/ruff check . && $(BIN)/ruff format --check builder tests scripts

bench: $(STAMP) ## Time the Ledger; builder vs frictionless validate (100k, 1M rows); builder vs bare mkdocs build (1k, 5k pages). QUICK=1: smoke; ONLY=build|validate
	$(BIN)/python scripts/benchmark.py $(if $(QUICK),--quick) $(if $(ONLY),--only $(ONLY))

citation: $(STAMP) ## Regenerate CITATION.cff from datapackage.json
	$(BIN)/python -c 'import json; from builder.outputs import cite; print(cite.citation_cff(json.load(open("datapackage.json"))), end="")' > CITATION.cff

lock: ## Re-pin every dependency into constraints.txt
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean: ## Remove outputs and the virtualenv
	rm -rf site dist .build $(VENV)
