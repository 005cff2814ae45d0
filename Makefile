# Anatomy of an Outage — the two commands a learner needs are `make lab` and `make test`.
# Both create the virtual environment .venv on first use (Python >= 3.11 required) and reuse it after.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8888
STAMP  := $(VENV)/.installed
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: lab test browser venv exercises execute bench site clean

lab: $(STAMP)  ## open the course in JupyterLab at Chapter 0
	$(BIN)/jupyter lab --port=$(PORT) $(ROOT_FLAG) --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate notebooks/00_the_night.ipynb

test: $(STAMP)  ## run every test: ruff, unit and property tests, exercise checks, strict nbval, browser tests
	$(BIN)/ruff check course_lib tests tools benchmarks notebooks solutions
	$(BIN)/python -m pytest tests notebooks solutions $(NBVAL)

browser: $(STAMP)  ## only the real-browser tests (JupyterLab and Voila in Chromium)
	$(BIN)/python -m pytest tests -m browser

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

exercises: $(STAMP)  ## regenerate exercises/ from solutions/
	$(BIN)/python tools/make_exercises.py

execute: $(STAMP)  ## re-execute and clean notebooks/ and solutions/ in place (NB=path to do one)
	$(BIN)/python tools/execute_notebooks.py $(NB)
	$(BIN)/python tools/make_exercises.py

bench: $(STAMP)  ## print the speed measurements (slider redraws, simulator throughput, browser latency)
	$(BIN)/python benchmarks/run_all.py --browser

site: $(STAMP)  ## build the static course website into _site/
	$(BIN)/python tools/build_site.py

clean:
	rm -rf _site artifacts .pytest_cache
