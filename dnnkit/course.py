"""Where things live in a course directory (the folder holding nbgrader_config.py)."""
from __future__ import annotations

import os
from pathlib import Path

from . import DnnkitError

ASSIGNMENTS = ("step_by_step", "application")
DATASET_FILES = ("train_catvnoncat.h5", "test_catvnoncat.h5")
# The assignments whose notebooks load the data: `dnnkit release` puts the two files next to the notebook in
# release/<assignment>/ (git-ignored there), so they travel with it (exchange, zip, clone, study/).
DATA_ASSIGNMENTS = ("application",)


def find_root(start: str | os.PathLike | None = None) -> Path:
    """The course root: $DNNKIT_COURSE_ROOT, else the nearest folder at or above `start` (default: cwd)
    that holds nbgrader_config.py and source/."""
    env = os.environ.get("DNNKIT_COURSE_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file() and (folder / "source").is_dir():
            return folder
    raise DnnkitError(
        f"{here}: not inside a course directory (no nbgrader_config.py with source/ above it); "
        "run dnnkit from the course folder or set DNNKIT_COURSE_ROOT")


class Course:
    """Paths of one course directory."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root).resolve() if root else find_root()

    def source(self, assignment: str) -> Path:
        return self.root / "source" / assignment

    def release(self, assignment: str) -> Path:
        return self.root / "release" / assignment

    def notebook(self, assignment: str, folder: str = "source") -> Path:
        return self.root / folder / assignment / f"{assignment}.ipynb"

    @property
    def datasets(self) -> Path:
        return self.root / "datasets"

    @property
    def references(self) -> Path:
        """Grader-only folder of reference caches: outside source/<assignment>/, so never released."""
        return self.root / "references"

    def reference_file(self, assignment: str) -> Path:
        return self.references / f"{assignment}.npz"

    def relative(self, path: str | os.PathLike) -> str:
        """`path` from the course folder when inside it (datasets/x.h5), else as given."""
        try:
            return Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)
