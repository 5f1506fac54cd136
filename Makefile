# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OPSTAP := $(BIN)/opstap
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup browser messages translations lint bench clean

$(STAMP): requirements.lock pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)
	$(OPSTAP) compiletranslations

run: setup
	$(OPSTAP) migrate --noinput
	$(OPSTAP) demo --if-empty
	@echo
	@echo "Opstap runs at http://$(HOST):$(PORT)/  sign in at http://$(HOST):$(PORT)/login/ with a login above  (stop with Ctrl-C)"
	OPSTAP_MFA_EXEMPT_DOMAINS=demo $(OPSTAP) runserver $(HOST):$(PORT)

# Browser tests drive Debian's Chromium, and the PDF tests read text back with pdftotext
# (poppler-utils); install them when they are missing.
browser:
	@command -v chromium >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium and poppler-utils for the browser and PDF tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils) \
	  || sudo sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils'; }

test: setup browser
	$(BIN)/pytest -q -n 2 --dist loadgroup

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Regenerate the .po catalogues from the source (needs GNU gettext).
messages: setup
	cd opstap && ../$(OPSTAP) makemessages -l nl -l fr -l en --no-obsolete --no-location

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var
