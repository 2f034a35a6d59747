# 分期助手 — two commands: `make run` (set up + start the bot) and `make test` (set up + test).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
include deploy/runtime.env
export $(shell sed -n 's/^\([A-Z_]*\)=.*/\1/p' deploy/runtime.env)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# make targets are the local demo; anything but an explicit "development" is production (docs/security.md)
export FENQI_ENV ?= development

SPACY_MODEL := build/spacy-zh/config.cfg
MODEL := models/fenqi.tar.gz
RASA_PORT ?= 5005
ACTIONS_PORT ?= 5055
WEB_PORT ?= 8080
ACTION_SERVER_URL ?= http://localhost:$(ACTIONS_PORT)/webhook
export RASA_PORT ACTIONS_PORT WEB_PORT ACTION_SERVER_URL
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) $(SPACY_MODEL) \
	$(shell find components fenqi/nlp -name '*.py' -o -name '*.yml' 2>/dev/null)

.PHONY: help setup run shell train candidate eval test test-fast lint validate spacy db clean
.DEFAULT_GOAL := help

# Feature fragments (widget, WeChat, production): they use the variables above.
include $(sort $(wildcard mk/*.mk))

help:
	@echo "make run    set everything up and start the bot (REST :5005, actions :5055, widget :8080, console :8090)"
	@echo "make test   set everything up, lint (ruff, mypy) and run all tests"
	@echo "make shell  chat with a running bot in the terminal (AS=demo_low_limit to log in as a demo user)"
	@echo "make train  train the Rasa model when data or config changed"
	@echo "make eval   intent accuracy / macro-F1 on the held-out sets -> docs/evaluation.md"
	@echo "make candidate  train models/candidate.tar.gz for the evaluation gate (docs/training-loop.md)"
	@echo "make run-prod   production mode: PostgreSQL, Redis, 2 Rasa + 2 action servers behind nginx (:8000)"
	@echo "make bench      latency/throughput benchmark of both modes -> docs/benchmarks.md"

# --- set-up ---------------------------------------------------------------------------------
$(VENV)/.installed: requirements/rasa-lock.txt requirements/runtime-lock.txt requirements/dev-lock.txt pyproject.toml
	@echo ">> creating $(VENV) (Python 3.11) from the committed lock (about 2-3 minutes the first time)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --no-deps --ignore-requires-python -r requirements/rasa-lock.txt 2> >(grep -v '^WARNING: Location' >&2)
	@$(BIN)/pip install -q --no-deps setuptools==70.3.0 wheel==0.45.1 2> >(grep -v '^WARNING: Location' >&2)
	@$(BIN)/pip install -q --no-deps -r requirements/runtime-lock.txt -r requirements/dev-lock.txt 2> >(grep -v '^WARNING: Location' >&2)
	@$(BIN)/pip install -q --no-deps --no-build-isolation -e . 2> >(grep -v '^WARNING: Location' >&2)
	@touch $@

setup: $(VENV)/.installed $(SPACY_MODEL) db $(WIDGET_CLIENT)

$(SPACY_MODEL): $(VENV)/.installed fenqi/nlp/lexicon.yml fenqi/nlp/pipeline.py fenqi/nlp/tokenizer.py
	@$(BIN)/python -m fenqi.nlp.pipeline build/spacy-zh

spacy: $(SPACY_MODEL)

# The demo account store: created and seeded once, re-initialised only when the models change
# (a Python start-up less on every `make run`).
db: var/fenqi.db

var/fenqi.db: $(VENV)/.installed fenqi/db/models.py fenqi/db/types.py
	@if [ -f var/fenqi.db ]; then $(BIN)/python -m fenqi db init >/dev/null; touch var/fenqi.db; \
	else $(BIN)/python -m fenqi db init && $(BIN)/python -m fenqi db seed-demo; fi

$(MODEL): $(VENV)/.installed $(TRAINING_INPUTS)
	@echo ">> training the Rasa model (about 2-3 minutes on 2 cores; log: var/log/train.log)"
	@mkdir -p var/log; start=$$(date +%s); \
	if ! $(BIN)/rasa train --config config.yml --domain domain.yml --data data --out models \
	     --fixed-model-name fenqi --quiet >var/log/train.log 2>&1; then \
	  grep -v Warning var/log/train.log | tail -n 30; echo "!! training failed (full log: var/log/train.log)"; exit 1; fi; \
	echo ">> trained in $$(( $$(date +%s) - start )) s"

train: $(MODEL)

# A candidate for the evaluation gate (docs/training-loop.md): the same training into another file,
# so the live model (models/fenqi.tar.gz before the first promotion) is never overwritten.
candidate: $(VENV)/.installed $(SPACY_MODEL)
	@echo ">> training models/candidate.tar.gz (log: var/log/train-candidate.log)"
	@mkdir -p var/log; start=$$(date +%s); \
	if ! $(BIN)/rasa train --config config.yml --domain domain.yml --data data --out models \
	     --fixed-model-name candidate --quiet >var/log/train-candidate.log 2>&1; then \
	  grep -v Warning var/log/train-candidate.log | tail -n 30; echo "!! training failed"; exit 1; fi; \
	echo ">> trained in $$(( $$(date +%s) - start )) s; next: .venv/bin/python -m fenqi model gate models/candidate.tar.gz"

# --- running --------------------------------------------------------------------------------
run: setup $(MODEL)
	@scripts/run.sh

shell: $(VENV)/.installed
	@$(BIN)/python -m fenqi.tools.chat --url http://localhost:$(RASA_PORT) $(if $(AS),--user $(AS))

eval: setup $(MODEL)
	@$(BIN)/python scripts/evaluate.py --model $(MODEL)

# --- tests ----------------------------------------------------------------------------------
validate: $(VENV)/.installed
	@$(BIN)/rasa data validate --config config.yml --domain domain.yml --data data --fail-on-warnings --quiet

# ruff (lint + import order) on the project, mypy on fenqi/ (config: pyproject.toml); run by make test.
lint: $(VENV)/.installed
	@$(BIN)/ruff check .
	@$(BIN)/mypy

test: setup widget-deps prod-deps $(MODEL) lint
	@$(BIN)/python -m pytest tests

test-fast: $(VENV)/.installed $(SPACY_MODEL)
	@$(BIN)/python -m pytest tests -m "not e2e and not browser and not prod"

clean:
	rm -rf build models results var .pytest_cache

