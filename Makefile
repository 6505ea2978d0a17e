# beatbrief: make demo | make test | make bench | make lint | make fmt | make airflow | make cluster
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
# A bytecode cache beside the repo: this machine sets PYTHONDONTWRITEBYTECODE, which makes
# every Airflow process recompile its imports (about 4 s each).
unexport PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX := $(CURDIR)/.pycache
export BEATBRIEF_HOME ?= $(CURDIR)/var
DEMO_DATE ?= 2026-11-27
DEMO_DAYS ?= 400
DEMO_SEED ?= 20261128
AIRFLOW_PORT ?= 8080
# make cluster: Celery workers, the PostgreSQL database on 127.0.0.1:5432 and the Redis
# database index on 127.0.0.1:6379 it uses; make services keeps its servers in SERVICES_DIR.
CLUSTER_WORKERS ?= 2
CLUSTER_DB ?= beatbrief_airflow
CLUSTER_REDIS_DB ?= 0
SERVICES_DIR ?= $(CURDIR)/.services

.PHONY: help setup browser services services-stop demo test bench lint fmt airflow cluster \
	cluster-stop clean

help:
	@echo "make demo     simulate the demo county and run the daily DAG for $(DEMO_DATE)"
	@echo "make test     set up the environment and run the test suite"
	@echo "make bench    every stage of the county, and the province day on Celery (1 and 2 workers), against a bare DuckDB pass"
	@echo "make lint     ruff + sqlfluff;  make fmt: format"
	@echo "make airflow  Airflow UI on http://127.0.0.1:$(AIRFLOW_PORT) with the project's DAGs"
	@echo "make services PostgreSQL and Redis on 127.0.0.1 (reused if they answer; make services-stop)"
	@echo "make cluster  the same on Celery: $(CLUSTER_WORKERS) workers, PostgreSQL, Redis (make cluster-stop)"

$(CURDIR)/.tools/bin/uv:
	python3 -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet uv==$(UV_VERSION)

setup: $(UV)
	$(UV) sync --frozen --group dev

# Debian's chromium for the browser tests (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-wqy-zenhei >/dev/null; \
	  else echo "chromium missing: apt-get install chromium" >&2; exit 1; fi; }

demo: setup
	@start=$$(date +%s); \
	$(UV) run beatbrief simulate --home "$(BEATBRIEF_HOME)" --end $(DEMO_DATE) --days $(DEMO_DAYS) --seed $(DEMO_SEED) && \
	$(UV) run beatbrief run --home "$(BEATBRIEF_HOME)" --date $(DEMO_DATE) && \
	echo "demo finished in $$(( $$(date +%s) - start )) s"

test: setup browser services
	$(UV) run pytest -q -n 2 --dist loadfile --no-loadscope-reorder; rc=$$?; if [ $$rc = 5 ]; then echo "no tests collected" >&2; exit 1; fi; exit $$rc

bench: setup services
	$(UV) run python -m beatbrief.bench

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run sqlfluff lint transforms reports/queries

fmt: setup
	$(UV) run ruff format .
	$(UV) run ruff check --fix .
	$(UV) run sqlfluff fix transforms

airflow: setup
	$(UV) run python -m beatbrief.airflow_runner serve --home "$(BEATBRIEF_HOME)" --port $(AIRFLOW_PORT)

# PostgreSQL (trust auth) and Redis on 127.0.0.1: reused when they answer, else installed with
# apt-get (as root) and started under SERVICES_DIR; services-stop stops only what that started.
services: setup
	@$(UV) run python -m beatbrief.services start --dir "$(SERVICES_DIR)"

services-stop: setup
	@$(UV) run python -m beatbrief.services stop --dir "$(SERVICES_DIR)"

# Detached: returns once every component is healthy; AIRFLOW__* variables set in the
# environment win over the cluster's defaults.
cluster: setup
	$(UV) run python -m beatbrief.cluster start --home "$(BEATBRIEF_HOME)" --port $(AIRFLOW_PORT) \
	  --workers $(CLUSTER_WORKERS) --db "$(CLUSTER_DB)" --redis-db $(CLUSTER_REDIS_DB)

cluster-stop: setup
	$(UV) run python -m beatbrief.cluster stop --home "$(BEATBRIEF_HOME)"

clean:
	rm -rf var .pycache .pytest_cache test-output
