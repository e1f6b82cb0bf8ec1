"""Reading a submission however it arrives: finds the notebook, repairs what can be repaired, and says what
it did in one readable flag per finding. Locked cells are restored from the release, as nbgrader does."""
from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .. import own_outputs
from ..names import shown  # every name and text from the submission reaches flags through it
from .records import Status
from .released import cell_version

MAX_NOTEBOOK_BYTES = 20 * 1024**2


@dataclass
class Intake:
    notebook: nbformat.NotebookNode | None  # what will run, or None when nothing can
    flags: list[str] = field(default_factory=list)
    status: Status = Status.GRADED  # or MISSING / INCOMPLETE when nothing can run
    path: Path | None = None
    unreadable: bool = False  # something was handed in that is not a readable notebook (a link, a FIFO)


def _grade_id(cell) -> str | None:
    """The nbgrader grade id of a cell, or None (also when a student broke the metadata's types)."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    nbgrader_meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    gid = nbgrader_meta.get("grade_id") if isinstance(nbgrader_meta, dict) else None
    return gid if isinstance(gid, str) else None


def _regular_file(path: Path) -> bool:
    """A regular file, not a link (which could point at another student's or the instructor's files), not a
    FIFO or device (which could block or never end)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def read_limited(path: Path) -> bytes | None:
    """The file's bytes, or None when it is larger than MAX_NOTEBOOK_BYTES (read at most one byte more)."""
    with open(path, "rb") as handle:
        data = handle.read(MAX_NOTEBOOK_BYTES + 1)
    return None if len(data) > MAX_NOTEBOOK_BYTES else data


def candidates(folder: Path) -> list[Path]:
    """The submission's notebook files: regular files named *.ipynb, directly in its folder."""
    return sorted(p for p in folder.glob("*.ipynb") if _regular_file(p))


def _find_notebook(folder: Path, assignment: str, master) -> tuple[Path | None, list[str], bool]:
    """(the notebook to grade or None, flags, whether something handed in could not be read)."""
    expected = folder / f"{assignment}.ipynb"
    flags = []
    skipped = sorted(p for p in folder.glob("*.ipynb") if not _regular_file(p))
    if skipped:
        flags.append("not a regular file, not read (links are never followed): "
                     + ", ".join(shown(p.name) for p in skipped))
    others = [p for p in candidates(folder) if p != expected]
    if _regular_file(expected):
        if others:
            flags.append(f"extra notebook(s) ignored: {', '.join(shown(p.name) for p in others)}")
        return expected, flags, bool(skipped)
    if not others:
        return None, flags + [f"no notebook: {assignment}.ipynb is missing from the submission"], bool(skipped)
    wanted = {_grade_id(c) for c in master.cells} - {None}

    def overlap(path):
        try:
            text = (read_limited(path) or b"").decode("utf-8", errors="replace")
            return len(wanted & set(re.findall(r'"grade_id":\s*"([^"]+)"', text)))
        except OSError:
            return 0

    chosen = max(others, key=overlap)
    flags.append(f"notebook renamed: graded {shown(chosen.name)} instead of {assignment}.ipynb")
    if len(others) > 1:
        flags.append(f"extra notebook(s) ignored: {', '.join(shown(p.name) for p in others if p != chosen)}")
    return chosen, flags, bool(skipped)


def _valid_text(value):
    """`value` with every string made valid UTF-8 (JSON can carry lone surrogates, which no file can hold)."""
    if isinstance(value, str):
        return value.encode("utf-8", errors="replace").decode("utf-8")
    if isinstance(value, list):
        return [_valid_text(v) for v in value]
    if isinstance(value, dict):
        return {_valid_text(k): _valid_text(v) for k, v in value.items()}
    return value


def _read(path: Path) -> tuple[nbformat.NotebookNode | None, list[str]]:
    name = shown(path.name)
    raw = read_limited(path)
    if raw is None:
        return None, [f"{name} is over the {MAX_NOTEBOOK_BYTES // 1024**2} MB limit; nothing could be graded"]
    try:
        data = json.loads(raw.decode("utf-8", errors="replace"))
    except json.JSONDecodeError as err:
        return None, [f"{name} is not valid JSON (line {err.lineno}, column {err.colno}); nothing could be graded"]
    except (ValueError, RecursionError):
        return None, [f"{name} is not valid JSON (nested too deeply); nothing could be graded"]
    try:
        data = _valid_text(data)
    except RecursionError:
        return None, [f"{name} is not valid JSON (nested too deeply); nothing could be graded"]
    if not isinstance(data, dict) or not isinstance(data.get("cells", data.get("worksheets")), list):
        return None, [f"{name} is JSON but not a notebook; nothing could be graded"]
    flags = []
    major = data.get("nbformat")
    try:
        nb = nbformat.reads(json.dumps(data), as_version=4)
    except (Exception, RecursionError) as err:
        return None, [f"{name} cannot be read as a notebook ({type(err).__name__}); nothing could be graded"]
    if major != 4:
        flags.append(f"{name} is in nbformat {shown(major)}; converted to nbformat 4" if major is not None
                     else f"{name} has no nbformat version; read as nbformat 4")
    return nb, flags


def _code_defines(cell, function_name: str) -> bool:
    source = cell.get("source", "")
    return isinstance(source, str) and re.search(rf"^\s*def\s+{re.escape(function_name)}\s*\(", source, re.M) is not None


def _ordinary(cell, flags: list[str]):
    """A student's own cell, with nbgrader metadata removed and its fields of the right types (or None); a code
    cell tagged `own-outputs` keeps that tag and its outputs (the judge cuts and checks them)."""
    kind, source = cell.get("cell_type"), cell.get("source", "")
    if kind not in ("code", "markdown", "raw") or not isinstance(source, str):
        flags.append("a cell of unknown type or with a non-text source was dropped")
        return None
    if kind == "code":
        code = nbformat.v4.new_code_cell(source)
        tags = cell.get("metadata", {}).get("tags") if isinstance(cell.get("metadata"), dict) else None
        if isinstance(tags, list) and own_outputs.TAG in tags:  # its submitted outputs are shown (own_outputs)
            code.metadata.tags = [own_outputs.TAG]
            outputs = cell.get("outputs")
            code.outputs = [o for o in outputs if isinstance(o, dict)][:10] if isinstance(outputs, list) else []
        return code
    return nbformat.v4.new_markdown_cell(source) if kind == "markdown" else nbformat.v4.new_raw_cell(source)


def merge_with_master(student, master, released: dict | None = None) -> tuple[nbformat.NotebookNode, list[str]]:
    """The student's notebook with every nbgrader cell put right, as nbgrader's autograde would.

    Locked cells are restored as released now; solution cells keep the student's code in the released cell;
    deleted nbgrader cells are put back where they were; ordinary cells are the student's, in their order.
    A cell is flagged as changed only when it matches no version ever released ({grade id: {cell_version}},
    see released.py): what the instructor changed since the student fetched it is not the student's doing."""
    released = released or {}
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
                    if any(_code_defines(c, gid) for c in student.cells
                           if isinstance(c, dict) and c.get("cell_type") == "code"):
                        flags.append(f"solution cell {gid} was deleted; graded the cell that defines {gid}")
                        continue
                    flags.append(f"solution cell {gid} was deleted")
                else:
                    flags.append(f"locked cell {gid} was deleted; restored")
                merged.cells.append(copy.deepcopy(mcell))

    for cell in student.cells:
        if not isinstance(cell, dict):
            flags.append("a cell that is not a JSON object was dropped")
            continue
        gid = _grade_id(cell)
        raw_meta = cell.get("metadata")
        if gid is None and isinstance(raw_meta, dict) and raw_meta.get("nbgrader") is not None:
            flags.append("a cell's nbgrader metadata or grade id is malformed; treated as an ordinary cell")
        if gid not in masters:
            ordinary = _ordinary(cell, flags)
            if gid:
                flags.append(f"cell with unknown grade id '{shown(gid)}' kept as an ordinary cell")
            if ordinary is not None:
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
        student_meta = cell.get("metadata")
        versions = released.get(gid, set())
        if not isinstance(student_meta, dict) or (
                student_meta.get("nbgrader") != meta
                and cell_version(mcell.source, student_meta.get("nbgrader"))[1] not in {v[1] for v in versions}):
            flags.append(f"cell {gid}: nbgrader metadata changed; restored")
        if cell.get("cell_type") != mcell.cell_type:
            flags.append(f"cell {gid} was changed to {shown(cell.get('cell_type'))}; restored as {mcell.cell_type}")
        if meta.get("solution"):
            source = cell.get("source", "")
            fixed.source = source if isinstance(source, str) else ""
        elif cell.get("source") != mcell.source and cell_version(cell.get("source"), None)[0] not in {
                v[0] for v in versions}:
            flags.append(f"locked cell {gid} was edited; restored")
        merged.cells.append(fixed)
    restore_missing_before(len(master.cells))
    metadata = student.get("metadata")
    kernelspec = metadata.get("kernelspec") if isinstance(metadata, dict) else None
    if kernelspec is not None and not isinstance(kernelspec, dict):
        flags.append("kernelspec metadata is malformed; graded with the course's python3")
    spec = kernelspec.get("name") if isinstance(kernelspec, dict) else None
    if spec and spec != master.metadata.get("kernelspec", {}).get("name"):
        flags.append(f"kernelspec changed to '{shown(spec)}'; graded with the course's python3")
    return merged, flags


def take_in(folder: Path, assignment: str, master, released: dict | None = None) -> Intake:
    """Find, read and repair the submission in `folder` (`released`: every released version of each nbgrader
    cell, see merge_with_master)."""
    if folder.is_symlink():
        return Intake(None, ["the submission folder is a link; not followed"], Status.INCOMPLETE, unreadable=True)
    if not folder.is_dir():
        return Intake(None, [f"no submission folder for {assignment}"], Status.MISSING)
    path, flags, unreadable = _find_notebook(folder, assignment, master)
    if path is None:  # something was handed in (a link, a FIFO) but nothing that can be read is "incomplete"
        return Intake(None, flags, Status.INCOMPLETE if unreadable else Status.MISSING, unreadable=unreadable)
    nb, read_flags = _read(path)
    flags += read_flags
    if nb is None:
        return Intake(None, flags, Status.INCOMPLETE, path)
    merged, merge_flags = merge_with_master(nb, master, released)
    return Intake(merged, flags + merge_flags, Status.GRADED, path)


def submission_digest(folder: Path) -> str:
    """sha256 over the submission's notebook files (names and bytes) and its timestamp: a changed submission
    is graded again. Links, FIFOs and oversized files are not read (see `candidates`)."""
    h = hashlib.sha256()
    if folder.is_dir() and not folder.is_symlink():
        timestamp = folder / "timestamp.txt"
        for path in candidates(folder) + ([timestamp] if _regular_file(timestamp) else []):
            data = read_limited(path)
            h.update(os.fsencode(path.name) + b"\0" + (data if data is not None else b"<too large>") + b"\0")
    return h.hexdigest()
