"""Running plain nbgrader verbs in the course folder (the same commands an instructor types)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from . import DnnkitError


def nbgrader(course_root: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `nbgrader ARGS` in the course folder; raise DnnkitError with nbgrader's last error line on failure."""
    # nbgrader runs `alembic` from PATH when it creates a gradebook: put this environment's scripts first
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_root, capture_output=True, text=True,
                          env=env)
    if done.returncode != 0:
        errors = [ln for ln in done.stderr.splitlines() if "ERROR" in ln or "Error" in ln] or [done.stderr[-300:]]
        raise DnnkitError(f"`nbgrader {' '.join(args)}` failed in {course_root}: {errors[-1].strip()}")
    return done
