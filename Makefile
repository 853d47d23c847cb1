# nnworkshop: two commands do all the set-up on a fresh machine (Python >= 3.10 and pip).
#   make lab    make .venv, install the course, open JupyterLab on notebooks/
#   make test   make .venv if missing, install, run every test (pytest + every notebook under nbval)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.nnworkshop-installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
SOLUTIONS := $(sort $(wildcard solutions/*.ipynb))
PYTEST_ARGS ?= --durations=25
NBVAL_ARGS ?= --nbval-lax --nbval-current-env --nbval-cell-timeout=900

.PHONY: lab test install doctor bench exercises links site clean help

help:
	@echo "make lab      set up .venv and open the course in JupyterLab"
	@echo "make test     set up .venv and run every test and notebook"
	@echo "make doctor   versions, device, where MNIST is read from"
	@echo "make bench    time the training loops (nnworkshop bench)"
	@echo "make site     build the course website from the executed notebooks into build/site/"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "nnworkshop needs Python >= 3.10; this is " + sys.version.split()[0] + ". Run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev,lab,site]"
	@touch $(STAMP)

install: $(STAMP)

# Jupyter refuses to start as root unless told; containers (Docker, some hubs) often run as root.
LAB_ARGS ?= $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/ $(LAB_ARGS)

test: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest $(PYTEST_ARGS) tests $(NOTEBOOKS) $(SOLUTIONS) $(NBVAL_ARGS)

doctor: $(STAMP)
	$(BIN)/nnworkshop doctor

bench: $(STAMP)
	$(BIN)/nnworkshop bench

exercises: $(STAMP)
	$(BIN)/nnworkshop exercises build

links: $(STAMP)
	$(BIN)/nnworkshop links

# Full mode on the learner's settings; NNWORKSHOP_DATA (real digits) is read from the environment.
site: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python website/build.py --out build/site

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
