"""Intake (dnnkit/grading/intake.py): the submitted notebook found, read and put right by nbgrader's sanitize
steps checked against the release, each finding one flag; tested on notebooks made here, without running them.
The end-to-end view of the same cases (and the scores they get) is tests/test_broken_submissions.py."""
from __future__ import annotations

import copy
import json

import nbformat
import pytest
from nbgrader.preprocessors import CheckCellMetadata, DeduplicateIds

from dnnkit.course import Course
from dnnkit.grading.intake import Release, repaired, take_in
from dnnkit.grading.records import Status
from dnnkit.grading.released import cell_version, versions
from dnnkit.own_outputs import TAG
from dnnkit.submissions import solved_notebook

ASSIGNMENT = "step_by_step"


@pytest.fixture(scope="module")
def release(repo_root) -> Release:
    notebook = nbformat.read(repo_root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    return Release(ASSIGNMENT, notebook, {gid: {version} for gid, version in versions(notebook).items()})


@pytest.fixture()
def solved(repo_root):
    return solved_notebook(Course(repo_root), ASSIGNMENT)


def gid(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def at(nb, grade_id: str) -> int:
    return next(i for i, cell in enumerate(nb.cells) if gid(cell) == grade_id)


def grade_ids(nb) -> list:
    return [gid(cell) for cell in nb.cells if gid(cell)]


def test_a_clean_submission_comes_out_as_it_went_in_without_a_flag(release, solved):
    nb, flags = repaired(copy.deepcopy(solved), release)
    assert flags == []
    assert [(c.cell_type, c.source) for c in nb.cells] == [(c.cell_type, c.source) for c in solved.cells]
    assert grade_ids(nb) == grade_ids(release.notebook)
    CheckCellMetadata().preprocess(nb, {})  # nbgrader's own check passes
    nbformat.validate(nb)


def test_deleted_locked_cells_come_back_where_they_were_released(release, solved):
    del solved.cells[at(solved, "test_linear_forward")]
    del solved.cells[at(solved, "md_07")]
    nb, flags = repaired(solved, release)
    assert flags == ["locked cell md_07 was deleted; restored", "locked cell test_linear_forward was deleted; restored"]
    assert grade_ids(nb) == grade_ids(release.notebook)
    assert nb.cells[at(nb, "test_linear_forward")].source == release.notebook.cells[
        at(release.notebook, "test_linear_forward")].source


def test_a_deleted_solution_comes_back_as_the_stub_unless_another_cell_defines_it(release, solved):
    gone = copy.deepcopy(solved)
    del gone.cells[at(gone, "linear_forward")]
    nb, flags = repaired(gone, release)
    assert flags == ["solution cell linear_forward was deleted"]
    assert "raise NotImplementedError" in nb.cells[at(nb, "linear_forward")].source
    moved = copy.deepcopy(solved)
    i = at(moved, "linear_forward")
    moved.cells[i] = nbformat.v4.new_code_cell(moved.cells[i].source)  # the same code in a cell of the student's
    nb, flags = repaired(moved, release)
    assert flags == ["solution cell linear_forward was deleted; graded the cell that defines linear_forward"]
    assert "linear_forward" not in grade_ids(nb) and nb.cells[i].source == solved.cells[i].source


def test_of_two_copies_of_a_cell_the_first_is_graded_and_the_other_dropped(release, solved):
    i = at(solved, "linear_forward")
    second = copy.deepcopy(solved.cells[i])
    second.source, second.id = "def linear_forward(A, W, b):\n    return 'PASTED COPY'\n", "pasted"
    solved.cells.insert(i + 1, second)
    stock, _ = DeduplicateIds().preprocess(copy.deepcopy(solved), {})
    assert gid(stock.cells[i + 1]) == "linear_forward" and not gid(stock.cells[i])  # landed: nbgrader grades the copy
    nb, flags = repaired(solved, release)
    assert flags == ["cell linear_forward is duplicated; the first copy was graded"]
    assert "PASTED COPY" not in json.dumps(nb) and grade_ids(nb) == grade_ids(release.notebook)


def test_changed_metadata_is_restored_and_flagged_unless_a_release_had_it(release, solved):
    solved.cells[at(solved, "test_linear_forward")].metadata.nbgrader.points = 100
    solved.cells[at(solved, "linear_forward")].metadata.nbgrader.grade = True
    nb, flags = repaired(copy.deepcopy(solved), release)
    assert flags == ["cell linear_forward: nbgrader metadata changed; restored",
                     "cell test_linear_forward: nbgrader metadata changed; restored"]
    assert nb.cells[at(nb, "test_linear_forward")].metadata.nbgrader.points == 10
    assert nb.cells[at(nb, "linear_forward")].metadata.nbgrader.grade is False
    earlier = copy.deepcopy(release)  # an earlier release gave the test 100 points: not the student's doing
    cell = solved.cells[at(solved, "test_linear_forward")]
    earlier.versions["test_linear_forward"].add(cell_version(cell.source, cell.metadata.nbgrader))
    _, flags = repaired(copy.deepcopy(solved), earlier)
    assert flags == ["cell linear_forward: nbgrader metadata changed; restored"]


def test_an_edited_locked_cell_is_restored_by_nbgraders_checksum_and_flagged_unless_released(release, solved):
    solved.cells[at(solved, "test_linear_forward")].source = "pass"
    nb, flags = repaired(copy.deepcopy(solved), release)
    assert flags == ["locked cell test_linear_forward was edited; restored"]
    assert nb.cells[at(nb, "test_linear_forward")].source.startswith("check_public(")
    earlier = copy.deepcopy(release)
    earlier.versions["test_linear_forward"].add(cell_version("pass", None))
    nb, flags = repaired(copy.deepcopy(solved), earlier)
    assert flags == [] and nb.cells[at(nb, "test_linear_forward")].source.startswith("check_public(")


def test_a_solution_turned_markdown_is_code_again(release, solved):
    i = at(solved, "linear_forward")
    cell = solved.cells[i]
    solved.cells[i] = nbformat.v4.new_markdown_cell(cell.source, metadata=copy.deepcopy(cell.metadata))
    nb, flags = repaired(solved, release)
    assert flags == ["cell linear_forward was changed to markdown; restored as code"]
    assert nb.cells[i].cell_type == "code" and nb.cells[i].source == cell.source


def test_unknown_and_malformed_nbgrader_metadata_make_ordinary_cells(release, solved):
    fake = nbformat.v4.new_code_cell('print("extra credit")')
    fake.metadata.nbgrader = {"grade": True, "grade_id": "test_fake", "locked": True, "points": 1000,
                              "schema_version": 3, "solution": False, "task": False}
    listed = nbformat.v4.new_code_cell("x = 1")
    listed.metadata.nbgrader = {"grade_id": ["test_fake"], "grade": True, "points": 5}
    solved.cells += [fake, copy.deepcopy(fake), listed]  # two copies of an unknown cell: both are the student's
    nb, flags = repaired(solved, release)
    assert flags == ["a cell's nbgrader metadata or grade id is malformed; treated as an ordinary cell",
                     *["cell with unknown grade id 'test_fake' kept as an ordinary cell"] * 2]
    assert [dict(cell.metadata) for cell in nb.cells[-3:]] == [{}, {}, {}]
    CheckCellMetadata().preprocess(nb, {})


def test_cells_keep_only_what_a_cell_may_have(release, solved):
    solved.cells += [{"cell_type": "code"}, "not a cell", {"cell_type": "heading", "source": "x"}]
    mine = nbformat.v4.new_markdown_cell("![x](attachment:x.png)", attachments={"x.png": {"image/png": "AAAA"}})
    mine.metadata.whatever = {"a": 1}
    solved.cells.append(mine)
    nb, flags = repaired(solved, release)
    assert flags.count("a cell of unknown type or with a non-text source was dropped") == 1
    assert flags.count("a cell that is not a JSON object was dropped") == 1
    assert "attachments" not in nb.cells[-1] and nb.cells[-1].metadata == {}
    assert nb.cells[-2].source == ""  # the code cell without a source: an empty one


def test_own_outputs_are_kept_for_a_tagged_ordinary_cell_only(release, solved):
    tagged = nbformat.v4.new_code_cell("train()", outputs=[nbformat.v4.new_output("stream", text="MINE\n")])
    tagged.metadata.tags = [TAG, "other"]
    untagged = nbformat.v4.new_code_cell("x = 2", outputs=[nbformat.v4.new_output("stream", text="FAKE\n")])
    graded = solved.cells[at(solved, "test_linear_forward")]
    graded.metadata.tags = [TAG]
    graded.outputs = [nbformat.v4.new_output("stream", text="FAKE GRADED\n")]
    solved.cells += [tagged, untagged]
    nb, _ = repaired(solved, release)
    assert nb.cells[-2].metadata.tags == [TAG] and nb.cells[-2].outputs[0].text == "MINE\n"
    assert nb.cells[-1].outputs == [] and "FAKE" not in json.dumps(nb)


@pytest.mark.parametrize("kernelspec, flag", [
    ({"name": "ir", "display_name": "R"}, "kernelspec changed to 'ir'; graded with the course's python3"),
    ("python3", "kernelspec metadata is malformed; graded with the course's python3"),
])
def test_the_notebooks_metadata_is_the_releases(release, solved, kernelspec, flag):
    solved.metadata.kernelspec = kernelspec
    solved.metadata.anything = "of the student's"
    nb, flags = repaired(solved, release)
    assert flags == [flag] and nb.metadata == release.notebook.metadata


# -- finding and reading -------------------------------------------------------------------------------------

def write(folder, name: str, data) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else nbformat.writes(data).encode())


def test_the_notebook_is_found_however_it_is_named(tmp_path, release, solved):
    write(tmp_path / "a", f"{ASSIGNMENT} (1).ipynb", solved)
    write(tmp_path / "a", "scratch.ipynb", nbformat.v4.new_notebook())
    taken = take_in(tmp_path / "a", release)
    assert taken.status is Status.GRADED and taken.path.name == f"{ASSIGNMENT} (1).ipynb"
    assert taken.flags == [f"notebook renamed: graded {ASSIGNMENT} (1).ipynb instead of {ASSIGNMENT}.ipynb",
                           "extra notebook(s) ignored: scratch.ipynb"]


@pytest.mark.parametrize("data, status, flag", [
    (b'{"cells": [', Status.INCOMPLETE, "is not valid JSON"),
    (b'{"name": "homework"}', Status.INCOMPLETE, "JSON but not a notebook"),
    (b'{"cells": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", Status.INCOMPLETE, "nested too deeply"),
])
def test_what_cannot_be_read_says_why_and_runs_nothing(tmp_path, release, data, status, flag):
    write(tmp_path / "a", f"{ASSIGNMENT}.ipynb", data)
    taken = take_in(tmp_path / "a", release)
    assert taken.notebook is None and taken.status is status and flag in " ".join(taken.flags)


def test_links_are_never_followed(tmp_path, release, solved):
    write(tmp_path / "real", f"{ASSIGNMENT}.ipynb", solved)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / f"{ASSIGNMENT}.ipynb").symlink_to(tmp_path / "real" / f"{ASSIGNMENT}.ipynb")
    (tmp_path / "b").symlink_to(tmp_path / "real")
    assert take_in(tmp_path / "real", release).status is Status.GRADED  # landed: the target is a good submission
    linked, folder = take_in(tmp_path / "a", release), take_in(tmp_path / "b", release)
    assert (linked.notebook, linked.status) == (None, Status.INCOMPLETE)
    assert "links are never followed" in linked.flags[0]
    assert (folder.notebook, folder.status) == (None, Status.INCOMPLETE)
    assert take_in(tmp_path / "none", release).status is Status.MISSING


def test_an_old_notebook_format_is_converted_without_other_findings(tmp_path, release, solved):
    write(tmp_path / "a", f"{ASSIGNMENT}.ipynb", nbformat.writes(nbformat.convert(solved, 3), version=3).encode())
    taken = take_in(tmp_path / "a", release)
    assert taken.flags == [f"{ASSIGNMENT}.ipynb is in nbformat 3; converted to nbformat 4"]


@pytest.mark.slow
def test_a_restored_test_cell_is_the_released_one_never_the_gradebooks_with_its_hidden_test(tmp_path, solved):
    """nbgrader's own OverwriteCells, asked to add missing cells, takes them from the gradebook, which holds the
    test cells as the instructor wrote them, hidden tests included; intake's never brings those into a notebook
    that runs in the sandbox."""
    from nbgrader.preprocessors import OverwriteCells

    from grading_support import grading_course

    course = grading_course(tmp_path / "course")
    config = nbformat.read(course.notebook(ASSIGNMENT, "source"), as_version=4)
    hidden = next(c.source for c in config.cells if gid(c) == "test_linear_forward")
    assert "HIDDEN" in hidden  # the instructor's test cell has a hidden test
    del solved.cells[at(solved, "test_linear_forward")]
    stock = OverwriteCells(add_missing_cells=True)
    url = f"sqlite:///{course.root / 'gradebook.db'}"
    resources = {"nbgrader": {"notebook": ASSIGNMENT, "assignment": ASSIGNMENT, "db_url": url}}
    nb, _ = stock.preprocess(copy.deepcopy(solved), resources)
    assert "check_hidden" in nb.cells[at(nb, "test_linear_forward")].source  # landed: nbgrader's brings it back
    ours, _ = repaired(solved, Release.of(course, ASSIGNMENT))
    assert "check_hidden" not in json.dumps(ours)
