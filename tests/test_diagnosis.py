"""Diagnosis of known mistakes: every catalog entry, injected into a correct solution, is named as itself (with
its fix) by the visible test, by the hidden check, by `dnnkit grade` (result record, CSV, executed notebook)
and in the feedback HTML; a correct answer or an unknown mistake gets no diagnosis."""
from __future__ import annotations

import contextlib
import html
import importlib.util

import pytest

from conftest import OTHER_KERNELS, REPO, kernel_of, run_under_kernel
from dnnkit.cases import FUNCTIONS, assignment_of
from dnnkit.course import Course
from dnnkit.mistakes import BEHAVIOURS, BY_NAME, CATALOG
from dnnkit.solutions import load_solutions, reference_answers
from dnnkit.student_cases import StudentCases
from dnnkit.submissions import solved_notebook, write_submission
from grading_support import executed_notebook, grader_lines, read_grades, result_record, rounds

ASSIGNMENTS = list(FUNCTIONS)


def _released_checks(assignment: str):
    """The dnn_checks module students get, loaded from release/ (not the kit's own copy)."""
    path = REPO / "release" / assignment / "dnn_checks.py"
    spec = importlib.util.spec_from_file_location(f"released_checks_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def student_cases():
    return {a: StudentCases(Course(REPO), a).for_student("diagnosis-test-student") for a in ASSIGNMENTS}


def _with_mistake(mistake):
    """The function as a student who made `mistake` (and nothing else) wrote it."""
    assignment = assignment_of(mistake.function)
    namespace = load_solutions(Course(REPO), assignment, edits={mistake.function: mistake.apply})
    return namespace[mistake.function]


def test_the_catalog_covers_every_kind_of_mistake_the_course_warns_about():
    assert len(CATALOG) >= 15
    assert len(BY_NAME) == len(CATALOG) + len(BEHAVIOURS)  # names are unique
    graded = {name for names in FUNCTIONS.values() for name in names}
    for mistake in CATALOG:
        assert mistake.function in graded
        assert mistake.says and mistake.fix and not mistake.says.endswith(".")
        answer = reference_answers(Course(REPO), assignment_of(mistake.function))[mistake.function]
        assert mistake.apply(answer) != answer  # each edit applies, exactly once (apply raises otherwise)


@pytest.mark.parametrize("mistake", CATALOG, ids=[m.name for m in CATALOG])
def test_the_visible_test_names_the_mistake_and_its_fix(mistake):
    checks = _released_checks(assignment_of(mistake.function))
    public = REPO / "release" / assignment_of(mistake.function) / "public_cases.npz"
    with pytest.raises(AssertionError) as failure:
        checks.check_public(mistake.function, _with_mistake(mistake), path=str(public))
    message = str(failure.value)
    assert f"Diagnosis: {mistake.says}." in message
    assert f"How to fix it: {mistake.fix}." in message


@pytest.mark.parametrize("mistake", CATALOG, ids=[m.name for m in CATALOG])
def test_the_hidden_check_names_the_mistake_on_a_students_own_cases(mistake, student_cases):
    from dnnkit import checks

    cases = student_cases[assignment_of(mistake.function)][mistake.function]
    with pytest.raises(AssertionError) as failure:
        checks.check_function(_with_mistake(mistake), mistake.function, cases, reveal=False)
    assert checks.diagnose(mistake.function, cases, [checks.outcome(_with_mistake(mistake), *c["args"])
                                                     for c in cases])["mistake"] == mistake.name
    assert str(failure.value).endswith(f"Diagnosis: {mistake.says}.\nHow to fix it: {mistake.fix}.")


# Mistakes as real students write them (not the catalog's own edits of the solution): the commonest ones found in
# public solutions of the course, each named on the public cases and on a student's own hidden cases.
AS_STUDENTS_WRITE_THEM = {
    "grads_numbered_by_layer": """
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dA = -(Y / AL - (1 - Y) / (1 - AL))
    activation = "sigmoid"
    for layer in range(L, 0, -1):
        dA, grads["dW%d" % layer], grads["db%d" % layer] = linear_activation_backward(dA, caches[layer - 1],
                                                                                    activation)
        grads["dA%d" % layer] = dA
        activation = "relu"
    return grads
""",
    "relu_backward_on_output": """
def L_model_backward(AL, Y, caches):
    grads = {}
    Y = Y.reshape(AL.shape)
    dA = -(Y / AL - (1 - Y) / (1 - AL))
    for layer in range(len(caches), 0, -1):
        dA, grads["dW%d" % layer], grads["db%d" % layer] = linear_activation_backward(dA, caches[layer - 1], "relu")
        grads["dA%d" % (layer - 1)] = dA
    return grads
""",
    "db_summed_to_a_number": """
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = 1.0 / m * dZ @ A_prev.T
    db = 1.0 / m * np.sum(dZ)
    dA_prev = W.T @ dZ
    return dA_prev, dW, db
""",
    "deep_weights_not_small": """
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters[f"W{l}"] = np.random.randn(layer_dims[l], layer_dims[l - 1])
        parameters[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return parameters
""",
}


@pytest.mark.parametrize("name", list(AS_STUDENTS_WRITE_THEM))
def test_the_commonest_real_mistakes_are_named(name, student_cases):
    from dnnkit import checks

    mistake = BY_NAME[name]
    namespace = dict(load_solutions(Course(REPO), "step_by_step"))
    exec(AS_STUDENTS_WRITE_THEM[name], namespace)
    function = namespace[mistake.function]
    public = REPO / "release" / "step_by_step" / "public_cases.npz"
    with pytest.raises(AssertionError) as failure:
        _released_checks("step_by_step").check_public(mistake.function, function, path=str(public))
    assert f"Diagnosis: {mistake.says}." in str(failure.value)
    with pytest.raises(AssertionError) as failure:
        checks.check_function(function, mistake.function, student_cases["step_by_step"][mistake.function],
                              reveal=False)
    assert str(failure.value).endswith(f"Diagnosis: {mistake.says}.\nHow to fix it: {mistake.fix}.")


DIAGNOSE_EVERY_MISTAKE = """
import test_diagnosis as t
from dnnkit import checks, refcache
from dnnkit.cases import assignment_of
from dnnkit.course import Course
from conftest import OTHER_KERNELS, REPO, kernel_of, run_under_kernel
hidden = {a: refcache.load_verified(Course(REPO), a) for a in t.ASSIGNMENTS}
for mistake in t.CATALOG:
    function, assignment = mistake.function, assignment_of(mistake.function)
    public = str(REPO / "release" / assignment / "public_cases.npz")
    named = []
    for check in (lambda f: t._released_checks(assignment).check_public(function, f, path=public),
                  lambda f: checks.check_function(f, function, hidden[assignment][function], reveal=False)):
        try:
            check(t._with_mistake(mistake))
            named.append("passed")
        except AssertionError as failure:
            named.append("named" if f"Diagnosis: {mistake.says}." in str(failure) else "not named")
    print(mistake.name, "|", " ".join(named))
"""


@pytest.mark.slow
@pytest.mark.parametrize("kernel", OTHER_KERNELS[1:2])
def test_mistakes_stored_on_one_cpu_are_named_on_another(kernel, default_kernel):
    """The outcomes of every mistake were stored with this machine's OpenBLAS kernel; a student's code runs
    where OpenBLAS picks another one (forced here): the visible test and the hidden check still name each."""
    done = run_under_kernel(kernel, DIAGNOSE_EVERY_MISTAKE)
    assert kernel_of(done) not in ("", default_kernel)
    lines = done.stdout.strip().splitlines()[:-1]
    assert len(lines) == len(CATALOG)
    assert [line for line in lines if not line.endswith("| named named")] == []


def test_mistakes_of_one_function_are_told_apart(student_cases):
    """No two entries of a function return the same on every case, or one could be named for the other."""
    from dnnkit import checks

    for mistake in CATALOG:
        cases = student_cases[assignment_of(mistake.function)][mistake.function]
        outcomes = [checks.outcome(_with_mistake(mistake), *c["args"]) for c in cases]
        others = [m for m in CATALOG if m.function == mistake.function and m is not mistake]
        for other in others:
            entries = [{**c, "mistakes": [e for e in c["mistakes"] if e["name"] == other.name]} for c in cases]
            assert checks.diagnose(mistake.function, entries, outcomes) is None, (mistake.name, other.name)


def test_a_correct_answer_or_an_unknown_mistake_gets_no_diagnosis(student_cases):
    from dnnkit import checks

    reference = load_solutions(Course(REPO), "step_by_step")
    cases = student_cases["step_by_step"]["linear_forward"]
    assert checks.check_function(reference["linear_forward"], "linear_forward", cases, reveal=False) == len(cases)

    def doubled(A, W, b):  # wrong, but not a catalogued mistake
        Z, cache = reference["linear_forward"](A, W, b)
        return 2 * Z, cache

    with pytest.raises(AssertionError) as failure:
        checks.check_function(doubled, "linear_forward", cases, reveal=False)
    assert "linear_forward, case" in str(failure.value)
    assert "Diagnosis" not in str(failure.value)


# --- end to end: dnnkit grade and nbgrader generate_feedback (shared_courses.py), a submission per round ------


@contextlib.contextmanager
def dnnkit_submissions(course):
    """Every catalog entry made in some submission (no two in one function), for the course shared_courses.py
    grades with `dnnkit grade`."""
    for assignment in ASSIGNMENTS:
        for i, group in enumerate(rounds(FUNCTIONS[assignment])):
            write_submission(course, assignment, f"round-{i}", solved_notebook(course, assignment, group))
    yield {}


@pytest.fixture(scope="module")
def graded_rounds(dnnkit_graded, course_datasets):
    """The shared course and {mistake: the student who made it}."""
    for assignment in ASSIGNMENTS:
        done = dnnkit_graded.run(f"grade-{assignment}")
        assert done.returncode == 0, done.stderr[-3000:]
    made = {name: f"round-{i}" for assignment in ASSIGNMENTS
            for i, group in enumerate(rounds(FUNCTIONS[assignment])) for name in group}
    return dnnkit_graded, made


@pytest.mark.slow
def test_dnnkit_grade_names_every_mistake_in_its_records_csv_and_notebook(graded_rounds):
    shared, made = graded_rounds
    course = shared.course
    assert set(made) == {m.name for m in CATALOG}
    for name, student in made.items():
        mistake = BY_NAME[name]
        assignment = assignment_of(mistake.function)
        record = result_record(course, student, assignment)
        function = record["functions"][mistake.function]
        assert function["score"] == 0 and function["diagnosis"] == {"mistake": name, "says": mistake.says,
                                                                    "fix": mistake.fix, "fields": {}}
        assert f"{mistake.function}: {name}" in read_grades(course, assignment)[student]["diagnoses"]
        lines = grader_lines(executed_notebook(course, student, assignment), mistake.function)
        assert len(lines) == 1 and f"Diagnosis: {mistake.says}." in lines[0]
        # the functions without a mistake in that submission pass, with no diagnosis
        wrong = {BY_NAME[m].function for m, s in made.items() if s == student} & set(FUNCTIONS[assignment])
        for other in set(FUNCTIONS[assignment]) - wrong:
            assert record["functions"][other]["score"] == 10 and record["functions"][other]["diagnosis"] is None


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_feedback_page_shows_the_diagnosis_and_fix(graded_rounds, assignment):
    shared, made = graded_rounds
    students = sorted({s for n, s in made.items() if assignment_of(BY_NAME[n].function) == assignment})
    assert students == shared.students(__name__, assignment)
    pages = {student: shared.feedback(student, assignment) for student in students}  # nbgrader generate_feedback
    for student in students:
        page = html.unescape(pages[student])
        for name, by in made.items():
            mistake = BY_NAME[name]
            if by == student and assignment_of(mistake.function) == assignment:
                assert f"Diagnosis: {mistake.says}." in page and f"How to fix it: {mistake.fix}." in page, name
