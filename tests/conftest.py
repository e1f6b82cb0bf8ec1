"""Shared fixtures: where the repository and the course's real data files are."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
COURSE_SHA256 = {
    "train_catvnoncat.h5": "fbe56ab67c3ae28d564e3a644189117976d6b31af0a3ce9bb17dbf22908af242",
    "test_catvnoncat.h5": "6a9d39ce52fa85953c5834695b8534a30ed8cfd54971fb2f080b5a24d002b951",
}


def _shared_datasets() -> Path | None:
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


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def course_datasets() -> Path:
    """The folder with the course's real HDF5 files (../shared/datasets); skips when absent, fails in CI."""
    folder = _shared_datasets()
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
