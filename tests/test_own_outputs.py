"""The application's feedback shows the student's own training (issue 23): the cells tagged `own-outputs` keep the
outputs the student submitted, under a line that says so, under `dnnkit grade` and under plain `nbgrader
autograde`; the grader's shortened run (5 iterations) is never shown as theirs."""
from __future__ import annotations

import contextlib
import json

import nbformat
import pytest

from dnnkit.own_outputs import KEPT, TAG
from grading_support import executed_notebook, submit

pytestmark = pytest.mark.slow
OWN = "Cost after iteration 2400: 0.048800 (MY OWN FULL RUN)"


def _with_own_outputs(nb):
    """The solved notebook as submitted after a full run: the tagged cells with outputs of the student's run,
    the last of them without any; an untagged cell with a fake output; a graded cell that claims the tag."""
    tagged = [cell for cell in nb.cells if TAG in cell.metadata.get("tags", [])]
    assert len(tagged) >= 4
    for cell in tagged[:-1]:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=OWN + "\n")]
    tagged[-1].outputs = []
    for cell in nb.cells:
        if cell.cell_type == "code" and not cell.metadata.get("tags") and not cell.metadata.get("nbgrader"):
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="FAKE UNTAGGED OUTPUT\n")]
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.metadata.setdefault("tags", []).append(TAG)
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="FAKE GRADED OUTPUT\n")]
    return nb


@contextlib.contextmanager
def _submission(course):
    submit(course, "own-run", "application", transform=_with_own_outputs)
    yield {}


# in both courses shared_courses.py grades: by `dnnkit grade`, by plain `nbgrader autograde`
dnnkit_submissions = nbgrader_submissions = _submission


@pytest.fixture(scope="module")
def courses(dnnkit_graded, nbgrader_graded, course_datasets):
    done = dnnkit_graded.run("grade-application")
    assert done.returncode == 0, done.stderr[-2000:]
    return {grader: (shared.course, executed_notebook(shared.course, "own-run", "application"),
                     shared.feedback("own-run", "application"))
            for grader, shared in (("dnnkit", dnnkit_graded), ("plain", nbgrader_graded))}


@pytest.mark.parametrize("grader", ["dnnkit", "plain"])
def test_tagged_cells_show_the_students_own_run_under_a_line_that_says_so(courses, grader):
    _, nb, page = courses[grader]
    tagged = [cell for cell in nb.cells if TAG in cell.metadata.get("tags", [])
              and not cell.metadata.get("nbgrader", {}).get("grade")]
    texts = ["".join(o.get("text", "") for o in cell.outputs) for cell in tagged]
    for text in texts[:-1]:
        assert text.startswith("[grader] The outputs you submitted, from your own run") and OWN in text
    assert texts[-1].startswith("[grader] You submitted this cell without outputs")
    assert OWN in page and "from your own run" in page
    assert all(KEPT not in cell.metadata for cell in nb.cells)  # nothing left behind in the notebook


@pytest.mark.parametrize("grader", ["dnnkit", "plain"])
def test_other_cells_show_the_graders_run(courses, grader):
    _, nb, page = courses[grader]
    text = json.dumps(nb)
    assert "FAKE UNTAGGED OUTPUT" not in text and "FAKE GRADED OUTPUT" not in text
    assert "Cost after iteration 0" not in page  # the shortened run's own costs: only in untagged cells, if any
