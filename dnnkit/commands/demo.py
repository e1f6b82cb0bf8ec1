"""`dnnkit demo`: the whole path (data, release, submissions, grading, feedback, export, reports, a score table)
on six demo students in `demo/`, a course folder of its own with its own SQLite gradebook; the course's own
gradebook and folders are never touched (docs/commands.md#the-demo). `--clean` removes `demo/` and nothing else."""
from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from unittest import mock

from .. import DnnkitError
from ..cases import FUNCTIONS
from ..course import DATASET_FILES, Course
from ..gradebook import format_table, function_scores
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

DEMO_FOLDER = "demo"  # in the course root; git-ignored
MARKER = ".dnnkit-demo"  # written first into every demo/ the demo makes; nothing without it is ever removed
MARKER_TEXT = ("Made by `dnnkit demo`, a course folder of its own for the demo students. The next `dnnkit demo`, "
               "and `dnnkit demo --clean` (make clean-demo), remove this whole folder.\n")
COURSE_FOLDERS = ("source", "references")  # copied into demo/ with nbgrader_config.py (and release/, see below)
NOT_COPIED = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc")
SCRATCH_RELEASE = ".release-scratch"  # with --skip-release: where generate_assignment writes, then removed


def add_arguments(parser) -> None:
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--skip-release", action="store_true",
                      help="grade against a copy of the course's release/ instead of running `dnnkit release` in "
                           "demo/ (nbgrader generate_assignment still records the assignments in demo/gradebook.db)")
    mode.add_argument("--clean", action="store_true",
                      help=f"only remove {DEMO_FOLDER}/ (refused unless the demo made it); nothing else is touched")


def run(args) -> int:
    course = Course()
    folder = demo_folder(course)
    if args.clean:
        print(f"{DEMO_FOLDER}/: removed" if remove_demo(folder) else f"{DEMO_FOLDER}/: not there, nothing to remove")
        return 0
    if args.skip_release and not all(course.release(a).is_dir() for a in FUNCTIONS):
        raise DnnkitError("--skip-release needs the course's release/; run `dnnkit demo` without it")
    remove_demo(folder)
    make_demo_course(course, folder, with_release=args.skip_release)
    with demo_environment(folder):
        run_steps(Course(folder), args.skip_release)
    print(outputs(folder))
    return 0


def demo_folder(course: Course) -> Path:
    """The demo's folder in `course`; DnnkitError when `course` is itself a demo folder (no demo in a demo)."""
    if (course.root / MARKER).exists():
        raise DnnkitError(f"{course.root} is the demo's own folder; run `dnnkit demo` in the course folder above it")
    return course.root / DEMO_FOLDER


def remove_demo(folder: Path) -> bool:
    """Remove the demo's folder; whether there was one. DnnkitError, removing nothing, unless it is a real
    directory carrying MARKER."""
    if not os.path.lexists(folder):
        return False
    if folder.is_symlink() or not folder.is_dir() or not (folder / MARKER).is_file():
        raise DnnkitError(f"{DEMO_FOLDER}/ was not made by `dnnkit demo` (it has no {DEMO_FOLDER}/{MARKER}), so the "
                          f"demo neither uses nor removes it; move it out of the course folder first")
    shutil.rmtree(folder)
    return True


def make_demo_course(course: Course, folder: Path, with_release: bool) -> None:
    """A new course folder `folder` with copies of what the steps read from `course`. The marker comes first, so
    that even a copy cut short can be removed by the next run."""
    folder.mkdir()
    (folder / MARKER).write_text(MARKER_TEXT)
    shutil.copy2(course.root / "nbgrader_config.py", folder / "nbgrader_config.py")
    for name in COURSE_FOLDERS + (("release",) if with_release else ()):
        if (course.root / name).is_dir():
            shutil.copytree(course.root / name, folder / name, ignore=NOT_COPIED)
    # copies (links followed), not links: the sandbox sees only the demo's datasets/, and nothing the demo does
    # reaches the course's
    (folder / "datasets").mkdir()
    copied = [name for name in DATASET_FILES if (course.datasets / name).is_file()]
    for name in copied:
        shutil.copyfile(course.datasets / name, folder / "datasets" / name)
    what = "copies of the course's datasets/ files" if copied else "empty: `dnnkit data` builds a stand-in there"
    print(f"{DEMO_FOLDER}/: a course folder of its own for the demo students; {DEMO_FOLDER}/datasets/: {what}")


@contextlib.contextmanager
def demo_environment(folder: Path):
    """Inside: DNNKIT_COURSE_ROOT is `folder` and DNNKIT_DB_URL is unset (so nbgrader_config.py gives the demo's
    own SQLite gradebook), here and in every process started; restored afterwards."""
    if os.environ.get("DNNKIT_DB_URL"):
        print(f"DNNKIT_DB_URL is set: the demo ignores it and writes only its own {DEMO_FOLDER}/gradebook.db")
    with mock.patch.dict(os.environ, {"DNNKIT_COURSE_ROOT": str(folder)}):
        os.environ.pop("DNNKIT_DB_URL", None)
        yield


def dnnkit(*argv: str) -> None:
    """Run `dnnkit ARGV` in the demo's folder, announced (its paths are the demo's); DnnkitError if it fails."""
    from ..cli import main as dnnkit_main

    command = "dnnkit " + " ".join(argv)
    print(f"[in {DEMO_FOLDER}/] {command}")
    if dnnkit_main(list(argv)) != 0:
        raise DnnkitError(f"`{command}` failed in {DEMO_FOLDER}/; see the message above")


def run_steps(demo: Course, skip_release: bool) -> None:
    """Every step of the demo, in the demo course `demo` (inside demo_environment)."""
    dnnkit("data")
    if skip_release:
        record_assignments(demo)
    else:
        dnnkit("release")
    write_demo_submissions(demo)
    sandboxed = bubblewrap() is not None
    if not sandboxed:
        print("bubblewrap is not installed: grading with plain nbgrader autograde instead of dnnkit grade")
    for assignment in FUNCTIONS:
        if sandboxed:
            dnnkit("grade", assignment, *(arg for student in DEMO_STUDENTS for arg in ("--student", student)))
        else:
            print(f"[in {DEMO_FOLDER}/] nbgrader autograde {assignment}")
            nbgrader(demo.root, "autograde", assignment, "--student", "demo-*", "--force")
        nbgrader(demo.root, "generate_feedback", assignment, "--student", "demo-*", "--force")
    nbgrader(demo.root, "export", "--to", str(demo.root / "autograded" / "grades.csv"))
    for assignment in FUNCTIONS:
        dnnkit("report", assignment)
    for assignment in FUNCTIONS:
        print("\n" + format_table(assignment, function_scores(demo.root, assignment)))


def record_assignments(demo: Course) -> None:
    """With --skip-release: record the assignments in the demo's gradebook (only generate_assignment does that),
    its output written aside so that the copied release/ is graded as it is."""
    try:
        for assignment in FUNCTIONS:
            nbgrader(demo.root, "generate_assignment", assignment, "--force",
                     f"--CourseDirectory.release_directory={SCRATCH_RELEASE}")
    finally:
        shutil.rmtree(demo.root / SCRATCH_RELEASE, ignore_errors=True)
    print(f"[in {DEMO_FOLDER}/] release/: a copy of the course's; assignments recorded in {DEMO_FOLDER}/gradebook.db")


def write_demo_submissions(demo: Course) -> None:
    """Every demo student's notebooks in the demo's submitted/."""
    for student, work in DEMO_STUDENTS.items():
        for assignment, mistakes in work.items():
            nb = None if mistakes is None else solved_notebook(demo, assignment, mistakes)
            write_submission(demo, assignment, student, nb)
    print(f"[in {DEMO_FOLDER}/] submitted/: {len(DEMO_STUDENTS)} demo students (one correct, one unchanged stub, "
          "the others with typical mistakes)")


def outputs(folder: Path) -> str:
    """Where the demo's outputs are, one line each (only those written), as paths from the course root."""
    where = [("autograded/<student>/<assignment>/", "the executed (autograded) notebooks"),
             *((f"autograded/grades-{a}.csv", "dnnkit grade's scores and flags") for a in FUNCTIONS),
             ("autograded/grades.csv", "nbgrader export"),
             *((f"autograded/report-{a}.html", "instructor report (open it in a browser)") for a in FUNCTIONS),
             ("feedback/<student>/<assignment>/<assignment>.html", "nbgrader generate_feedback"),
             ("gradebook.db", f"the demo's gradebook (formgrader sees it when JupyterLab is started in "
                              f"{DEMO_FOLDER}/)")]
    return "\n".join([
        f"\nThe demo's outputs, in {folder} (the course's own gradebook and folders are untouched):",
        *(f"  {DEMO_FOLDER}/{path}: {what}" for path, what in where if "<" in path or (folder / path).exists()),
        f"`make clean-demo` (`dnnkit demo --clean`) removes {DEMO_FOLDER}/; the next `make demo` starts it anew."])
