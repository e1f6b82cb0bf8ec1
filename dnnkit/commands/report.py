"""`dnnkit report ASSIGNMENT`: an instructor report, autograded/report-ASSIGNMENT.html: scores, pass rate per
function, the most frequent mistakes, flagged and incomplete submissions, one row per student (one page, plots
embedded, so it can be mailed)."""
from __future__ import annotations

from ..cases import FUNCTIONS
from ..course import Course


def add_arguments(parser) -> None:
    parser.add_argument("assignment", choices=list(FUNCTIONS))


def run(args) -> int:
    from ..report import write_report  # matplotlib is imported only when a report is made

    course = Course()
    path, report = write_report(course.root, args.assignment)
    source = "result records" if report.source == "records" else "the gradebook (no result records found)"
    unreadable = f", {len(report.unreadable)} unreadable record(s) skipped" if report.unreadable else ""
    print(f"{path.relative_to(course.root)}: {len(report.submissions)} submission(s) from {source}{unreadable}")
    return 0
