# OCPI 2.3.0 and 2.2.1 reference hub, conformance harness and load tests. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8080
STORE ?= sqlite:///data/hub.db
PYTEST_ARGS ?=
# harness tests at once: each runs a hub and a harness process that spend most of a run waiting (loopback I/O and the
# harness's quiet windows); at 6 the two cores are busy throughout (8:45 against 9:51 at 4, measured on 2 cores)
HARNESS_WORKERS ?= 6
# the other tests at once (end-to-end tests wait on their processes much of the time; 5:51 at 3 against 6:15 at 2)
TEST_WORKERS ?= 3

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets (coloured only on a terminal, and never with NO_COLOR set)
	@if [ -t 1 ] && [ -z "$${NO_COLOR:-}" ]; then on='\033[36m'; off='\033[0m'; else on=''; off=''; fi; \
	awk -v on="$$on" -v off="$$off" 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %s%-14s%s %s\n", on, $$1, off, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python >= 3.11 is required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

.PHONY: install
install: $(STAMP) ## Create .venv and install the project with its dev tools (idempotent)

.PHONY: run
run: $(STAMP) ## Serve a local trial hub on http://127.0.0.1:8080, SQLite in data/hub.db (HOST, PORT, STORE override; parties on this machine allowed, no failed-authentication limit; OCPI_HUB_ADMIN_KEY=... opens the dashboard at /admin/)
	@OCPI_HUB_ALLOW_PRIVATE_PEERS=$${OCPI_HUB_ALLOW_PRIVATE_PEERS:-true} \
	OCPI_HUB_AUTH_FAILURE_LIMIT=$${OCPI_HUB_AUTH_FAILURE_LIMIT:-0} \
	$(BIN)/ocpi-hub serve --host $(HOST) --port $(PORT) --store $(STORE)

.PHONY: invite
invite: $(STAMP) ## Print a registration token A for a new party of the hub `make run` serves (same HOST, PORT, STORE)
	@$(BIN)/ocpi-hub invite --store $(STORE) --host $(HOST) --port $(PORT)

.PHONY: test
test: $(STAMP) ## Run every test (unit, contract, end-to-end, load-test smoke; TEST_WORKERS at a time; then the harness tests, HARNESS_WORKERS at a time)
	$(BIN)/python -m pytest --ignore=tests/harness -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS); first=$$?; \
	$(BIN)/python -m pytest tests/harness -n $(HARNESS_WORKERS) $(PYTEST_ARGS); second=$$?; \
	test $$first -eq 0 -a $$second -eq 0

.PHONY: browser
browser: ## Install Debian's Chromium for the dashboard's browser tests (skipped when /usr/bin/chromium exists)
	./tools/install_browser.sh

.PHONY: valgrind
valgrind: ## Install Debian's valgrind for tools/instructions.py and its test (skipped when present)
	./tools/install_valgrind.sh

.PHONY: postgres
postgres: ## Install Debian's PostgreSQL server programs for the tests and make bench (skipped when present; the tests start their own throwaway server)
	./tools/install_postgres.sh

.PHONY: test-dashboard
test-dashboard: $(STAMP) ## The dashboard in a real browser (Playwright + Chromium) and its security unit tests
	$(BIN)/python -m pytest tests/e2e/test_dashboard.py tests/unit/test_dashboard_security.py $(PYTEST_ARGS)

.PHONY: screenshots
screenshots: $(STAMP) ## Re-take the dashboard screenshots in docs/dashboard/ (shown in the README) from the browser test
	OCPI_DASHBOARD_SCREENSHOTS=docs/dashboard $(BIN)/python -m pytest tests/e2e/test_dashboard.py $(PYTEST_ARGS)

.PHONY: test-harness
test-harness: $(STAMP) ## Test the tester: the harness against the reference hub, clean and with each fault switch
	$(BIN)/python -m pytest tests/harness -n $(HARNESS_WORKERS) $(PYTEST_ARGS)

TARGET_FILE ?= target.toml
.PHONY: conformance
conformance: $(STAMP) ## Certify a target: ocpi-conformance run TARGET_FILE (default target.toml; see ocpi-conformance init)
	@$(BIN)/ocpi-conformance run $(TARGET_FILE)

TARGET ?= http://$(HOST):$(PORT)/ocpi/versions
TOKENS ?= tokens.txt
INVITATIONS ?= invitations.txt
SCENARIO ?= token
LOADTEST_ARGS ?=

.PHONY: loadtest
loadtest: $(STAMP) ## Load-test TARGET (a versions URL): SCENARIO=token with TOKENS, or registration with INVITATIONS
	@$(BIN)/python -m loadtests $(SCENARIO) --versions-url $(TARGET) $(if $(filter registration,$(SCENARIO)),--invitations $(INVITATIONS),--tokens $(TOKENS)) $(LOADTEST_ARGS)

.PHONY: fuzz-hub
fuzz-hub: $(STAMP) ## Fuzz every hub operation with schemathesis (over 5,000 cases); fails on any 5xx or traceback
	$(BIN)/python tools/fuzz_hub.py --max-examples 50

BENCH_ARGS ?=
.PHONY: bench
bench: $(STAMP) ## Reproduce BENCHMARKS.md and its charts (docs/bench/): token validation vs bare Litestar, registrations, pages, authorization (as fast as possible, at 200 req/s, and against offered load), fairness under a flood, pushes, fan-out to 50 receivers and a backlog drain, token validation counted in instructions (~23 min; BENCH_ARGS="--store postgresql" runs every phase on PostgreSQL)
	$(BIN)/python -m loadtests.bench $(BENCH_ARGS)

.PHONY: bench-stores
bench-stores: $(STAMP) ## BENCHMARKS.md's store comparison: SQLite vs PostgreSQL vs two hub instances on one PostgreSQL (~15 min; needs make postgres)
	$(BIN)/python -m loadtests.bench --stores $(BENCH_ARGS)

BASE ?=
.PHONY: bench-baseline
bench-baseline: $(STAMP) ## This checkout's hub against another checkout's (BASE=DIR, e.g. git worktree add ../base main): token validation and routed authorization, both hubs in every round, read as ratios round by round (~7 min; BENCH_ARGS="--quick --repeats 5" ~3 min)
	@test -n "$(BASE)" || { echo "make bench-baseline: give BASE=DIR, another checkout (git worktree add ../base main)" >&2; exit 2; }
	$(BIN)/python -m loadtests.bench --baseline $(BASE) $(BENCH_ARGS)

.PHONY: lint
lint: $(STAMP) ## ruff lint + format check, mypy, import-linter layer contracts, generated models of both versions up to date
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python tools/gen_models.py --check
	$(BIN)/python tools/gen_translation_doc.py --check

.PHONY: check
check: lint test ## Everything: lint, types, import rules, tests

.PHONY: fmt
fmt: $(STAMP) ## Format and auto-fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

.PHONY: models
models: $(STAMP) ## Regenerate reference_hub/ocpi/models*.py and operations*.py from openapi.yaml (2.3.0) and openapi-2.2.1.yaml
	$(BIN)/python tools/gen_models.py

.PHONY: docker-up
docker-up: ## Start MongoDB 7 (a single-node replica set) and the hub with docker compose (needs a Docker engine)
	docker compose up -d --build

.PHONY: docker-up-scale
docker-up-scale: ## Also start PostgreSQL 16, two hub instances on it and nginx in front (http://127.0.0.1:8081; needs a Docker engine)
	docker compose --profile scale-out up -d --build

.PHONY: docker-down
docker-down: ## Stop the docker compose services (every profile)
	docker compose --profile scale-out down

.PHONY: docker-logs
docker-logs: ## Follow the docker compose logs
	docker compose logs -f

.PHONY: clean
clean: ## Remove what the tools create: the virtualenv, caches, reports, load-test results, local data and token files
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .schemathesis build dist *.egg-info \
		reports loadtest-results ocpi-conformance-report data examples/.state
	rm -f tokens.txt invitations.txt receivers.txt cpo-token.txt push-cpo.txt tokens.csv *-tokens.csv *.har
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
