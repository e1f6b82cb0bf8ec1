"""Both source notebooks run top to bottom with every visible and hidden test passing, and the application
reproduces the course's numbers on the course's images."""
from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import REPO
from dnnkit.cases import FUNCTIONS

pytestmark = pytest.mark.slow


def execute(notebook, cwd, timeout=900) -> list[str]:
    """Run a notebook in `cwd`; return the text of every code cell's output (errors fail the run)."""
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    texts = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            texts.append("".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream"))
    return texts


def assert_all_tests_pass(output: str, assignment: str) -> None:
    for name in FUNCTIONS[assignment]:
        assert re.search(rf"^{name}: all \d+ public cases pass$", output, re.M), f"{name}: no visible pass"
        assert re.search(rf"^{name}: all \d+ hidden cases pass$", output, re.M), f"{name}: no hidden pass"


def test_step_by_step_source_runs_with_every_test_passing():
    output = "\n".join(execute(REPO / "source/step_by_step/step_by_step.ipynb", REPO / "source/step_by_step"))
    assert_all_tests_pass(output, "step_by_step")


def _costs(text: str) -> dict[int, float]:
    return {int(i): float(c) for i, c in re.findall(r"Cost after iteration (\d+): ([0-9.e-]+)", text)}


def _accuracies(text: str) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in re.findall(r"Accuracy: [0-9.]+ \((\d+) of (\d+) correct\)", text)]


def test_application_reproduces_the_course_numbers_on_the_real_data(real_course, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    folder = real_course / "source" / "application"
    outputs = execute(folder / "application.ipynb", folder)
    assert_all_tests_pass("\n".join(outputs), "application")
    runs = [text for text in outputs if "Cost after iteration" in text]
    scores = [acc for text in outputs for acc in _accuracies(text)]
    assert len(runs) == 2 and len(scores) == 4
    two_layer, deep = _costs(runs[0]), _costs(runs[1])
    assert max(two_layer) == 2499 and max(deep) == 2499  # the student's own run trains in full
    assert two_layer[0] == pytest.approx(0.693049735659989, abs=1e-8)
    assert deep[0] == pytest.approx(0.7717493284237686, abs=1e-8)
    assert deep[2499] == pytest.approx(0.08843994344170202, abs=1e-8)
    two_train, two_test, deep_train, deep_test = scores
    assert two_test == (36, 50)  # 0.72
    assert deep_train == (206, 209)  # 0.9856
    assert deep_test == (40, 50)  # 0.80
    assert "stand-in" not in "\n".join(outputs)


def test_application_trains_briefly_under_the_grader(real_course, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    folder = real_course / "source" / "application"
    outputs = execute(folder / "application.ipynb", folder, timeout=60)
    runs = [_costs(text) for text in outputs if "Cost after iteration" in text]
    assert [max(run) for run in runs] == [4, 4]
