# The two commands: `make run` starts the platform on its embedded default; `make test` runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export PATH := $(BIN):$(PATH)

.PHONY: run test install lock clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is needed; set PYTHON=/path/to/python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

install: $(STAMP)

run: install
	python manage.py gib_package install --if-missing
	python manage.py migrate --noinput
	python manage.py collectstatic --noinput --verbosity 0
	python manage.py load_demo --address http://$(HOST):$(PORT)/
	HOST=$(HOST) honcho --procfile Procfile start --port $(PORT)

test: install
	python -m pytest $(PYTEST_ARGS)

# Refresh requirements.lock from pyproject.toml (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) var
