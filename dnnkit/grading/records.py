"""The result of grading one submission (the trusted grader's verdicts, nbgrader's scores), its grader-only JSON
record, its CSV row, and the digests that say when to grade again. No nbgrader import: a hidden test cell under
plain `nbgrader autograde` digests the submission from here (dnnkit/hidden.py)."""
from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import math
import os
import stat
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import nbformat

from .. import checks
from ..cases import FUNCTIONS
from ..mistakes import chinese
from ..names import csv_cell

RECORDS = Path(".dnnkit") / "results"
MAX_RECORD_BYTES = 16 * 1024**2
MAX_NOTEBOOK_BYTES = 20 * 1024**2  # a submitted notebook larger than this is not read


class Status(StrEnum):
    """What became of a submission as a whole."""
    GRADED = "graded"  # every function has its verdict
    INCOMPLETE = "incomplete"  # something ran, but a cell or function faulted, or nothing readable was handed in
    MISSING = "missing"  # nothing was handed in
    REFUSED = "refused"  # its folder name is not a usable student id: never graded


class Verdict(StrEnum):
    """What the trusted check decided about one graded function."""
    PASSED = "passed"
    FAILED = "failed"
    NOT_ATTEMPTED = "not attempted"  # still the released stub (raises NotImplementedError)
    NOT_RUN = "not run"  # never reached: the notebook could not run, or a cap was hit
    TIMED_OUT = "timed out"
    CRASHED = "crashed"


@dataclass
class FunctionResult:
    """One graded function of one submission. `score`/`max_score` are nbgrader's (the grade cell's points,
    a manual grade where one was given); the rest is the trusted grader's."""
    name: str
    verdict: Verdict = Verdict.NOT_RUN
    message: str = ""
    visible_passed: bool | None = None  # did its visible test cell pass inside the notebook?
    public_passed: bool = False  # do the same public cases pass when checked outside?
    diagnosis: dict | None = None  # the catalogued mistake its answers match: {"mistake", "says", "fix"}
    score: float = 0.0
    max_score: float = 0.0

    def feedback_in(self, language: str) -> str:
        """The verdict line (in the grader's language already), then the diagnosis and its fix in `language` when a
        catalogued mistake matched."""
        advice = checks.diagnosis_text(self.diagnosis, language, chinese())
        return self.message + ("\n" + advice if advice else "")


@dataclass
class Provenance:
    """Digests of everything a grade depends on: when one changes, the submission is graded again."""
    submission: str = ""
    release: str = ""
    references: str = ""

    CHANGES = {"submission": "the submission changed",
               "release": "the release (notebook, points or helper files) changed",
               "references": "the reference caches changed"}

    def changed_since(self, old: "Provenance") -> str | None:
        """The first field that differs from `old` (a key of CHANGES), or None."""
        return next((name for name in self.CHANGES if getattr(old, name) != getattr(self, name)), None)


@dataclass
class SubmissionResult:
    student: str
    assignment: str
    status: Status = Status.GRADED
    flags: list[str] = field(default_factory=list)
    functions: dict[str, FunctionResult] = field(default_factory=dict)
    grader_error: bool = False  # the grader itself failed on it: tried again on the next run
    provenance: Provenance = field(default_factory=Provenance)
    # nbgrader's, read back from the gradebook after its autograde pass
    timestamp: str | None = None
    raw_score: float = 0.0
    late_submission_penalty: float = 0.0
    max_score: float = 0.0
    notebook: nbformat.NotebookNode | None = None  # the executed notebook; never in the record

    @property
    def score(self) -> float:
        """The final score, as `nbgrader export` gives it: the raw score less the late penalty, at least 0."""
        return max(0.0, self.raw_score - self.late_submission_penalty)

    def apply(self, scores) -> None:
        """Take the points, timestamp and late penalty the gradebook holds (a dnnkit.gradebook.Scores)."""
        self.timestamp, self.raw_score = scores.timestamp, scores.raw_score
        self.late_submission_penalty, self.max_score = scores.late_submission_penalty, scores.max_score
        for name, (score, top) in scores.functions.items():
            if name in self.functions:
                self.functions[name].score, self.functions[name].max_score = score, top

    @property
    def not_attempted(self) -> list[str]:
        return [n for n, f in self.functions.items() if f.verdict is Verdict.NOT_ATTEMPTED]

    def add_grader_error(self, text: str) -> None:
        self.grader_error = True
        self.flags.append(f"grader error: {text}")

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in dataclasses.asdict(self).items() if k != "notebook"}, indent=1)

    @classmethod
    def from_json(cls, data, assignment: str, student: str) -> "SubmissionResult":
        """A record read back; ValueError naming what is wrong with its shape."""
        if not isinstance(data, dict):
            raise ValueError("wrong shape: not a JSON object")
        if data.get("assignment") != assignment:
            raise ValueError(f"wrong shape: its assignment is not {assignment!r}")
        if data.get("student") != student:
            raise ValueError("its student id is not the name of its file")
        flags, functions = data.get("flags"), data.get("functions")
        if not isinstance(flags, list) or not all(isinstance(flag, str) for flag in flags):
            raise ValueError("wrong shape: flags is not a list of strings")
        if not isinstance(functions, dict):
            raise ValueError("wrong shape: functions is not an object")
        try:
            status = Status(data.get("status"))
        except ValueError:
            raise ValueError("wrong shape: unknown status") from None
        scores = {key: _number(data.get(key), key) for key in ("raw_score", "late_submission_penalty", "max_score")}
        return cls(student, assignment, status, list(flags), grader_error=data.get("grader_error") is True,
                   functions={name: _function(functions.get(name), name) for name in FUNCTIONS[assignment]},
                   provenance=Provenance(**{k: str(v) for k, v in dict(data.get("provenance") or {}).items()
                                            if k in Provenance.__dataclass_fields__}),
                   timestamp=data.get("timestamp") if isinstance(data.get("timestamp"), str) else None, **scores)

    @staticmethod
    def csv_header(assignment: str) -> list[str]:
        return ["student_id", *FUNCTIONS[assignment], "timestamp", "raw_score", "late_submission_penalty", "score",
                "max_score", "status", "flags", "diagnoses", "not_attempted"]

    def csv_row(self, shown_id: str | None = None) -> list[str]:
        """Text cells neutralized for spreadsheets, numbers as numbers, columns named as nbgrader export's."""
        found = " | ".join(f"{n}: {f.diagnosis['mistake']}" for n, f in self.functions.items() if f.diagnosis)
        return [csv_cell(shown_id or self.student), *[f"{f.score:g}" for f in self.functions.values()],
                csv_cell(self.timestamp or ""), f"{self.raw_score:g}", f"{self.late_submission_penalty:g}",
                f"{self.score:g}", f"{self.max_score:g}", csv_cell(self.status), csv_cell(" | ".join(self.flags)),
                csv_cell(found), csv_cell(" | ".join(self.not_attempted))]


def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"wrong shape: {what} is not a finite number")
    return float(value)


def _diagnosis(value) -> dict | None:
    """A diagnosis {"mistake", "says", "fix"}; the field is optional, so anything malformed counts as none."""
    if not isinstance(value, dict) or not isinstance(value.get("mistake"), str) or not value["mistake"]:
        return None
    return {key: value.get(key) if isinstance(value.get(key), str) else "" for key in ("mistake", "says", "fix")}


def _function(entry, name: str) -> FunctionResult:
    """One function's entry; a graded function the record lacks counts as not run."""
    if entry is None:
        return FunctionResult(name)
    if not isinstance(entry, dict):
        raise ValueError(f"wrong shape: functions.{name} is not an object")
    try:
        verdict = Verdict(entry.get("verdict"))
    except ValueError:
        raise ValueError(f"wrong shape: functions.{name}.verdict is unknown") from None
    message = entry.get("message")
    visible = entry.get("visible_passed")
    return FunctionResult(name, verdict, message if isinstance(message, str) else "",
                          visible if isinstance(visible, bool) else None, entry.get("public_passed") is True,
                          _diagnosis(entry.get("diagnosis")), _number(entry.get("score"), f"functions.{name}.score"),
                          _number(entry.get("max_score"), f"functions.{name}.max_score"))


def record_path(root: Path, assignment: str, student: str) -> Path:
    """The grader-only record of one student's submission (student ids are checked by dnnkit.names first)."""
    return root / RECORDS / assignment / f"{student}.json"


def write_record(root: Path, result: SubmissionResult) -> Path:
    """Write the record atomically (a killed run leaves the old record or the new one, never half of one)."""
    path = record_path(root, result.assignment, result.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(result.to_json())
    os.replace(tmp, path)
    return path


def read_json(path: Path):
    """The JSON in `path`; ValueError saying why for a symbolic link, a non-regular or oversized file, or
    invalid JSON (opened without following links and without blocking on a FIFO)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as err:
        raise ValueError("a symbolic link" if err.errno == errno.ELOOP else f"cannot open: {err.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read(MAX_RECORD_BYTES + 1)
    except OSError as err:
        raise ValueError(f"cannot read: {err.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_RECORD_BYTES:
        raise ValueError(f"larger than {MAX_RECORD_BYTES // 1024**2} MiB")
    try:
        return json.loads(data)
    except ValueError as err:  # JSONDecodeError and UnicodeDecodeError
        raise ValueError(f"invalid JSON: {err}") from None


def read_record(root: Path, assignment: str, student: str) -> SubmissionResult:
    """One student's record; ValueError saying why it cannot be used."""
    return SubmissionResult.from_json(read_json(record_path(root, assignment, student)), assignment, student)


def recorded_students(root: Path, assignment: str) -> list[str]:
    """The student ids that have a record of `assignment` (file names, not yet checked)."""
    folder = root / RECORDS / assignment
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(p.name[: -len(".json")] for p in folder.iterdir()
                  if p.name.endswith(".json") and not p.name.startswith("."))


def file_digest(*paths: Path) -> str:
    """sha256 over the names and bytes of `paths` (files, or folders taken file by file in name order)."""
    h = hashlib.sha256()
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for item in files:
            h.update(os.fsencode(item.name) + b"\0" + (item.read_bytes() if item.is_file() else b"<none>") + b"\0")
    return h.hexdigest()


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
