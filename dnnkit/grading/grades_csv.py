"""The grades CSV of `dnnkit grade`, an nbgrader export plugin (`GradesCsv`) that `nbgrader export` can also run:
the result records' rows with the scores the gradebook holds when it is written."""
from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from nbgrader.plugins import ExportPlugin
from traitlets import Dict

from ..cases import FUNCTIONS
from ..course import Course
from ..gradebook import course_config, roster, submission_scores
from ..names import id_problem, id_problems, one_line, shown
from .records import FunctionResult, Status, SubmissionResult, read_record, recorded_students


def submitted_ids(course: Course, assignment: str) -> list[str]:
    """The names of the folders submitted/*/ that hold an entry ASSIGNMENT (undecodable bytes as os.fsdecode
    keeps them): every entry gets a row, a file or a link where the folder should be is reported, not skipped."""
    return sorted(p.parent.name for p in (course.root / "submitted").glob(f"*/{assignment}") if p.parent.is_dir())


def refused_ids(course: Course, assignment: str, students=None) -> dict[str, str]:
    """{student id: why it is refused and what to do} among `students` (default: every folder in submitted/),
    each checked alone and beside the class's other folders and the gradebook's roster (dnnkit.names)."""
    everyone = submitted_ids(course, assignment)
    students = everyone if students is None else students
    problems = id_problems({*everyone, *students}, roster(course.root))
    return {student: problems[student] for student in students if student in problems}


class GradesCsv(ExportPlugin):
    """The grades CSV of one `--assignment` (autograded/grades-ASSIGNMENT.csv unless `--to`; `--student` keeps those
    rows): a row per result record, and a `refused` row, 0 points, per folder whose name is not a student id."""

    refused = Dict(help="{id: why} refused besides the folders' (dnnkit grade: the --student names it refused)")
    written = None  # where the last export went

    def export(self, gradebook) -> None:  # nbgrader's own gradebook is not needed: the records name the rows
        if len(self.assignment) != 1:
            self.log.error("nbgrader export --exporter=%s: give exactly one --assignment (the columns are its "
                           "functions)", type(self).__name__)
            raise SystemExit(1)
        course, assignment = Course(CourseDirectory(config=self.config).root), str(self.assignment[0])
        refused = {**refused_ids(course, assignment), **self.refused}
        text = self.csv_text(course, assignment, refused, {str(s) for s in self.student})
        if self.to:
            self.written = Path(self.to)
            self.written.write_text(text, encoding="utf-8", errors="backslashreplace", newline="")
        else:
            self.written = write_kit_file(course.root / "autograded", f"grades-{assignment}.csv", text)
            if self.written.name != f"grades-{assignment}.csv":
                self.log.warning("autograded/grades-%s.csv is a folder (left by an older dnnkit that took a student "
                                 "id of that name); the grades went to %s; remove that folder", assignment,
                                 self.written.name)

    @staticmethod
    def csv_text(course: Course, assignment: str, refused: dict[str, str], only: set[str] = frozenset()) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(SubmissionResult.csv_header(assignment))
        students = [s for s in recorded_students(course.root, assignment) if not id_problem(s) and s not in refused]
        results = {}
        for student in students:
            try:
                results[student] = read_record(course.root, assignment, student)
            except ValueError as err:
                print(one_line(f"dnnkit grade: warning: the record of {shown(student)} is unreadable ({err}); "
                               "left out of the CSV"), file=sys.stderr)
        for student, problem in refused.items():  # never graded: zero points out of the assignment's
            results[student] = SubmissionResult(student, assignment, Status.REFUSED, functions={
                n: FunctionResult(n) for n in FUNCTIONS[assignment]})
            results[student].flags.append(f"refused: the folder submitted/{shown(student, refused=True)} is not a "
                                          f"usable student id: {problem}")
        if only:
            results = {student: result for student, result in results.items() if student in only}
        graded = [student for student in results if student not in refused]
        table = submission_scores(course.root, assignment, [*graded, None]) if results else {}
        for student in sorted(results):
            if (scores := table.get(None if student in refused else student)) is not None:
                results[student].apply(scores)
            writer.writerow(results[student].csv_row(shown(student, refused=True) if student in refused else None))
        return buffer.getvalue()


def write_csv(course: Course, assignment: str, refused: dict[str, str] | None = None) -> Path:
    """Run GradesCsv for `assignment` as `nbgrader export` would; where the CSV went (the caller says when it is
    not autograded/grades-ASSIGNMENT.csv: the plugin's log is nbgrader's, silent outside its commands)."""
    plugin = GradesCsv(config=course_config(course.root), assignment=[assignment], refused=refused or {})
    plugin.export(None)
    return plugin.written


def write_kit_file(folder: Path, name: str, text: str) -> Path:
    """Where `text` went: folder/name, written atomically through a hidden file (no student id begins with '.'),
    or "stem-1.suffix" (-2, ...) where a folder holds that name (left by an older dnnkit; the caller says so)."""
    folder.mkdir(exist_ok=True)
    stem, dot, suffix = name.rpartition(".")
    target, n = folder / name, 0
    while target.is_dir() and not target.is_symlink():
        n += 1
        target = folder / f"{stem}-{n}{dot}{suffix}"
    tmp = folder / f".{target.name}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o666)
    with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="") as handle:
        handle.write(text)
    os.replace(tmp, target)
    return target
