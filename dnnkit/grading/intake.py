"""Intake, before anything runs: find the submitted notebook however it arrives, read it, and put its nbgrader
cells right with nbgrader's own sanitize preprocessors, answered from the release instead of the gradebook, one
flag per finding (docs/grading-path.md, step 4)."""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import nbformat
from nbgrader.preprocessors import DeduplicateIds, OverwriteCells, OverwriteKernelspec
from traitlets import Bool

from .. import own_outputs
from ..course import Course
from ..names import shown  # every name and text from the submission reaches flags through it
from .records import MAX_NOTEBOOK_BYTES, Status, _regular_file, candidates, read_limited
from .released import cell_version, known_versions


@dataclass
class Release:
    """What a submission is checked against: the released notebook and every released version of its cells."""
    assignment: str
    notebook: nbformat.NotebookNode
    versions: dict[str, set[tuple[str, str]]]  # {grade id: {released.cell_version}}

    @classmethod
    def of(cls, course: Course, assignment: str) -> "Release":
        notebook = nbformat.read(course.notebook(assignment, "release"), as_version=4)
        return cls(assignment, notebook, known_versions(course.root, assignment, notebook))


@dataclass
class Intake:
    notebook: nbformat.NotebookNode | None  # what will run, or None when nothing can
    flags: list[str] = field(default_factory=list)
    status: Status = Status.GRADED  # or MISSING / INCOMPLETE when nothing can run
    path: Path | None = None


def _grade_id(cell) -> str | None:
    """The nbgrader grade id of a cell, or None (also when a student broke the metadata's types)."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    nbgrader_meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    gid = nbgrader_meta.get("grade_id") if isinstance(nbgrader_meta, dict) else None
    return gid if isinstance(gid, str) else None


def _find_notebook(folder: Path, assignment: str, master) -> tuple[Path | None, list[str], bool]:
    """(the notebook to grade or None, flags, whether something handed in could not be read)."""
    expected = folder / f"{assignment}.ipynb"
    skipped = sorted(p for p in folder.glob("*.ipynb") if not _regular_file(p))
    listed = ", ".join(shown(p.name) for p in skipped)
    flags = [f"not a regular file, not read (links are never followed): {listed}"] if skipped else []
    others = [p for p in candidates(folder) if p != expected]
    chosen = expected if _regular_file(expected) else max(others, key=lambda p: _overlap(p, master), default=None)
    if chosen is None:
        return None, flags + [f"no notebook: {assignment}.ipynb is missing from the submission"], bool(skipped)
    if chosen != expected:
        flags.append(f"notebook renamed: graded {shown(chosen.name)} instead of {assignment}.ipynb")
    if ignored := [p for p in others if p != chosen]:
        flags.append(f"extra notebook(s) ignored: {', '.join(shown(p.name) for p in ignored)}")
    return chosen, flags, bool(skipped)


def _overlap(path: Path, master) -> int:
    """How many of the release's grade ids the file names (0 when it cannot be read): a renamed notebook's score."""
    wanted = {_grade_id(c) for c in master.cells} - {None}
    try:
        text = (read_limited(path) or b"").decode("utf-8", errors="replace")
    except OSError:
        return 0
    return len(wanted & set(re.findall(r'"grade_id":\s*"([^"]+)"', text)))


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
        data = _valid_text(json.loads(raw.decode("utf-8", errors="replace")))
    except json.JSONDecodeError as err:
        return None, [f"{name} is not valid JSON (line {err.lineno}, column {err.colno}); nothing could be graded"]
    except (ValueError, RecursionError):
        return None, [f"{name} is not valid JSON (nested too deeply); nothing could be graded"]
    if not isinstance(data, dict) or not isinstance(data.get("cells", data.get("worksheets")), list):
        return None, [f"{name} is JSON but not a notebook; nothing could be graded"]
    major = data.get("nbformat")
    try:
        nb = nbformat.reads(json.dumps(data), as_version=4)
    except Exception as err:  # RecursionError included
        return None, [f"{name} cannot be read as a notebook ({type(err).__name__}); nothing could be graded"]
    if major == 4:
        return nb, []
    return nb, [f"{name} is in nbformat {shown(major)}; converted to nbformat 4" if major is not None
                else f"{name} has no nbformat version; read as nbformat 4"]


def _cleaned(nb, flags: list[str]) -> nbformat.NotebookNode:
    """The notebook with each cell rebuilt from its type, source and well-formed nbgrader metadata only (and, for an
    ordinary code cell tagged `own-outputs`, that tag and its outputs: own_outputs.py)."""
    cells = []
    for cell in nb.cells:
        if not isinstance(cell, dict):
            flags.append("a cell that is not a JSON object was dropped")
            continue
        kind, source = cell.get("cell_type"), cell.get("source", "")
        if kind not in ("code", "markdown", "raw") or not isinstance(source, str):
            flags.append("a cell of unknown type or with a non-text source was dropped")
            continue
        new = getattr(nbformat.v4, f"new_{kind}_cell")(source)
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        if _grade_id(cell) is not None:
            new.metadata.nbgrader = copy.deepcopy(metadata["nbgrader"])
        elif metadata.get("nbgrader") is not None:
            flags.append("a cell's nbgrader metadata or grade id is malformed; treated as an ordinary cell")
        tags = metadata.get("tags")
        if kind == "code" and isinstance(tags, list) and own_outputs.TAG in tags and "nbgrader" not in new.metadata:
            new.metadata.tags = [own_outputs.TAG]  # its submitted outputs are shown (the judge checks them)
            outputs = cell.get("outputs")
            new.outputs = [o for o in outputs if isinstance(o, dict)][:10] if isinstance(outputs, list) else []
        cells.append(new)
    nb.cells = cells
    return nb


class _FromRelease:
    """A sanitize step of nbgrader's that answers from `release` and adds its findings to `flags`."""

    def __init__(self, release: Release, flags: list[str], **kwargs):
        super().__init__(**kwargs)
        self.release, self.flags = release, flags
        self.released = {_grade_id(cell): cell for cell in release.notebook.cells if _grade_id(cell)}


class FirstCopyGraded(_FromRelease, DeduplicateIds):
    """nbgrader's DeduplicateIds keeping the first copy of a released cell (nbgrader keeps the last: a copy pasted
    below a solution would be graded); any cell with a released grade id counts, whatever its flags say."""

    def preprocess(self, nb, resources):
        self.grade_ids, self.copies = set(), set()
        nb, resources = super(DeduplicateIds, self).preprocess(nb, resources)  # first to last, not nbgrader's reverse
        nb.cells = [cell for index, cell in enumerate(nb.cells) if index not in self.copies]
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        gid = _grade_id(cell)
        if gid in self.grade_ids:
            self.flags.append(f"cell {gid} is duplicated; the first copy was graded")
            self.copies.add(index)
        elif gid in self.released:
            self.grade_ids.add(gid)
        return cell, resources


class ReleasedKernelspec(_FromRelease, OverwriteKernelspec):
    """nbgrader's OverwriteKernelspec with the release's notebook metadata in place of the gradebook's kernelspec."""

    def preprocess(self, nb, resources):
        kernelspec = nb.metadata.get("kernelspec")
        if kernelspec is not None and not isinstance(kernelspec, dict):
            self.flags.append("kernelspec metadata is malformed; graded with the course's python3")
        elif (kernelspec or {}).get("name") not in (None, "", self.release.notebook.metadata.kernelspec.name):
            self.flags.append(f"kernelspec changed to '{shown(kernelspec['name'])}'; graded with the course's python3")
        nb.metadata = copy.deepcopy(self.release.notebook.metadata)
        return nb, resources


class ReleasedCells(_FromRelease, OverwriteCells):
    """nbgrader's OverwriteCells asking the release, not the gradebook (hidden tests never enter a notebook that will
    run), a cell's whole metadata put back first; every missing nbgrader cell restored where it was released."""

    add_missing_cells = Bool(True)

    def preprocess(self, nb, resources):
        self.gradebook = self  # nbgrader's steps below call find_source_cell and find_graded_cell on it
        self.notebook_id = self.assignment_id = self.release.assignment
        nb, resources = super(OverwriteCells, self).preprocess(nb, resources)
        return self.add_missing_grade_cells(nb, resources) if self.add_missing_cells else (nb, resources)

    def find_source_cell(self, grade_id, notebook, assignment):
        cell = self.released[grade_id]
        meta = cell.metadata.nbgrader
        return SimpleNamespace(name=grade_id, cell_type=cell.cell_type, locked=meta.get("locked", False),
                               checksum=meta.get("checksum"), source=cell.source)

    def find_graded_cell(self, grade_id, notebook, assignment):
        return SimpleNamespace(max_score=float(self.released[grade_id].metadata.nbgrader.get("points", 0)))

    def preprocess_cell(self, cell, resources, index):
        gid = _grade_id(cell)
        if gid is not None and gid not in self.released:
            self.flags.append(f"cell with unknown grade id '{shown(gid)}' kept as an ordinary cell")
            del cell.metadata["nbgrader"]
        if gid not in self.released:
            return cell, resources
        released = self.released[gid]
        if cell.metadata.nbgrader != released.metadata.nbgrader and cell_version(
                released.source, cell.metadata.nbgrader)[1] not in {v[1] for v in self.release.versions.get(gid, ())}:
            self.flags.append(f"cell {gid}: nbgrader metadata changed; restored")
        cell.metadata = copy.deepcopy(released.metadata)
        if "id" in released:
            cell.id = released.id
        if cell.cell_type == "code":
            cell.outputs = []
        self.cell = cell
        return super().preprocess_cell(cell, resources, index)

    def report_change(self, name, attr, old, new) -> None:
        if attr == "cell_type":
            self.flags.append(f"cell {name} was changed to {shown(new)}; restored as {old}")
        elif attr == "checksum" and cell_version(self.cell.source, None)[0] not in {
                v[0] for v in self.release.versions.get(name, ())}:
            self.flags.append(f"locked cell {name} was edited; restored")

    def add_missing_grade_cells(self, nb, resources):
        present = {_grade_id(cell) for cell in nb.cells}
        order = {gid: i for i, gid in enumerate(self.released)}
        missing = [gid for gid in self.released if gid not in present]
        cells = []
        for cell in nb.cells:
            while missing and _grade_id(cell) in order and order[missing[0]] < order[_grade_id(cell)]:
                cells += self._restored(missing.pop(0), nb)
            cells.append(cell)
        for gid in missing:
            cells += self._restored(gid, nb)
        nb.cells = cells
        return nb, resources

    def _restored(self, gid: str, nb) -> list:
        """The released cell `gid` as it is put back (none: a solution that another cell defines)."""
        defines = re.compile(rf"^\s*def\s+{re.escape(gid)}\s*\(", re.M)
        if not self.released[gid].metadata.nbgrader.get("solution"):
            self.flags.append(f"locked cell {gid} was deleted; restored")
        elif any(defines.search(cell.source) for cell in nb.cells if cell.cell_type == "code"):
            self.flags.append(f"solution cell {gid} was deleted; graded the cell that defines {gid}")
            return []
        else:
            self.flags.append(f"solution cell {gid} was deleted")
        return [copy.deepcopy(self.released[gid])]


def repaired(nb, release: Release) -> tuple[nbformat.NotebookNode, list[str]]:
    """The submitted notebook with its nbgrader cells put right (nbgrader's sanitize steps, in nbgrader's order),
    and a flag for each finding."""
    flags: list[str] = []
    nb = _cleaned(nb, flags)
    resources = {"nbgrader": {"assignment": release.assignment, "notebook": release.assignment}}
    for step in (FirstCopyGraded(release, flags), ReleasedKernelspec(release, flags), ReleasedCells(release, flags)):
        nb, resources = step.preprocess(nb, resources)
    return nb, flags


def take_in(folder: Path, release: Release) -> Intake:
    """Find, read and repair the submission in `folder`."""
    folder = Path(folder)
    if folder.is_symlink():
        return Intake(None, ["the submission folder is a link; not followed"], Status.INCOMPLETE)
    if not folder.is_dir():
        return Intake(None, [f"no submission folder for {release.assignment}"], Status.MISSING)
    path, flags, unreadable = _find_notebook(folder, release.assignment, release.notebook)
    if path is None:  # something was handed in (a link, a FIFO) but nothing that can be read is "incomplete"
        return Intake(None, flags, Status.INCOMPLETE if unreadable else Status.MISSING)
    nb, read_flags = _read(path)
    if nb is None:
        return Intake(None, flags + read_flags, Status.INCOMPLETE, path)
    repaired_nb, repair_flags = repaired(nb, release)
    return Intake(repaired_nb, flags + read_flags + repair_flags, Status.GRADED, path)
