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
_MARKER_LINE = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*(\n|$)", re.MULTILINE)


def solution_cells(notebook: Path, tags: tuple = (SETUP_TAG,)) -> list[tuple[str | None, str]]:
    """[(grade id or None, code)] of the cells tagged with one of `tags` and of the nbgrader solution cells,
    in notebook order, the solution marker lines removed: the code as a student who solved it would write it."""
    try:  # plain JSON, not nbformat: this also runs inside every kernel plain nbgrader grades, and is faster
        cells = json.loads(Path(notebook).read_text())["cells"]
    except Exception as err:
        raise DnnkitError(f"{notebook}: cannot read the notebook ({type(err).__name__}: {err}); "
                          "restore it from git") from None
    found = []
    for cell in cells:
        meta = cell.get("metadata", {})
        solution = meta.get("nbgrader", {}).get("solution")
        if cell.get("cell_type") == "code" and (solution or set(tags) & set(meta.get("tags", []))):
            grade_id = meta["nbgrader"].get("grade_id") if solution else None
            found.append((grade_id, _MARKER_LINE.sub("", "".join(cell.get("source", "")))))
    if not found:
        raise DnnkitError(f"{notebook}: no solution cells found; is this a source notebook?")
    return found


def reference_answers(course: Course, assignment: str) -> dict[str, str]:
    """{grade_id: solution cell source as a student would write it} from the source notebook."""
    return {gid: code for gid, code in solution_cells(course.notebook(assignment), tags=()) if gid}


def join_cells(cells: list[tuple[str | None, str]]) -> str:
    return "\n\n\n".join(code.strip("\n") for _, code in cells) + "\n"


def solution_digest(course: Course, assignment: str) -> str:
    """sha256 of what the reference outputs depend on: the solution code and the source folder's .py files (the
    shipped dnn_checks.py in its English form)."""
    folder = course.source(assignment)
    h = hashlib.sha256(join_cells(solution_cells(course.notebook(assignment))).encode())
    from .shipped import english_checks  # (shipped imports this module)

    for path in sorted(folder.glob("*.py")):
        # dnn_checks.py counts as in English: a course's language changes no reference output
        data = english_checks(path.read_text()).encode() if path.name == "dnn_checks.py" else path.read_bytes()
        h.update(path.name.encode() + b"\0" + data)
    return h.hexdigest()


@contextlib.contextmanager
def _importable_from(folder: Path):
    """`folder` first on sys.path and the working folder; modules of the same names loaded from elsewhere (a
    student's copy of a helper file, in a kernel plain nbgrader grades) are set aside meanwhile."""
    old_cwd, old_path = os.getcwd(), list(sys.path)
    own = {p.stem for p in folder.glob("*.py")}
    set_aside = {name: sys.modules.pop(name) for name in own if name in sys.modules}
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
        sys.modules.update(set_aside)


def load_solutions(course: Course, assignment: str, edits: dict[str, object] | None = None) -> dict:
    """Execute the solution code of `assignment` and return its namespace (functions by name).

    `edits` ({grade id: function source -> source}) changes solution cells first (see dnnkit.mistakes)."""
    notebook = course.notebook(assignment)
    cells = solution_cells(notebook)
    if edits:
        cells = [(gid, edits[gid](code) if gid in edits else code) for gid, code in cells]
    namespace: dict = {"__name__": f"dnnkit_reference_{assignment}"}
    with _importable_from(course.source(assignment)):
        exec(compile(join_cells(cells), str(notebook), "exec"), namespace)
    return namespace
