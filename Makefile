# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp

.PHONY: setup run test lint eval bench soak clean

setup: $(STAMP)

# torch goes first and pinned: anything else asking for torch would pull a CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: setup
	$(BIN)/execbot demo

test: setup
	$(BIN)/python -m pytest -q

# ruff (wider rules), mypy on the product packages, and the import contracts in pyproject.toml.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

eval: setup
	$(BIN)/python -m bench.eval

bench: setup
	$(BIN)/python -m bench.perf
	$(BIN)/python -m bench.bot

soak: setup
	EXECBOT_SOAK_FULL=1 $(BIN)/python -m pytest -q -s tests/soak tests/robustness

clean:
	rm -rf $(VENV) .execbot
