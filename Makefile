# Two commands do all the set-up from a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test install browser bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -m microfactory.warm   # numba builds its kernels once, into its on-disk cache
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the browser tests (Playwright cannot download browsers here).
browser:
	@bash scripts/ensure-chromium.sh

demo: $(STAMP)
	$(VENV)/bin/microfactory demo --db sqlite:///$(CURDIR)/demo.db --port 8000

test: $(STAMP) browser
	$(PY) -m pytest -q -n 2 --dist loadgroup

bench: $(STAMP)
	@echo "Benchmarks are scripts: run e.g. $(PY) benchmarks/routing.py"

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy src

clean:
	rm -rf $(VENV) demo.db .pytest_cache
