"""One mistake, one name, everywhere (issue 22): for real-style wrong functions of every class, recognised by
behaviour, the visible test in the notebook, `dnnkit grade` (record, executed notebook, feedback), plain
`nbgrader autograde` (its feedback) and `dnnkit check` name the same catalogued mistake, in English and in
Chinese; the instructor report counts them."""
from __future__ import annotations

import contextlib
import copy
import html
import sys

import pytest

from behaviour_cases import REPRODUCTIONS
from conftest import REPO
from corpus import real_mistakes
from dnnkit import checks
from dnnkit.cli import main
from dnnkit.mistakes import BY_NAME, chinese
from dnnkit.course import Course
from dnnkit.solutions import load_solutions
from grading_support import executed_notebook, grader_lines, result_record, submit

pytestmark = pytest.mark.slow

CORPUS = {e["id"]: e for e in real_mistakes.WRONG}
# one wrong function of each class of issue 22, as students wrote them (corpus) or as we reproduced them
STUDENTS = {
    "c1-hard-coded": ("L_model_forward", CORPUS["fwd_weights_W1_W2_by_name"]["code"], "fwd_weights_of_another_layer"),
    "c2-cache-typed": ("L_model_backward", CORPUS["bwd_last_cache_for_every_layer"]["code"],
                       "bwd_cache_of_another_layer"),
    "c2-dAL-hidden": ("L_model_backward", CORPUS["bwd_relu_backward_with_dAL_old_keys"]["code"],
                      "bwd_dAL_to_hidden_layer"),
    "c3-caches-A": ("L_model_forward", CORPUS["fwd_appends_A_not_cache"]["code"], "fwd_caches_hold_A"),
    "c4-pair": ("linear_activation_backward", CORPUS["lab_pair_to_linear_backward_in_one_branch"]["code"],
                "lab_pair_to_linear_backward"),
    "c5-squeezed": ("linear_backward", CORPUS["lb_db_squeezed"]["code"], "db_without_keepdims"),
    "c6-axis": ("compute_cost", CORPUS["cost_second_term_as_axis"]["code"], "cost_second_term_as_axis"),
    "c7-nested": ("update_parameters", CORPUS["upd_nested_loop"]["code"], "upd_nested_loop"),
    "c6-tuple": ("compute_cost", REPRODUCTIONS["cost_is_a_tuple"][1], "cost_is_a_tuple"),
}


def _opening(text: str) -> str:
    """A sentence's fixed opening, before its first filled-in field."""
    return text.split("{")[0]


@contextlib.contextmanager
def _submissions(course):
    for student, (function, code, _) in STUDENTS.items():
        submit(course, student, answers={function: code})
    yield {}


# the same submissions in the two courses shared_courses.py grades: with `dnnkit grade`, with plain nbgrader
dnnkit_submissions = nbgrader_submissions = _submissions


@pytest.fixture(scope="module")
def graded(dnnkit_graded, nbgrader_graded):
    done = dnnkit_graded.run("grade-step_by_step")
    assert done.returncode == 0, done.stderr[-2000:]
    return (dnnkit_graded, {student: dnnkit_graded.feedback(student) for student in STUDENTS},
            {student: nbgrader_graded.feedback(student) for student in STUDENTS})


@pytest.mark.parametrize("student", STUDENTS)
def test_dnnkit_grade_names_the_mistake_in_the_record_the_notebook_and_the_feedback(graded, student):
    shared, pages, _ = graded
    course = shared.course
    function, _, mistake = STUDENTS[student]
    record = result_record(course, student)
    assert record["functions"][function]["diagnosis"]["mistake"] == mistake, record["functions"][function]
    lines = grader_lines(executed_notebook(course, student), function)
    says = _opening(BY_NAME[mistake].says)
    assert any("Diagnosis: " + says in line for line in lines), lines
    assert "Diagnosis: " + html.escape(says, quote=False) in pages[student]
    others = [name for name, f in record["functions"].items() if f.get("diagnosis") and name != function]
    assert others == []  # no other function is blamed


@pytest.mark.parametrize("student", STUDENTS)
def test_plain_nbgrader_names_the_same_mistake(graded, student):
    _, _, plain_pages = graded
    function, _, mistake = STUDENTS[student]
    assert "Diagnosis: " + html.escape(_opening(BY_NAME[mistake].says), quote=False) in plain_pages[student]


@pytest.mark.parametrize("student", STUDENTS)
def test_the_visible_test_names_the_same_mistake_or_passes(student):
    """The released dnn_checks (and dnn_behaviour) on the public cases, as the notebook runs them."""
    import importlib.util

    function, code, mistake = STUDENTS[student]
    release = REPO / "release" / "step_by_step"
    sys.path.insert(0, str(release))
    try:
        spec = importlib.util.spec_from_file_location("dnn_checks", release / "dnn_checks.py")
        released = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(released)
        namespace = dict(load_solutions(Course(REPO), "step_by_step"))
        exec(compile(code, "<student cell>", "exec"), namespace)
        public, _ = released.load_plain(release / "public_cases.npz")
        failure, _ = released.evaluate(namespace[function], function, copy.deepcopy(public[function]))
    finally:
        sys.path.remove(str(release))
    if failure:  # a mistake that only other sizes show passes the visible test, and says nothing there
        assert "Diagnosis: " + _opening(BY_NAME[mistake].says) in failure, failure
    else:
        assert mistake == "fwd_weights_of_another_layer" or mistake == "upd_nested_loop", student


def test_dnnkit_check_names_the_same_mistake(graded, monkeypatch, capsys):
    course = graded[0].course
    student = "c2-dAL-hidden"
    function, _, mistake = STUDENTS[student]
    monkeypatch.setenv("DNNKIT_COURSE_ROOT", str(course.root))
    notebook = course.root / "submitted" / student / "step_by_step" / "step_by_step.ipynb"
    assert main(["check", "step_by_step", str(notebook)]) == 0
    assert "Diagnosis: " + _opening(BY_NAME[mistake].says) in capsys.readouterr().out


def test_a_diagnosis_reads_the_same_in_chinese(graded):
    course = graded[0].course
    record = result_record(course, "c2-cache-typed")
    diagnosis = record["functions"]["L_model_backward"]["diagnosis"]
    text = checks.diagnosis_text(diagnosis, "zh", chinese())
    layer = diagnosis["fields"]["layer"]
    assert f"第 {layer} 层拿到的是另一层的缓存" in text and "{" not in text.split("改正方法")[0]


def test_the_report_counts_the_mistakes_found_by_behaviour(graded):
    shared = graded[0]
    done = shared.run("report-step_by_step")  # `dnnkit report step_by_step` on the shared course
    assert done.returncode == 0, done.stderr
    page = (shared.course.root / "autograded" / "report-step_by_step.html").read_text()
    for _, _, mistake in STUDENTS.values():
        assert mistake in page, mistake
