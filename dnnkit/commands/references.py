"""`dnnkit references`: regenerate the hidden reference caches and the public cases from the solutions."""
from __future__ import annotations

from .. import DnnkitError
from ..cases import FUNCTIONS
from ..course import Course
from ..refcache import regenerate
from ..shipped import write_shipped


def add_arguments(parser) -> None:
    parser.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                        help=f"assignments to regenerate: {', '.join(FUNCTIONS)} (default: all)")


def run(args) -> int:
    course = Course()
    write_shipped(course)  # the solutions import the shipped helpers
    for assignment in args.assignments or FUNCTIONS:
        if assignment not in FUNCTIONS:
            raise DnnkitError(f"unknown assignment {assignment!r}; choose from {', '.join(FUNCTIONS)}")
        hidden, public = regenerate(course, assignment)
        print(f"{hidden.relative_to(course.root)}: hidden cases written (grader only)")
        print(f"{public.relative_to(course.root)}: public cases written (released)")
    return 0
