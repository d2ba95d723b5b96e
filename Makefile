# Two commands set up a fresh machine:
#   make lab   — environment + fast-profile resources, then JupyterLab on lesson 00
#   make test  — the same set-up, then the whole test suite (what CI runs). nbval over every lesson is part of
#                it: tests/test_lesson_grades.py grades each solution under pytest + nbval with its outputs
#                compared, so one execution is both its nbval run and its grading (`make notebooks`: nbval alone).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LAB_PORT ?= 8888
LAB_FLAGS ?=
export COURSE_PROFILE ?= fast
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# torch's OpenMP threads sleep instead of spinning while Python works between operations; on a 2-core
# machine that also runs a notebook kernel or the test runner this keeps training from stalling.
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: lab test test-lesson setup env fetch browser unit notebooks build lock clean

# JupyterLab serves the repository root (README, notebooks/ and solutions/ in its file browser); the
# browser and the printed addresses open lesson 00. JUPYTER_CONFIG_PATH adds the course's Jupyter
# settings in .jupyter/: no news pop-up, no update check. LAB_PORT picks the port, LAB_FLAGS adds
# options (README, "JupyterLab": remote machines). Jupyter refuses to run as root unless told so;
# containers and cloud VMs often run as root, so make tells it there.
lab: setup
	@echo "$$(date +%T) [lab] starting JupyterLab on notebooks/00-setup.ipynb (a few seconds; the address with its token follows)"
	JUPYTER_CONFIG_PATH="$(CURDIR)/.jupyter$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	  $(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" \
	  --LabApp.default_url=/lab/tree/notebooks/00-setup.ipynb --port=$(LAB_PORT) \
	  $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_FLAGS)

test: setup browser unit
	@echo "$$(date +%T) [test] done"

setup: env fetch

env: $(STAMP)

# Reinstall only when a lock file changes. The kernel's display name is the one the notebooks' metadata
# carries, so JupyterLab does not rewrite it (and mark the notebook modified) when it opens one.
$(STAMP): requirements.lock requirements-keras.txt pyproject.toml
	@echo "$$(date +%T) [set-up 1/2] environment: installing the pinned packages (requirements.lock) into $(VENV) — first time about 2-3 min (≈ 1.9 GB installed), after a lock change less; skipped when current"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --no-compile -r requirements.lock
	$(PY) -m pip install --quiet --no-compile --no-deps -r requirements-keras.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
	touch $(STAMP)

fetch: env
	@echo "$$(date +%T) [set-up 2/2] course fetch: the pinned archives (≈ 250 MB) into the course cache, SmolLM2 converted, the shipped stand-ins assembled — first time about 1 min, then about 1 s"
	$(VENV)/bin/course fetch

# The web-page test drives a Chromium-family browser headless: Debian's chromium, or the Google Chrome that
# hosted CI runners ship (tests/test_webpage.py picks whichever runs). Install Debian's when none is present
# and we can (root + apt).
browser:
	@if b=$$(command -v chromium google-chrome google-chrome-stable chrome | head -n 1) && [ -n "$$b" ]; then \
	  echo "browser for the web-page test: $$b"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null && echo "browser for the web-page test: chromium (installed)"; \
	else echo "browser for the web-page test: none (chromium, google-chrome) — the test will be skipped (sudo apt-get install chromium)"; fi

unit: env
	@echo "$$(date +%T) [test] unit tests, each lesson's solution under nbval and graded (full marks) and its learner notebook graded (0), full-profile dry runs (tests/)"
	$(PY) -m pytest tests -q --durations=12; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 5 ]

NBVAL_FLAGS := --nbval-lax --nbval-current-env --nbval-cell-timeout=600 --nbval-sanitize-with tests/sanitize.cfg
# One lesson in about a minute (longer for the training lessons): make test-lesson L=05
# its exercise and notebook-layout tests, the grader on the solution (executed under nbval, outputs compared: full
# marks) and on the learner notebook (0).
test-lesson: env
	@test -n "$(L)" || { echo "usage: make test-lesson L=NN"; exit 2; }
	$(PY) -m pytest -q tests/test_exercises.py tests/test_lessons.py tests/test_lesson_grades.py -k "lesson$(L) or $(L)-"

notebooks: env
	@echo "$$(date +%T) [notebooks] nbval over every lesson (solutions/)"
	$(PY) -m pytest $(NBVAL_FLAGS) solutions -q; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 5 ]

# Regenerate the learner notebooks and the README lesson table from their sources.
build: env
	$(VENV)/bin/course build
	$(VENV)/bin/course readme

# Regenerate requirements.lock from requirements.in in a clean throwaway environment.
lock:
	rm -rf /tmp/course-lock-venv && $(PYTHON) -m venv /tmp/course-lock-venv
	/tmp/course-lock-venv/bin/pip install --quiet -r requirements.in
	( echo "# Generated by 'make lock' from requirements.in — do not edit by hand."; \
	  /tmp/course-lock-venv/bin/pip freeze --exclude-editable | sed 's/+cpu$$//' ) > requirements.lock

clean:
	rm -rf $(VENV)
