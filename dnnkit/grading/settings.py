"""`dnnkit grade`'s settings: the `c.DnnkitGrade` section of nbgrader_config.py (sandbox limits, timeouts).
A key this section does not know is an error naming it, so a misspelled limit never silently falls back to
its default."""
from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from .. import DnnkitError
from ..gradebook import course_config
from .sandbox import Limits


@dataclass(frozen=True)
class Timeouts:
    cell_seconds: float = 10.0
    function_seconds: float = 20.0
    startup_seconds: float = 60.0
    submission_seconds: float = 180.0  # everything one submission may take, restarts included


def read_settings(root: Path) -> tuple[Limits, Timeouts]:
    """Limits and timeouts from nbgrader_config.py's c.DnnkitGrade section (defaults where absent)."""
    section = dict(course_config(root).get("DnnkitGrade", {}))
    known = {f.name: f for cls in (Limits, Timeouts) for f in fields(cls)}
    unknown = sorted(set(section) - set(known))
    if unknown:
        raise DnnkitError(f"nbgrader_config.py: c.DnnkitGrade.{unknown[0]} is not a dnnkit grade setting; "
                          f"known: {', '.join(sorted(known))}")
    values = {}
    for key, value in section.items():
        kind = int if known[key].type in (int, "int") else float
        try:
            values[key] = kind(value)
        except (TypeError, ValueError):
            raise DnnkitError(f"nbgrader_config.py: c.DnnkitGrade.{key} = {value!r} is not a number") from None
    return (Limits(**{k: v for k, v in values.items() if k in Limits.__dataclass_fields__}),
            Timeouts(**{k: v for k, v in values.items() if k in Timeouts.__dataclass_fields__}))
