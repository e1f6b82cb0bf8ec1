"""refcache.py: versioned, hashed reference files; the committed ones are in sync and cover the hard cases."""
from __future__ import annotations

import copy
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest

from dnnkit import checks, refcache
from dnnkit.cases import FUNCTIONS
from dnnkit.mistakes import for_function
from dnnkit.course import ASSIGNMENTS, Course
from dnnkit.refcache import ReferenceCacheError

import conftest
from conftest import REPO

SBS = "step_by_step"


def _copy_course(repo: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    shutil.copytree(repo / "source", dest / "source", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(repo / "nbgrader_config.py", dest / "nbgrader_config.py")
    (dest / "references").mkdir()
    return dest


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """A course copy whose reference files (all assignments) were regenerated once; read it, do not modify."""
    root = _copy_course(REPO, tmp_path_factory.mktemp("generated") / "course")
    for assignment in ASSIGNMENTS:
        refcache.regenerate(Course(root), assignment)
    return root


@pytest.fixture
def course(tmp_path, generated) -> Course:
    """A private course copy with generated step_by_step reference files, free to damage."""
    root = tmp_path / "course"
    shutil.copytree(generated, root)
    return Course(root)


@pytest.fixture(scope="module")
def committed() -> dict:
    """The committed hidden cases (verified) and public cases of step_by_step."""
    hidden = refcache.load_verified(Course(REPO), SBS)
    public, meta = checks.load_plain(Course(REPO).source(SBS) / "public_cases.npz")
    return {"hidden": hidden, "public": public, "public_meta": meta}


def _assert_one_line_error(info, path: Path, *words):
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    for word in words:
        assert word in message, message


# ------------------------------------------------------------------ determinism and sync


def test_regenerate_twice_rewrites_nothing(course):
    hidden, public = course.reference_file(SBS), course.source(SBS) / "public_cases.npz"
    first = hidden.read_bytes(), public.read_bytes(), hidden.stat().st_mtime_ns, public.stat().st_mtime_ns
    paths = refcache.regenerate(course, SBS)
    assert paths == (hidden, public)
    assert (hidden.read_bytes(), public.read_bytes(), hidden.stat().st_mtime_ns, public.stat().st_mtime_ns) == first


def _assert_in_sync(committed: Course, fresh: Course, assignment: str) -> None:
    """The committed files hold what the current solutions compute: structure exactly, floats within
    refcache.TOLERANCE, the same meta record (the solutions' digest included)."""
    old, old_meta = checks.load_plain(committed.reference_file(assignment))
    new, new_meta = checks.load_plain(fresh.reference_file(assignment))
    assert refcache.differences(old, new) == [], f"references/{assignment}.npz is out of date: run `dnnkit references`"
    assert {k: v for k, v in old_meta.items() if k != "content_sha256"} == {
        k: v for k, v in new_meta.items() if k != "content_sha256"}
    old_public, _ = checks.load_plain(committed.source(assignment) / "public_cases.npz")
    new_public, _ = checks.load_plain(fresh.source(assignment) / "public_cases.npz")
    assert refcache.differences(old_public, new_public) == [], (
        f"source/{assignment}/public_cases.npz is out of date: run `dnnkit references`")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_files_match_a_fresh_regeneration(tmp_path, assignment):
    fresh = Course(_copy_course(REPO, tmp_path / "fresh"))
    (fresh.source(assignment) / "public_cases.npz").unlink()  # written anew, not kept
    refcache.regenerate(fresh, assignment)
    _assert_in_sync(Course(REPO), fresh, assignment)


def test_the_tolerance_tells_rounding_from_a_change(committed):
    cases = committed["hidden"]
    nudged, changed = copy.deepcopy(cases), copy.deepcopy(cases)
    nudged["linear_forward"][0]["expected"][0][0, 0] *= 1 + 1e-14  # another kernel's last bits
    changed["linear_forward"][0]["expected"][0][0, 0] *= 1 + 1e-6  # a change of the solution
    assert refcache.differences(cases, nudged) == []
    assert refcache.differences(cases, changed)[0].startswith("/linear_forward/0/expected/0: values differ")
    renamed = copy.deepcopy(cases)
    renamed["linear_forward"][0]["name"] += " (renamed)"
    retyped = copy.deepcopy(cases)
    retyped["linear_forward"][0]["expected"] = list(retyped["linear_forward"][0]["expected"])
    other_mistake = copy.deepcopy(cases)
    other_mistake["linear_backward"][0]["mistakes"][0]["name"] = "another mistake"
    for damaged in (renamed, retyped, other_mistake):
        assert refcache.differences(cases, damaged)


@pytest.mark.slow
@pytest.mark.parametrize("kernel", conftest.OTHER_KERNELS)
def test_regenerating_under_another_blas_kernel_rewrites_nothing(tmp_path, kernel, default_kernel):
    """On another CPU OpenBLAS picks another kernel and the last digits change: forced here. The in-sync check
    accepts what that kernel computes, and regenerating over the committed files leaves them byte for byte."""
    kept = Course(_copy_course(REPO, tmp_path / "kept"))
    for assignment in ASSIGNMENTS:
        shutil.copy(Course(REPO).reference_file(assignment), kept.reference_file(assignment))
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted((tmp_path / "kept").rglob("*.npz"))}
    fresh = Course(_copy_course(REPO, tmp_path / "fresh"))
    for assignment in ASSIGNMENTS:
        (fresh.source(assignment) / "public_cases.npz").unlink()
    done = conftest.run_under_kernel(kernel, REGENERATE, str(kept.root), str(fresh.root))
    assert conftest.kernel_of(done) not in ("", default_kernel)  # the forced kernel ran
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in before} == before  # nothing rewritten
    changed = [p for p in before if p.read_bytes() != (tmp_path / "fresh" / p.relative_to(tmp_path / "kept")).read_bytes()]
    assert changed, "this kernel computes every file to the last bit like the default one: the test shows nothing"
    for assignment in ASSIGNMENTS:
        _assert_in_sync(Course(REPO), fresh, assignment)


REGENERATE = """
import sys
from pathlib import Path
from dnnkit import refcache
from dnnkit.course import ASSIGNMENTS, Course
for root in sys.argv[1:]:
    for assignment in ASSIGNMENTS:
        refcache.regenerate(Course(Path(root)), assignment)
"""


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_files_verify(assignment):
    cases = refcache.load_verified(Course(REPO), assignment)
    assert list(cases) == list(FUNCTIONS[assignment])
    public, meta = checks.load_plain(Course(REPO).source(assignment) / "public_cases.npz")
    assert meta is None  # the released file carries no grader metadata
    assert list(public) == list(FUNCTIONS[assignment])


def test_load_verified_accepts_a_fresh_file(course):
    cases = refcache.load_verified(course, SBS)
    assert set(cases) == set(FUNCTIONS[SBS])
    assert all(cases[name] for name in cases)


# ------------------------------------------------------------------ damaged files


def test_missing_file(course):
    path = course.reference_file(SBS)
    path.unlink()
    with pytest.raises(ReferenceCacheError) as info:
        refcache.read(path, SBS)
    _assert_one_line_error(info, path, "missing")
    with pytest.raises(ReferenceCacheError):
        refcache.load_verified(course, SBS)


@pytest.mark.parametrize("keep", [0.5, 0.95, 0.0])
def test_truncated_file(course, keep):
    path = course.reference_file(SBS)
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])
    with pytest.raises(ReferenceCacheError) as info:
        refcache.read(path, SBS)
    _assert_one_line_error(info, path, "unreadable")


def test_edited_arrays_with_old_meta(course):
    path = course.reference_file(SBS)
    cases, meta = checks.load_plain(path)
    expected = cases["linear_forward"][0]["expected"][0]
    expected[0, 0] += 1e-3
    checks.save_plain(path, cases, meta)
    with pytest.raises(ReferenceCacheError) as info:
        refcache.read(path, SBS)
    _assert_one_line_error(info, path, "sha256")


def test_edited_replay_table_with_old_meta(course):
    path = course.reference_file(SBS)
    cases, meta = checks.load_plain(path)
    key, passed, out = cases["L_model_forward"][0]["deps"]["linear_activation_forward"][0]
    out[0][0, 0] *= 2
    checks.save_plain(path, cases, meta)
    with pytest.raises(ReferenceCacheError, match="sha256"):
        refcache.read(path, SBS)


def _rewrite_meta(path: Path, **changes):
    cases, meta = checks.load_plain(path)
    checks.save_plain(path, cases, {**meta, **changes})


def test_wrong_format_version(course):
    path = course.reference_file(SBS)
    _rewrite_meta(path, version=refcache.VERSION + 1)
    with pytest.raises(ReferenceCacheError) as info:
        refcache.read(path, SBS)
    _assert_one_line_error(info, path, "version", str(refcache.VERSION + 1))


def test_wrong_format_name(course):
    path = course.reference_file(SBS)
    _rewrite_meta(path, format="something-else")
    with pytest.raises(ReferenceCacheError) as info:
        refcache.read(path, SBS)
    _assert_one_line_error(info, path, "not a dnnkit reference file")


def test_file_without_meta(course):
    path = course.source(SBS) / "public_cases.npz"  # plain data, but no meta record
    with pytest.raises(ReferenceCacheError) as info:
        refcache.read(path, SBS)
    _assert_one_line_error(info, path, "not a dnnkit reference file")


def test_wrong_assignment(course):
    path = course.reference_file(SBS)
    with pytest.raises(ReferenceCacheError) as info:
        refcache.read(path, "application")
    _assert_one_line_error(info, path, "'step_by_step'", "'application'")
    # and a file relabelled for another assignment is refused by that assignment's reader
    _rewrite_meta(path, assignment="application")
    with pytest.raises(ReferenceCacheError, match="'application'"):
        refcache.read(path, SBS)


def test_stale_after_a_solution_cell_changes(course):
    refcache.load_verified(course, SBS)  # fresh: fine
    notebook = course.notebook(SBS)
    nb = nbformat.read(notebook, as_version=4)
    cell = next(c for c in nb.cells
                if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade_id") == "linear_backward")
    assert cell.metadata["nbgrader"]["solution"]
    cell.source = cell.source.replace("### BEGIN SOLUTION\n", "### BEGIN SOLUTION\n    # a new comment\n", 1)
    assert "# a new comment" in cell.source
    nbformat.write(nb, notebook)
    path = course.reference_file(SBS)
    refcache.read(path, SBS)  # the file itself is intact ...
    with pytest.raises(ReferenceCacheError) as info:
        refcache.load_verified(course, SBS)  # ... but no longer matches the solutions
    _assert_one_line_error(info, path, "stale")


def test_stale_after_a_helper_module_changes(course):
    activations = course.source(SBS) / "activations.py"
    activations.write_text(activations.read_text() + "\n# edited\n")
    with pytest.raises(ReferenceCacheError, match="stale"):
        refcache.load_verified(course, SBS)


# ------------------------------------------------------------------ what the hidden cases cover


def _examples(args: tuple) -> int:
    """m, the number of examples, of a function whose first argument is (n, m)."""
    return args[0].shape[1]


def _weight_shapes(name: str, args: tuple) -> list[tuple]:
    """Shapes (n, n_prev) of the weight matrices a case works with, layer 1 first."""
    if name == "initialize_parameters":
        n_x, n_h, n_y = args
        return [(n_h, n_x), (n_y, n_h)]
    if name == "initialize_parameters_deep":
        dims = args[0]
        return [(dims[l], dims[l - 1]) for l in range(1, len(dims))]
    if name in ("linear_forward", "linear_activation_forward"):
        return [args[1].shape]
    if name == "linear_backward":
        return [args[1][1].shape]
    if name == "linear_activation_backward":
        return [args[1][0][1].shape]
    if name in ("L_model_forward", "update_parameters"):
        params = args[1] if name == "L_model_forward" else args[0]
        return [params[f"W{l}"].shape for l in range(1, len(params) // 2 + 1)]
    if name == "L_model_backward":
        return [cache[0][1].shape for cache in args[2]]
    if name == "numeric_gradient":
        return [args[0][f"W{l}"].shape for l in range(1, len(args[0]) // 2 + 1)]
    return []


def test_hidden_cases_shapes_are_consistent(committed):
    """The helpers above read the shapes right (else the coverage tests would prove nothing)."""
    for name, cases in committed["hidden"].items():
        for case in cases:
            shapes = _weight_shapes(name, case["args"])
            for prev, this in zip(shapes, shapes[1:]):
                assert this[1] == prev[0], (name, case["name"], shapes)
            if name == "compute_cost":
                assert case["args"][0].shape == case["args"][1].shape


@pytest.mark.parametrize("name", ["linear_forward", "linear_activation_forward", "L_model_forward",
                                  "compute_cost", "linear_backward", "linear_activation_backward",
                                  "L_model_backward"])
def test_hidden_cases_include_a_single_example(committed, name):
    ms = [_examples(case["args"]) for case in committed["hidden"][name]]
    assert 1 in ms, (name, ms)


@pytest.mark.parametrize("name", ["L_model_forward", "L_model_backward"])
def test_hidden_cases_include_a_deep_net_and_a_single_hidden_layer(committed, name):
    depths = [len(_weight_shapes(name, case["args"])) for case in committed["hidden"][name]]
    assert max(depths) >= 5, depths
    assert 2 in depths, depths  # one hidden layer + output layer


@pytest.mark.parametrize("name", [n for n in FUNCTIONS[SBS] if n not in ("compute_cost", "gradient_difference")])
def test_hidden_cases_include_non_square_layers(committed, name):
    """Some case has a non-square weight matrix that is not just the 1-unit output layer's."""
    def non_square(shapes):
        return any(n != n_prev and n > 1 for n, n_prev in shapes)

    shapes = [_weight_shapes(name, case["args"]) for case in committed["hidden"][name]]
    assert any(non_square(s) for s in shapes), (name, shapes)


def test_linear_and_activation_cases_have_more_and_fewer_units_than_inputs(committed):
    for name in ("linear_forward", "linear_activation_forward", "linear_activation_backward"):
        shapes = [_weight_shapes(name, case["args"])[0] for case in committed["hidden"][name]]
        assert any(n > n_prev for n, n_prev in shapes), (name, shapes)
        assert any(n < n_prev for n, n_prev in shapes), (name, shapes)


def test_every_function_has_hidden_and_public_cases(committed):
    for name in FUNCTIONS[SBS]:
        assert len(committed["hidden"][name]) >= 3, name
        assert len(committed["public"][name]) >= 1, name
        for case in committed["hidden"][name] + committed["public"][name]:
            assert set(case) == {"name", "args", "expected", "deps", "mistakes"}
            # every catalogued mistake of the function has its outcome on every case
            assert [m["name"] for m in case["mistakes"]] == [m.name for m in for_function(name)]


# ------------------------------------------------------------------ hidden differ from public


def _float_arrays(obj):
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind == "f":
            yield obj
    elif isinstance(obj, (tuple, list)):
        for x in obj:
            yield from _float_arrays(x)
    elif isinstance(obj, dict):
        for x in obj.values():
            yield from _float_arrays(x)


def test_hidden_inputs_differ_from_public_inputs(committed):
    public_args = {checks.digest(case["args"]) for cases in committed["public"].values() for case in cases}
    public_arrays = {checks.digest(a) for cases in committed["public"].values() for case in cases
                     for a in _float_arrays(case["args"])}
    assert public_arrays
    for name, cases in committed["hidden"].items():
        for case in cases:
            assert checks.digest(case["args"]) not in public_args, (name, case["name"])
            for array in _float_arrays(case["args"]):
                assert checks.digest(array) not in public_arrays, (name, case["name"], array.shape)


def test_hidden_expected_outputs_differ_from_public(committed):
    """The hidden cases are not the public ones relabelled: their expected outputs differ too."""
    public_expected = {checks.digest(case["expected"]) for cases in committed["public"].values()
                       for case in cases}
    for name, cases in committed["hidden"].items():
        for case in cases:
            assert checks.digest(case["expected"]) not in public_expected, (name, case["name"])
