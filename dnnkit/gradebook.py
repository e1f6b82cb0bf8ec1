"""Reading scores from the course's nbgrader gradebook (SQLite or a server, as nbgrader_config.py says)."""
from __future__ import annotations

from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from traitlets.config.loader import PyFileConfigLoader

from .cases import FUNCTIONS


def course_config(root: Path):
    """The traitlets config of the course's nbgrader_config.py."""
    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def open_gradebook(root: Path) -> Gradebook:
    config = course_config(root)
    return Gradebook(config.CourseDirectory.db_url, config.CourseDirectory.course_id)


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
    """A plain-text table: one row per student, one column per graded function."""
    names = list(FUNCTIONS[assignment]) + ["total"]
    widths = [max(len(n), 5) for n in names]
    student_width = max([len("student"), *map(len, table)])
    lines = [f"{assignment}:", "  " + "student".ljust(student_width) + "  "
             + "  ".join(n.rjust(w) for n, w in zip(names, widths))]
    for student, row in table.items():
        cells = (["not graded".rjust(widths[0])] if row is None
                 else [f"{row[n]:g}".rjust(w) for n, w in zip(names, widths)])
        lines.append("  " + student.ljust(student_width) + "  " + "  ".join(cells))
    return "\n".join(lines)
