"""nbgrader's own autograde pass over a judged submission, the one way verdicts enter the gradebook: nbgrader's
`Autograde` with the course's configuration, `TrustedVerdicts` in the place of its `Execute` step; and the kit's
`LimitOutput`, the one limit on what a notebook's outputs keep (docs/grading-path.md, step 7).
"""
from __future__ import annotations

import copy
import logging.handlers
import secrets
import shutil
import stat
import traceback
import warnings
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbgrader.converters.autograde import Autograde
from nbgrader.coursedir import CourseDirectory
from jsonschema import validators
from jsonschema.exceptions import best_match
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.nbgraderformat.common import BaseMetadataValidator
from nbgrader.preprocessors import CheckCellMetadata, Execute, LimitOutput as NbgraderLimitOutput
from nbgrader.utils import parse_utc
from sqlalchemy.exc import SAWarning
from traitlets import Integer

from .. import DnnkitError, checks
from ..cases import function_of
from ..course import Course
from ..gradebook import course_config, submission_scores
from ..names import one_line
from ..shipped import released_language
from .records import FunctionResult, SubmissionResult, Verdict

STAGE = Path(".dnnkit") / "stage"
MAX_TIMESTAMP_BYTES = 200


class TrustedVerdicts(Preprocessor):
    """In place of nbgrader's Execute: each code cell gets the outputs the sandbox reported, and each graded test
    cell its verdict (an error output, which nbgrader scores 0, unless the function passed)."""

    def __init__(self, result: SubmissionResult, language: str = "en", **kwargs):
        super().__init__(enabled=True, **kwargs)
        self.result, self.language = result, language

    def preprocess(self, nb, resources):
        executed = self.result.notebook
        if executed is not None and len(executed.cells) != len(nb.cells):
            raise DnnkitError(f"nbgrader's sanitized notebook has {len(nb.cells)} cells, the graded one "
                              f"{len(executed.cells)}")
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            ran = executed.cells[i] if executed is not None else None
            cell.outputs = copy.deepcopy(ran.outputs) if ran is not None and ran.cell_type == "code" else []
            cell.execution_count = ran.get("execution_count") if ran is not None else None
            name = function_of(cell.metadata.get("nbgrader", {}).get("grade_id"))
            if name in self.result.functions and cell.metadata.nbgrader.get("grade"):
                points = float(cell.metadata.nbgrader.get("points", 0))
                cell.outputs = verdict_outputs(cell.outputs, self.result.functions[name], points, self.language)
        return nb, resources


class LimitOutput(NbgraderLimitOutput):
    """nbgrader's LimitOutput (lines of a cell's output, lines of a traceback), and the length of every line of
    text, which nbgrader leaves whole (one 50 MB line would reach the autograded notebook and the feedback)."""

    max_line_chars = Integer(2000, help="characters kept of one line of output (-1 means no limit)").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        if cell.cell_type != "code" or self.max_line_chars < 0:
            return cell, resources
        for output in cell.outputs:
            if output.output_type == "stream":
                output.text = self._cut(output.text)
            elif output.output_type == "error":
                output.evalue = self._cut(output.evalue)
                output.traceback = [self._cut(line) for line in output.traceback]
            elif isinstance(output.get("data", {}).get("text/plain"), str):
                output.data["text/plain"] = self._cut(output.data["text/plain"])
        return cell, resources

    def _cut(self, text: str) -> str:
        return "\n".join(line if len(line) <= self.max_line_chars else line[:self.max_line_chars] + " …[line cut]"
                         for line in text.split("\n"))


_COMPILED: dict = {}  # schema version: its validator, the schema checked against the meta-schema once


class _SchemaCheckedOnce(BaseMetadataValidator):
    """nbgrader's cell validation with its JSON schema compiled once (`jsonschema.validate` checks the schema on
    every call: a third of the nbgrader pass). Same schema, same rules, same first error."""

    def validate_cell(self, cell) -> None:
        meta = cell.metadata.get("nbgrader")
        if meta is None or meta.get("schema_version", 0) != self.schema_version:
            return super().validate_cell(cell)  # nothing to check, or nbgrader's own schema-version error
        if self.schema_version not in _COMPILED:
            validator = validators.validator_for(self.schema)
            validator.check_schema(self.schema)
            _COMPILED[self.schema_version] = validator(self.schema)
        error = best_match(_COMPILED[self.schema_version].iter_errors(meta))
        if error is not None:
            raise error


class _Validator(MetadataValidator, _SchemaCheckedOnce):
    """nbgrader's MetadataValidator (its checks of grade ids and cell types unchanged), schema compiled once."""


class CheckCellMetadataOnce(CheckCellMetadata):
    """nbgrader's CheckCellMetadata, with `_Validator`; it fails as nbgrader's does."""

    def preprocess(self, nb, resources):
        try:
            _Validator().validate_nb(nb)
        except ValidationError:
            self.log.error(traceback.format_exc())
            message = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(message)
            raise ValidationError(message) from None
        return nb, resources


def verdict_outputs(visible: list, function: FunctionResult, points: float, language: str = "en") -> list:
    """A graded test cell's outputs: what its visible test printed (an error as plain text: only the trusted verdict
    decides the points), then the verdict with the cell's points, in `language` (the release's)."""
    outputs = []
    for output in visible:
        if output.output_type == "error":
            outputs.append(nbformat.v4.new_output("stream", name="stdout", text=(
                f"{checks.term('visible test', language)}: {output.get('ename', '')}: {output.get('evalue', '')}\n")))
        elif output.output_type == "stream":
            outputs.append(nbformat.v4.new_output("stream", name="stdout", text=output.get("text", "")))
        elif output.output_type == "display_data":
            outputs.append(output)
    passed = function.verdict is Verdict.PASSED
    line = f"[grader] {points if passed else 0:g}/{points:g}: {function.feedback_in(language)}"
    if passed:
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=line + "\n"))
    else:
        outputs.append(nbformat.v4.new_output("error", ename=f"Not {Verdict.PASSED.value}",
                                              evalue=function.verdict.value, traceback=line.split("\n")))
    return outputs


def _timestamp(folder: Path, flags: list[str]) -> str | None:
    """The submission's timestamp.txt as nbgrader would read it, or None (missing, or flagged: nbgrader would stop)."""
    path = folder / "timestamp.txt"
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            flags.append("timestamp.txt is not a regular file; graded as submitted on time")
            return None
        with open(path, "rb") as handle:
            text = handle.read(MAX_TIMESTAMP_BYTES + 1).decode("utf-8").strip()
        if len(text) > MAX_TIMESTAMP_BYTES:
            raise ValueError("too long")
        if text:
            parse_utc(text)
        return text or None
    except FileNotFoundError:
        return None
    except (OSError, ValueError, OverflowError):
        flags.append("timestamp.txt is not a date nbgrader can read; graded as submitted on time")
        return None


def _submission_secret(folder: Path) -> str | None:
    """The submission_secret.txt `nbgrader submit` wrote, or None unless it is a short regular file of hex digits."""
    try:
        if not stat.S_ISREG((folder / "submission_secret.txt").lstat().st_mode):
            return None
        with open(folder / "submission_secret.txt", "rb") as handle:
            text = handle.read(MAX_TIMESTAMP_BYTES + 1).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if 0 < len(text) <= MAX_TIMESTAMP_BYTES and all(c in "0123456789abcdef" for c in text) else None


class NbgraderPass:
    """nbgrader's autograde pass for the submissions of one assignment (used by one thread)."""

    def __init__(self, root: Path, assignment: str):
        self.root, self.assignment = root, assignment
        self.config = course_config(root)
        self.language = released_language(Course(root), assignment)
        default = Autograde.autograde_preprocessors.default()
        self.steps = list(self.config.get("Autograde", {}).get("autograde_preprocessors", default))
        if not any(_is_execute(step) for step in self.steps):
            raise DnnkitError("nbgrader_config.py: c.Autograde.autograde_preprocessors has no Execute step for "
                              "dnnkit grade to take the place of; keep nbgrader's Execute in that list")
        self.log = logging.getLogger(f"dnnkit.nbgrader.{assignment}")
        self.log.propagate, self.log.level = False, logging.ERROR

    def run(self, result: SubmissionResult, submitted: Path, master) -> None:
        """Stage the notebook that ran (the released one if nothing could) and its timestamp, run nbgrader's
        Autograde on it, then read back what the gradebook recorded."""
        stage = STAGE / secrets.token_hex(8)
        folder = self.root / stage / result.student / self.assignment
        folder.mkdir(parents=True)
        try:
            nb = result.notebook if result.notebook is not None else master
            nbformat.write(nb, folder / f"{self.assignment}.ipynb")
            if submitted.is_dir() and (timestamp := _timestamp(submitted, result.flags)):
                (folder / "timestamp.txt").write_text(timestamp + "\n")
            # nbgrader's release_feedback files the feedback under the secret, for the student's fetch
            if submitted.is_dir() and (secret := _submission_secret(submitted)):
                (folder / "submission_secret.txt").write_text(secret)
            self._autograde(result, stage)
        finally:
            shutil.rmtree(self.root / stage, ignore_errors=True)
        self.read_back(result)

    def _autograde(self, result: SubmissionResult, stage: Path) -> None:
        coursedir = CourseDirectory(config=self.config, root=str(self.root), submitted_directory=str(stage),
                                    assignment_id=self.assignment, student_id=result.student)
        converter = Autograde(coursedir=coursedir, config=self.config, log=self.log, force=True)
        converter.autograde_preprocessors = [TrustedVerdicts(result, self.language) if _is_execute(step)
                                             else _kit_step(step) for step in self.steps]
        converter.sanitize_preprocessors = [_kit_step(step) for step in converter.sanitize_preprocessors]
        errors = logging.handlers.BufferingHandler(capacity=10**6)  # nbgrader's error lines, for a one-line message
        errors.setLevel(logging.ERROR)
        self.log.addHandler(errors)
        try:
            with warnings.catch_warnings():  # nbgrader's own gradebook calls make SQLAlchemy warn about autoflush
                warnings.simplefilter("ignore", category=SAWarning)
                converter.start()
        except Exception as err:
            lines = [record.getMessage() for record in errors.buffer]
            why = next((line for line in lines if "Error" in line or "error" in line), None) or str(err)
            raise DnnkitError(one_line(f"nbgrader's autograde failed: {why.splitlines()[-1] if why else err}"))
        finally:
            self.log.removeHandler(errors)

    def read_back(self, result: SubmissionResult) -> None:
        """Points, timestamp and late penalty as nbgrader's gradebook holds them now (manual grades too)."""
        result.apply(submission_scores(self.root, self.assignment, [result.student])[result.student])


def _is_execute(step) -> bool:
    return step is Execute or step in ("nbgrader.preprocessors.Execute", "nbgrader.preprocessors.execute.Execute")


def _kit_step(step):
    """nbgrader's CheckCellMetadata as CheckCellMetadataOnce and its LimitOutput as the kit's (lines are cut in
    dnnkit grade whatever the configuration); any other step as configured."""
    name = step if isinstance(step, str) else f"{step.__module__}.{step.__qualname__}"
    return {"nbgrader.preprocessors.CheckCellMetadata": CheckCellMetadataOnce,
            "nbgrader.preprocessors.checkcellmetadata.CheckCellMetadata": CheckCellMetadataOnce,
            "nbgrader.preprocessors.LimitOutput": LimitOutput,
            "nbgrader.preprocessors.limitoutput.LimitOutput": LimitOutput}.get(name, step)
