"""Reading scores from the course's nbgrader gradebook (SQLite or a server, as nbgrader_config.py says)."""
from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning
from traitlets.config.loader import PyFileConfigLoader

from . import DnnkitError
from .cases import FUNCTIONS


def course_config(root: Path):
    """The traitlets config of the course's nbgrader_config.py."""
    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def open_gradebook(root: Path) -> Gradebook:
    config = course_config(root)
    # nbgrader runs `alembic` from PATH when it creates a gradebook: this environment's scripts come first
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")
    return Gradebook(config.CourseDirectory.db_url, config.CourseDirectory.course_id)


def gradebook_exists(root: Path) -> bool:
    """False only for a SQLite gradebook whose file is not there yet (opening it would make one)."""
    url = str(course_config(root).CourseDirectory.db_url)
    return not url.startswith("sqlite:///") or Path(url[len("sqlite:///"):]).is_file()


def record_scores(root: Path, assignment: str, student: str, scores: dict[str, float]) -> None:
    """Write auto scores {grade cell id: score} for a student's submission, as nbgrader's autograde does."""
    with open_gradebook(root) as gb, warnings.catch_warnings():
        # nbgrader's own update_or_create_submission makes SQLAlchemy warn about autoflush; harmless (see notes)
        warnings.simplefilter("ignore", category=SAWarning)
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise DnnkitError(f"the gradebook has no assignment {assignment!r}; run `dnnkit release {assignment}` "
                              "(nbgrader generate_assignment) first") from None
        gb.update_or_create_student(student)
        submission = gb.update_or_create_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.name in scores:
                    grade.auto_score = float(scores[grade.name])
                    grade.needs_manual_grade = False
        gb.db.commit()


def forget_students(root: Path, students) -> list[str]:
    """Remove `students` and their submissions from the gradebook (those it holds); returns who was removed."""
    removed = []
    if not gradebook_exists(root):
        return removed  # nothing to forget (and no gradebook made here)
    with open_gradebook(root) as gb:
        known = {s.id for s in gb.students}
        for student in students:
            if student in known:
                gb.remove_student(student)
                removed.append(student)
    return removed


def function_scores(root: Path, assignment: str) -> dict[str, dict[str, float] | None]:
    """{student: {function: score, ..., "total": score} or None if not graded} for `assignment`."""
    table: dict[str, dict[str, float] | None] = {}
    with open_gradebook(root) as gb:
        for student in sorted(s.id for s in gb.students):
            try:
                notebook = gb.find_submission_notebook(assignment, assignment, student)
            except MissingEntry:
                table[student] = None
                continue
            by_cell = {grade.name: grade.score for grade in notebook.grades}
            row = {name: by_cell.get(f"test_{name}", 0.0) for name in FUNCTIONS[assignment]}
            row["total"] = sum(row.values())
            table[student] = row
    return table


def format_table(assignment: str, table: dict) -> str:
    """A plain-text table: one row per graded function (and the total), one column per student."""
    students = list(table)
    names = list(FUNCTIONS[assignment]) + ["total"]
    first = max(len(n) for n in names + [assignment])
    widths = [max(len(s), 6) for s in students]
    lines = [assignment.ljust(first) + "  " + "  ".join(s.rjust(w) for s, w in zip(students, widths))]
    for name in names:
        cells = ["-" if table[s] is None else f"{table[s][name]:g}" for s in students]
        lines.append(name.ljust(first) + "  " + "  ".join(c.rjust(w) for c, w in zip(cells, widths)))
    return "\n".join(lines)
