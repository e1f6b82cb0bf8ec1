"""Reading a submission however it arrives: finds the notebook, repairs what can be repaired, and says what
it did in one readable flag per finding. Locked cells are restored from the release, as nbgrader does."""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

MAX_NOTEBOOK_BYTES = 20 * 1024**2


@dataclass
class Intake:
    notebook: nbformat.NotebookNode | None  # what will run, or None when nothing can
    flags: list[str] = field(default_factory=list)
    status: str = "graded"  # or "missing" / "incomplete" when nothing can run
    path: Path | None = None


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _find_notebook(folder: Path, assignment: str, master) -> tuple[Path | None, list[str]]:
    expected = folder / f"{assignment}.ipynb"
    others = sorted(p for p in folder.glob("*.ipynb") if p != expected)
    if expected.is_file():
        flags = [f"extra notebook(s) ignored: {', '.join(p.name for p in others)}"] if others else []
        return expected, flags
    if not others:
        return None, [f"no notebook: {assignment}.ipynb is missing from the submission"]
    wanted = {_grade_id(c) for c in master.cells} - {None}

    def overlap(path):
        try:
            return len(wanted & set(re.findall(r'"grade_id":\s*"([^"]+)"', path.read_text(errors="replace"))))
        except OSError:
            return 0

    chosen = max(others, key=overlap)
    flags = [f"notebook renamed: graded {chosen.name} instead of {assignment}.ipynb"]
    if len(others) > 1:
        flags.append(f"extra notebook(s) ignored: {', '.join(p.name for p in others if p != chosen)}")
    return chosen, flags


def _read(path: Path) -> tuple[nbformat.NotebookNode | None, list[str]]:
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        return None, [f"{path.name} is {size // 1024**2} MB, over the {MAX_NOTEBOOK_BYTES // 1024**2} MB limit; "
                      "nothing could be graded"]
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8", errors="replace"))
    except json.JSONDecodeError as err:
        return None, [f"{path.name} is not valid JSON (line {err.lineno}, column {err.colno}); "
                      "nothing could be graded"]
    if not isinstance(data, dict) or not isinstance(data.get("cells", data.get("worksheets")), list):
        return None, [f"{path.name} is JSON but not a notebook; nothing could be graded"]
    flags = []
    major = data.get("nbformat")
    try:
        nb = nbformat.reads(json.dumps(data), as_version=4)
    except Exception as err:
        return None, [f"{path.name} cannot be read as a notebook ({type(err).__name__}); nothing could be graded"]
    if major != 4:
        flags.append(f"{path.name} is in nbformat {major}; converted to nbformat 4")
    return nb, flags


def _code_defines(cell, function_name: str) -> bool:
    return re.search(rf"^\s*def\s+{re.escape(function_name)}\s*\(", cell.get("source", ""), re.M) is not None


def merge_with_master(student, master) -> tuple[nbformat.NotebookNode, list[str]]:
    """The student's notebook with every nbgrader cell put right, as nbgrader's autograde would.

    Locked cells are restored as released; solution cells keep the student's code in the released cell;
    deleted nbgrader cells are put back where they were; ordinary cells are the student's, in their order."""
    flags: list[str] = []
    masters = {_grade_id(c): (i, c) for i, c in enumerate(master.cells) if _grade_id(c)}
    present = {_grade_id(c) for c in student.cells} & set(masters)
    merged = copy.deepcopy(master)
    merged.cells = []
    seen: set[str] = set()
    restored: set[str] = set()

    def restore_missing_before(position):
        for gid, (i, mcell) in masters.items():
            if i < position and gid not in present and gid not in restored:
                restored.add(gid)
                if mcell.metadata.nbgrader.get("solution"):
                    if any(_code_defines(c, gid) for c in student.cells if c.get("cell_type") == "code"):
                        flags.append(f"solution cell {gid} was deleted; graded the cell that defines {gid}")
                        continue
                    flags.append(f"solution cell {gid} was deleted")
                else:
                    flags.append(f"locked cell {gid} was deleted; restored")
                merged.cells.append(copy.deepcopy(mcell))

    for cell in student.cells:
        gid = _grade_id(cell)
        if gid not in masters:
            ordinary = copy.deepcopy(cell)
            if gid:
                flags.append(f"cell with unknown grade id {gid!r} kept as an ordinary cell")
                ordinary.metadata.pop("nbgrader", None)
            merged.cells.append(ordinary)
            continue
        if gid in seen:
            flags.append(f"cell {gid} is duplicated; the first copy was graded")
            continue
        seen.add(gid)
        position, mcell = masters[gid]
        restore_missing_before(position)
        fixed = copy.deepcopy(mcell)
        meta = mcell.metadata.nbgrader
        if cell.get("metadata", {}).get("nbgrader", {}) != meta:
            flags.append(f"cell {gid}: nbgrader metadata changed; restored")
        if cell.get("cell_type") != mcell.cell_type:
            flags.append(f"cell {gid} was changed to {cell.get('cell_type')}; restored as {mcell.cell_type}")
        if meta.get("solution"):
            fixed.source = cell.get("source", "")
        elif cell.get("source") != mcell.source:
            flags.append(f"locked cell {gid} was edited; restored")
        merged.cells.append(fixed)
    restore_missing_before(len(master.cells))
    spec = student.get("metadata", {}).get("kernelspec", {}).get("name")
    if spec and spec != master.metadata.get("kernelspec", {}).get("name"):
        flags.append(f"kernelspec changed to {spec!r}; graded with the course's python3")
    return merged, flags


def take_in(folder: Path, assignment: str, master) -> Intake:
    """Find, read and repair the submission in `folder`."""
    if not folder.is_dir():
        return Intake(None, [f"no submission folder for {assignment}"], "missing")
    path, flags = _find_notebook(folder, assignment, master)
    if path is None:
        return Intake(None, flags, "missing")
    nb, read_flags = _read(path)
    flags += read_flags
    if nb is None:
        return Intake(None, flags, "incomplete", path)
    merged, merge_flags = merge_with_master(nb, master)
    return Intake(merged, flags + merge_flags, "graded", path)
