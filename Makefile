# The two commands of the README: `make demo` (the main job) and `make test` (the whole test suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test release system-deps clean-demo

$(BIN)/.installed: requirements.txt requirements-test.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@

## Prepare datasets, regenerate release/, grade the demo submissions and print their scores.
demo: $(BIN)/.installed
	$(BIN)/dnnkit demo

## Regenerate the generated helper files, reference caches and release/ from source/.
release: $(BIN)/.installed
	$(BIN)/dnnkit release

## Debian packages the tests drive: Chromium for the JupyterLab browser tests (needs root and apt).
system-deps:
	@command -v chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium; }

## The whole test suite (installs what it needs first).
test: $(BIN)/.installed system-deps
	# one BLAS thread: with two, any other load on a 2-core machine makes OpenBLAS crawl
	OPENBLAS_NUM_THREADS=1 $(BIN)/pytest -p no:cacheprovider

clean-demo:
	rm -rf submitted autograded/*/ feedback gradebook.db autograded/grades.csv
