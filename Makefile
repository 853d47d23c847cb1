# nnworkshop: two commands do all the set-up on a fresh machine (Python >= 3.10 and pip).
#   make lab    make .venv, install the course, open JupyterLab on the course (notebooks/, exercises/)
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

# PyTorch first: its CPU build (about 200 MB) where there is no NVIDIA driver, else the default build;
# TORCH_INDEX=URL picks an index, TORCH_INDEX= the default. nnworkshop/torch_install.py says which and why.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python nnworkshop/torch_install.py
	$(BIN)/python -m pip install --quiet -e ".[dev,lab,site]"
	@touch $(STAMP)

install: $(STAMP)

# JupyterLab on the course root (notebooks/ and exercises/), 00_setup first, each notebook listed once;
# LAB_ARGS go to JupyterLab (e.g. LAB_ARGS="--port 8890 --no-browser").
LAB_ARGS ?=

lab: $(STAMP)
	$(BIN)/nnworkshop lab $(LAB_ARGS)

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
