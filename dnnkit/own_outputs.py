"""The application's training cells (tagged `own-outputs`) show the outputs the student submitted, not the grader's
shortened run: `KeepOwnOutputs` puts them aside in nbgrader's sanitize pass, `ShowOwnOutputs` puts them back after
execution (nbgrader_config.py; docs/feedback-pages.md)."""
from __future__ import annotations

import copy

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from . import checks
from .course import Course
from .shipped import released_language

TAG = "own-outputs"
KEPT = "dnnkit_own_outputs"  # the cell metadata key that carries them from one pass to the other
OUTPUT_TYPES = ("stream", "display_data", "execute_result")


def tagged(cell) -> bool:
    """Whether `cell` is an ordinary code cell tagged `own-outputs`."""
    meta = cell.get("metadata", {})
    nbgrader = meta.get("nbgrader", {})
    graded = isinstance(nbgrader, dict) and any(nbgrader.get(key) for key in ("grade", "solution", "locked"))
    return cell.get("cell_type") == "code" and TAG in (meta.get("tags") or []) and not graded


class KeepOwnOutputs(Preprocessor):
    """Put a tagged cell's submitted outputs (those of a known type) aside in its metadata."""

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if tagged(cell):
            cell.metadata[KEPT] = [copy.deepcopy(output) for output in cell.get("outputs") or []
                                   if output.get("output_type") in OUTPUT_TYPES]
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
    try:
        return released_language(Course(), resources["nbgrader"]["assignment"])
    except Exception:
        return "en"
