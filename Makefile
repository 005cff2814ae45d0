# Anatomy of an Outage — the two commands a learner needs are `make lab` and `make test`.
# Both create the virtual environment .venv on first use (Python >= 3.11 required) and reuse it after.
# `make lab` installs only what running the course needs (requirements/lab.txt); `make test` adds the test
# toolchain (requirements/test.txt).  Both lock files pin every package with its hashes; `make lock` refreshes them
# from pyproject.toml, the one place where dependencies are declared.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8888
LAB_STAMP  := $(VENV)/.lab-installed
TEST_STAMP := $(VENV)/.test-installed
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
# pytest-xdist workers: one per core, at most 4 (each nbval notebook and each test file stays on one worker).
JOBS   ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ "$$n" -gt 4 ] && n=4; echo $$n)
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
LOCK   := $(BIN)/python -m uv pip compile pyproject.toml --universal --python-version 3.11.5 --generate-hashes \
          --index-url https://pypi.org/simple --custom-compile-command "make lock" --quiet

.PHONY: lab test browser venv exercises execute bench site lock clean

lab: $(LAB_STAMP)  ## open the course in JupyterLab at Chapter 0
	$(BIN)/jupyter lab --port=$(PORT) $(ROOT_FLAG) --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate notebooks/00_the_night.ipynb

test: $(TEST_STAMP)  ## run every test: ruff, unit and property tests, exercise checks, strict nbval, site, browser
	$(BIN)/ruff check course_lib tests tools benchmarks notebooks solutions docs/site
	$(BIN)/python -m pytest tests notebooks solutions $(NBVAL) -n $(JOBS) --dist loadfile

browser: $(TEST_STAMP)  ## only the real-browser tests (JupyterLab, Voila and the website in Chromium)
	$(BIN)/python -m pytest tests -m browser

venv: $(LAB_STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)

$(LAB_STAMP): requirements/lab.txt pyproject.toml tools/lab_overrides.json | $(BIN)/python
	$(PIP) --require-hashes -r requirements/lab.txt
	$(PIP) --no-deps -e .
	@# Markdown files open rendered, so a citation link such as ../docs/sources.md#S1e lands on its entry
	@mkdir -p $(VENV)/share/jupyter/lab/settings && cp tools/lab_overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	@touch $(LAB_STAMP)

$(TEST_STAMP): requirements/test.txt $(LAB_STAMP)
	$(PIP) --require-hashes -r requirements/test.txt
	@touch $(TEST_STAMP)

lock: $(BIN)/python  ## re-resolve requirements/*.txt from pyproject.toml (newest versions allowed by its bounds)
	$(PIP) uv
	$(LOCK) --extra test -o requirements/test.txt
	$(LOCK) -c requirements/test.txt -o requirements/lab.txt
	@echo "locks refreshed: review the diff, then run make test"

exercises: $(LAB_STAMP)  ## regenerate exercises/ from solutions/
	$(BIN)/python tools/make_exercises.py

execute: $(TEST_STAMP)  ## re-execute and clean notebooks/ and solutions/ in place (NB=path to do one)
	$(BIN)/python tools/execute_notebooks.py $(NB)
	$(BIN)/python tools/make_exercises.py

bench: $(TEST_STAMP)  ## print the speed measurements (slider redraws, simulator throughput, browser latency)
	$(BIN)/python benchmarks/run_all.py --browser

site: $(TEST_STAMP)  ## build the course website into _site/ (offline; COURSE_REPO_URL=... adds launch buttons)
	$(BIN)/python tools/build_site.py --check

clean:
	rm -rf _site build artifacts .pytest_cache
