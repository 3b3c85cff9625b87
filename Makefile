# evalkit: two set-up commands (see README). On a machine that has only python3 and make, both
# first install the Debian packages they need (scripts/ensure-debian-packages.sh: apt-get as root
# or with password-less sudo, else one line naming the command), then create .venv.
PY ?= python3
DEBS := PY=$(PY) sh scripts/ensure-debian-packages.sh
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: demo test test-slow lint bench clean debs-demo debs-test

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(DEVSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $(DEVSTAMP)

# The Debian packages come first (recipes run in order, also under make -j): nothing is
# installed into .venv or written to demo-output/ on a machine that lacks them.
debs-demo:
	@$(DEBS) demo

debs-test:
	@$(DEBS) test

demo: debs-demo
	@$(MAKE) --no-print-directory $(STAMP)
	$(BIN)/evalkit demo --out demo-output

test: debs-test
	@$(MAKE) --no-print-directory $(DEVSTAMP)
	$(BIN)/ruff check evalkit tests bench
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 -q

test-slow: debs-test
	@$(MAKE) --no-print-directory $(DEVSTAMP)
	$(BIN)/python -m pytest -q -m slow

lint: $(DEVSTAMP)
	$(BIN)/ruff check evalkit tests bench
	$(BIN)/lint-imports

bench: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) demo-output .pytest_cache .ruff_cache .import_linter_cache .grimp_cache
