"""The Python the kit needs (3.11: nbgrader 0.9.6 installs on 3.11+ only, records.py uses enum.StrEnum) is what
pyproject.toml says, and `make student` with an older python3 stops in one line before installing anything
(shown with a stand-in interpreter that reports 3.10 and refuses every other use)."""
from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import REPO


def test_pyproject_requires_python_3_11():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"


def stand_in(tmp_path: Path, version: tuple[int, int]) -> tuple[Path, Path]:
    """A `python3` that answers `-c CODE` as Python `version` would (the real interpreter with sys.version_info
    replaced) and logs each call; anything else (creating a virtualenv) fails with exit status 99."""
    log = tmp_path / f"calls-{version[0]}.{version[1]}.log"
    script = tmp_path / f"python{version[0]}.{version[1]}"
    script.write_text(f"""#!/bin/sh
echo "$*" >> {log}
if [ "$1" = "-c" ]; then exec {sys.executable} -c "import sys; sys.version_info = ({version[0]}, {version[1]}, 0, 'final', 0)
$2"; fi
exit 99
""")
    script.chmod(0o755)
    return script, log


def make_student(python: Path, venv: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *flags, "student", f"PYTHON={python}", f"VENV={venv}"],
                          cwd=REPO, capture_output=True, text=True, timeout=60)


def test_make_student_on_python_3_10_stops_in_one_line(tmp_path):
    python, log = stand_in(tmp_path, (3, 10))
    done = make_student(python, tmp_path / "venv")
    assert done.returncode != 0
    lines = (done.stdout + done.stderr).splitlines()
    assert len(lines) == 1, lines
    assert "make student needs Python 3.11 or newer" in lines[0] and f"{python} is Python 3.10" in lines[0]
    assert "PYTHON=python3.11" in lines[0]
    assert not (tmp_path / "venv").exists()
    assert all(call.startswith("-c ") for call in log.read_text().splitlines())  # only asked for its version


def test_make_student_on_python_3_11_goes_on_to_install(tmp_path):
    """The control: the same stand-in reporting 3.11 passes the check (make -n: the commands, not run)."""
    python, _ = stand_in(tmp_path, (3, 11))
    done = make_student(python, tmp_path / "venv", "-n")
    assert done.returncode == 0, done.stderr
    assert f"{python} -m venv {tmp_path / 'venv'}" in done.stdout
