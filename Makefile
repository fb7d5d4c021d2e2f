# One command per job. CI, the Dockerfile and the workflows call these same targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
UV ?= uv
CHECKOV := $(UV) tool run --from checkov==3.2.459 checkov
export FLASK_APP := app.wsgi

.PHONY: help install test lint fmt dev migrate image up down status demo demo-rollback bench validate

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

$(PY): pyproject.toml uv.lock
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet 'uv==0.13.9'
	$(UV) sync --frozen
	@touch $(PY)

install: $(PY) ## Create .venv from the lock file

test: $(PY) ## Run the whole test suite (starts the servers it needs)
	$(BIN)/pytest

lint: $(PY) ## ruff, ruff format --check, mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: $(PY) ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

dev: $(PY) ## Run the app on http://127.0.0.1:8000 with embedded defaults
	$(BIN)/flask db upgrade
	$(BIN)/flask run --host 127.0.0.1 --port 8000 --debug

migrate: $(PY) ## Apply database migrations (DATABASE_URL)
	$(BIN)/flask db upgrade
