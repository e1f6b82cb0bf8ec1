"""Building student submissions from the release: solved, solved with chosen mistakes, or untouched."""
from __future__ import annotations

from pathlib import Path

import nbformat

from .course import Course
from .mistakes import BY_NAME
from .solutions import reference_answers


def solved_notebook(course: Course, assignment: str, mistakes: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    """The release notebook with every solution cell answered, the named mistakes (dnnkit.mistakes) made."""
    answers = reference_answers(course, assignment)
    for name in mistakes:
        mistake = BY_NAME[name]
        answers[mistake.function] = mistake.apply(answers[mistake.function])
    nb = nbformat.read(course.notebook(assignment, "release"), as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in answers:
            cell.source = answers[meta["grade_id"]]
    return nb


def write_submission(course: Course, assignment: str, student: str, nb: nbformat.NotebookNode | None = None) -> Path:
    """Write `nb` (default: the untouched release notebook) as submitted/<student>/<assignment>/."""
    if nb is None:
        nb = nbformat.read(course.notebook(assignment, "release"), as_version=4)
    path = course.root / "submitted" / student / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
