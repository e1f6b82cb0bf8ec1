"""A student's whole journey in a real browser: fetch, a mistake, its diagnosis, the fix, Validate.

The instructor (no browser) releases step_by_step from a course copy to a temporary nbgrader exchange; the student,
with a HOME of their own, fetches it with `nbgrader fetch_assignment` and answers every exercise, one with a
catalogued mistake (dnnkit.mistakes, applied to the reference answer by solved_notebook), written into the file
before JupyterLab opens it (typing every answer in the browser would be slow). Then, in JupyterLab 4 in headless
Chromium, serving the student's folder in the student's environment:
1. Run All Cells: the first failing cell is the mistaken function's visible test, and its output names the mistake
   and its fix in the catalog's words;
2. the student fixes it in the browser: clicks into the answer cell, selects all and puts the reference answer in
   (one insertText, which CodeMirror takes verbatim: no auto-indent, no closing brackets), saves, and runs all
   again: the file on disk holds the reference answer and every cell runs without an error, the test cell
   printing its pass line;
3. nbgrader's Validate button says the notebook passes.
Screenshots of the three steps go to the test's folder, and also to $DNNKIT_SCREENSHOTS when set (the README's
docs/screenshots/ are made so: `make screenshots`). The waits and pitfalls are test_browser.py's (LabPage).
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from conftest import REPO, make_course_copy
from dnnkit.course import Course
from dnnkit.mistakes import BY_NAME
from dnnkit.nbgrader_cli import nbgrader
from dnnkit.solutions import reference_answers
from dnnkit.submissions import solved_notebook
import test_browser
from test_browser import ACTIVE_PANEL, STDERR_MIME, Budget, LabPage, start_lab
from test_term import student_env, student_nbgrader

browser = test_browser.browser   # the module-scoped Chromium fixture (skips without Chromium or Playwright)

ASSIGNMENT = "step_by_step"
NOTEBOOK = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"   # in the student's HOME, where fetch_assignment puts it
STUDENT = "ada"
MISTAKE = BY_NAME["db_wrong_axis"]
FUNCTION = MISTAKE.function
SCREENSHOTS = ("1-diagnosis.png", "2-fixed.png", "3-validate.png")
COMMITTED = REPO / "docs" / "screenshots"
JOURNEY_BUDGET_S = 210    # everything the browser part waits for, together
VIEWPORT = {"width": 1200, "height": 900}

# Per code cell of the active notebook: its prompt ("[3]:", "[*]:", "[ ]:"), the start of its source and its
# error outputs (JupyterLab renders an error as stderr).
_CELLS_JS = """() => Array.from(document.querySelectorAll(
        '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-CodeCell')).map(cell => ({
    prompt: (cell.querySelector('.jp-InputArea-prompt') || {}).textContent || '',
    source: ((cell.querySelector('.jp-InputArea-editor .cm-content') || {}).innerText || '').slice(0, 80),
    errors: Array.from(cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="%s"]'))
        .map(out => out.innerText),
}))""" % STDERR_MIME


def _number(prompt: str) -> int:
    """The execution count of a prompt ("[12]:"), 0 when it has none ("[ ]:", "[*]:")."""
    found = re.fullmatch(r"\[(\d+)\]:", prompt.strip())
    return int(found[1]) if found else 0


def _answer_in(notebook: Path) -> str:
    """The source of FUNCTION's answer cell in the notebook file."""
    nb = nbformat.read(notebook, as_version=4)
    return next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == FUNCTION)


def _flat(text: str) -> str:
    return " ".join(text.split())


class Journey:
    """The student's notebook open in JupyterLab, with the steps of the journey."""

    def __init__(self, lab: LabPage):
        self.lab = lab
        self.page = lab.page
        panel = self.page.locator(f"{ACTIVE_PANEL} .jp-Notebook")
        self.answer_cell = panel.locator(".jp-CodeCell").filter(
            has=self.page.locator(".jp-InputArea-editor", has_text=f"def {FUNCTION}("))
        self.test_cell = panel.locator(".jp-CodeCell").filter(
            has=self.page.locator(".jp-InputArea-editor", has_text=f'check_public("{FUNCTION}", {FUNCTION})'))

    def answer_code(self):
        """The first line of the answer's code below its docstring (the top of the screenshots)."""
        line = self.answer_cell.locator(".cm-line", has_text="A_prev, W, b = cache")
        assert line.count() == 1, f"{line.count()} lines of {FUNCTION}'s answer read 'A_prev, W, b = cache'"
        return line

    def cells(self) -> list[dict]:
        return self.page.evaluate(_CELLS_JS)

    def run_all(self) -> list[dict]:
        """Run > Run All Cells; wait until it ran through (the last code cell has a new execution count) or stopped
        at an error (a cell with a new count shows one), and the kernel is idle again. Returns cells()."""
        before = max((_number(c["prompt"]) for c in self.cells()), default=0)
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click(timeout=self.lab.budget.ms())
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click(
            timeout=self.lab.budget.ms())
        try:
            self.page.wait_for_function(
                """([cellsJs, before]) => {
                    const cells = eval(cellsJs)();
                    const count = p => { const m = /^\\[(\\d+)\\]:$/.exec(p.trim()); return m ? +m[1] : 0; };
                    if (!cells.length || cells.some(c => c.prompt.trim() === '[*]:')) return false;
                    return count(cells[cells.length - 1].prompt) > before
                        || cells.some(c => count(c.prompt) > before && c.errors.length > 0);
                }""", arg=[_CELLS_JS, before], timeout=self.lab.budget.ms(), polling=250)
        except Exception:
            state = [(c["prompt"], c["source"][:40], len(c["errors"])) for c in self.cells()]
            raise AssertionError(f"Run All Cells did not finish or stop at an error: {state!r}") from None
        self.lab.wait_kernel_ready()
        return self.cells()

    def region(self, top, bottom) -> dict:
        """A clip from the top of `top` to the bottom of `bottom` (locators), as wide as the notebook, within the
        notebook's visible area: `top` is scrolled to near the top of the notebook first."""
        top.evaluate("""el => { el.scrollIntoView({block: 'start'});
                               el.closest('.jp-WindowedPanel-outer').scrollBy(0, -24); }""")
        self.page.wait_for_timeout(300)   # let the scroll settle before measuring (a bounded pause)
        view = self.page.locator(f"{ACTIVE_PANEL} .jp-WindowedPanel-outer").bounding_box()
        first, last = top.bounding_box(), bottom.bounding_box()
        assert view and first and last, "the notebook or the region to show is not on the page"
        y0, y1 = first["y"] - 4, last["y"] + last["height"] + 16
        if not (view["y"] <= y0 and y1 <= view["y"] + view["height"]):
            # a cut screenshot is no failure of the journey, but must not go into the README
            assert not os.environ.get("DNNKIT_SCREENSHOTS"), \
                f"the region to show ({y0:.0f} to {y1:.0f}) does not fit in the notebook's visible area {view!r}"
            y0, y1 = max(y0, view["y"]), min(y1, view["y"] + view["height"])
        return {"x": view["x"], "y": y0, "width": view["width"], "height": y1 - y0}

    def dialog_region(self) -> dict:
        """A clip from the notebook's toolbar (the Validate button) down to the bottom of the open dialog."""
        panel = self.page.locator(ACTIVE_PANEL).bounding_box()
        toolbar = self.page.locator(f"{ACTIVE_PANEL} .jp-NotebookPanel-toolbar").bounding_box()
        dialog = self.page.locator(".jp-Dialog-content").bounding_box()
        assert panel and toolbar and dialog, "the notebook's toolbar or the dialog is not on the page"
        y0 = toolbar["y"] - 4
        return {"x": panel["x"], "y": y0, "width": panel["width"], "height": dialog["y"] + dialog["height"] + 16 - y0}

    def shot(self, name: str, clip: dict) -> None:
        """Screenshot of `clip` as `name`, in the test's folder and in $DNNKIT_SCREENSHOTS."""
        path = self.lab.shots / name
        self.page.screenshot(path=str(path), clip=clip, timeout=self.lab.budget.ms())
        if os.environ.get("DNNKIT_SCREENSHOTS"):
            folder = Path(os.environ["DNNKIT_SCREENSHOTS"])
            folder = folder if folder.is_absolute() else REPO / folder
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, folder / name)


@pytest.fixture
def fetched(tmp_path) -> tuple[Path, Path, Course]:
    """(the student's HOME, the fetched notebook answered with MISTAKE, the instructor's course)."""
    course = Course(make_course_copy(tmp_path / "course"))
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    nbgrader(course.root, "release_assignment", ASSIGNMENT, f"--Exchange.root={exchange}", "--force")
    home = tmp_path / f"home-{STUDENT}"
    home.mkdir()
    student_nbgrader(home, STUDENT, exchange, "fetch_assignment", ASSIGNMENT)
    notebook = home / NOTEBOOK
    received = nbformat.read(notebook, as_version=4)
    answered = solved_notebook(course, ASSIGNMENT, (MISTAKE.name,))
    for mine, theirs in zip(received.cells, answered.cells, strict=True):  # the student answers the fetched copy
        if mine.metadata.get("nbgrader", {}).get("solution"):
            mine.source = theirs.source
    nbformat.write(received, notebook)
    return home, notebook, course


@pytest.mark.browser
@pytest.mark.slow
def test_a_student_reads_the_diagnosis_fixes_the_mistake_and_validates(browser, fetched, tmp_path):
    home, notebook, course = fetched
    correct = reference_answers(course, ASSIGNMENT)[FUNCTION]
    wrong = MISTAKE.apply(correct)
    assert _answer_in(notebook) == wrong != correct
    diagnosis = f"Diagnosis: {MISTAKE.says}."        # the catalog's words, as the visible test says them
    how_to_fix = f"How to fix it: {MISTAKE.fix}."

    env = student_env(home, STUDENT, tmp_path / "exchange")
    server = start_lab(home, tmp_path / "lab", env=env,
                       settings={"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}})
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        lab = LabPage(page, server, tmp_path, Budget(JOURNEY_BUDGET_S))
        journey = Journey(lab)
        with lab.screenshot_on_failure("journey"):
            lab.open(NOTEBOOK)
            lab.wait_kernel_ready()
            for name, cell in (("answer", journey.answer_cell), ("test", journey.test_cell)):
                assert cell.count() == 1, f"{cell.count()} cells look like {FUNCTION}'s {name} cell"

            # 1. Run All stops at the visible test of the mistaken function, which names the mistake and its fix
            cells = journey.run_all()
            failing = [(c["source"][:40], c["errors"]) for c in cells if c["errors"]]
            assert len(failing) == 1 and f'check_public("{FUNCTION}"' in failing[0][0], \
                f"expected one failing cell, {FUNCTION}'s test: {failing!r}"
            message = _flat(failing[0][1][0])
            assert _flat(diagnosis) in message and _flat(how_to_fix) in message, message[-2000:]
            journey.shot(SCREENSHOTS[0], journey.region(journey.answer_code(), journey.test_cell))

            # 2. The fix, typed in the browser: the whole answer replaced by the reference answer, saved, run again
            editor = journey.answer_cell.locator(".jp-InputArea-editor .cm-content")
            editor.scroll_into_view_if_needed(timeout=lab.budget.ms())
            editor.click(timeout=lab.budget.ms())
            page.wait_for_selector(f"{ACTIVE_PANEL} .jp-Notebook.jp-mod-editMode", timeout=lab.budget.ms())
            page.keyboard.press("Control+a")
            page.keyboard.insert_text(correct)
            page.keyboard.press("Escape")
            page.wait_for_selector(f"{ACTIVE_PANEL} .jp-Notebook.jp-mod-commandMode", timeout=lab.budget.ms())
            page.keyboard.press("Control+s")
            try:
                page.wait_for_function("""() => !document.querySelector(
                    '#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current.jp-mod-dirty')""",
                    timeout=lab.budget.ms(), polling=250)
            except Exception:
                raise AssertionError("the notebook was not saved (its tab stays marked as modified)") from None
            saved = _answer_in(notebook)
            assert saved.rstrip("\n") == correct.rstrip("\n"), \
                f"the saved answer is not the reference answer:\n{saved}\n----\n{correct}"

            cells = journey.run_all()
            failing = [(c["source"][:40], c["errors"]) for c in cells if c["errors"]]
            assert not failing, f"cells still fail after the fix: {failing!r}"
            passed = journey.test_cell.locator(".jp-OutputArea-output").first.inner_text(timeout=lab.budget.ms())
            assert re.fullmatch(rf"{FUNCTION}: all \d+ public cases pass", passed.strip()), passed
            journey.shot(SCREENSHOTS[1], journey.region(journey.answer_code(), journey.test_cell))

            # 3. Validate
            classes, text = lab.validate()
            assert "validation-success" in classes.split(), f"Validate did not succeed ({classes!r}): {text[:2000]}"
            assert "Success! Your notebook passes all the tests." in text, text[:2000]
            journey.shot(SCREENSHOTS[2], journey.dialog_region())
    finally:
        context.close()
        server.stop()


def test_the_readme_shows_the_committed_screenshots_of_the_journey():
    readme = (REPO / "README.md").read_text()
    student = readme.split("## For students", 1)[1].split("\n## ", 1)[0]
    for name in SCREENSHOTS:
        path = COMMITTED / name
        assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is missing or no PNG"
        assert f"docs/screenshots/{name}" in student, f"the README's student section does not show {name}"
    assert "DNNKIT_SCREENSHOTS=docs/screenshots" in readme
