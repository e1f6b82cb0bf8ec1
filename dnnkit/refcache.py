"""The reference-cache format: cases with expected outputs, versioned and hashed.

A file holds {function: [case, ...]} as plain data (see checks.save_plain) and a meta record:
format name and version, assignment, the digest of the solutions it was generated from, and the sha256 of
its content. Reading verifies all of them, so an edited, truncated or stale file is a clear error.
"""
from pathlib import Path

import numpy as np

from . import DnnkitError, checks
from .cases import FUNCTIONS, INPUTS, replayed_helpers
from .course import Course
from .diagnosis import mistake_outcomes, mistaken_solutions
from .solutions import load_solutions, solution_digest

FORMAT = "dnnkit-reference-cases"
VERSION = 4  # 2: cases carry the catalogued mistakes' outcomes; 3: replay tables hold cases.SKIPPED_TO's calls;
# 4: replay tables hold each call's arguments (checks.record_calls), keyed by the course's parameter names


# How far a regenerated file's floating-point values may be from the committed ones and still count as the same:
# another CPU's BLAS kernel sums products in another order, so the last bits differ (rtol, atol). Everything
# else (case names, structure, shapes, dtypes, integers, strings, which mistake each outcome belongs to, the
# exceptions they raise) must be identical. Measured across OpenBLAS's Katmai/Prescott, Nehalem, Sandybridge and
# Haswell kernels (tests/test_refcache.py forces them); each bound is well below the grading tolerance
# (checks.RTOL, checks.ATOL), so a change within it cannot change a grade.
TOLERANCE = {
    # matrix products and their chains: rounding of about 1e-16 relative per operation, a few dozen deep
    "default": (1e-10, 1e-13),
    # central differences divide the cost's rounding (~1e-16) by 2 epsilon (down to 1e-7): ~1e-9 absolute
    "numeric_gradient": (1e-6, 1e-8),
    # a hundred or more gradient steps carry the first step's rounding forward
    "two_layer_model": (1e-8, 1e-11),
    "L_layer_model": (1e-8, 1e-11),
}


def _float_problem(old: np.ndarray, new: np.ndarray, function: str) -> str | None:
    rtol, atol = TOLERANCE.get(function, TOLERANCE["default"])
    if np.allclose(new, old, rtol=rtol, atol=atol, equal_nan=True):
        return None
    return f"values differ by up to {np.max(np.abs(new - old)):.3g} (tolerance rtol {rtol:g}, atol {atol:g})"


def differences(old, new, function: str = "", path: str = "") -> list[str]:
    """Where two reference files' cases differ beyond TOLERANCE: "path: what". Floats are compared within the
    function's tolerance; all else exactly, except the keys of replay tables, which are digests of the recorded
    arguments (compared themselves, in the tables' order)."""
    if isinstance(old, dict) and isinstance(new, dict):
        if list(old) != list(new):
            return [f"{path}: keys {sorted(map(str, old))} became {sorted(map(str, new))}"]
        found = []
        for key in old:
            found += differences(old[key], new[key], function or str(key), f"{path}/{key}")
        return found
    if isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)):
        if type(old) is not type(new) or len(old) != len(new):
            return [f"{path}: a {type(old).__name__} of {len(old)} became a {type(new).__name__} of {len(new)}"]
        replay_entry = "/deps/" in path and len(old) == 3 and isinstance(old[0], str) and len(old[0]) == 64
        found = []
        for i, (a, b) in enumerate(zip(old, new)):
            if not (replay_entry and i == 0):
                found += differences(a, b, function, f"{path}/{i}")
        return found
    if isinstance(old, np.ndarray) and isinstance(new, np.ndarray):
        if old.shape != new.shape or old.dtype != new.dtype:
            return [f"{path}: {old.dtype}{list(old.shape)} became {new.dtype}{list(new.shape)}"]
        if old.dtype.kind in "fc":
            problem = _float_problem(old, new, function)
            return [f"{path}: {problem}"] if problem else []
        return [] if np.array_equal(old, new) else [f"{path}: values differ"]
    if isinstance(old, (float, np.floating)) and type(old) is type(new):
        problem = _float_problem(np.asarray(old), np.asarray(new), function)
        return [f"{path}: {problem}"] if problem else []
    if type(old) is not type(new) or old != new:
        return [f"{path}: {old!r} became {new!r}"[:300]]
    return []


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
            # linear_backward inside linear_activation_backward too (cases.SKIPPED_TO): a student who calls it
            # directly gets the reference's answer from it as well
            expected, deps = checks.record_calls(ref[name], args, replayed_helpers(name))
            case = {"name": case_name, "args": args, "expected": expected, "deps": deps}
            if mistaken is not None:
                case["mistakes"] = mistake_outcomes(mistaken, name, args)
            cases[name].append(case)
    return cases


def _meta(cases: dict, assignment: str, digest: str | None) -> dict:
    return {"format": FORMAT, "version": VERSION, "assignment": assignment, "solution_digest": digest,
            "content_sha256": checks.digest(cases)}


def unchanged(path: Path, cases: dict, meta: dict | None) -> bool:
    """Whether the file at `path` already holds `cases` (within TOLERANCE) with the same meta record (but for
    the content digest, which follows its own content): then it is left as it is, so that regenerating on
    another machine rewrites nothing."""
    try:
        old_cases, old_meta = checks.load_plain(path)
    except Exception:
        return False
    same_meta = (old_meta is None and meta is None) or (
        old_meta is not None and meta is not None and old_meta.get("content_sha256") == checks.digest(old_cases)
        and {k: v for k, v in old_meta.items() if k != "content_sha256"}
        == {k: v for k, v in meta.items() if k != "content_sha256"})
    return same_meta and not differences(old_cases, cases)


def write_if_changed(path: Path, cases: dict, meta: dict | None) -> bool:
    """Write `cases` (with `meta`) unless the file is `unchanged`; whether it was written."""
    if unchanged(path, cases, meta):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    checks.save_plain(path, cases, meta)
    return True


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
    """Write the hidden reference file and the released public cases of `assignment`, each only where its
    content changed beyond TOLERANCE (see `unchanged`)."""
    ref = load_solutions(course, assignment)
    mistaken = mistaken_solutions(course, assignment, ref)
    digest = solution_digest(course, assignment)
    hidden_path = course.reference_file(assignment)
    public_path = course.source(assignment) / "public_cases.npz"
    hidden = build_cases(ref, assignment, hidden=True, mistaken=mistaken)
    write_if_changed(hidden_path, hidden, _meta(hidden, assignment, digest))
    write_if_changed(public_path, build_cases(ref, assignment, hidden=False, mistaken=mistaken), None)
    return hidden_path, public_path


def load_verified(course: Course, assignment: str) -> dict:
    """The hidden cases of `assignment`, verified against the current source solutions."""
    return read(course.reference_file(assignment), assignment, solution_digest(course, assignment))
