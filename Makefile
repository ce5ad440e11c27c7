# mock-bankid: the two commands a newcomer needs.
#   make run    set up a virtualenv and start the mock on http://localhost:8080
#   make test   install everything the tests need (Python, Node, Chromium, Redis) and run them
#   make lint   ruff and mypy (pyproject.toml says which rules and why)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test setup setup-test lint lint-compose bench clean

$(BIN)/mock-bankid: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

setup: $(BIN)/mock-bankid

run: setup
	$(BIN)/mock-bankid serve $(ARGS)

setup-test:
	./scripts/setup-test

test: setup-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup-test
	$(BIN)/python bench/run.py $(ARGS)

# ruff and mypy as configured in pyproject.toml (not yet part of `make test`: the package is being
# brought to pass module by module).
lint: setup-test
	$(BIN)/ruff check mock_bankid tests bench
	$(BIN)/mypy mock_bankid

# docker-compose.yml is valid (docker-compose v1 checks it without a Docker engine; scripts/setup-test installs it).
lint-compose:
	docker-compose -f docker-compose.yml config -q

clean:
	rm -rf $(VENV) data .pytest_cache .hypothesis tests/node/node_modules
