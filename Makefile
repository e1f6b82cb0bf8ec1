# The two commands of the README: `make demo` (the main job) and `make test` (the whole test suite); for students,
# `make student`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test check docs release sandbox-deps system-deps hub-deps hub clean-demo student screenshots

# The course server's environment (`make hub`): outside the checkout, which becomes the instructors' only, and on
# a Python every account can run (the hub starts students' servers and the formgrader service from it as their
# own accounts); one per checkout. configurable-http-proxy comes from npm into it.
HUB_PYTHON ?= /usr/bin/python3
HUB_ENV ?= /opt/dnnkit-hub$(subst /,-,$(CURDIR))
PROXY_VERSION = 5.3.0

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

## The course server: JupyterHub for the roster's students and the instructors, formgrader as a service of the
## grader account (docs/hub.md). Run as root in the course folder; settings in nbgrader_config.py (c.DnnkitHub).
hub: $(HUB_ENV)/.installed
	$(HUB_ENV)/bin/dnnkit hub

$(HUB_ENV)/.installed: requirements.txt requirements-hub.txt pyproject.toml | hub-deps
	$(HUB_PYTHON) -m venv $(HUB_ENV)
	$(HUB_ENV)/bin/pip install -q --upgrade pip
	$(HUB_ENV)/bin/pip install -q -r requirements-hub.txt
	npm install --prefix $(HUB_ENV) --no-fund --no-audit --loglevel=error configurable-http-proxy@$(PROXY_VERSION)
	touch $@

## What the hub's environment is made with: the system Python's venv module and npm (Debian packages; root, apt).
hub-deps:
	@$(HUB_PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { apt-get update -q && apt-get install -y -q python3-venv; }
	@command -v npm >/dev/null || { apt-get update -q && apt-get install -y -q nodejs npm; }

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
## server tests (needs root and apt; the tests start and stop the server themselves), a Chinese font, so that
## Chromium draws the zh release's text (the tests read the page's text; screenshots need the font), and sudo, for
## the test of the sudo rule that lets a grading account grade as root (docs/sandbox.md).
system-deps:
	@command -v bwrap >/dev/null && command -v chromium >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  && ls /usr/lib/*/libseccomp.so.2 >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q . && command -v sudo >/dev/null \
	  || { apt-get update -q && apt-get install -y -q bubblewrap libseccomp2 chromium postgresql fonts-wqy-microhei sudo; }

# one BLAS thread: with two, any other load on a 2-core machine makes OpenBLAS crawl; a temporary base folder of
# its own for every run, so that two runs on one machine (two clones, two users) never share or clear one, and
# removed afterwards; TEST_WORKERS pytest-xdist workers, each running whole modules (their fixtures built once), in
# the order tests/conftest.py gives (the longest first), not pytest-xdist's (the most tests first)
TEST_WORKERS ?= 2
PYTEST = base=$$(mktemp -d /tmp/dnnkit-tests-XXXXXX); OPENBLAS_NUM_THREADS=1 DNNKIT_HUB_ENV=$(HUB_ENV) $(BIN)/pytest -p no:cacheprovider \
	--basetemp="$$base" -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder
PYTEST_END = ; status=$$?; rm -rf "$$base"; exit $$status

## The whole test suite (installs what it needs first).
test: $(BIN)/.installed system-deps $(HUB_ENV)/.installed
	@$(PYTEST) $(PYTEST_END)

## The fast loop for every change (about 2 minutes): unit tests of every module and one small sandboxed
## grading run; everything marked slow (nbgrader end to end, browsers, other BLAS kernels) is left to `make test`.
check: $(BIN)/.installed system-deps
	@$(PYTEST) -m "not slow" $(PYTEST_END)

## The documentation site, from docs/ into docs/_build/html (Sphinx, MyST Markdown; docs/conf.py), built strictly:
## any warning (a broken link, a missing page or heading, a page in no table of contents) is an error. No network.
docs: $(BIN)/.installed
	$(BIN)/sphinx-build -W --keep-going -n -E -q -b html docs docs/_build/html
	@echo "docs/_build/html/index.html"

## The README's screenshots of a student's journey, of a Chinese release and of a term on the course server
## (docs/screenshots/), remade by the browser tests that play them.
screenshots: $(BIN)/.installed system-deps $(HUB_ENV)/.installed
	@export DNNKIT_SCREENSHOTS=docs/screenshots; $(PYTEST) tests/test_browser_journey.py tests/test_browser_language.py \
	  tests/test_hub_browser.py $(PYTEST_END)

## Remove demo/, the demo's own course folder (refused unless `dnnkit demo` made it); no real term's data.
clean-demo: $(BIN)/.installed
	$(BIN)/dnnkit demo --clean
