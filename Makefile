# The two commands of the README. Both create the environment in .venv on first use.
#   make lab    set everything up and open the course in JupyterLab
#   make test   set everything up and run the whole test suite (what CI runs)
#   make pictures  redo the README's lesson pictures (docs/images/) from the browser tests

PYTHON ?= python3
VENV   ?= .venv
# The exact torch the course is tested with; override e.g. with TORCH="torch==2.9.1".
TORCH  ?= torch==2.13.0
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Jupyter refuses to run as root (containers, cloud machines) unless told to.
AS_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test pictures
lab: $(STAMP)
	$(BIN)/jupyter lab $(AS_ROOT) lessons/

test: $(STAMP)
	$(BIN)/python -m pytest

pictures: $(STAMP)
	$(BIN)/python tools/readme_pictures.py --browser

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$(TORCH)" -e ".[dev]"
	touch $@
