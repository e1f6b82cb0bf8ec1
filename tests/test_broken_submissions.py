"""`dnnkit grade` on broken submissions: whatever a submission folder holds, the grader grades what it can, says
what it did in the flags, gives every student exactly one row, and neither crashes nor hangs.

One student per case, graded in the course the end-to-end modules share (shared_courses.py: one `dnnkit grade`
run, then a second one, which must resume and change nothing). Each test checks one student's row: the exact
points per function, the status, and a flag.
Special files that stop or block the whole run (a FIFO, undecodable or folder "notebooks") are graded one by one
(--student) in a second course, as is the timing of the huge notebook."""
from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from dnnkit.cases import FUNCTIONS
from grading_support import answer, dnnkit_grade, executed_notebook, grading_course, read_grades, scores, submit

pytestmark = pytest.mark.slow

ASSIGNMENT = "step_by_step"
NAMES = FUNCTIONS[ASSIGNMENT]
FULL = {name: 10.0 for name in NAMES}
ZERO = {name: 0.0 for name in NAMES}
NOTEBOOK = f"{ASSIGNMENT}.ipynb"


def full_but(**points) -> dict[str, float]:
    return {**FULL, **{name: float(value) for name, value in points.items()}}


def grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def index_of(nb, gid: str) -> int:
    return next(i for i, cell in enumerate(nb.cells) if grade_id(cell) == gid)


def folder(course, student: str) -> Path:
    path = course.root / "submitted" / student / ASSIGNMENT
    path.mkdir(parents=True, exist_ok=True)
    return path


# -- the broken submissions: one function per student; the name's number fixes the grading order -------------

def corrupt_json(course, student):
    path = submit(course, student)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])  # cut off mid-file, as an interrupted upload leaves it


def json_not_notebook(course, student):
    (folder(course, student) / NOTEBOOK).write_text(json.dumps({"name": "my homework", "answers": [1, 2, 3]}))


def old_nbformat(course, student):
    path = submit(course, student)
    nb = nbformat.read(path, as_version=4)
    nbformat.write(nbformat.convert(nb, 3), path, version=3)


def missing_notebook(course, student):
    folder(course, student)  # the folder is there, empty


def renamed_notebook(course, student):
    path = submit(course, student)
    path.rename(path.with_name(f"{ASSIGNMENT} (1).ipynb"))


def extra_notebooks(course, student):
    path = submit(course, student)
    (path.parent / f"{ASSIGNMENT}-Copy1.ipynb").write_bytes(path.read_bytes())
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]),
                   path.parent / "scratch.ipynb")


def deleted_solution(course, student):
    def drop(nb):
        del nb.cells[index_of(nb, "linear_forward")]
    submit(course, student, transform=drop)


def solution_moved_to_new_cell(course, student):
    def move(nb):
        i = index_of(nb, "linear_forward")
        nb.cells[i] = nbformat.v4.new_code_cell(nb.cells[i].source)  # same code, a plain cell without metadata
    submit(course, student, transform=move)


def deleted_locked_cells(course, student):
    def drop(nb):
        del nb.cells[index_of(nb, "test_linear_forward")]
        del nb.cells[index_of(nb, "md_07")]
    submit(course, student, transform=drop)


def duplicated_solution(course, student):
    wrong = answer(course, "linear_forward", replace=("np.dot(W, A) + b", "np.dot(W, A) - b"))

    def duplicate(nb):
        i = index_of(nb, "linear_forward")
        second = copy.deepcopy(nb.cells[i])
        second.source, second.id = wrong, "duplicated-by-student"
        nb.cells.insert(i + 1, second)
    submit(course, student, transform=duplicate)


def solution_as_markdown(course, student):
    def to_markdown(nb):
        i = index_of(nb, "linear_forward")
        cell = nb.cells[i]
        md = nbformat.v4.new_markdown_cell(cell.source, metadata=copy.deepcopy(cell.metadata))
        md.id = cell.id
        nb.cells[i] = md
    submit(course, student, transform=to_markdown)


def changed_metadata(course, student):
    def tamper(nb):
        nb.cells[index_of(nb, "test_linear_forward")].metadata.nbgrader.points = 100
        nb.cells[index_of(nb, "linear_forward")].metadata.nbgrader.grade = True
        del nb.cells[index_of(nb, "test_linear_backward")].metadata.nbgrader["locked"]
    submit(course, student, transform=tamper)


def edited_test_cell(course, student):
    def edit(nb):
        nb.cells[index_of(nb, "test_linear_forward")].source = "pass"
    submit(course, student, transform=edit)


def changed_kernelspec(course, student):
    def kernel(nb):
        nb.metadata.kernelspec = {"name": "ir", "display_name": "R", "language": "R"}
    submit(course, student, transform=kernel)


def syntax_error(course, student):
    submit(course, student, answers={"linear_forward": answer(course, "linear_forward", after="def oops(:\n    pass")})


BINARY_MARK = "@@RAW-BYTES@@"


def garbage_and_huge(course, student):
    def add(nb):
        controls = "".join(chr(i) for i in range(32)) + "\u200b\u202e\ufeff\U0001f600" + BINARY_MARK
        nb.cells.insert(1, nbformat.v4.new_markdown_cell("cat picture " * (5 * 1024**2 // 12)))  # 5 MB
        nb.cells.insert(2, nbformat.v4.new_markdown_cell(controls))
        nb.cells.insert(3, nbformat.v4.new_code_cell("x = 1  # \x00\x07 a NUL byte"))
        nb.cells.insert(4, nbformat.v4.new_code_cell("# " + "y" * 2 * 1024**2 + "\nz = 2"))  # a 2 MB line
    path = submit(course, student, transform=add)
    # bytes that are not UTF-8 at all, inside a JSON string
    path.write_bytes(path.read_bytes().replace(BINARY_MARK.encode(), bytes(range(0x80, 0x100))))


def over_20_mb(course, student):
    def add(nb):
        nb.cells.insert(1, nbformat.v4.new_markdown_cell("x" * (21 * 1024**2)))
    submit(course, student, transform=add)


def unknown_grade_id(course, student):
    def add(nb):
        cell = nbformat.v4.new_code_cell('print("extra credit")')
        cell.metadata.nbgrader = {"grade": True, "grade_id": "test_fake", "locked": True, "points": 1000,
                                  "schema_version": 3, "solution": False, "task": False}
        nb.cells.insert(index_of(nb, "test_update_parameters") + 1, cell)
    submit(course, student, transform=add)


def symlink_to_system_file(course, student):
    (folder(course, student) / NOTEBOOK).symlink_to("/etc/passwd")


def symlink_to_classmate(course, student):
    # relative, as it would come out of an archive: ../../<clean>/step_by_step/step_by_step.ipynb
    (folder(course, student) / NOTEBOOK).symlink_to(Path("..", "..", CLEAN, ASSIGNMENT, NOTEBOOK))


def symlink_to_teachers_source(course, student):
    # the instructor's own notebook, solutions and hidden tests included: course/source/step_by_step/
    (folder(course, student) / NOTEBOOK).symlink_to(Path("..", "..", "..", "source", ASSIGNMENT, NOTEBOOK))


def symlinked_assignment_folder(course, student):
    (course.root / "submitted" / student).mkdir(parents=True)
    (course.root / "submitted" / student / ASSIGNMENT).symlink_to(Path("..", CLEAN, ASSIGNMENT))


# notebook-shaped JSON whose fields have the wrong types
def kernelspec_not_a_dict(course, student):
    def kernel(nb):
        nb.metadata.kernelspec = "python3"
    submit(course, student, transform=kernel)


def nbgrader_metadata_not_a_dict(course, student):
    def tamper(nb):
        nb.cells[index_of(nb, "linear_forward")].metadata.nbgrader = "linear_forward"
    submit(course, student, transform=tamper)


def grade_id_not_a_string(course, student):
    def add(nb):
        cell = nbformat.v4.new_code_cell('print("hello")')
        cell.metadata.nbgrader = {"grade_id": ["test_fake"], "grade": True, "points": 5}
        nb.cells.append(cell)
    submit(course, student, transform=add)


def deeply_nested_json(course, student):
    (folder(course, student) / NOTEBOOK).write_text('{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}")


CLEAN = "s00_clean"
CASES = {
    CLEAN: lambda course, student: submit(course, student),
    "s01_corrupt_json": corrupt_json,
    "s02_json_not_notebook": json_not_notebook,
    "s03_nbformat3": old_nbformat,
    "s04_missing": missing_notebook,
    "s05_renamed": renamed_notebook,
    "s06_extra_notebooks": extra_notebooks,
    "s07_deleted_solution": deleted_solution,
    "s08_solution_in_new_cell": solution_moved_to_new_cell,
    "s09_deleted_locked": deleted_locked_cells,
    "s10_duplicated": duplicated_solution,
    "s11_markdown": solution_as_markdown,
    "s12_metadata": changed_metadata,
    "s13_edited_test": edited_test_cell,
    "s14_kernelspec": changed_kernelspec,
    "s15_syntax_error": syntax_error,
    "s16_garbage_huge": garbage_and_huge,
    "s17_over_20mb": over_20_mb,
    "s18_unknown_grade_id": unknown_grade_id,
    "s19a_symlink_passwd": symlink_to_system_file,
    "s19b_symlink_classmate": symlink_to_classmate,
    "s19c_symlink_source": symlink_to_teachers_source,
    "s19d_symlink_folder": symlinked_assignment_folder,
    "s20a_kernelspec_str": kernelspec_not_a_dict,
    "s20b_nbgrader_str": nbgrader_metadata_not_a_dict,
    "s20c_grade_id_list": grade_id_not_a_string,
    "s20d_deep_json": deeply_nested_json,
}


SHARED_FEEDBACK = ()  # no feedback page is read here


@contextlib.contextmanager
def dnnkit_submissions(course):
    """One student per case, for the course shared_courses.py grades with `dnnkit grade` (twice)."""
    for student, make in CASES.items():
        make(course, student)
    yield {}


@dataclass
class Run:
    course: object
    shared: object
    first: object
    second: object
    rows: dict[str, dict[str, str]]
    raw_rows: list[list[str]]
    csv_first: bytes
    csv_second: bytes


@pytest.fixture(scope="module")
def run(dnnkit_graded) -> Run:
    csv_first = dnnkit_graded.raw(f"grades-{ASSIGNMENT}.csv")
    raw_rows = list(csv.reader(io.StringIO(csv_first.decode(), newline="")))
    return Run(dnnkit_graded.course, dnnkit_graded, dnnkit_graded.run(f"grade-{ASSIGNMENT}"),
               dnnkit_graded.run(f"grade-{ASSIGNMENT}-again"), read_grades(dnnkit_graded.course), raw_rows,
               csv_first, dnnkit_graded.raw(f"grades-{ASSIGNMENT}-again.csv"))


def row(run: Run, student: str) -> dict[str, str]:
    assert student in run.rows, f"no row for {student}:\n{run.first.stdout}\n{run.first.stderr[-3000:]}"
    return run.rows[student]


def flags(run: Run, student: str) -> list[str]:
    text = row(run, student)["flags"]
    return text.split(" | ") if text else []


def check(run: Run, student: str, points: dict[str, float], status: str, *flag_parts: str) -> list[str]:
    """The row's exact points, status and max score, each `flag_parts` item in one flag, no grader error."""
    r, found = row(run, student), flags(run, student)
    described = f"{student}: {r}"
    assert not [f for f in found if f.startswith("grader error")], described
    assert scores(r, NAMES) == points, described
    assert float(r["score"]) == sum(points.values()), described
    assert float(r["max_score"]) == 10 * len(NAMES), described
    assert r["status"] == status, described
    for part in flag_parts:
        assert any(part in f for f in found), f"no flag containing {part!r}: {found}"
    return found


# -- the run as a whole ----------------------------------------------------------------------------------------

def test_exit_code_zero(run):
    assert run.first.returncode == 0, run.first.stdout + run.first.stderr[-5000:]


def test_every_student_has_exactly_one_row(run):
    header, *body = run.raw_rows
    assert header == ["student_id", *NAMES, "timestamp", "raw_score", "late_submission_penalty", "score", "max_score",
                      "status", "flags", "diagnoses", "not_attempted"]
    assert run.shared.students(__name__) == sorted(CASES)
    assert sorted(r[0] for r in body) == run.shared.everyone()  # the shared course's other students too
    assert all(len(r) == len(header) for r in body)
    assert all(r["status"] in ("graded", "incomplete", "missing") for r in run.rows.values())


def test_clean_submission_full_marks_no_flags(run):
    assert check(run, CLEAN, FULL, "graded") == []


def test_second_run_resumes_and_changes_nothing(run):
    assert run.second.returncode == 0, run.second.stdout + run.second.stderr[-5000:]
    skipped = [line for line in run.second.stdout.splitlines() if "already graded" in line]
    assert len(skipped) == len(run.shared.everyone()), run.second.stdout
    assert run.csv_second == run.csv_first


# -- one test per case -----------------------------------------------------------------------------------------

def test_01_corrupt_json(run):
    check(run, "s01_corrupt_json", ZERO, "incomplete", "not valid JSON")


def test_02_json_but_not_a_notebook(run):
    check(run, "s02_json_not_notebook", ZERO, "incomplete", "not a notebook")


def test_03_nbformat_3_is_converted(run):
    found = check(run, "s03_nbformat3", FULL, "graded", "nbformat 3")
    assert len(found) == 1, found  # conversion alone: no cell reported edited or changed


def test_04_missing_notebook(run):
    check(run, "s04_missing", ZERO, "missing", NOTEBOOK)


def test_05_renamed_notebook(run):
    check(run, "s05_renamed", FULL, "graded", f"{ASSIGNMENT} (1).ipynb")


def test_06_extra_notebooks(run):
    found = check(run, "s06_extra_notebooks", FULL, "graded", "extra notebook")
    extra = next(f for f in found if "extra notebook" in f)
    assert "scratch.ipynb" in extra and f"{ASSIGNMENT}-Copy1.ipynb" in extra, extra


def test_07_deleted_solution_cell(run):
    # linear_activation_forward replays linear_forward, so only linear_forward's points are lost
    check(run, "s07_deleted_solution", full_but(linear_forward=0), "graded", "solution cell linear_forward")


def test_08_deleted_solution_defined_elsewhere(run):
    check(run, "s08_solution_in_new_cell", FULL, "graded", "linear_forward")


def test_09_deleted_locked_cells_restored(run):
    check(run, "s09_deleted_locked", FULL, "graded", "test_linear_forward", "md_07")
    nb = executed_notebook(run.course, "s09_deleted_locked")
    assert [grade_id(c) for c in nb.cells].count("test_linear_forward") == 1
    assert [grade_id(c) for c in nb.cells].count("md_07") == 1


def test_10_duplicated_solution_first_copy_graded(run):
    check(run, "s10_duplicated", FULL, "graded", "duplicated")


def test_11_solution_changed_to_markdown(run):
    check(run, "s11_markdown", FULL, "graded", "markdown")
    nb = executed_notebook(run.course, "s11_markdown")
    assert nb.cells[index_of(nb, "linear_forward")].cell_type == "code"


def test_12_changed_nbgrader_metadata_restored(run):
    found = check(run, "s12_metadata", FULL, "graded", "test_linear_forward", "test_linear_backward")
    assert any("linear_forward" in f and "test_linear_forward" not in f for f in found), found
    nb = executed_notebook(run.course, "s12_metadata")
    assert nb.cells[index_of(nb, "test_linear_forward")].metadata.nbgrader.points == 10
    assert nb.cells[index_of(nb, "linear_forward")].metadata.nbgrader.grade is False
    assert nb.cells[index_of(nb, "test_linear_backward")].metadata.nbgrader.locked is True


def test_13_edited_locked_test_cell_restored(run):
    check(run, "s13_edited_test", FULL, "graded", "test_linear_forward")
    nb = executed_notebook(run.course, "s13_edited_test")
    assert nb.cells[index_of(nb, "test_linear_forward")].source.startswith("check_public(")


def test_14_changed_kernelspec(run):
    check(run, "s14_kernelspec", FULL, "graded", "kernelspec", "'ir'")


def test_15_syntax_error_costs_its_function_only(run):
    check(run, "s15_syntax_error", full_but(linear_forward=0), "graded")
    nb = executed_notebook(run.course, "s15_syntax_error")
    outputs = nb.cells[index_of(nb, "linear_forward")].outputs
    assert any(o.output_type == "error" and o.ename == "SyntaxError" for o in outputs), outputs


def test_16_garbage_and_huge_cells(run):
    check(run, "s16_garbage_huge", FULL, "graded")  # how fast: test_16_garbage_and_huge_cells_graded_quickly


def test_17_over_20_mb(run):
    check(run, "s17_over_20mb", ZERO, "incomplete", "20 MB")


def test_18_unknown_grade_id_is_an_ordinary_cell(run):
    check(run, "s18_unknown_grade_id", FULL, "graded", "test_fake")
    nb = executed_notebook(run.course, "s18_unknown_grade_id")
    assert "test_fake" not in [grade_id(c) for c in nb.cells]


def test_19a_symlink_to_system_file_is_not_followed(run):
    # a notebook that is a link out of the student's own folder is not the student's work: not read, not graded
    found = check(run, "s19a_symlink_passwd", ZERO, "incomplete", "link")
    assert not any("JSON" in f for f in found), found  # the target was not even read


def test_19b_symlink_to_classmate_is_not_graded(run):
    # otherwise a student gets a classmate's marks by linking to their notebook
    check(run, "s19b_symlink_classmate", ZERO, "incomplete", "link")


def test_19c_symlink_to_teachers_notebook_is_not_graded(run):
    # followed, it would earn full marks and put the instructor's solutions into autograded/ and the feedback
    check(run, "s19c_symlink_source", ZERO, "incomplete", "link")
    path = run.course.root / "autograded" / "s19c_symlink_source" / ASSIGNMENT / NOTEBOOK
    assert not path.exists() or "BEGIN SOLUTION" not in path.read_text()


def test_19d_symlinked_assignment_folder_is_not_graded(run):
    check(run, "s19d_symlink_folder", ZERO, "incomplete", "link")


def test_20a_kernelspec_not_a_mapping(run):
    check(run, "s20a_kernelspec_str", FULL, "graded", "kernelspec")


def test_20b_nbgrader_metadata_not_a_mapping(run):
    # the cell's nbgrader metadata is garbage, its code is right: it is graded, whether restored or as ordinary
    check(run, "s20b_nbgrader_str", FULL, "graded", "linear_forward")


def test_20c_grade_id_not_a_string(run):
    check(run, "s20c_grade_id_list", FULL, "graded", "grade id")


def test_20d_deeply_nested_json(run):
    check(run, "s20d_deep_json", ZERO, "incomplete", "nothing could be graded")


# -- special files, each graded alone (--student) in a second course: one of them stops the whole run ------------

@pytest.fixture(scope="module")
def side_course(tmp_path_factory):
    return grading_course(tmp_path_factory.mktemp("side") / "course")


def grade_alone(course, student: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    try:
        done = dnnkit_grade(course, ASSIGNMENT, "--student", student, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"dnnkit grade --student {student} still running after {timeout:g} s: it hangs")
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    return done, read_grades(course).get(student)


def test_16_garbage_and_huge_cells_graded_alone(side_course):
    # graded alone: the main run grades several submissions at once; a hang is bounded by grade_alone's timeout
    garbage_and_huge(side_course, "garbage")
    _, r = grade_alone(side_course, "garbage")
    assert r is not None and scores(r, NAMES) == FULL and r["status"] == "graded", r


def test_21_fifo_named_like_the_notebook_does_not_hang(side_course):
    # a named pipe without a writer: whoever opens it to read waits forever
    os.mkfifo(folder(side_course, "fifo") / NOTEBOOK)
    _, r = grade_alone(side_course, "fifo", timeout=30)  # nothing to run: a few seconds when it works
    assert r is not None and scores(r, NAMES) == ZERO and r["status"] in ("missing", "incomplete"), r


def test_22_file_name_not_utf8_does_not_crash(side_course):
    # names from an archive made on another system may not decode; the notebook beside it is fine
    path = submit(side_course, "badname")
    with open(os.path.join(os.fsencode(path.parent), b"notes-\xff\xfe.ipynb"), "wb") as handle:
        handle.write(b"{}")
    _, r = grade_alone(side_course, "badname")
    assert r is not None and scores(r, NAMES) == FULL and r["status"] == "graded", r
    assert "extra notebook" in r["flags"], r


def test_23_folder_named_like_a_notebook_does_not_crash(side_course):
    path = submit(side_course, "dirnb")
    (path.parent / "old.ipynb").mkdir()
    (path.parent / "old.ipynb" / "x.txt").write_text("x")
    _, r = grade_alone(side_course, "dirnb")
    assert r is not None and scores(r, NAMES) == FULL and r["status"] == "graded", r
