"""What students get: the data with the application (release, nbgrader exchange), a student install without the
grading stack, `dnnkit study` (never overwriting a learner's file) and `dnnkit check` (the hidden checks of
`dnnkit grade`, for a learner's own notebook), and a README whose student paths never lead into release/."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from packaging.markers import default_environment
from packaging.requirements import Requirement

from conftest import REPO, make_course_copy
from dnnkit.cases import FUNCTIONS
from dnnkit.cli import main
from dnnkit.course import DATASET_FILES, Course
from dnnkit.datasets import build_standin
from dnnkit.mistakes import BY_NAME
from dnnkit.nbgrader_cli import nbgrader
from dnnkit.submissions import solved_notebook

COURSE_ID = "dnn-forward-backward"  # nbgrader_config.py's
# requirements.txt's and requirements-test.txt's packages a student never needs: grading past one machine, the
# PostgreSQL gradebook, the sandbox's system-call filter, the feedback sanitizer, the test and browser tools
GRADING_STACK = {"distributed", "dask", "psycopg", "psycopg-binary", "psycopg2", "pyseccomp", "playwright", "pytest",
                 "threadpoolctl", "bleach"}


def _requirements(path: Path) -> list[Requirement]:
    """The package requirements of a requirements file (its -r and -e lines left out)."""
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


# ---------------------------------------------------------------------------------------------
# The student install
# ---------------------------------------------------------------------------------------------
def test_the_student_requirements_hold_the_notebooks_packages_and_nothing_for_grading():
    text = (REPO / "requirements-student.txt").read_text()
    assert not re.search(r"^\s*-", text, re.M), "no -r/-e lines: a student has neither the kit nor its other lists"
    wanted = {_name(r.name): r for r in _requirements(REPO / "requirements-student.txt")}
    assert {"jupyterlab", "nbgrader", "numpy", "h5py", "matplotlib", "tqdm"} <= set(wanted)
    assert not set(wanted) & GRADING_STACK
    # the same versions as the instructor's, so what runs for the instructor runs for students
    instructor = {_name(r.name): r for r in _requirements(REPO / "requirements.txt")}
    for name, requirement in wanted.items():
        assert str(requirement.specifier) == str(instructor[name].specifier), name


def test_nothing_of_the_grading_stack_comes_in_with_the_student_packages():
    """The packages the student requirements pull in, followed through the installed packages' own metadata."""
    environment = {**default_environment(), "extra": ""}
    todo = [_name(r.name) for r in _requirements(REPO / "requirements-student.txt")]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate(environment):
                todo.append(_name(requirement.name))
    assert {"jupyterlab", "nbgrader", "ipykernel", "nbconvert"} <= seen
    assert not seen & (GRADING_STACK - {"bleach"}), seen & GRADING_STACK  # nbconvert itself needs bleach


def test_nbgrader_and_jupyterlab_start_without_building_iri_parsers():
    """jsonschema>=4.25 imports rfc3987-syntax, which builds its parsers at import: 2.9 s of CPU in every nbgrader
    command, `dnnkit` command and JupyterLab server here. The pinned jsonschema does not import it, in the
    modules those processes load (nbgrader's app, nbformat's validator, JupyterLab's event schemas)."""
    code = ("import sys, importlib.metadata, jsonschema, nbgrader.apps.nbgraderapp, nbformat.validator, "
            "jupyter_events.validators; print('rfc3987_syntax' in sys.modules, importlib.metadata.version('jsonschema'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded, version = done.stdout.split()
    pinned = {_name(r.name): r for r in _requirements(REPO / "requirements.txt")}["jsonschema"]
    assert loaded == "False", f"jsonschema {version} imported rfc3987_syntax: its parsers are built in every process"
    assert version in pinned.specifier, f"jsonschema {version} is installed, requirements.txt asks for {pinned}"


def test_make_student_needs_no_root():
    makefile = (REPO / "Makefile").read_text()
    rule = re.search(r"^student:(.*)\n((?:\t.*\n)+)", makefile, re.M)
    assert rule, "no `student` target in the Makefile"
    prerequisites, recipe = rule.group(1), rule.group(2)
    assert "deps" not in prerequisites and "installed" not in prerequisites  # neither apt nor the full stack
    assert "apt" not in recipe and "sudo" not in recipe
    assert "-r requirements-student.txt" in recipe and not re.search(r"-r requirements(-test)?\.txt", recipe)


def test_the_readme_sends_students_to_their_own_copies_never_into_release():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## For students", 1)[1].split("\n## ", 1)[0]
    assert "release/" not in section  # dnnkit release regenerates it: a student's work there would be lost
    for needed in ("requirements-student.txt", "make student", "dnnkit study", "dnnkit check", "study/",
                   "fetch", "Validate"):
        assert needed in section, needed


# ---------------------------------------------------------------------------------------------
# dnnkit release: the data go with the application, checked first
# ---------------------------------------------------------------------------------------------
def test_the_data_next_to_a_released_notebook_and_study_are_never_committed():
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    def ignored(path: str) -> bool:
        return subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", "--no-index", path]).returncode == 0

    for path in ("release/application/train_catvnoncat.h5", "release/application/test_catvnoncat.h5",
                 "study/step_by_step/step_by_step.ipynb"):
        assert ignored(path), f"{path} is not git-ignored"
    assert not ignored("release/application/app_helpers.py")


@pytest.fixture
def course(tmp_path, monkeypatch) -> Course:
    root = make_course_copy(tmp_path / "course")
    monkeypatch.setenv("DNNKIT_COURSE_ROOT", str(root))
    return Course(root)


def test_release_refuses_a_broken_pair_before_releasing_anything(course, tmp_path, capsys):
    build_standin(tmp_path / "standin")
    shutil.copy(tmp_path / "standin" / DATASET_FILES[0], course.datasets)  # the test file is missing
    before = {p: p.read_bytes() for p in course.release("application").iterdir()}
    assert main(["release", "application"]) == 2
    error = capsys.readouterr().err.strip()
    assert error == ('dnnkit release: error: datasets/test_catvnoncat.h5: missing while train_catvnoncat.h5 is '
                     'present; copy the course\'s file there ("dnnkit data --course-files DIR"), or run "dnnkit data '
                     '--force" to build a stand-in pair; nothing was released')
    assert {p: p.read_bytes() for p in course.release("application").iterdir()} == before


# ---------------------------------------------------------------------------------------------
# dnnkit study
# ---------------------------------------------------------------------------------------------
def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_study_copies_both_assignments_and_never_overwrites(course, capsys):
    study = course.root / "study"
    steps = len(_tree(course.release("step_by_step")))  # the release's files (others may add some)
    apps = len(_tree(course.release("application"))) + len(DATASET_FILES)  # and the data, from datasets/
    assert main(["study", "--no-lab"]) == 0
    out = capsys.readouterr().out
    # no data anywhere (a clone): a stand-in is built in datasets/, as `dnnkit data` does, and copied
    assert "built a STAND-IN" in out
    assert f"study/: added step_by_step/ (all {steps} files), application/ (all {apps} files)\n" in out
    for assignment in FUNCTIONS:
        release = _tree(course.release(assignment))
        copied = _tree(study / assignment)
        assert {name: copied[name] for name in release} == release
    for name in DATASET_FILES:
        assert (study / "application" / name).read_bytes() == (course.datasets / name).read_bytes()

    # the learner works; then a new release changes the notebook and adds a file
    mine = study / "step_by_step" / "step_by_step.ipynb"
    nb = nbformat.read(mine, as_version=4)
    nb.cells[0].source += "\n\nMy own notes."
    nbformat.write(nb, mine)
    (study / "application" / "app_helpers.py").write_text("# my own helpers\n")
    (study / "application" / "cat_data.py").unlink()  # deleted: the release's comes back
    released = course.notebook("step_by_step", "release")
    released.write_text(released.read_text().replace("forward", "forwards", 1))
    (course.release("step_by_step") / "new_helper.py").write_text("X = 1\n")
    learner = _tree(study)

    assert main(["study", "--no-lab"]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line == ("study/: added step_by_step/new_helper.py, application/cat_data.py; kept the files you had, as "
                    f"they were: step_by_step/ ({steps} of {steps + 1} files), application/ ({apps - 1} of {apps} "
                    "files) (never overwritten: for the release's version of one, delete it and run `dnnkit study` "
                    "again)")
    now = _tree(study)
    assert {name: now[name] for name in learner} == learner  # not one byte of the learner's files changed
    assert "My own notes." in mine.read_text()
    assert now["step_by_step/new_helper.py"] == b"X = 1\n"
    assert now["application/cat_data.py"] == (course.release("application") / "cat_data.py").read_bytes()

    assert main(["study", "--no-lab"]) == 0
    assert capsys.readouterr().out.startswith("study/: nothing new to add; kept the files you had, as they were: "
                                              f"step_by_step/ (all {steps + 1} files), application/ (all {apps} files)")
    assert _tree(study) == now


# ---------------------------------------------------------------------------------------------
# dnnkit check
# ---------------------------------------------------------------------------------------------
def test_check_without_a_notebook_says_what_to_do_in_one_line(course, capsys):
    assert main(["check", "step_by_step"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("dnnkit check: error: study/step_by_step/step_by_step.ipynb: no such notebook; run "
                            "`dnnkit study` first (it copies the assignments into study/), or name your notebook: "
                            "`dnnkit check step_by_step NOTEBOOK`\n")
    assert main(["check", "application", str(course.root / "my\x1b[2Jwork.ipynb")]) == 2
    err = capsys.readouterr().err
    assert err == ("dnnkit check: error: my\\x1b[2Jwork.ipynb: no such notebook; give the path of your application "
                   "notebook (default: study/application/application.ipynb)\n")


def _points(course: Course, assignment: str) -> dict[str, str]:
    """{function: the points of its test cell, as printed}, read from the release notebook's nbgrader metadata."""
    nb = nbformat.read(course.notebook(assignment, "release"), as_version=4)
    found = {c.metadata.nbgrader.grade_id: c.metadata.nbgrader.points for c in nb.cells
             if c.metadata.get("nbgrader", {}).get("grade")}
    return {name: f"{float(found['test_' + name]):g}" for name in FUNCTIONS[assignment]}


def _check(course: Course, assignment: str, nb, *notebook: str) -> int:
    """Write `nb` (to NOTEBOOK, else to study/) and run `dnnkit check` on it; its exit status."""
    target = Path(notebook[0]) if notebook else course.root / "study" / assignment / f"{assignment}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return main(["check", assignment, *notebook])


@pytest.mark.slow
def test_check_gives_a_solved_notebook_full_marks(course, capsys):
    assert _check(course, "step_by_step", solved_notebook(course, "step_by_step")) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("dnnkit check step_by_step: study/step_by_step/step_by_step.ipynb, on the hidden "
                               "checks of `dnnkit grade` (")
    points = _points(course, "step_by_step")
    for name, top in points.items():
        assert re.search(rf"^  {name} +{top}/{top}  passed$", out, re.M), out
    total = f"{sum(map(float, points.values())):g}"
    assert lines[-1] == f"total: {total}/{total}"
    # nothing of a course's grading was touched: no gradebook, no record, no CSV
    assert not (course.root / "gradebook.db").exists()
    assert not (course.root / ".dnnkit" / "results").exists() and not (course.root / "autograded").exists()


@pytest.mark.slow
def test_check_names_a_known_mistake_with_its_fix_and_the_lower_total(course, capsys):
    mistake = BY_NAME["db_wrong_axis"]
    nb = solved_notebook(course, "step_by_step", mistakes=("db_wrong_axis",))
    assert _check(course, "step_by_step", nb) == 0
    out = capsys.readouterr().out
    points = _points(course, "step_by_step")
    assert re.search(rf"^  linear_backward +0/{points['linear_backward']}  failed$", out, re.M), out
    assert f"      Diagnosis: {mistake.says}.\n      How to fix it: {mistake.fix}.\n" in out
    assert re.search(r"^      linear_backward, (public|hidden) case '.*'", out, re.M), out
    for name, top in points.items():
        if name != "linear_backward":
            assert re.search(rf"^  {name} +{top}/{top}  passed$", out, re.M), out
    total = sum(map(float, points.values()))
    assert out.splitlines()[-1] == f"total: {total - float(points['linear_backward']):g}/{total:g}"
    assert "\x1b" not in out


@pytest.mark.slow
def test_check_takes_any_notebook_and_keeps_the_terminal_inert(course, capsys, tmp_path):
    nb = solved_notebook(course, "application")
    for cell in nb.cells:  # L_layer_model left as released: not attempted
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "L_layer_model":
            cell.source = "def L_layer_model(*args, **kwargs):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    hostile = "mine\x1b[2J\x1b]0;owned\x07\u202e"  # what the grader repeats from the notebook must stay inert
    extra = nbformat.v4.new_code_cell("x = 1")
    extra.metadata["nbgrader"] = {"grade": False, "grade_id": hostile, "locked": False, "schema_version": 3,
                                  "solution": True, "task": False}
    nb.cells.append(extra)
    nb.metadata["kernelspec"] = {"name": hostile, "display_name": hostile, "language": "python"}
    assert _check(course, "application", nb, str(tmp_path / "elsewhere" / "mine.ipynb")) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"dnnkit check application: {tmp_path / 'elsewhere' / 'mine.ipynb'}, on the hidden checks")
    points = _points(course, "application")
    assert re.search(rf"^  two_layer_model +{points['two_layer_model']}/{points['two_layer_model']}  passed$", out,
                     re.M), out
    assert re.search(rf"^  L_layer_model +0/{points['L_layer_model']}  not attempted$", out, re.M), out
    assert "  note: cell with unknown grade id 'mine\\x1b[2J\\x1b]0;owned\\x07\\u202e' kept" in out, out
    assert out.splitlines()[-1] == (f"total: {points['two_layer_model']}/"
                                    f"{sum(map(float, points.values())):g}")
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f\u202e]", out)


# ---------------------------------------------------------------------------------------------
# The data reach a student through the nbgrader exchange
# ---------------------------------------------------------------------------------------------
def _student_env(home: Path, user: str) -> dict:
    return {**os.environ, "HOME": str(home), "USER": user, "LOGNAME": user, "PWD": str(home),
            "JUPYTER_CONFIG_DIR": str(home / ".jupyter"), "JUPYTER_DATA_DIR": str(home / ".local/share/jupyter")}


@pytest.mark.slow
def test_a_student_fetches_the_application_with_its_data_and_runs_it(course, tmp_path, monkeypatch):
    root = course.root
    assert main(["data"]) == 0  # no course files here: the stand-in
    release = subprocess.run([sys.executable, "-m", "dnnkit.cli", "release", "application"], capture_output=True,
                             text=True, env={**os.environ, "DNNKIT_COURSE_ROOT": str(root)}, timeout=900)
    assert release.returncode == 0, release.stderr[-3000:]
    assert "release/application: train_catvnoncat.h5 and test_catvnoncat.h5 copied from datasets/" in release.stdout
    for name in DATASET_FILES:
        assert (course.release("application") / name).read_bytes() == (course.datasets / name).read_bytes()

    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    nbgrader(root, "release_assignment", "application", f"--Exchange.root={exchange}", "--force")
    home = tmp_path / "home-ada"
    home.mkdir()
    fetch = subprocess.run([sys.executable, "-m", "nbgrader", "fetch_assignment", "application",
                            f"--Exchange.root={exchange}", f"--CourseDirectory.course_id={COURSE_ID}"], cwd=home,
                           env=_student_env(home, "ada"), capture_output=True, text=True, timeout=300)
    assert fetch.returncode == 0, fetch.stderr[-2000:]
    fetched = home / "application"
    assert sorted(p.name for p in fetched.iterdir() if p.suffix == ".h5") == sorted(DATASET_FILES)
    # the student's folder is not inside the course: the data can only come from the fetched folder itself
    assert not any((parent / "datasets").exists() for parent in fetched.parents)

    received = nbformat.read(fetched / "application.ipynb", as_version=4)
    answered = solved_notebook(course, "application")
    for mine, theirs in zip(received.cells, answered.cells):  # the student answers in the fetched copy
        if mine.metadata.get("nbgrader", {}).get("solution"):
            mine.source = theirs.source
    for key, value in _student_env(home, "ada").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")  # as the Validate button runs it: short trainings
    NotebookClient(received, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(fetched)}}).execute()
    text = "\n".join(o.get("text", "") for c in received.cells if c.cell_type == "code" for o in c.outputs
                     if o.output_type == "stream")
    assert "training examples: 209" in text and "test examples: 50" in text
    assert "Note: These are STAND-IN data" in text
    assert re.search(r"^two_layer_model: all \d+ public cases pass$", text, re.M), text[-2000:]


@pytest.mark.slow
def test_study_in_chinese_releases_in_it_first_and_keeps_the_learners_files(course, capsys):
    """`dnnkit study --language zh`: release/ is released in Chinese first (notebook text and visible-test
    messages), the copies in study/ are Chinese, and a later `--language en` releases English again but leaves
    every file of the learner as it was."""
    from dnnkit.language import localized
    from dnnkit.shipped import released_language

    assert released_language(course, "step_by_step") == "en"
    assert main(["study", "--no-lab", "--language", "zh"]) == 0
    out, err = capsys.readouterr()
    assert "study: releasing step_by_step, application in zh first" in out
    assert "built a STAND-IN" in out and err == ""  # the data first; no warning meant for instructors
    for name in DATASET_FILES:
        assert (course.root / "study" / "application" / name).read_bytes() == \
            (course.release("application") / name).read_bytes() == (course.datasets / name).read_bytes()
    for assignment in FUNCTIONS:
        assert released_language(course, assignment) == "zh"
        source = nbformat.read(course.notebook(assignment), as_version=4)
        chinese = [localized(c, "zh") for c in source.cells if c.cell_type == "markdown"]
        copied = nbformat.read(course.root / "study" / assignment / f"{assignment}.ipynb", as_version=4)
        assert [c.source for c in copied.cells if c.cell_type == "markdown"] == chinese
        assert (course.root / "study" / assignment / "dnn_checks.py").read_text() == \
            (course.release(assignment) / "dnn_checks.py").read_text()
    learner = _tree(course.root / "study")

    assert main(["study", "--no-lab", "--language", "en"]) == 0
    assert "nothing new to add" in capsys.readouterr().out
    assert released_language(course, "step_by_step") == "en"
    assert _tree(course.root / "study") == learner  # the learner's Chinese copies, untouched


def test_jupyterlab_speaks_chinese_for_a_chinese_study_copy_only(tmp_path):
    from dnnkit.commands.study import lab_command

    assert not any("user_settings_dir" in arg for arg in lab_command(tmp_path, "en"))
    command = lab_command(tmp_path, "zh")
    settings = tmp_path / ".jupyterlab-settings"
    assert command[-1] == f"--LabApp.user_settings_dir={settings}"
    plugin = settings / "@jupyterlab" / "translation-extension" / "plugin.jupyterlab-settings"
    assert json.loads(plugin.read_text()) == {"locale": "zh_CN"}
    plugin.write_text('{"locale": "en"}\n')  # the learner chose otherwise in JupyterLab: kept
    lab_command(tmp_path, "en+zh")
    assert plugin.read_text() == '{"locale": "en"}\n'
