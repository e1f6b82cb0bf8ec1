"""`dnnkit grade`'s settings: `c.DnnkitGrade` in nbgrader_config.py, a traitlets Configurable whose help texts are
the documentation; an unknown key is an error, so a misspelled limit never silently falls back to its default."""
from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from traitlets import CFloat, CInt, TraitError
from traitlets.config import Configurable

from .. import DnnkitError
from ..gradebook import course_config
from .sandbox import Limits


# settings that moved, and where: a course's old nbgrader_config.py is told what to write instead
MOVED = {"output_line_chars": "c.LimitOutput.max_line_chars", "output_cell_chars": "c.LimitOutput.max_lines"}


@dataclass(frozen=True)
class Timeouts:
    """The supervisor's clock (supervisor.py)."""
    cell_seconds: float = 10.0
    function_seconds: float = 20.0
    startup_seconds: float = 60.0
    submission_seconds: float = 180.0


class DnnkitGrade(Configurable):
    """The limits of `dnnkit grade` and `dnnkit check`: the sandbox's (sandbox.Limits) and the supervisor's clock
    (Timeouts). What is kept of a notebook's outputs is nbgrader's LimitOutput's (docs/settings.md)."""

    memory_bytes = CInt(Limits.memory_bytes, help="the address space of each process in the sandbox, and, through "
                        "a cgroup where the machine gives root one, all its processes and its tmpfs pages "
                        "together").tag(config=True)
    cpu_seconds = CInt(Limits.cpu_seconds, help="CPU time of each process").tag(config=True)
    processes = CInt(Limits.processes, help="processes of the sandbox (its user id is its own, so the count is "
                     "this submission's alone)").tag(config=True)
    file_bytes = CInt(Limits.file_bytes, help="the size of any file written").tag(config=True)
    open_files = CInt(Limits.open_files, help="open files per process").tag(config=True)
    work_bytes = CInt(Limits.work_bytes, help="each private tmpfs: the working folder, `/tmp`, `/dev/shm` (new for "
                      "every run)").tag(config=True)
    restarts = CInt(Limits.restarts, help="fresh processes after a cell or function hangs or dies (each run skips "
                    "what failed)").tag(config=True)
    cell_seconds = CFloat(Timeouts.cell_seconds, help="one notebook cell, by the supervisor's clock").tag(config=True)
    function_seconds = CFloat(Timeouts.function_seconds, help="one graded function on all its public and hidden "
                              "cases").tag(config=True)
    startup_seconds = CFloat(Timeouts.startup_seconds, help="the runner's start (Python, IPython and numpy "
                             "loaded)").tag(config=True)
    submission_seconds = CFloat(Timeouts.submission_seconds, help="everything one submission may take, restarts "
                                "included").tag(config=True)


def read_settings(root: Path) -> tuple[Limits, Timeouts]:
    """Limits and timeouts from the course's c.DnnkitGrade (defaults where absent)."""
    config = course_config(root)
    known = DnnkitGrade.class_trait_names(config=True)
    unknown = sorted(set(config.get("DnnkitGrade", {})) - set(known))
    if unknown and unknown[0] in MOVED:
        raise DnnkitError(f"nbgrader_config.py: c.DnnkitGrade.{unknown[0]} is now {MOVED[unknown[0]]}; set that "
                          "instead (docs/settings.md)")
    if unknown:
        raise DnnkitError(f"nbgrader_config.py: c.DnnkitGrade.{unknown[0]} is not a dnnkit grade setting; "
                          f"known: {', '.join(sorted(known))}")
    try:
        settings = DnnkitGrade(config=config)
    except TraitError:  # which value: each tried alone
        for key, value in config.DnnkitGrade.items():
            try:
                setattr(DnnkitGrade(), key, value)
            except TraitError:
                raise DnnkitError(f"nbgrader_config.py: c.DnnkitGrade.{key} = {value!r} is not a number") from None
        raise
    return tuple(cls(**{f.name: getattr(settings, f.name) for f in fields(cls)}) for cls in (Limits, Timeouts))
