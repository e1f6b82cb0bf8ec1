"""Planning a batch (dnnkit/grading/batch.py): which submissions `dnnkit grade` grades, skips or refuses, and why;
where the grading runs (the executors); the line printed per submission. On a course copy without a gradebook,
with records written here."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import make_course_copy
from dnnkit.course import Course
from dnnkit.grading import batch
from dnnkit.grading.records import FunctionResult, Provenance, SubmissionResult, Verdict, file_digest, write_record
from dnnkit.submissions import write_submission

ASSIGNMENT = "step_by_step"


@pytest.fixture()
def course(tmp_path) -> Course:
    course = Course(make_course_copy(tmp_path / "course"))
    for student in ("ann", "bob", "cid", "dee"):
        write_submission(course, ASSIGNMENT, student)
    return course


def graded(course: Course, student: str, **provenance) -> SubmissionResult:
    """A record of `student` as if graded now (its digests those of today's files, but for `provenance`)."""
    now = Provenance(batch.submission_digest(course.root / "submitted" / student / ASSIGNMENT),
                     file_digest(course.release(ASSIGNMENT)), file_digest(course.reference_file(ASSIGNMENT)))
    result = SubmissionResult(student, ASSIGNMENT, provenance=Provenance(**{**vars(now), **provenance}))
    write_record(course.root, result)
    return result


def test_new_changed_and_failed_submissions_are_graded_and_unchanged_ones_skipped(course):
    graded(course, "ann")
    graded(course, "bob", release="an older release")
    failed = graded(course, "cid")
    failed.add_grader_error("boom")
    write_record(course.root, failed)
    plan = batch.plan(course, ASSIGNMENT, [], force=False)
    assert plan.unchanged == ["ann"]
    assert [s.student for s in plan.todo] == ["bob", "cid", "dee"]
    assert plan.regraded == {"bob": Provenance.CHANGES["release"]}
    assert batch.plan(course, ASSIGNMENT, [], force=True).unchanged == []


def test_a_submission_handed_in_again_is_graded_again_without_a_reason_printed(course):
    graded(course, "ann", submission="what ann handed in first")
    plan = batch.plan(course, ASSIGNMENT, ["ann"], force=False)
    assert [s.student for s in plan.todo] == ["ann"] and plan.regraded == {}
    assert plan.todo[0].provenance.submission == batch.submission_digest(plan.todo[0].folder)


def test_unusable_ids_are_refused_and_listed_for_the_whole_class(course, capsys):
    write_submission(course, ASSIGNMENT, "=cmd")
    plan = batch.plan(course, ASSIGNMENT, ["ann"], force=False)
    assert [s.student for s in plan.todo] == ["ann"] and set(plan.refused) == {"=cmd"}  # not named, still listed
    named = batch.plan(course, ASSIGNMENT, ["=cmd"], force=False)
    assert named.todo == [] and "refused a submission folder" in capsys.readouterr().err


def test_a_named_student_without_a_submission_is_graded_as_missing(course):
    plan = batch.plan(course, ASSIGNMENT, ["zed"], force=False)
    assert [(s.student, s.folder.exists()) for s in plan.todo] == [("zed", False)]


def test_here_grading_runs_in_twice_as_many_threads_as_workers_and_nothing_goes_elsewhere(tmp_path):
    """Twice as many threads as sandboxes (Grading.slots bounds those: test_pipeline), so that sandboxes keep
    running while other submissions are drawn, judged and recorded."""
    with batch.executors(None, 3, tmp_path) as (threads, remote):
        assert isinstance(threads, ThreadPoolExecutor) and threads._max_workers == 6 and remote is None
    with batch.executors(None, 0, tmp_path) as (threads, _):
        assert threads._max_workers == 2


def test_a_plain_tcp_scheduler_is_refused_before_anything_is_sent(tmp_path):
    from dnnkit import DnnkitError

    with pytest.raises(DnnkitError, match="does not authenticate"):
        with batch.executors("tcp://127.0.0.1:8786", 2, tmp_path):
            pass


def test_the_line_of_a_graded_submission():
    result = SubmissionResult("ann\u202e", ASSIGNMENT, flags=["a flag"], raw_score=20, late_submission_penalty=5,
                              max_score=30, functions={"f": FunctionResult("f", Verdict.NOT_ATTEMPTED)})
    line = batch.summary_line(result)
    assert line.startswith("ann") and "\u202e" not in line  # an id is shown inert
    assert "15/30 (raw 20, late penalty 5) graded — a flag — not attempted: f" in line
