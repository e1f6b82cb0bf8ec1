"""What the runner and the supervisor say to each other, in one place for both sides.

Standard library only: it is copied into the sandbox beside runner.py. The supervisor writes into the grader
folder (read-only inside) the plan, then each level's inputs; the runner writes one JSON object a line to its
standard output, a pipe the supervisor reads (channel.py). Every event names its kind under KIND:

    READY                              Python, IPython and numpy are loaded; the runner waits for the plan
    CELL       PHASE START|END, INDEX  a code cell of the plan; at END its OUTPUTS and ERROR
    CELLS_DONE                         every cell ran; the runner waits for the first level's inputs
    FUNCTION   PHASE START|END, NAME   a graded function on its level's cases; at END its RESULT and ERROR
    LEVEL_DONE LEVEL                   every function of that level was called
    DONE                               the plan is over

The runner is the student's process: the supervisor takes an event only when it is the next step of the plan.
"""
import json

KIND, PHASE, INDEX, NAME, LEVEL = "e", "phase", "i", "name", "level"
OUTPUTS, ERROR, RESULT = "outputs", "error", "result"
READY, CELL, CELLS_DONE, FUNCTION, LEVEL_DONE, DONE = "ready", "cell", "cells_done", "function", "level_done", "done"
START, END = "start", "end"

PLAN = "plan.json"  # {"cells": [{"index", "source"}], "skip_cells": [index], "levels": [[level, [function]]]}
# What one output's text may carry across the pipe, and an exception's text: bounds on what the grader reads
# (its memory), far above what is kept (nbgrader_pipeline.LimitOutput decides that, outside the sandbox).
TEXT_CHARS = 200_000
ERROR_CHARS = 2_000


MAX_CALLS = 200  # helper calls reported per case; the arguments of at most MAX_MISSED unmatched ones
MAX_MISSED = 16


def level_file(level: int) -> str:
    """The inputs of one grading level, handed over once the levels before it are final."""
    return f"level-{level}.npz"


def line(kind: str, **fields) -> str:
    """One event as the runner writes it: `fields` are the names above (phase=, index=, ...)."""
    wire = {"phase": PHASE, "index": INDEX, "name": NAME, "level": LEVEL, "outputs": OUTPUTS, "error": ERROR,
            "result": RESULT}
    return json.dumps({KIND: kind, **{wire[key]: value for key, value in fields.items()}}) + "\n"
