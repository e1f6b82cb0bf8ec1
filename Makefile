# The two commands of the README: `make demo` (the main job) and `make test` (the whole test suite); for students,
# `make student`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test check release sandbox-deps system-deps clean-demo student screenshots

# PyICU (requirements.txt: student ids) builds against the system's ICU: Debian's libicu-dev, installed if missing
$(BIN)/.installed: requirements.txt requirements-test.txt pyproject.toml
	@pkg-config --exists icu-i18n 2>/dev/null || { apt-get update -q && apt-get install -y -q libicu-dev pkg-config g++; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@

## A student's install, also for studying alone: JupyterLab, nbgrader (Validate), what the notebooks import, and
## the `dnnkit` command (`dnnkit study`, `dnnkit check`); nothing for grading. No root, no apt.
## nbgrader 0.9.6 installs on Python 3.11+ only (and dnnkit uses enum.StrEnum): an older python3 stops here, in one
## line, before anything is installed.
STUDENT_PYTHON_OK = $(shell $(PYTHON) -c 'import sys; print(int(sys.version_info >= (3, 11)))' 2>/dev/null)
STUDENT_PYTHON_IS = $(or $(shell $(PYTHON) -c 'import sys; print("Python %d.%d" % sys.version_info[:2])' 2>/dev/null),not found)
STUDENT_PYTHON_TOO_OLD = make student needs Python 3.11 or newer (nbgrader 0.9.6 installs on 3.11+ only), and \
	$(PYTHON) is $(STUDENT_PYTHON_IS): install Python 3.11+ and run make student PYTHON=python3.11
student:
	$(if $(filter 1,$(STUDENT_PYTHON_OK)),,$(error $(STUDENT_PYTHON_TOO_OLD)))
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements-student.txt -e .
	@echo "$(VENV)/: ready; next: $(BIN)/dnnkit study"

## Grade six demo students in demo/, a course folder of its own (copies of source/, references/, the datasets;
## its own gradebook): datasets, release, grading, feedback, export, reports, scores. The course is not touched.
demo: $(BIN)/.installed sandbox-deps
	$(BIN)/dnnkit demo

## Regenerate the generated helper files, reference caches and release/ from source/.
release: $(BIN)/.installed
	$(BIN)/dnnkit release

## bubblewrap, the sandbox `dnnkit grade` runs student code in, and libseccomp, for its system-call filter
## (Debian packages; need root and apt).
## Without it the demo falls back to plain `nbgrader autograde`.
sandbox-deps:
	@{ command -v bwrap && ls /usr/lib/*/libseccomp.so.2; } >/dev/null 2>&1 \
	  || { apt-get update -q && apt-get install -y -q bubblewrap libseccomp2; } \
	  || echo "bubblewrap could not be installed: the demo grades with plain nbgrader autograde"

## Debian packages the tests drive: bubblewrap, Chromium for the browser tests, PostgreSQL for the gradebook
## server tests (needs root and apt; the tests start and stop the server themselves), and a Chinese font, so that
## Chromium draws the zh release's text (the tests read the page's text; screenshots need the font).
system-deps:
	@command -v bwrap >/dev/null && command -v chromium >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  && ls /usr/lib/*/libseccomp.so.2 >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q . \
	  || { apt-get update -q && apt-get install -y -q bubblewrap libseccomp2 chromium postgresql fonts-wqy-microhei; }

# one BLAS thread: with two, any other load on a 2-core machine makes OpenBLAS crawl; a temporary base folder of
# its own for every run, so that two runs on one machine (two clones, two users) never share or clear one, and
# removed afterwards; TEST_WORKERS pytest-xdist workers, each running whole modules (their fixtures built once)
TEST_WORKERS ?= 2
PYTEST = base=$$(mktemp -d /tmp/dnnkit-tests-XXXXXX); OPENBLAS_NUM_THREADS=1 $(BIN)/pytest -p no:cacheprovider \
	--basetemp="$$base" -n $(TEST_WORKERS) --dist loadfile
PYTEST_END = ; status=$$?; rm -rf "$$base"; exit $$status

## The whole test suite (installs what it needs first).
test: $(BIN)/.installed system-deps
	@$(PYTEST) $(PYTEST_END)

## The fast loop for every change (about 2 minutes): unit tests of every module and one small sandboxed
## grading run; everything marked slow (nbgrader end to end, browsers, other BLAS kernels) is left to `make test`.
check: $(BIN)/.installed system-deps
	@$(PYTEST) -m "not slow" $(PYTEST_END)

## The README's screenshots of a student's journey and of a Chinese release (docs/screenshots/), remade by the
## browser tests that play them.
screenshots: $(BIN)/.installed system-deps
	@export DNNKIT_SCREENSHOTS=docs/screenshots; $(PYTEST) tests/test_browser_journey.py tests/test_browser_language.py \
	  $(PYTEST_END)

## Remove demo/, the demo's own course folder (refused unless `dnnkit demo` made it); no real term's data.
clean-demo: $(BIN)/.installed
	$(BIN)/dnnkit demo --clean
