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
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def write_submission(course: Course, assignment: str, student: str, nb: nbformat.NotebookNode | None = None,
                     root: Path | None = None) -> Path:
    """Write `nb` (default: the untouched release notebook) as submitted/<student>/<assignment>/."""
    if nb is None:
        nb = nbformat.read(course.notebook(assignment, "release"), as_version=4)
    folder = (root or course.root / "submitted") / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.ipynb"
    nbformat.write(nb, path)
    return path
