# The two commands: `make run` starts the platform on its embedded default; `make test` runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export PATH := $(BIN):$(PATH)

.PHONY: run test install lock clean system-packages

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is needed; set PYTHON=/path/to/python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

install: $(STAMP)

# The platform talks to the local GİB hub it serves itself (GIB_SERVICE_URL names GİB's service in production).
run: export GIB_SERVICE_URL ?= http://127.0.0.1:$(PORT)/gibhub/services/EFatura
run: export GIB_POLL_FIRST ?= 5
run: install
	python manage.py gib_package install --if-missing
	python manage.py migrate --noinput
	python manage.py collectstatic --noinput --verbosity 0
	python manage.py load_demo --address http://$(HOST):$(PORT)/
	HOST=$(HOST) honcho --procfile Procfile start --port $(PORT)

# The tests use Debian's SoftHSM2 (a PKCS#11 token), xmlsec1 (an independent signature check) and
# gettext (the translation catalogue checked against the texts the code marks).
system-packages:
	@missing=""; command -v softhsm2-util >/dev/null || missing="softhsm2"; command -v xmlsec1 >/dev/null || missing="$$missing xmlsec1"; \
	command -v msgattrib >/dev/null || missing="$$missing gettext"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get install -y -q $$missing || { apt-get update -q && apt-get install -y -q $$missing; }; \
		else echo "The tests need Debian's$$missing: sudo apt-get install$$missing" >&2; exit 1; fi; \
	fi

test: install system-packages
	python -m pytest $(PYTEST_ARGS)

# Refresh requirements.lock from pyproject.toml (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) var
