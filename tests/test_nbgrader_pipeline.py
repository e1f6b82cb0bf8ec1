"""The nbgrader pass's faster metadata check: it accepts and rejects exactly what nbgrader's own
CheckCellMetadata does, with the same error (nbgrader's validator is the reference)."""
from __future__ import annotations

import copy

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import CheckCellMetadata, ClearOutput

from dnnkit.grading import nbgrader_pipeline as pipeline

GOOD = {"grade": True, "grade_id": "test_x", "locked": True, "points": 10, "schema_version": 3,
        "solution": False, "task": False}


def notebook(*metas: dict):
    nb = nbformat.v4.new_notebook()
    for meta in metas:
        cell = nbformat.v4.new_code_cell("x = 1")
        cell.metadata["nbgrader"] = copy.deepcopy(meta)
        nb.cells.append(cell)
    return nb


def edited(**changes):
    meta = {**GOOD, **changes}
    return {k: v for k, v in meta.items() if v is not ...}


NOTEBOOKS = {
    "valid": notebook(GOOD, edited(grade_id="test_y")),
    "points as text": notebook(edited(points="ten")),
    "grade missing": notebook(edited(grade=...)),
    "grade_id missing": notebook(edited(grade_id=...)),
    "grade_id a number": notebook(edited(grade_id=7)),
    "locked as text": notebook(edited(locked="yes")),
    "schema too old": notebook(edited(schema_version=1)),
    "schema too new": notebook(edited(schema_version=4)),
    "duplicate grade id": notebook(GOOD, GOOD),
    "task in a code cell": notebook(edited(task=True, grade=False, solution=False)),
}


def outcome(validate, nb):
    try:
        validate(copy.deepcopy(nb))
    except Exception as err:  # noqa: BLE001 - the kind and text of any error are what is compared
        return type(err), str(err)
    return None


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_faster_validator_decides_as_nbgraders_own(name):
    nb = NOTEBOOKS[name]
    expected = outcome(MetadataValidator().validate_nb, nb)
    assert (expected is None) == (name == "valid"), f"the case '{name}' does not test what it says"
    assert outcome(pipeline._Validator().validate_nb, nb) == expected


def test_the_faster_step_fails_a_corrupt_notebook_as_nbgraders_step_does():
    resources: dict = {}
    nb = NOTEBOOKS["points as text"]
    assert outcome(lambda n: pipeline.CheckCellMetadataOnce().preprocess(n, resources), nb) == \
        outcome(lambda n: CheckCellMetadata().preprocess(n, resources), nb)


def test_only_nbgraders_check_cell_metadata_is_replaced():
    assert pipeline._faster(CheckCellMetadata) is pipeline.CheckCellMetadataOnce
    assert pipeline._faster("nbgrader.preprocessors.CheckCellMetadata") is pipeline.CheckCellMetadataOnce
    assert pipeline._faster(ClearOutput) is ClearOutput
    assert pipeline._faster("my_course.Checks") == "my_course.Checks"
