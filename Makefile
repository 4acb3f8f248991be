# The two commands of the README. Both create the environment in .venv on first use.
#   make lab    set everything up and open the course in JupyterLab
#   make test   set everything up and run the whole test suite (what CI runs)
#   make test-fast the unit tests and the lint only (no notebooks, no browser): the loop while editing
#   make pictures  redo the README's lesson pictures (docs/images/) from the browser tests

PYTHON ?= python3
VENV   ?= .venv
# The exact torch the course is tested with; override e.g. with TORCH="torch==2.9.1".
TORCH  ?= torch==2.13.0
BIN    := $(VENV)/bin
# pytest-xdist: one worker per core (at most 4); each test file runs whole on one worker, in order
# (a notebook's cells for nbval; a module-scoped fixture that grades a corpus is set up once).
# `make test PARALLEL=-n0` runs the suite in this one process.
PARALLEL ?= -n auto --maxprocesses=4 --dist loadfile
STAMP  := $(VENV)/.installed
# Jupyter refuses to run as root (containers, cloud machines) unless told to.
AS_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test test-fast lint pictures
lab: $(STAMP)
	$(BIN)/jupyter lab $(AS_ROOT) lessons/

test: lint
	$(BIN)/python -m pytest $(PARALLEL)

test-fast: lint
	$(BIN)/python -m pytest $(PARALLEL) tests -m "not notebook" --ignore=tests/browser

lint: $(STAMP)
	$(BIN)/ruff check .

pictures: $(STAMP)
	$(BIN)/python tools/readme_pictures.py --browser

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$(TORCH)" -e ".[dev]"
	touch $@
