# clvlib — run `make help` for the targets.
#
# Environment: when a virtualenv or conda environment is active, it is used as it is
# (clvlib is pip-installed into it once, if missing). Otherwise a local .venv is created
# from pyproject.toml on first use and reused after; it is refreshed when pyproject.toml changes.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON3 ?= python3
ACTIVE_ENV := $(or $(VIRTUAL_ENV),$(CONDA_PREFIX))

ifeq ($(ACTIVE_ENV),)
  PY := $(CURDIR)/.venv/bin/python
  ENV_STAMP := .venv/.clvlib-installed
else
  PY := $(ACTIVE_ENV)/bin/python
  ENV_STAMP := $(ACTIVE_ENV)/.clvlib-installed
endif

PARAMS ?= params/default.yaml
OUT ?= reports
#: the shipped data sets of the verdict; absent data files are skipped with a message
VERDICT_PARAMS ?= params/default.yaml params/online_retail.yaml params/cdnow.example.yaml params/cdnow_sample.yaml
VERDICT_OUT ?= reports/verdict

.PHONY: help env reports verdict screenshots readme-summary test lint format notebooks-strip data benchmarks clean

# `make help`: every target with its `## comment`, the variables in it shown with their values
# (PARAMS, OUT, ...); coloured only on a terminal (and not when NO_COLOR is set).
HELP_VARIABLES := PARAMS OUT VERDICT_PARAMS VERDICT_OUT

help: ## Show this help
	@if [ -t 1 ] && [ -z "$${NO_COLOR:-}" ]; then on='\033[36m'; off='\033[0m'; else on=; off=; fi; \
	grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
	$(foreach v,$(HELP_VARIABLES),$(v)='$($(v))') awk -v on="$$on" -v off="$$off" \
		'BEGIN { FS = ":.*?## " } { text = $$2; \
		while (match(text, /\$$\([A-Z_]+\)/)) { \
			name = substr(text, RSTART + 2, RLENGTH - 3); \
			text = substr(text, 1, RSTART - 1) ENVIRON[name] substr(text, RSTART + RLENGTH) } \
		printf "  %s%-16s%s %s\n", on, $$1, off, text }'

$(ENV_STAMP): pyproject.toml
ifeq ($(ACTIVE_ENV),)
	@$(PYTHON3) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "clvlib needs Python >= 3.11; found " + sys.version.split()[0])'
	@test -x .venv/bin/python || { echo "Creating .venv with $$($(PYTHON3) --version)"; $(PYTHON3) -m venv .venv; }
endif
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

env: $(ENV_STAMP) ## Create (or reuse) the environment and install clvlib into it

reports: $(ENV_STAMP) ## Render every report for $(PARAMS) (one file, or several: PARAMS="A.yaml B.yaml") into $(OUT)/ (put in place when the run ends)
	$(PY) -m clvlib report $(addprefix --params ,$(PARAMS)) --out $(OUT)

verdict: $(ENV_STAMP) ## The verdict across every shipped data set present, into $(VERDICT_OUT)/ (index.html, verdict.json)
	@present="$$($(PY) scripts/present_params.py $(VERDICT_PARAMS))" && \
	$(PY) -m clvlib report $$(for p in $$present; do printf -- '--params %s ' "$$p"; done) --out $(VERDICT_OUT)

screenshots: reports ## Render the reports, then screenshot every page with headless Chromium into docs/images/
	$(PY) scripts/screenshots.py $(OUT) docs/images

readme-summary: $(ENV_STAMP) ## Render the executive summary of the default data and quote its answer in README.md
	$(PY) scripts/readme_summary.py

test: $(ENV_STAMP) ## Lint, check the layers, then run the whole test suite (notebooks and doctests)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -c 'import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())'
	$(PY) -m pytest

lint: $(ENV_STAMP) ## Lint and check formatting (ruff)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(ENV_STAMP) ## Format the code and fix what ruff can
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

notebooks-strip: $(ENV_STAMP) ## Strip outputs from the notebooks (as the pre-commit hook does)
	$(PY) -m nbstripout --keep-id notebooks/*.ipynb

data: $(ENV_STAMP) ## Regenerate the embedded default data set in data/ (byte-identical)
	$(PY) scripts/make_default_data.py

benchmarks: $(ENV_STAMP) ## Run the benchmarks (installs lifetimes, the reference, first)
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	$(PY) benchmarks/summary.py
	$(PY) benchmarks/methods.py
	$(PY) benchmarks/compare.py
	$(PY) benchmarks/reports.py

clean: ## Remove generated reports (and what killed runs left beside them) and caches (keeps .venv)
	rm -rf $(OUT) $(dir $(OUT)).$(notdir $(OUT)).clvlib-staging-* .pytest_cache .ruff_cache .hypothesis
