# edu-dwh — education-quality monitoring warehouse
# `make demo` and `make test` do all the set-up they need on a fresh machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP) ## create .venv and install the pinned requirements

demo: $(STAMP) ## synthetic region through the whole pipeline (via Airflow), summary in Russian
	$(BIN)/edu-dwh demo

test: $(STAMP) ## the full test suite (what CI runs); installs Chromium for the report tests where missing
	tests/setup/ensure_chromium.sh
	$(BIN)/python -m pytest -q

lint: $(STAMP) ## ruff lint + format check
	$(BIN)/ruff check sources ingestion expectations orchestration reporting synthetic metabase dags tests bench
	$(BIN)/ruff format --check sources ingestion expectations orchestration reporting synthetic metabase dags tests bench

lint-sql: $(STAMP) ## sqlfluff lint of the dbt models and macros (config: dbt_project/.sqlfluff)
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/macros

bench: $(STAMP) ## benchmarks as ratios in one run: COPY ceiling, pandas to_sql, our staging; XLSX readers; GX/dbt seconds; RSS vs file size (bench/run.py)
	$(BIN)/python -m bench.run

bench-national: $(STAMP) ## the whole pipeline on a generated --scale 15 landing (~25 min; EDU_DWH_BENCH_SCALE overrides): phase times, rows/s, peak RSS, then a one-year change
	$(BIN)/python -m bench.national

metabase: $(STAMP) ## provision the dashboards and municipal connections into Metabase (MB_URL, METABASE_API_KEY or MB_USER/MB_PASSWORD, MB_ACCESS_FILE); DRY_RUN=1 to preview
	$(BIN)/python -m metabase.provision $(if $(DRY_RUN),--dry-run,)

clean: ## remove local state (embedded database, airflow home, reports); keeps .venv
	rm -rf .local

.PHONY: help venv demo test lint lint-sql bench bench-national metabase clean
