"""`dnnkit demo`: the whole path on demo students: datasets, release, submissions, `dnnkit grade` (plain
nbgrader autograde where bubblewrap is missing), feedback, grades CSV, an instructor report per assignment
(`dnnkit report`), and a table of scores per student and function."""
from __future__ import annotations

import shutil

from .. import DnnkitError
from ..cases import FUNCTIONS
from ..course import Course
from ..gradebook import forget_students, format_table, function_scores
from ..nbgrader_cli import nbgrader
from ..grading.sandbox import bubblewrap
from ..submissions import solved_notebook, write_submission

# student: {assignment: mistakes made (see dnnkit.mistakes)}; None = handed in the untouched stub
DEMO_STUDENTS = {
    "demo-ada": {"step_by_step": (), "application": ()},
    "demo-ben": {"step_by_step": ("db_wrong_axis", "dAL_wrong_sign"),
                 "application": ("two_layer_fixed_learning_rate",)},
    "demo-cleo": {"step_by_step": ("missing_bias", "relu_on_output", "cost_without_1_minus_y"),
                  "application": ("cost_recorded_every_iteration",)},
    "demo-dan": {"step_by_step": None, "application": None},
    "demo-eve": {"step_by_step": ("db_wrong_axis", "Z_fed_forward", "derivative_skipped"),
                 "application": ("deep_weights_times_0_01",)},
    "demo-finn": {"step_by_step": ("elementwise_product", "dZL_shortcut", "last_layer_not_updated"),
                  "application": ()},
}


def add_arguments(parser) -> None:
    parser.add_argument("--skip-release", action="store_true",
                        help="grade against the existing release/ instead of regenerating it first")


def run(args) -> int:
    from ..cli import main as dnnkit_main

    course = Course()
    if dnnkit_main(["data"]) != 0:
        raise DnnkitError("datasets/ is not usable; see the message above")
    # last run's demo grades would stop nbgrader from releasing an assignment whose graded cells changed
    forget_students(course.root, DEMO_STUDENTS)
    if not args.skip_release and dnnkit_main(["release"]) != 0:
        raise DnnkitError("release failed; see the message above")
    for student, work in DEMO_STUDENTS.items():
        for assignment, mistakes in work.items():
            shutil.rmtree(course.root / "submitted" / student / assignment, ignore_errors=True)
            nb = None if mistakes is None else solved_notebook(course, assignment, mistakes)
            write_submission(course, assignment, student, nb)
    print(f"submitted/: {len(DEMO_STUDENTS)} demo students (one correct, one unchanged stub, the others with "
          "typical mistakes)")
    sandboxed = bubblewrap() is not None
    for assignment in FUNCTIONS:
        if sandboxed:
            students = [arg for s in DEMO_STUDENTS for arg in ("--student", s)]
            if dnnkit_main(["grade", assignment, "--force", *students]) != 0:
                raise DnnkitError(f"dnnkit grade {assignment} failed; see the messages above")
        else:
            print("bubblewrap is not installed: grading with plain nbgrader autograde instead of dnnkit grade")
            nbgrader(course.root, "autograde", assignment, "--student", "demo-*", "--force")
        nbgrader(course.root, "generate_feedback", assignment, "--student", "demo-*", "--force")
        print(f"autograded/*/{assignment}: graded by {'dnnkit grade' if sandboxed else 'nbgrader autograde'}; "
              f"feedback/*/{assignment}: written by nbgrader generate_feedback")
    csv_path = course.root / "autograded" / "grades.csv"
    nbgrader(course.root, "export", "--to", str(csv_path))
    print(f"{csv_path.relative_to(course.root)}: written by nbgrader export")
    for assignment in FUNCTIONS:
        if dnnkit_main(["report", assignment]) != 0:
            raise DnnkitError(f"dnnkit report {assignment} failed; see the message above")
    print("instructor reports: " + ", ".join(f"autograded/report-{a}.html" for a in FUNCTIONS)
          + " (open them in a browser)\n")
    for assignment in FUNCTIONS:
        print(format_table(assignment, function_scores(course.root, assignment)) + "\n")
    return 0
