"""`dnnkit grade` when things go wrong: hangs, crashes and kills cost only what they must, a killed run resumes
without losing or redoing anything (and the next run removes what it left: hidden cases, cgroups), and no
student's grade depends on another's submission. The faults are graded in the shared course (shared_courses.py);
a run that is killed, or needs settings of its own, grades a small course of its own."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from dnnkit.cases import FUNCTIONS
from dnnkit.grading import cgroup, leftovers
from dnnkit.grading.records import record_path
from dnnkit.gradebook import function_scores
from grading_support import (answer, dnnkit_grade, expect_row, grading_course, read_grades, result_record, scores,
                             submit)

pytestmark = pytest.mark.slow
NAMES = FUNCTIONS["step_by_step"]
FULL = 10 * len(NAMES)


SHARED_FEEDBACK = ()  # no feedback page is read here


@contextlib.contextmanager
def dnnkit_submissions(course):
    """A clean submission and one per fault, for the course shared_courses.py grades with `dnnkit grade`."""
    submit(course, "fault-free")
    submit(course, "sigint-proof-loop", answers={"linear_backward": answer(
        course, "linear_backward", before="import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)",
        replace=("m = A_prev.shape[1]", "m = A_prev.shape[1]\n    while True:\n        pass"))})
    submit(course, "exits-in-function", answers={"compute_cost": answer(
        course, "compute_cost", replace=("m = Y.shape[1]", "import os; os._exit(3)"))})
    submit(course, "killed-in-function", answers={"update_parameters": answer(
        course, "update_parameters", replace=("L = len(parameters) // 2",
                                              "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"))})
    submit(course, "segfault-in-function", answers={"linear_forward": answer(
        course, "linear_forward", replace=("Z = np.dot(W, A) + b", "import ctypes; ctypes.string_at(0)"))})
    submit(course, "dies-defining", answers={"initialize_parameters": answer(
        course, "initialize_parameters", after="import os\nos._exit(1)")})
    submit(course, "hangs-defining", answers={"L_model_backward": answer(
        course, "L_model_backward", after="import time\ntime.sleep(10**6)")})
    submit(course, "memory-hog", answers={"linear_activation_backward": answer(
        course, "linear_activation_backward",
        replace=("linear_cache, activation_cache = cache", "hog = bytearray(2**33)"))})  # over the 2 GiB limit
    yield {}


FAULTS = ("fault-free", "sigint-proof-loop", "exits-in-function", "killed-in-function", "segfault-in-function",
          "dies-defining", "hangs-defining", "memory-hog")


@pytest.fixture(scope="module")
def faulty(dnnkit_graded):
    course = dnnkit_graded.course
    return course, dnnkit_graded.run("grade-step_by_step"), read_grades(course), dnnkit_graded


def test_every_submission_gets_a_row_and_exit_0(faulty):
    course, done, rows, shared = faulty
    assert done.returncode == 0, done.stderr[-2000:]
    assert shared.students(__name__) == sorted(FAULTS)
    assert sorted(rows) == shared.everyone()  # the shared course's other students too


@pytest.mark.parametrize("student, lost, status, flag", [
    ("fault-free", (), "graded", None),
    ("sigint-proof-loop", ("linear_backward",), "incomplete", "linear_backward: the process timed out"),
    ("exits-in-function", ("compute_cost",), "incomplete", "compute_cost: the process died"),
    ("killed-in-function", ("update_parameters",), "incomplete", "update_parameters: the process died"),
    ("segfault-in-function", ("linear_forward",), "incomplete", "linear_forward: the process died"),
    ("dies-defining", ("initialize_parameters",), "incomplete", "died; the notebook was run again without it"),
    ("hangs-defining", ("L_model_backward",), "incomplete", "timed out; the notebook was run again without it"),
    ("memory-hog", ("linear_activation_backward",), "graded", None),  # a MemoryError is an ordinary error
])
def test_a_fault_costs_only_its_function(faulty, student, lost, status, flag):
    _, _, rows, _ = faulty
    expect_row(rows[student], lost, status, flag)


def test_gradebook_matches_the_csv(faulty):
    course, _, rows, shared = faulty
    book = function_scores(course.root, "step_by_step")
    for student in shared.students(__name__):
        row = rows[student]
        assert {n: book[student][n] for n in NAMES} == scores(row, NAMES), student


def test_the_clean_grade_does_not_depend_on_the_others(faulty, tmp_path):
    course, _, rows, _ = faulty
    alone = grading_course(tmp_path / "alone")
    shutil.copytree(course.root / "submitted" / "fault-free", alone.root / "submitted" / "fault-free")
    assert dnnkit_grade(alone).returncode == 0
    assert read_grades(alone)["fault-free"] == rows["fault-free"]


def test_a_named_student_without_submission_is_missing(tmp_path):
    course = grading_course(tmp_path / "course")
    submit(course, "someone")  # graded by nobody: only the ghost is named
    done = dnnkit_grade(course, "step_by_step", "--student", "ghost")
    assert done.returncode == 0
    row = read_grades(course)["ghost"]
    assert row["status"] == "missing" and float(row["score"]) == 0 and float(row["max_score"]) == FULL


def grader_token(pid: int) -> str:
    """The leftovers token of the grading process `pid`: the name of the lock file it holds open."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                name = leftovers.token_of(Path(os.readlink(fd)))
            except OSError:
                continue
            if name:
                return name
        time.sleep(0.05)
    raise AssertionError(f"grading process {pid} holds no leftovers lock")


def test_a_killed_run_resumes_without_losing_or_redoing(tmp_path):
    course = grading_course(tmp_path / "course")
    students = [f"s{i}" for i in range(8)]
    for student in students:
        submit(course, student)
    env = {**os.environ, "DNNKIT_COURSE_ROOT": str(course.root)}
    first = subprocess.Popen([sys.executable, "-m", "dnnkit.cli", "grade", "step_by_step"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    results = record_path(course.root, "step_by_step", "x").parent
    deadline = time.monotonic() + 120
    while len(list(results.glob("*.json"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    token = grader_token(first.pid)
    os.killpg(first.pid, signal.SIGKILL)  # half-way: two graded (in any order: there are workers), the rest not
    first.wait()
    # the kill left the sandboxes' scratch folders, hidden cases in them, and their cgroups
    scratch = list(leftovers.folder().glob(f"{leftovers.PREFIX}{token}-*"))
    assert scratch and any(folder.glob("level-*.npz") for folder in scratch)
    groups = cgroup.owned_boxes(token)
    assert groups or cgroup.available() is not None
    graded_before = {s for s in students
                     if record_path(course.root, "step_by_step", s).exists()}
    assert 2 <= len(graded_before) < len(students)
    stamps = {s: record_path(course.root, "step_by_step", s).stat().st_mtime_ns
              for s in graded_before}
    second = dnnkit_grade(course)
    assert second.returncode == 0, second.stderr[-2000:]
    assert not any(folder.exists() for folder in scratch + groups)  # the next run removed them
    for s in graded_before:
        assert f"{s}: already graded" in second.stdout
        assert record_path(course.root, "step_by_step", s).stat().st_mtime_ns == stamps[s]
    rows = read_grades(course)
    assert sorted(rows) == students
    assert all(float(rows[s]["score"]) == FULL and rows[s]["status"] == "graded" for s in students)
    book = function_scores(course.root, "step_by_step")
    assert all(book[s]["total"] == FULL for s in students)


def test_without_bubblewrap_grading_refuses_unless_told(tmp_path, monkeypatch):
    course = grading_course(tmp_path / "course")
    submit(course, "someone")
    bin_dir = tmp_path / "bin"  # a PATH with the tools grading needs, but no bwrap
    bin_dir.mkdir()
    for tool in ("prlimit", "setpriv", "alembic"):
        found = shutil.which(tool, path=f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}")
        if found:
            (bin_dir / tool).symlink_to(found)
    env = {**os.environ, "DNNKIT_COURSE_ROOT": str(course.root), "PATH": str(bin_dir)}
    refused = subprocess.run([sys.executable, "-m", "dnnkit.cli", "grade", "step_by_step"], env=env,
                             capture_output=True, text=True)
    assert refused.returncode == 2
    assert "bubblewrap" in refused.stderr and "--unsafe-no-sandbox" in refused.stderr
    assert not (course.root / "autograded" / "grades-step_by_step.csv").exists()
    unsafe = subprocess.run([sys.executable, "-m", "dnnkit.cli", "grade", "step_by_step", "--unsafe-no-sandbox"],
                            env=env, capture_output=True, text=True)
    if os.geteuid() == 0:  # never student code as root (test_local_accounts grades so as another account)
        assert unsafe.returncode == 2 and "as root" in unsafe.stderr, unsafe.stderr[-2000:]
        return
    assert unsafe.returncode == 0, unsafe.stderr[-2000:]
    assert "WARNING" in unsafe.stderr and "unsafe" in unsafe.stderr
    assert float(read_grades(course)["someone"]["score"]) == FULL
    record = json.loads(record_path(course.root, "step_by_step", "someone").read_text())
    assert record["status"] == "graded"


def test_the_total_time_per_submission_is_capped(tmp_path):
    """Cells that each stay under the cell timeout but together run past c.DnnkitGrade.submission_seconds: the
    submission is stopped there, its functions `not run`, and the flag names the setting."""
    course = grading_course(tmp_path / "course")
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write("\nc.DnnkitGrade.submission_seconds = 12\n")
    slow = "import time\ntime.sleep(5)\n"
    submit(course, "slow-cells", transform=lambda nb: nb.cells.extend(
        nbformat.v4.new_code_cell(slow) for _ in range(4)))
    trace = tmp_path / "trace"
    trace.mkdir()
    done = dnnkit_grade(course, env={"DNNKIT_GRADE_TRACE": str(trace)})
    assert done.returncode == 0, done.stderr[-2000:]
    expect_row(read_grades(course)["slow-cells"], lost=NAMES, status="incomplete",
               flag="used up its 12 s (c.DnnkitGrade.submission_seconds)")
    ended = [json.loads(line)["taken"] for line in (trace / "slow-cells.jsonl").read_text().splitlines()
             if json.loads(line)["event"].get("e") == "attempt"]
    assert ended == ["ended: ran out of time; 0 lines skipped"]  # landed: one run, stopped by the cap


def test_functions_are_not_run_when_the_process_fails_outside_them(tmp_path):
    """A runner that cannot start within c.DnnkitGrade.startup_seconds fails before any cell or function: every
    function is `not run`, told so in those words (not as a crash of its own), and the run is not restarted."""
    course = grading_course(tmp_path / "course")
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write("\nc.DnnkitGrade.startup_seconds = 0.01\n")
    submit(course, "cannot-start")
    done = dnnkit_grade(course)
    assert done.returncode == 0, done.stderr[-2000:]
    expect_row(read_grades(course)["cannot-start"], lost=NAMES, status="incomplete",
               flag="timed out outside any cell or function; the functions not yet checked could not run")
    functions = result_record(course, "cannot-start")["functions"]
    assert {functions[name]["verdict"] for name in NAMES} == {"not run"}
    assert all("not run: the process failed outside any cell or function" in functions[name]["message"]
               for name in NAMES)


def test_output_is_cut_where_the_config_says_inside_and_outside_the_sandbox(tmp_path):
    course = grading_course(tmp_path / "course")
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write("\nc.LimitOutput.max_line_chars = 3000\n")

    def long_line(nb):
        nb.cells.insert(1, nbformat.v4.new_code_cell('print("L" * 2500 + "end")\nprint("M" * 4000)'))

    submit(course, "talker", transform=long_line)
    done = dnnkit_grade(course)
    assert done.returncode == 0, done.stderr[-2000:]
    nb = nbformat.read(course.root / "autograded" / "talker" / "step_by_step" / "step_by_step.ipynb", 4)
    text = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    lines = text.split("\n")
    assert lines[0] == "L" * 2500 + "end"  # under the configured 3000: kept whole (the runner once cut at 2000)
    assert lines[1] == "M" * 3000 + " …[line cut]"


def test_an_unknown_grade_setting_is_an_error_naming_it(tmp_path):
    course = grading_course(tmp_path / "course")
    submit(course, "someone")
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write("\nc.DnnkitGrade.cell_secnods = 5\n")
    done = dnnkit_grade(course)
    assert done.returncode == 2
    assert "c.DnnkitGrade.cell_secnods is not a dnnkit grade setting" in done.stderr and "cell_seconds" in done.stderr
    assert not (course.root / "autograded" / "someone").exists()


def test_grading_before_the_release_says_what_to_run(tmp_path):
    from conftest import make_course_copy
    from dnnkit.course import Course

    course = Course(make_course_copy(tmp_path / "course"))  # release/ is there, the gradebook is not
    submit(course, "someone")
    done = dnnkit_grade(course)
    assert done.returncode == 2
    assert "the gradebook has no assignment 'step_by_step'; run `dnnkit release step_by_step`" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
