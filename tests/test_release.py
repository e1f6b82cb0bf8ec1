"""release/ is exactly nbgrader's output, gives away nothing, and every generated file is in sync."""
from __future__ import annotations

import re
import sys

import nbformat
import pytest

from conftest import REPO, make_course_copy
from dnnkit import checks
from dnnkit.cases import FUNCTIONS
from dnnkit.course import DATASET_FILES, Course
from dnnkit.nbgrader_cli import nbgrader
from dnnkit.shipped import out_of_sync
from dnnkit.solutions import join_cells, solution_cells

COURSE = Course(REPO)


def _files(folder):
    """The files nbgrader generates (not the data files `dnnkit release` adds next to the notebook afterwards,
    git-ignored there)."""
    return sorted(p.relative_to(folder) for p in folder.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.name not in DATASET_FILES)


@pytest.mark.slow
def test_release_is_what_nbgrader_generates(tmp_path):
    root = make_course_copy(tmp_path / "course", with_release=False)
    for assignment in FUNCTIONS:
        nbgrader(root, "generate_assignment", assignment, "--force")
    committed, generated = REPO / "release", root / "release"
    assert _files(committed) == _files(generated)
    for name in _files(committed):
        if name.suffix == ".ipynb":  # compared as notebooks: nbgrader writes no timestamps, but be tolerant
            assert nbformat.read(committed / name, 4) == nbformat.read(generated / name, 4), name
        else:
            assert (committed / name).read_bytes() == (generated / name).read_bytes(), name


def test_generated_helper_files_are_in_sync():
    assert list(out_of_sync(COURSE)) == [], "run `dnnkit release` to regenerate them"


def _solution_lines(notebook) -> set[str]:
    """Non-trivial code lines written only between the solution delimiters (not also in a hint or docstring)."""
    secret, given, inside = set(), set(), False
    for cell in nbformat.read(notebook, 4).cells:
        for line in cell.source.splitlines():
            if "### BEGIN SOLUTION" in line:
                inside = True
            elif "### END SOLUTION" in line:
                inside = False
            elif inside and len(line.strip()) > 12:
                secret.add(line.strip())
            else:
                given.add(line)
    return {line for line in secret if not any(line in text for text in given)}


@pytest.mark.parametrize("assignment", list(FUNCTIONS))
def test_release_holds_no_solution_hidden_test_or_reference(assignment):
    release = COURSE.release(assignment)
    solutions = _solution_lines(COURSE.notebook(assignment))
    assert solutions, "no solution lines found in the source notebook"
    hidden_cases, _ = checks.load_plain(COURSE.reference_file(assignment))
    public_cases, _ = checks.load_plain(release / "public_cases.npz")
    for path in release.rglob("*"):
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        for marker in ("BEGIN SOLUTION", "HIDDEN TESTS", "check_hidden", "dnnkit.hidden", "references/",
                       "import dnnkit"):
            assert marker not in text, f"{path} contains {marker!r}"
        if path.suffix == ".ipynb":
            leaked = [line for line in solutions if line in text]
            assert not leaked, f"{path} contains solution code: {leaked[:3]}"
    # the released cases are not the hidden ones
    hidden_inputs = {checks.digest(c["args"]) for cases in hidden_cases.values() for c in cases}
    public_inputs = {checks.digest(c["args"]) for cases in public_cases.values() for c in cases}
    assert hidden_inputs.isdisjoint(public_inputs)


@pytest.mark.parametrize("assignment", list(FUNCTIONS))
def test_every_graded_function_in_release_raises_not_implemented(assignment, monkeypatch):
    release = COURSE.release(assignment)
    nb = nbformat.read(release / f"{assignment}.ipynb", 4)
    stubs = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert {c.metadata.nbgrader.grade_id for c in stubs} == set(FUNCTIONS[assignment])
    for cell in stubs:
        assert "raise NotImplementedError()" in cell.source
    # run the release code itself: each graded function, called on its public case, raises NotImplementedError
    monkeypatch.chdir(release)
    monkeypatch.syspath_prepend(str(release))
    namespace: dict = {}
    exec(compile(join_cells(solution_cells(release / f"{assignment}.ipynb")), "release", "exec"), namespace)
    public_cases, _ = checks.load_plain(release / "public_cases.npz")
    for name in FUNCTIONS[assignment]:
        with pytest.raises(NotImplementedError):
            namespace[name](*public_cases[name][0]["args"])
    for module in ("dnn_checks", "activations", "dnn_app_utils", "deferred", "param_vectors", "app_helpers",
                   "cat_data"):
        sys.modules.pop(module, None)


def test_application_release_warns_that_it_holds_step_by_step_solutions():
    utils = (COURSE.release("application") / "dnn_app_utils.py").read_text()
    assert "def L_model_backward" in utils and "only after" in utils and "step_by_step is due" in utils
    readme = (REPO / "README.md").read_text()
    assert re.search(r"only after\s+`?step_by_step`?\s+is\s+due", readme)


# update_parameters as the course's own solutions write it: a deep copy first, with no import of its own
DEEP_COPYING_UPDATE = '''
def update_parameters(params, grads, learning_rate):
    parameters = copy.deepcopy(params)
    for l in range(1, len(parameters) // 2 + 1):
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return parameters
'''


@pytest.mark.parametrize("assignment", list(FUNCTIONS))
def test_a_solution_that_deep_copies_runs_after_the_released_setup_cell(assignment, monkeypatch, capsys):
    import copy

    release = COURSE.release(assignment)
    monkeypatch.chdir(release)
    monkeypatch.syspath_prepend(str(release))
    namespace: dict = {}
    try:
        exec(compile(join_cells(solution_cells(release / f"{assignment}.ipynb")), "release", "exec"), namespace)
        assert namespace.get("copy") is copy  # the setup cell imported it
        if "update_parameters" in FUNCTIONS[assignment]:
            exec(compile(DEEP_COPYING_UPDATE, "student", "exec"), namespace)
            capsys.readouterr()
            namespace["check_public"]("update_parameters", namespace["update_parameters"])
            assert capsys.readouterr().out == "update_parameters: all 2 public cases pass\n"
    finally:
        for module in ("dnn_checks", "activations", "dnn_app_utils", "deferred", "param_vectors", "app_helpers",
                       "cat_data"):
            sys.modules.pop(module, None)
