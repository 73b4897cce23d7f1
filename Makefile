# Two commands on a fresh machine: `make demo` and `make test` (both create .venv).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test test-fast bench lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/stockade demo

test: $(STAMP)
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

bench: $(STAMP)
	@for b in bench/*.py; do echo "# $$b"; $(PY) $$b || exit 1; done

# ruff over everything; mypy over the package (config in pyproject.toml: strict for
# domain/ and policy/). .ci/run runs this before the tests; .pre-commit-config.yaml the same.
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy src/stockade

format: $(STAMP)
	$(VENV)/bin/ruff format src tests bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info src/*.egg-info
