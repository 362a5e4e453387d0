# segtutor task runner. Every target creates or updates the environment (.venv) first; that step is quick
# when the environment is already up to date with pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.segtutor-installed
# Tests never touch the network: the Hugging Face Hub is forced offline.
TEST_ENV := HF_HUB_OFFLINE=1 MPLBACKEND=Agg
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=300

.PHONY: help install lab notebooks test lint format data checkpoints bench clean execute-notebooks

help:
	@echo "make lab        create the environment and start JupyterLab on notebooks/"
	@echo "make notebooks  create the environment and run every notebook headless (table: name, seconds, ok/failed)"
	@echo "make test       create the environment, run ruff, the unit tests and nbval over every notebook"
	@echo "make data       regenerate data/toy-shapes from its seed"
	@echo "make bench      run the benchmarks in benchmarks/"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[notebooks,dev]'
	touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

notebooks: $(STAMP)
	$(BIN)/segtutor-run-notebooks

test: $(STAMP)
	$(BIN)/ruff check .
	$(TEST_ENV) $(BIN)/python -m pytest tests notebooks $(NBVAL)

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format segtutor tests benchmarks

data: $(STAMP)
	$(BIN)/segtutor-toyshapes --out data/toy-shapes --seed 0

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf build .pytest_cache

# Re-execute every notebook in place (offline, as the tests see it) so committed outputs come from a real run.
execute-notebooks: $(STAMP)
	$(TEST_ENV) $(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=600 notebooks/*.ipynb
