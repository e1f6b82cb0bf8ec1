"""The reference-cache format: cases with expected outputs, versioned and hashed.

A file holds {function: [case, ...]} as plain data (see checks.save_plain) and a meta record:
format name and version, assignment, the digest of the solutions it was generated from, and the sha256 of
its content. Reading verifies all of them, so an edited, truncated or stale file is a clear error.
"""
from __future__ import annotations

from pathlib import Path

from . import DnnkitError, checks
from .cases import DEPENDENCIES, FUNCTIONS, INPUTS
from .course import Course
from .diagnosis import mistake_outcomes, mistaken_solutions
from .solutions import load_solutions, solution_digest

FORMAT = "dnnkit-reference-cases"
VERSION = 2  # 2: cases carry the catalogued mistakes' outcomes


class ReferenceCacheError(DnnkitError):
    """A reference file that cannot be trusted."""


def build_cases(ref: dict, assignment: str, hidden: bool, mistaken: dict | None = None,
                seed: int | None = None) -> dict:
    """{function: [case, ...]} with expected outputs and replay tables computed by the reference `ref`, and
    (given `mistaken`, see dnnkit.diagnosis) what each catalogued mistake returns instead.

    `seed` draws the hidden inputs of one student (see dnnkit.secret); None draws the fixed hidden set."""
    inputs = INPUTS[assignment](ref, hidden, seed=seed)
    cases = {}
    for name in FUNCTIONS[assignment]:
        cases[name] = []
        for case_name, args in inputs[name]:
            expected, deps = checks.record_calls(ref[name], args, DEPENDENCIES.get(name, ()))
            case = {"name": case_name, "args": args, "expected": expected, "deps": deps}
            if mistaken is not None:
                case["mistakes"] = mistake_outcomes(mistaken, name, args)
            cases[name].append(case)
    return cases


def write(path: Path, cases: dict, assignment: str, digest: str | None) -> None:
    meta = {"format": FORMAT, "version": VERSION, "assignment": assignment,
            "solution_digest": digest, "content_sha256": checks.digest(cases)}
    path.parent.mkdir(parents=True, exist_ok=True)
    checks.save_plain(path, cases, meta)


def read(path: Path, assignment: str, expected_digest: str | None = None) -> dict:
    """Load and verify a reference file; `expected_digest` (the current solutions') catches stale files."""
    fix = "regenerate it with `dnnkit references`"
    if not path.is_file():
        raise ReferenceCacheError(f"{path}: missing; {fix}")
    try:
        cases, meta = checks.load_plain(path)
    except Exception as err:
        raise ReferenceCacheError(f"{path}: unreadable ({type(err).__name__}: {err}); {fix}") from None
    if not meta or meta.get("format") != FORMAT:
        raise ReferenceCacheError(f"{path}: not a dnnkit reference file; {fix}")
    if meta.get("version") != VERSION:
        raise ReferenceCacheError(f"{path}: format version {meta.get('version')}, this dnnkit reads {VERSION}; {fix}")
    if meta.get("assignment") != assignment:
        raise ReferenceCacheError(f"{path}: holds cases for {meta.get('assignment')!r}, not {assignment!r}; {fix}")
    if checks.digest(cases) != meta.get("content_sha256"):
        raise ReferenceCacheError(f"{path}: content does not match its recorded sha256 (edited or damaged); {fix}")
    if expected_digest is not None and meta.get("solution_digest") != expected_digest:
        raise ReferenceCacheError(f"{path}: stale, the source solutions changed since it was generated; {fix}")
    return cases


def regenerate(course: Course, assignment: str) -> tuple[Path, Path]:
    """Write the hidden reference file and the released public cases of `assignment`."""
    ref = load_solutions(course, assignment)
    mistaken = mistaken_solutions(course, assignment, ref)
    digest = solution_digest(course, assignment)
    hidden_path = course.reference_file(assignment)
    public_path = course.source(assignment) / "public_cases.npz"
    write(hidden_path, build_cases(ref, assignment, hidden=True, mistaken=mistaken), assignment, digest)
    checks.save_plain(public_path, build_cases(ref, assignment, hidden=False, mistaken=mistaken))
    return hidden_path, public_path


def load_verified(course: Course, assignment: str) -> dict:
    """The hidden cases of `assignment`, verified against the current source solutions."""
    return read(course.reference_file(assignment), assignment, solution_digest(course, assignment))
