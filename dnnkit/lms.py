"""Grades for a learning platform's gradebook import: nbgrader export plugins writing the CSV files Canvas and Moodle
import (`nbgrader export --exporter=dnnkit.lms.CanvasExport --to canvas.csv`), one row per student, one column per
assignment, with the score `nbgrader export` gives. Columns and sources: docs/instructor-scores.md."""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Dict, Float, Int, Unicode

from .names import csv_cell


@dataclass
class Row:
    """One student, and their final score in each exported assignment."""
    student_id: str
    first_name: str
    last_name: str
    email: str
    lms_user_id: str
    scores: dict[str, float]


def final_score(gradebook: Gradebook, assignment: str, student: str) -> float:
    """The score `nbgrader export` writes: max(0, raw - late penalty); 0 without a submission."""
    try:
        submission = gradebook.find_submission(assignment, student)
    except MissingEntry:
        return 0.0
    return max(0.0, float(submission.score) - float(submission.late_submission_penalty or 0.0))


def number(value: float) -> str:
    """A score as the file holds it: a plain decimal number (no exponent, no trailing zeros)."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


class LmsExport(ExportPlugin):
    """What both platforms' files share: the students and assignments selected (every one by default, as
    nbgrader's CSV exporter), their scores, the file written. Subclasses give `header(assignments)` and
    `cells(row, assignments)`."""

    default_file = "lms-grades.csv"

    def fail(self, message: str) -> None:
        """Stop with one line naming what is wrong and the fix (nbgrader's way: log it, exit 1)."""
        self.log.error(message)
        raise SystemExit(1)

    def select(self, gradebook: Gradebook) -> tuple[list, list[Row]]:
        """(the assignments, one Row per student), in the gradebook's order; names that are not there are an error."""
        assignments, students = list(gradebook.assignments), list(gradebook.students)
        for what, wanted, known in (("assignment", self.assignment, {a.name for a in assignments}),
                                    ("student", self.student, {s.id for s in students})):
            unknown = sorted({str(name) for name in wanted} - known)
            if unknown:
                self.fail(f"nbgrader export: no {what} {', '.join(map(repr, unknown))} in the gradebook; "
                          f"choose among {', '.join(sorted(known)) or 'none'}")
        if self.assignment:
            assignments = [a for a in assignments if a.name in {str(name) for name in self.assignment}]
        if self.student:
            students = [s for s in students if s.id in {str(name) for name in self.student}]
        rows = [Row(s.id, s.first_name or "", s.last_name or "", s.email or "", s.lms_user_id or "",
                    {a.name: final_score(gradebook, a.name, s.id) for a in assignments}) for s in students]
        return assignments, rows

    def extra_rows(self, assignments) -> list[list[str]]:
        """Rows between the header and the students' (Canvas: the points possible)."""
        return []

    def export(self, gradebook: Gradebook) -> None:
        assignments, rows = self.select(gradebook)
        lines = [self.header(assignments), *self.extra_rows(assignments),
                 *(self.cells(row, assignments) for row in rows)]
        target = self.to or self.default_file
        try:
            with open(target, "w", encoding="utf-8", newline="") as handle:
                csv.writer(handle, lineterminator="\r\n").writerows(lines)
        except OSError as err:
            self.fail(f"nbgrader export: cannot write {target} ({err.strerror}); choose another file with --to")
        self.log.info("Exported %d student(s) and %d assignment(s) to %s", len(rows), len(assignments),
                      os.path.abspath(target))


class CanvasExport(LmsExport):
    """Canvas' gradebook import (Grades > Import): Student, ID (nbgrader's lms_user_id), SIS User ID, SIS Login ID
    (the nbgrader id), Section, then one column per assignment; a "Points Possible" row."""

    default_file = "canvas-grades.csv"
    assignment_ids = Dict(value_trait=Int(), help="{nbgrader assignment: Canvas assignment id}: columns headed "
                                                  "'name (id)' update that Canvas assignment").tag(config=True)
    sis_user_ids = Dict(value_trait=Unicode(), help="{nbgrader student id: SIS User ID}").tag(config=True)

    def header(self, assignments) -> list[str]:
        unknown = sorted(set(self.assignment_ids) - {a.name for a in assignments})
        if unknown:
            self.fail(f"c.CanvasExport.assignment_ids names {', '.join(map(repr, unknown))}, not an exported "
                      "assignment; remove it or export it")
        columns = [f"{a.name} ({self.assignment_ids[a.name]})" if a.name in self.assignment_ids else a.name
                   for a in assignments]
        return ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *columns]

    def extra_rows(self, assignments) -> list[list[str]]:
        return [["Points Possible", "", "", "", "", *(number(float(a.max_score)) for a in assignments)]]

    def cells(self, row: Row, assignments) -> list[str]:
        name = ", ".join(part for part in (row.last_name, row.first_name) if part) or row.student_id
        return [csv_cell(name), csv_cell(row.lms_user_id), csv_cell(self.sis_user_ids.get(row.student_id, "")),
                csv_cell(row.student_id), "", *(number(row.scores[a.name]) for a in assignments)]


class MoodleExport(LmsExport):
    """Moodle's grade import from a CSV file (Grades > Import > CSV file): Username (the nbgrader id), Email
    address, First name, Last name, then one column per assignment; Moodle refuses a grade above 100 unless the
    site allows it, hence `scale_to`."""

    default_file = "moodle-grades.csv"
    scale_to = Float(0.0, help="if > 0, scores are written out of this many points instead of the "
                               "assignment's").tag(config=True)

    def header(self, assignments) -> list[str]:
        return ["Username", "Email address", "First name", "Last name", *(a.name for a in assignments)]

    def cells(self, row: Row, assignments) -> list[str]:
        scores = [row.scores[a.name] * (self.scale_to / float(a.max_score))
                  if self.scale_to > 0 and a.max_score else row.scores[a.name] for a in assignments]
        return [csv_cell(row.student_id), csv_cell(row.email), csv_cell(row.first_name), csv_cell(row.last_name),
                *(number(score) for score in scores)]
