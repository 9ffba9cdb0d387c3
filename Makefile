# Two commands are all a new user needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-done

.PHONY: setup index run test eval bench soak serve-replicas clean rails generalisation

setup: $(STAMP) ## Create .venv with torch (CPU build) first, then the project and its test tools.

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# torch first: this exact version is a CPU build on disk; anything else would pull a multi-GB CUDA build.
	@# --no-compile: Python compiles a module when it is first imported, so set-up does not compile the
	@# tens of thousands of files never imported (2 min 48 s -> 1 min 15 s on a fresh clone).
	$(PY) -m pip install --quiet --no-compile torch==2.13.0
	$(PY) -m pip install --quiet --no-compile -e ".[test]"
	@touch $(STAMP)

index: setup ## Build or update the index (only changed files are embedded).
	$(BIN)/assistant ingest

run: index ## Serve the chat page on http://127.0.0.1:7860.
	$(BIN)/assistant chat

test: setup ## The whole test suite: fakes, real model, real Chroma (embedded and server), browser, quick eval.
	$(PY) -m pytest

eval: index ## Run every labelled case through the real pipeline; writes evals/reports/<timestamp>/.
	$(BIN)/assistant eval --compare dense --compare naive

rails: setup ## Retrain the safety classifier (guardrails/classifier/) from ASSISTANT_TRAINING_DATA and the team's messages; prints the generalisation table.
	$(BIN)/assistant rails

generalisation: index ## The whole assistant on every labelled message, heads trained without its source (about 8 minutes); prints the table.
	$(BIN)/assistant rails --pipeline

bench: index ## Benchmarks; writes benchmarks/results.json, benchmarks/README.md and a plot.
	$(BIN)/assistant bench

soak: index ## 50 users for 5 minutes against the page on loopback; then replicas on one Chroma server under a minute of load per phase.
	$(PY) -m assistant.benchmarking.soak --users 50 --seconds 300
	SOAK_SECONDS=60 $(PY) -m pytest -q tests/test_replicas.py

N ?= 2
serve-replicas: setup ## `chroma run` on 127.0.0.1:8000 and N pages on 127.0.0.1:7861... (make serve-replicas N=3).
	$(PY) -m assistant.replicas --replicas $(N)

clean: ## Remove the index and reports (not the venv).
	rm -rf .index evals/reports test-artifacts
