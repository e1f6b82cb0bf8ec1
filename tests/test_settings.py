"""`c.DnnkitGrade` (dnnkit/grading/settings.py), a traitlets Configurable: its values reach the sandbox's limits and
the supervisor's clock; a key it does not know, a key that moved, and a value that is not a number are each one
line naming the key and what to do."""
from __future__ import annotations

import pytest

from dnnkit import DnnkitError
from dnnkit.grading.sandbox import Limits
from dnnkit.grading.settings import DnnkitGrade, Timeouts, read_settings


def settings(tmp_path, *lines: str):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n" + "".join(f"{line}\n" for line in lines))
    return read_settings(tmp_path)


def test_defaults_are_the_dataclasses_and_every_setting_is_one_of_theirs(tmp_path):
    assert settings(tmp_path) == (Limits(), Timeouts())
    fields = set(Limits.__dataclass_fields__) | set(Timeouts.__dataclass_fields__)
    assert set(DnnkitGrade.class_trait_names(config=True)) == fields


def test_set_values_reach_the_sandbox_and_the_clock(tmp_path):
    limits, timeouts = settings(tmp_path, "c.DnnkitGrade.processes = 12", "c.DnnkitGrade.cell_seconds = 2",
                                "c.DnnkitGrade.memory_bytes = '1024'")
    assert limits.processes == 12 and limits.memory_bytes == 1024 and timeouts.cell_seconds == 2.0
    assert isinstance(timeouts.cell_seconds, float) and isinstance(limits.memory_bytes, int)


@pytest.mark.parametrize("line, said", [
    ("c.DnnkitGrade.cell_secnods = 5", "c.DnnkitGrade.cell_secnods is not a dnnkit grade setting; known: "),
    ("c.DnnkitGrade.output_line_chars = 3000", "c.DnnkitGrade.output_line_chars is now c.LimitOutput.max_line_chars"),
    ("c.DnnkitGrade.processes = 'many'", "c.DnnkitGrade.processes = 'many' is not a number"),
    ("c.DnnkitGrade.cell_seconds = [5]", "c.DnnkitGrade.cell_seconds = [5] is not a number"),
])
def test_a_wrong_setting_is_one_line_naming_it(tmp_path, line, said):
    with pytest.raises(DnnkitError) as error:
        settings(tmp_path, "c.DnnkitGrade.restarts = 3", line)
    assert said in str(error.value) and "\n" not in str(error.value)
