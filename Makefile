# case-audit: the two commands a user needs are `make demo` and `make test`.
# Each creates .venv (python3 -m venv; pip install -e ".[dev]") when it is missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help demo demo-2025 score-demo test quick lab clean samples

help: ## list the commands
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' \
	  '{name[NR] = $$1; text[NR] = $$2; if (length($$1) > w) w = length($$1)} \
	   END {for (i = 1; i <= NR; i++) printf("  make %-" w "s  %s\n", name[i], text[i])}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

demo: $(STAMP) ## set up and run the demo quarter: reports in outputs/demo/
	$(BIN)/case-audit run --config samples/demo.yaml

demo-2025: $(STAMP) ## a demo quarter under the 2025 framework (children and victims): outputs/demo-2025/
	$(BIN)/case-audit run --config samples/demo-2025.yaml

score-demo: $(STAMP) ## only score the shipped samples (no notebooks) into outputs/demo-scores/
	$(BIN)/case-audit score \
	  $(foreach f,$(wildcard samples/answers_*.csv),--answers $(f)) \
	  --facts samples/case_facts.csv --judgements samples/judgements.csv \
	  --out outputs/demo-scores

lab: $(STAMP) ## open the notebooks in JupyterLab; options: ARGS="--port 8899 --no-browser"
	$(BIN)/python -c "from audit_lib.quarter.kernel import ensure_kernel; ensure_kernel()"
	$(BIN)/jupyter lab notebooks/ $(ARGS)

test: $(STAMP) ## set up and run the whole test suite (lint, then tests on every core)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto

quick: $(STAMP) ## the tests without the slow ones (whole quarters, batches): for iterating
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto -m "not slow"

samples: $(STAMP) ## regenerate the fictional sample data (both demos)
	$(BIN)/python samples/make_samples.py
	$(BIN)/python samples/make_samples_2025.py

clean: ## remove generated outputs and internal tables (keeps .venv)
	find outputs -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
	rm -rf internal
