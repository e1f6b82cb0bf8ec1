"""One submission's way (dnnkit/grading/pipeline.py): grade_one runs the steps in their order, keeps the expected
outputs on the grader's side, and records every submission, also when a step of the grader's own fails. The steps
are stand-ins here that note what they were given; the real ones have their own test modules."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from dnnkit.course import Course
from dnnkit.grading import pipeline
from dnnkit.grading.intake import Intake
from dnnkit.grading.pipeline import Grading, Submission, grade_one
from dnnkit.grading.records import Provenance, Status, SubmissionResult, read_record, write_record
from dnnkit.grading.supervisor import RunState

ASSIGNMENT = "step_by_step"


class Steps:
    """Stand-ins for the steps; `calls` is what happened, in order, with the thread each ran in."""

    def __init__(self, fail: str = ""):
        self.calls, self.fail = [], fail

    def note(self, step: str) -> None:
        self.calls.append((step, threading.current_thread().name))
        if step == self.fail:
            raise RuntimeError(f"{step} broke")

    # StudentCases
    def for_student(self, student, digest):
        self.note("draw cases")
        return {"f": [{"args": [1], "expected": "SECRET"}]}

    # SandboxRun
    def inputs(self, hidden):
        self.note("inputs")
        return [{"f": [{"args": case["args"]} for case in hidden["f"]]}]

    def run(self, student, notebook, inputs):
        self.note("run sandboxed")
        self.sandbox_got = repr(inputs)
        return RunState(flags=["ran"])

    # Grader
    def finish(self, student, taken, ran, hidden):
        self.note("judge")
        return SubmissionResult(student, ASSIGNMENT, Status.GRADED if ran else taken.status, flags=list(taken.flags),
                                notebook=taken.notebook)


class Pass:
    """A stand-in for NbgraderPass."""

    def __init__(self, steps: Steps):
        self.steps = steps

    def run(self, result, folder, master):
        self.steps.note("nbgrader pass")

    def read_back(self, result):
        self.steps.note("read back")


@pytest.fixture()
def grading(tmp_path, monkeypatch):
    steps = Steps()

    def take_in(folder, release):
        steps.note("take in")
        if not Path(folder).is_dir():
            return Intake(None, [], Status.MISSING)
        return Intake(nbformat.v4.new_notebook(), ["taken"])

    monkeypatch.setattr(pipeline, "take_in", take_in)
    monkeypatch.setattr(pipeline, "write_record", lambda root, result: (steps.note("record"),
                                                                         write_record(root, result))[-1])
    made = Grading(Course(tmp_path), ASSIGNMENT, release=SimpleNamespace(notebook=None), cases=steps, sandbox=steps,
                   judge=steps, nbgrader_pass=Pass(steps))
    (tmp_path / "submitted" / "ann").mkdir(parents=True)
    return made, steps, tmp_path


def submission(root: Path, student: str = "ann") -> Submission:
    return Submission(student, root / "submitted" / student, Provenance("s", "r", "c"))


def test_the_steps_run_in_their_order_and_the_record_comes_last(grading):
    made, steps, root = grading
    result = grade_one(submission(root), made)
    assert [step for step, _ in steps.calls] == ["take in", "draw cases", "inputs", "run sandboxed", "judge",
                                                 "nbgrader pass", "record"]
    assert read_record(root, ASSIGNMENT, "ann").provenance == Provenance("s", "r", "c") == result.provenance
    assert "SECRET" not in steps.sandbox_got  # the sandbox got inputs only


def test_on_a_cluster_only_the_sandboxed_run_leaves_the_thread(grading):
    made, steps, root = grading
    with ThreadPoolExecutor(1, thread_name_prefix="cluster") as remote:
        made.remote = remote
        grade_one(submission(root), made)
    where = dict(steps.calls)
    assert where["run sandboxed"].startswith("cluster")
    assert not any(where[step].startswith("cluster") for step in ("draw cases", "inputs", "judge", "nbgrader pass"))


def test_nothing_handed_in_runs_nothing_and_is_still_recorded(grading):
    made, steps, root = grading
    result = grade_one(submission(root, "bob"), made)
    assert [step for step, _ in steps.calls] == ["take in", "draw cases", "judge", "read back", "record"]
    assert result.status is Status.MISSING and read_record(root, ASSIGNMENT, "bob").status is Status.MISSING


@pytest.mark.parametrize("broken", ["run sandboxed", "judge", "draw cases"])
def test_a_fault_of_the_graders_own_is_recorded_and_grading_goes_on(grading, broken, capsys):
    made, steps, root = grading
    steps.fail = broken
    result = grade_one(submission(root), made)
    assert result.grader_error and result.status is Status.INCOMPLETE
    assert f"grader error: RuntimeError: {broken} broke" in result.flags
    assert read_record(root, ASSIGNMENT, "ann").grader_error  # the next run grades it again (batch.plan)
    assert "RuntimeError" in capsys.readouterr().err


def test_a_failed_nbgrader_pass_is_recorded_without_its_notebook(grading):
    made, steps, root = grading
    steps.fail = "nbgrader pass"
    result = grade_one(submission(root), made)
    assert result.grader_error and result.notebook is None
    assert any(flag.startswith("grader error: could not record the grade") for flag in result.flags)
    assert [step for step, _ in steps.calls][-1] == "record"


def test_slots_bound_the_sandboxes_running_at_once_and_the_gradebook_serves_one_thread(grading):
    """With more threads than slots (batch.executors), at most `slots` sandboxes run at once, while the other
    threads draw, judge and record; nbgrader's pass never runs in two threads at once."""
    made, steps, root = grading
    made.slots = threading.BoundedSemaphore(2)
    running, most, in_pass, lock = [0], [0], [0], threading.Lock()

    def busy(counter, seconds):
        with lock:
            counter[0] += 1
            if counter is running:
                most[0] = max(most[0], counter[0])
            assert counter is running or counter[0] == 1, "two nbgrader passes at once"
        threading.Event().wait(seconds)
        with lock:
            counter[0] -= 1

    steps.run = lambda student, notebook, inputs: (busy(running, 0.05), RunState())[-1]
    made.nbgrader_pass.run = lambda result, folder, master: busy(in_pass, 0.01)
    students = [f"s{i}" for i in range(12)]
    for student in students:
        (root / "submitted" / student).mkdir()
    with ThreadPoolExecutor(max_workers=6) as threads:
        results = list(threads.map(lambda s: grade_one(submission(root, s), made), students))
    assert [r.student for r in results] == students and not any(r.grader_error for r in results)
    assert most[0] == 2  # reached, and never passed
