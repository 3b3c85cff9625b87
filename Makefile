# evalkit: two set-up commands (see README). Both create .venv on a machine that has only python3.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: demo test test-slow lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(DEVSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $(DEVSTAMP)

demo: $(STAMP)
	$(BIN)/evalkit demo --out demo-output

test: $(DEVSTAMP)
	$(BIN)/ruff check evalkit tests bench
	$(BIN)/python -m pytest -n 2 -q

test-slow: $(DEVSTAMP)
	$(BIN)/python -m pytest -q -m slow

lint: $(DEVSTAMP)
	$(BIN)/ruff check evalkit tests bench

bench: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) demo-output .pytest_cache .ruff_cache
