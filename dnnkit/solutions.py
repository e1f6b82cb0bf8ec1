"""The reference solutions: the solution cells of the source notebooks, executed in a fresh namespace."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
from pathlib import Path

from . import DnnkitError
from .course import Course

SETUP_TAG = "setup"
_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$", re.MULTILINE)


def solution_code(notebook: Path, tags: tuple = (SETUP_TAG,)) -> str:
    """The code of the cells tagged with one of `tags` and of the nbgrader solution cells, in notebook
    order, solution delimiters removed."""
    try:  # plain JSON, not nbformat: this also runs inside every kernel plain nbgrader grades, and is faster
        cells = json.loads(Path(notebook).read_text())["cells"]
    except Exception as err:
        raise DnnkitError(f"{notebook}: cannot read the notebook ({type(err).__name__}: {err}); "
                          "restore it from git") from None
    parts = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {})
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if set(tags) & set(meta.get("tags", [])) or meta.get("nbgrader", {}).get("solution"):
            parts.append(_MARKERS.sub("", source).strip("\n"))
    if not parts:
        raise DnnkitError(f"{notebook}: no solution cells found; is this a source notebook?")
    return "\n\n\n".join(parts) + "\n"


def solution_digest(course: Course, assignment: str) -> str:
    """sha256 of what the reference outputs depend on: the solution code and the source folder's .py files."""
    folder = course.source(assignment)
    h = hashlib.sha256(solution_code(course.notebook(assignment)).encode())
    for path in sorted(folder.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


@contextlib.contextmanager
def _importable_from(folder: Path):
    old_cwd, old_path = os.getcwd(), list(sys.path)
    before = set(sys.modules)
    sys.path.insert(0, str(folder))
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old_cwd)
        sys.path[:] = old_path
        # forget the assignment's helper modules so another assignment's namesakes load fresh
        for name in set(sys.modules) - before:
            module_file = getattr(sys.modules[name], "__file__", None) or ""
            if module_file.startswith(str(folder)):
                del sys.modules[name]


def load_solutions(course: Course, assignment: str) -> dict:
    """Execute the solution code of `assignment` and return its namespace (functions by name)."""
    notebook = course.notebook(assignment)
    namespace: dict = {"__name__": f"dnnkit_reference_{assignment}"}
    with _importable_from(course.source(assignment)):
        exec(compile(solution_code(notebook), str(notebook), "exec"), namespace)
    return namespace
