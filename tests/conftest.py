"""Shared fixtures: where the repository and the course's real data files are, the run's base temporary folder,
the graded courses the end-to-end modules share (shared_courses.py), and the order modules are handed out in."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
COURSE_SHA256 = {
    "train_catvnoncat.h5": "fbe56ab67c3ae28d564e3a644189117976d6b31af0a3ce9bb17dbf22908af242",
    "test_catvnoncat.h5": "6a9d39ce52fa85953c5834695b8534a30ed8cfd54971fb2f080b5a24d002b951",
}


def shared_datasets() -> Path | None:
    """The folder with the course's real HDF5 files, or None when they are not there."""
    folder = Path(os.environ.get("DNNKIT_SHARED_DATASETS", REPO.parent / "shared" / "datasets"))
    if all((folder / name).is_file() for name in COURSE_SHA256):
        return folder
    return None


@pytest.fixture(scope="session", autouse=True)
def course_secret_in_the_environment():
    """Every test (and every `dnnkit grade` it starts) reads the course secret from the environment, so none
    writes .dnnkit/course-secret into the checkout; tests of the file itself remove the variable with
    monkeypatch. The environment is restored afterwards."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DNNKIT_COURSE_SECRET", "the test suite's course secret, not a real course's one")
        yield


@pytest.fixture(scope="session", autouse=True)
def run_base(tmp_path_factory) -> Path:
    """The run's base temporary folder, the same for every pytest-xdist worker (each worker's own is a folder in
    it): course templates and the shared graded courses are made there once per run."""
    import grading_support

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    grading_support.RUN_BASE = base
    yield base
    grading_support.RUN_BASE = None


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def course_datasets() -> Path:
    """The folder with the course's real HDF5 files (../shared/datasets); skips when absent, fails in CI."""
    folder = shared_datasets()
    if folder is None:
        if os.environ.get("CI"):
            pytest.fail("the course's data files are missing from ../shared/datasets (CI must have them)")
        pytest.skip("the course's data files are not in ../shared/datasets")
    return folder


def make_course_copy(dest: Path, with_release: bool = True) -> Path:
    """A throw-away course folder holding the repository's source/, release/, references/ and config (without the
    data files `dnnkit release` may have put in the checkout's release/: a test's course has the data it sets up)."""
    import shutil

    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", dest / "nbgrader_config.py")
    for folder in ("source", "references") + (("release",) if with_release else ()):
        shutil.copytree(REPO / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__", "*.h5"))
    (dest / "datasets").mkdir(exist_ok=True)
    return dest


@pytest.fixture(scope="session")
def real_course(tmp_path_factory, course_datasets) -> Path:
    """A course copy whose datasets/ holds the course's real files (copied into tmp, never into the repo)."""
    import shutil

    root = make_course_copy(tmp_path_factory.mktemp("course") / "course")
    for name in COURSE_SHA256:
        shutil.copy(course_datasets / name, root / "datasets" / name)
    return root


# OpenBLAS kernels every x86-64 CPU runs (older instruction sets): forcing one makes this machine compute as
# another CPU would, last bits included (OPENBLAS_CORETYPE; threadpoolctl reports which kernel ran).
OTHER_KERNELS = ("Prescott", "Nehalem", "Sandybridge")
KERNEL_PROBE = ("import json, numpy; from threadpoolctl import threadpool_info; print(json.dumps("
                "[i['architecture'] for i in threadpool_info() if i.get('internal_api') == 'openblas']))")


def run_under_kernel(kernel: str | None, code: str, *args: str, timeout: float = 600):
    """Run Python `code` (with `args`) in a fresh interpreter whose OpenBLAS uses `kernel` (None: the default);
    returns the completed process. Its last line of output must be the KERNEL_PROBE's."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    if kernel is not None:
        env["OPENBLAS_CORETYPE"] = kernel
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "tests"), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-c", code + "\n" + KERNEL_PROBE, *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def kernel_of(done) -> str:
    """The OpenBLAS kernel a run_under_kernel process used."""
    import json

    assert done.returncode == 0, done.stderr[-3000:]
    names = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(names) == 1, names
    return names[0]


@pytest.fixture(scope="session")
def default_kernel() -> str:
    kernel = kernel_of(run_under_kernel(None, ""))
    if kernel in OTHER_KERNELS or not kernel:
        pytest.skip(f"this machine's own OpenBLAS kernel is {kernel!r}: no other kernel to force")
    return kernel


# The modules that take longest, handed out first: with `--dist loadfile --no-loadscope-reorder` (the Makefile's
# way) pytest-xdist gives each worker the next module in this order, so that no long module starts when the other
# worker has little left. test_hostile and test_grading come early because they build the shared graded courses
# (shared_courses.py) the other end-to-end modules read. Measured with `--durations=0`; a stale order costs only
# time.
FIRST = ("test_dask", "test_hostile", "test_rootless", "test_grading", "test_term", "test_notebooks",
         "test_students", "test_trust", "test_hub_browser", "test_hub", "test_language_grading", "test_grade_faults",
         "test_browser_sanitize", "test_postgres", "test_local_accounts", "test_demo", "test_language")


@pytest.hookimpl(trylast=True)  # after pytest's own ordering within each module, which this keeps
def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(FIRST)}
    items.sort(key=lambda item: rank.get(getattr(item.module, "__name__", ""), len(FIRST)))


@pytest.fixture(scope="session")
def dnnkit_graded(request, run_base):
    """The course graded by `dnnkit grade` with the submissions of every selected module that uses this fixture
    (shared_courses.py; imported here, not above: grading_support imports this module)."""
    import shared_courses

    return shared_courses.shared(request, run_base, "dnnkit_graded")


@pytest.fixture(scope="session")
def nbgrader_graded(request, run_base):
    """The course graded by plain `nbgrader autograde` with the submissions of every selected module that uses this
    fixture (shared_courses.py)."""
    import shared_courses

    return shared_courses.shared(request, run_base, "nbgrader_graded")
