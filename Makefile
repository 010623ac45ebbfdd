# The two commands: `make run` starts the platform on its embedded default; `make test` runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export PATH := $(BIN):$(PATH)

.PHONY: run test install lock clean system-packages run-packages

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is needed; set PYTHON=/path/to/python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

install: $(STAMP)

# The platform talks to the local GİB hub it serves itself (GIB_SERVICE_URL names GİB's service in production).
run: export GIB_SERVICE_URL ?= http://127.0.0.1:$(PORT)/gibhub/services/EFatura
run: export GIB_POLL_FIRST ?= 5
# Likewise the local SMS gateway, and the address buyers' links are built on.
run: export SMS_URL ?= http://127.0.0.1:$(PORT)/smsgateway/netgsm
run: export PUBLIC_URL ?= http://$(HOST):$(PORT)
run: install run-packages
	python manage.py gib_package install --if-missing
	python manage.py migrate --noinput
	python manage.py collectstatic --noinput --verbosity 0
	python manage.py load_demo --address http://$(HOST):$(PORT)/
	HOST=$(HOST) honcho --procfile Procfile start --port $(PORT)

# Debian's packages, installed with apt-get when missing (as root; otherwise the command is named).
# The platform draws PDFs with weasyprint, which needs Pango and HarfBuzz's subsetter (without it
# weasyprint subsets fonts with fontTools, about 250 ms more a PDF), and Debian's DejaVu fonts (every
# Turkish letter). The tests also use SoftHSM2 (a PKCS#11 token), xmlsec1 (an independent signature check),
# gettext (the translation catalogue checked against the texts the code marks), poppler's pdftotext
# and pdftoppm (reading the PDFs back), zbar's zbarimg (reading their karekod) and Chromium (the
# portal's pages in a real browser, driven by Playwright; never a browser download).
RUN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
TEST_PACKAGES := $(RUN_PACKAGES) softhsm2 xmlsec1 libxml2-utils gettext poppler-utils zbar-tools chromium
define apt_install
	@missing=""; for package in $(1); do dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get install -y -q $$missing || { apt-get update -q && apt-get install -y -q $$missing; }; \
		else echo "The platform needs Debian's$$missing: sudo apt-get install$$missing" >&2; exit 1; fi; \
	fi
endef

run-packages:
	$(call apt_install,$(RUN_PACKAGES))

system-packages:
	$(call apt_install,$(TEST_PACKAGES))

# On this machine's PostgreSQL and Redis when it has them, started if need be (tests/services.sh).
test: install system-packages
	@. tests/services.sh && python -m pytest $(PYTEST_ARGS)

# Refresh requirements.lock from pyproject.toml (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) var
