"""`dnnkit grade ASSIGNMENT`: grade submissions in the sandbox, verdicts decided outside it, recorded in the
gradebook by nbgrader's own autograde pass; autograded/grades-ASSIGNMENT.csv. Resumable (dnnkit.grading)."""
from __future__ import annotations

import os

from ..cases import FUNCTIONS
from ..course import Course
from ..grading.batch import grade


def add_arguments(parser) -> None:
    parser.add_argument("assignment", choices=list(FUNCTIONS))
    parser.add_argument("--student", action="append", default=[], metavar="ID",
                        help="grade only this student (repeatable); a named student without a submission gets "
                             "status 'missing'")
    parser.add_argument("--force", action="store_true", help="regrade submissions already graded")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="run student code without bubblewrap (only where it is unavailable; unsafe)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="submissions graded at once on this machine (default: the number of cores)")
    parser.add_argument("--scheduler", metavar="tls://HOST:PORT",
                        help="send the sandboxed runs to this Dask cluster, started with the course's TLS "
                             "certificate (`dnnkit certs`); scores are still decided here")


def run(args) -> int:
    return grade(Course(), args.assignment, args.student, args.force, not args.unsafe_no_sandbox, args.workers,
                 args.scheduler)
