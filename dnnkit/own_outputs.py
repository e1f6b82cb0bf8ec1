"""A student's own outputs where the grader's run cannot stand for theirs: the application's training cells.

Under the grader (`NBGRADER_EXECUTION` set) the application trains for a few iterations only, to check that the
cells run; its costs, plots and accuracies are not the student's. The cells whose outputs come from that run carry
the tag `own-outputs` in the source notebook (and so in the student's). For them the autograded notebook and the
feedback show the outputs the student submitted, from their own full run, under a line that says so; a cell
submitted without outputs says that instead. Both nbgrader passes use these two preprocessors (plain
`nbgrader autograde` and `dnnkit grade`'s pass, through nbgrader_config.py): `KeepOwnOutputs` first in the
sanitize pass, before nbgrader clears the outputs, and `ShowOwnOutputs` right after execution, before
`LimitOutput` bounds what is kept and the kit's sanitizer makes it inert.
"""
from __future__ import annotations

import copy

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from . import checks

TAG = "own-outputs"
KEPT = "dnnkit_own_outputs"  # the cell metadata key that carries them from one pass to the other
OUTPUT_TYPES = ("stream", "display_data", "execute_result")


def tagged(cell) -> bool:
    """Whether `cell` is an ordinary code cell tagged `own-outputs`."""
    meta = cell.get("metadata", {})
    nbgrader = meta.get("nbgrader", {})
    graded = isinstance(nbgrader, dict) and (nbgrader.get("grade") or nbgrader.get("solution") or nbgrader.get("locked"))
    return cell.get("cell_type") == "code" and TAG in (meta.get("tags") or []) and not graded


class KeepOwnOutputs(Preprocessor):
    """Put a tagged cell's submitted outputs (those of a known type) aside in its metadata."""

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if tagged(cell):
            outputs = cell.get("outputs") or []
            cell.metadata[KEPT] = [copy.deepcopy(o) for o in outputs if o.get("output_type") in OUTPUT_TYPES]
        else:
            cell.metadata.pop(KEPT, None)  # never one the student put there
        return cell, resources


class ShowOwnOutputs(Preprocessor):
    """In place of what the grader's shortened run printed: a line saying so, then the outputs put aside."""

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        kept = cell.metadata.pop(KEPT, None)
        if tagged(cell) and isinstance(kept, list):
            key = "own outputs" if kept else "no own outputs"
            note = nbformat.v4.new_output("stream", name="stdout", text=checks.say(key, _language(resources)) + "\n")
            cell.outputs = [note, *(nbformat.from_dict(output) for output in kept)]
        return cell, resources


def _language(resources) -> str:
    """The language of the release the student got (the grader's lines speak it), else English."""
    from .course import Course
    from .shipped import released_language

    try:
        return released_language(Course(), resources["nbgrader"]["assignment"])
    except Exception:
        return "en"
