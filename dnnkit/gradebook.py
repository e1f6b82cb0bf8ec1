"""Reading scores from the course's nbgrader gradebook (SQLite or a server, as nbgrader_config.py says)."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from traitlets.config.loader import PyFileConfigLoader

from .cases import FUNCTIONS, function_of


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


@dataclass
class ByHand:
    """A grade cell the instructor changed in formgrader: the autograder's score, the score given by hand (None when
    only extra credit was given) and the extra credit. The cell's score is the hand's (else the autograder's) plus
    the extra credit, as nbgrader counts it."""
    auto_score: float | None
    manual_score: float | None
    extra_credit: float = 0.0


@dataclass
class Scores:
    """One student's submission of an assignment as the gradebook holds it, computed as `nbgrader export`
    does: the final score is the raw score (manual grades included) less the late penalty, never below 0."""
    timestamp: str | None = None
    raw_score: float = 0.0
    late_submission_penalty: float = 0.0
    max_score: float = 0.0
    functions: dict[str, tuple[float, float]] = field(default_factory=dict)  # function: (score, max score)
    submitted: bool = False  # the gradebook has the submission (else everything is 0)
    by_hand: dict[str, ByHand] = field(default_factory=dict)  # function: what formgrader changed
    duedate: str | None = None  # the submission's (extensions included)
    seconds_late: float = 0.0

    @property
    def score(self) -> float:
        return max(0.0, self.raw_score - self.late_submission_penalty)


def submission_scores(root: Path, assignment: str, students) -> dict[str, Scores]:
    """{student: Scores} for `students`, read in one gradebook session; empty when the gradebook or the
    assignment is not there (then the scores stored in the records stand). A student None (for a row that is
    never graded), or one without a submission, gets zero points out of the assignment's."""
    table = {}
    if not gradebook_exists(root):
        return table
    with open_gradebook(root) as gb:
        try:
            record = gb.find_assignment(assignment)
        except MissingEntry:
            return table
        cells = {name: float(cell.max_score) for cell in gb.find_notebook(assignment, assignment).grade_cells
                 if (name := function_of(cell.name))}
        for student in students:
            table[student] = scores = Scores(max_score=float(record.max_score),
                                             functions={n: (0.0, m) for n, m in cells.items()})
            if student is None:
                continue
            try:
                submission = gb.find_submission(assignment, student)
                notebook = gb.find_submission_notebook(assignment, assignment, student)
            except MissingEntry:
                continue
            scores.submitted = True
            scores.timestamp = str(submission.timestamp) if submission.timestamp is not None else None
            scores.raw_score = float(submission.score)
            scores.late_submission_penalty = float(submission.late_submission_penalty or 0.0)
            scores.duedate = str(submission.duedate) if submission.duedate is not None else None
            scores.seconds_late = float(submission.total_seconds_late or 0.0)
            for grade in notebook.grades:
                if (name := function_of(grade.name)) in cells:
                    scores.functions[name] = (float(grade.score), float(grade.max_score))
                    if grade.manual_score is not None or grade.extra_credit:
                        scores.by_hand[name] = ByHand(
                            None if grade.auto_score is None else float(grade.auto_score),
                            None if grade.manual_score is None else float(grade.manual_score),
                            float(grade.extra_credit or 0.0))
    return table


def has_assignment(root: Path, assignment: str) -> bool:
    """Whether the gradebook knows `assignment` (nbgrader generate_assignment, run by dnnkit release, adds it)."""
    if not gradebook_exists(root):
        return False
    with open_gradebook(root) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            return False
        return True


def roster(root: Path) -> set[str]:
    """The ids of the students the gradebook knows."""
    if not gradebook_exists(root):
        return set()
    with open_gradebook(root) as gb:
        return {student.id for student in gb.students}


def function_scores(root: Path, assignment: str) -> dict[str, dict[str, float] | None]:
    """{student: {function: score, ..., "total": score} or None if not graded} for `assignment`, every student on
    the roster."""
    students = sorted(roster(root))
    rows: dict[str, dict[str, float] | None] = dict.fromkeys(students)
    for student, scores in submission_scores(root, assignment, students).items():
        if scores.submitted:
            row = {name: scores.functions.get(name, (0.0, 0.0))[0] for name in FUNCTIONS[assignment]}
            rows[student] = {**row, "total": sum(row.values())}
    return rows


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
