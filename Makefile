# mock-bankid: the two commands a newcomer needs.
#   make run    set up a virtualenv and start the mock on http://localhost:8080
#   make test   install everything the tests need (Python, Node, Chromium, Redis) and run them
#   make unit   the fast subset: no server, no other process, no Debian package (docs/e2e-tests.md)
#   make lint   ruff and mypy (pyproject.toml says which rules and why)
#   make constraints   re-pin what the Docker image installs (constraints.txt), after a pyproject.toml change
#   make image-test    build the image and check it serves (needs docker or podman)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test unit setup setup-test lint lint-compose constraints image-test bench clean

# scripts/setup-venv also installs Debian's python3-venv when python3 cannot make a virtualenv.
$(BIN)/mock-bankid: pyproject.toml scripts/setup-venv
	PYTHON=$(PYTHON) VENV=$(VENV) ./scripts/setup-venv -e .
	touch $@

setup: $(BIN)/mock-bankid

run: setup
	$(BIN)/mock-bankid serve $(ARGS)

setup-test:
	./scripts/setup-test

test: setup-test
	$(BIN)/ruff check mock_bankid tests bench
	$(BIN)/mypy mock_bankid
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Only the Python test extras: the unit tests need no apt or npm step (tests/conftest.py holds them to it).
$(BIN)/pytest: pyproject.toml scripts/setup-venv
	PYTHON=$(PYTHON) VENV=$(VENV) ./scripts/setup-venv -e '.[test]'
	touch $@

unit: $(BIN)/pytest
	$(BIN)/python -m pytest -m unit $(PYTEST_ARGS)

bench: setup-test
	$(BIN)/python bench/run.py $(ARGS)

# ruff and mypy as configured in pyproject.toml; `make test` (and so CI) runs both before pytest.
lint: setup-test
	$(BIN)/ruff check mock_bankid tests bench
	$(BIN)/mypy mock_bankid

# docker-compose.yml is valid (docker-compose v1 checks it without a Docker engine; scripts/setup-test installs it).
lint-compose:
	docker-compose -f docker-compose.yml config -q

# constraints.txt: the image's packages, one version each, from a clean virtualenv (tests/test_docker.py
# fails when pyproject.toml asks for a package it does not pin, or a pin it no longer allows).
constraints:
	./scripts/update-constraints

# Not part of `make test`: it needs a container engine (tests/test_docker.py runs it when one answers).
image-test:
	./scripts/image-test

clean:
	rm -rf $(VENV) data .pytest_cache .hypothesis tests/node/node_modules tests/clients/*/node_modules tests/clients/authjs/.next examples/drop-bff/node_modules examples/drop-bff/.next examples/drop-bff/data clients/typescript/node_modules clients/typescript/dist
