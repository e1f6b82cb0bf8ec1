"""The nbgrader pass's faster metadata check: it accepts and rejects exactly what nbgrader's own
CheckCellMetadata does, with the same error (nbgrader's validator is the reference); and the kit's LimitOutput,
nbgrader's with every line cut too, in both autograde passes."""
from __future__ import annotations

import copy

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, LimitOutput

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


def test_only_nbgraders_check_cell_metadata_and_limit_output_are_replaced():
    assert pipeline._kit_step(CheckCellMetadata) is pipeline.CheckCellMetadataOnce
    assert pipeline._kit_step("nbgrader.preprocessors.CheckCellMetadata") is pipeline.CheckCellMetadataOnce
    assert pipeline._kit_step(LimitOutput) is pipeline.LimitOutput
    assert pipeline._kit_step("nbgrader.preprocessors.LimitOutput") is pipeline.LimitOutput
    assert pipeline._kit_step(ClearOutput) is ClearOutput
    assert pipeline._kit_step("my_course.Checks") == "my_course.Checks"


def _limited(step, *outputs):
    cell = nbformat.v4.new_code_cell("print(...)", outputs=[nbformat.v4.new_output(**o) for o in outputs])
    return step.preprocess_cell(cell, {}, 0)[0].outputs


LONG = "L" * 50_000


def test_limit_output_cuts_every_line_which_nbgraders_own_leaves_whole():
    outputs = [dict(output_type="stream", name="stdout", text=f"short\n{LONG}\nend\n"),
               dict(output_type="error", ename="E", evalue=LONG, traceback=["t", LONG]),
               dict(output_type="display_data", data={"text/plain": LONG, "image/png": LONG})]
    assert _limited(LimitOutput(), *outputs)[0].text == f"short\n{LONG}\nend\n"  # landed: nbgrader's keeps it
    stream, error, display = _limited(pipeline.LimitOutput(max_line_chars=100), *outputs)
    cut = "L" * 100 + " …[line cut]"
    assert stream.text == f"short\n{cut}\nend\n"
    assert (error.evalue, error.traceback) == (cut, ["t", cut])
    assert display.data["text/plain"] == cut and display.data["image/png"] == LONG  # a picture is not text


def test_limit_output_still_does_nbgraders_part():
    many = "\n".join(str(i) for i in range(50))
    [stream] = _limited(pipeline.LimitOutput(max_lines=10, max_line_chars=-1),
                        dict(output_type="stream", name="stdout", text=many))
    assert stream.text.splitlines()[-1] == "... Output truncated ..." and len(stream.text.splitlines()) == 10


def test_the_course_configures_the_kits_limit_output_in_plain_nbgraders_pass(repo_root):
    from dnnkit.gradebook import course_config
    config = course_config(repo_root)
    assert "dnnkit.grading.nbgrader_pipeline.LimitOutput" in config.Autograde.autograde_preprocessors
    assert not any(getattr(step, "__name__", "") == "LimitOutput" for step in config.Autograde.autograde_preprocessors)
    assert config.LimitOutput.max_line_chars == pipeline.LimitOutput.max_line_chars.default_value
