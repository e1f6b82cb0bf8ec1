"""A Chinese release in a real browser: JupyterLab 4 in Chinese (the zh-CN language pack) in headless Chromium.

A course copy is released with `dnnkit release --language zh step_by_step`; a student's folder holds that release
(the notebook and its helper files, dnn_checks.py speaking Chinese), the notebook answered correctly except for one
catalogued mistake (db_wrong_axis in linear_backward, made by solved_notebook on the zh release notebook). JupyterLab
serves the folder with the zh_CN locale chosen in its user settings, as `dnnkit study --language zh` chooses it.
The test asserts:
- the UI is Chinese: the menu bar, the tab's caption and the status bar read what the language pack has for them;
- after Run > Run All Cells (clicked in Chinese), the markdown cell introducing linear_backward is rendered from
  the source's Chinese (dnnkit.language.localized): its heading and a Chinese sentence of it are on the page and
  none of its English; its formulas are typeset by MathJax (one mjx-container per formula of the cell, the two
  display formulas as display math) and no `$$` is left in its text;
- the one failing cell is linear_backward's visible test, whose output holds the catalog's Chinese diagnosis and
  fix of db_wrong_axis (as tests/test_language_messages.py computes them) and none of the English.
Expected words are never typed in here: the UI's come from the installed language pack, the notebook's from the
source notebook, the diagnosis from the catalog. The waits and pitfalls are test_browser.py's (LabPage, Budget),
with the kernel-ready and open-tab checks in the pack's words. A screenshot of the diagnosis goes to the test's
folder, and to $DNNKIT_SCREENSHOTS as zh-diagnosis.png when set (the README's, made by `make screenshots`; only
with a Chinese font installed, else Chromium draws boxes).
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from conftest import REPO, make_course_copy
from dnnkit import checks
from dnnkit.cli import main
from dnnkit.course import Course
from dnnkit.language import blocks, is_heading, localized
from dnnkit.mistakes import BY_NAME, chinese
from dnnkit.shipped import released_language
from dnnkit.submissions import solved_notebook
import test_browser
from test_browser import _KERNEL_STATE_JS, _TABS_JS, ACTIVE_PANEL, STDERR_MIME, Budget, LabPage, start_lab
from test_browser_journey import _CELLS_JS, _number
from translation_match import CODE, MATH

browser = test_browser.browser   # the module-scoped Chromium fixture (skips without Chromium or Playwright)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ASSIGNMENT = "step_by_step"
NOTEBOOK = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"   # in the student's folder
MISTAKE = BY_NAME["db_wrong_axis"]
FUNCTION = MISTAKE.function
SCREENSHOT = "zh-diagnosis.png"
BUDGET_S = 150            # everything the browser part waits for, together
VIEWPORT = {"width": 1200, "height": 900}
LAB_SETTINGS = {
    "@jupyterlab/translation-extension:plugin": {"locale": "zh_CN"},   # what `dnnkit study --language zh` sets
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},  # every cell rendered, none virtualised
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _flat(text: str) -> str:
    return " ".join(text.split())


def _bare(text: str) -> str:
    """`text` without any whitespace (Chinese has no spaces; the browser breaks and joins lines as it likes)."""
    return "".join(text.split())


@pytest.fixture(scope="module")
def pack() -> dict[str, str]:
    """The zh_CN strings of JupyterLab's language pack, {English (with "context\\x04" if any): Chinese}."""
    spec = importlib.util.find_spec("jupyterlab_language_pack_zh_CN")
    if spec is None or spec.origin is None:
        if os.environ.get("CI"):
            pytest.fail("the JupyterLab zh-CN language pack is not installed (CI must have it)")
        pytest.skip("the JupyterLab zh-CN language pack is not installed (pip install jupyterlab-language-pack-zh-CN)")
    path = Path(spec.origin).parent / "locale" / "zh_CN" / "LC_MESSAGES" / "jupyterlab.json"
    return {key: value[0] for key, value in json.loads(path.read_text()).items()
            if key and isinstance(value, list) and value}


def tr(pack: dict[str, str], text: str, *args: str, context: str | None = None) -> str:
    """`text` as the Chinese JupyterLab shows it (its %1, %2, ... filled with `args`); it must be in the pack."""
    key = f"{context}\x04{text}" if context else text
    assert key in pack, f"the zh-CN language pack has no translation of {text!r}"
    found = pack[key]
    for i, arg in enumerate(args, 1):
        found = found.replace(f"%{i}", arg)
    return found


class ChineseLab(LabPage):
    """LabPage for a JupyterLab in Chinese: the tab's caption and the kernel's state read in the pack's words."""

    def __init__(self, page, server, shots: Path, budget: Budget, pack: dict[str, str]):
        super().__init__(page, server, shots, budget)
        self.no_kernel = tr(pack, "No Kernel")
        self.idle = tr(pack, "Idle")
        self.name_path = lambda relpath: tr(pack, "Name: %1\nPath: %2\n", Path(relpath).name, relpath)

    def open(self, relpath: str) -> None:
        """Open a notebook on a reset workspace; assert it is the one notebook, in the current tab, whose
        caption reads its name and path in Chinese."""
        self.page.goto(self.server.url(relpath), wait_until="domcontentloaded", timeout=self.budget.ms())
        try:  # the caption names the path once the document has loaded, in any language
            self.page.wait_for_function(
                f"""() => {{ const tabs = ({_TABS_JS})();
                    return tabs.length === 1 && tabs[0].label.trim() === {json.dumps(Path(relpath).name)}
                        && tabs[0].caption.includes({json.dumps(relpath)}); }}""",
                timeout=self.budget.ms(), polling=250)
        except Exception:
            raise AssertionError(f"the current tab is not {relpath}: {self.page.evaluate(_TABS_JS)!r}") from None
        [tab] = self.page.evaluate(_TABS_JS)
        assert tab["caption"].startswith(self.name_path(relpath)), \
            f"the tab's caption is not in Chinese ({self.name_path(relpath)!r}...): {tab['caption']!r}"
        self.page.wait_for_selector(ACTIVE_PANEL, timeout=self.budget.ms())
        panels = self.page.locator(".jp-NotebookPanel").count()
        assert panels == 1, f"{panels} notebooks are open (a restored workspace?); expected only {relpath}"

    def wait_kernel_ready(self) -> None:
        """test_browser's three signs (pitfall 1 of the notes), in Chinese: a kernel name that is not "No Kernel",
        the execution indicator idle, and the status bar saying "| Idle"."""
        ready = """([state, noKernel, idle]) => {
            const s = eval(state)();
            return s.panel && !!s.kernelName && s.kernelName !== noKernel && s.kernelName !== 'No Kernel'
                && s.indicator === 'idle' && s.statusBar !== null
                && s.statusBar.replace(/\\s+/g, '').includes('|' + idle);
        }"""
        try:
            self.page.wait_for_function(ready, arg=[_KERNEL_STATE_JS, self.no_kernel, self.idle],
                                        timeout=self.budget.ms(), polling=250)
        except Exception:
            raise AssertionError(f"the kernel never became ready (status bar in Chinese: '| {self.idle}'): "
                                 f"{self.page.evaluate(_KERNEL_STATE_JS)!r}") from None


def _chosen_cell(source_nb) -> tuple[str, str]:
    """(English, Chinese) of the markdown cell just above FUNCTION's answer cell (it introduces the exercise)."""
    above = None
    for cell in source_nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == FUNCTION:
            break
        if cell.cell_type == "markdown":
            above = cell
    assert above is not None, f"no markdown cell above {FUNCTION}'s answer in the source"
    return above.source, localized(above, "zh")


def _sentence(chinese: str) -> str:
    """The longest sentence of `chinese`'s prose that is Chinese with no markup, math or code in it."""
    found = [s.strip() for block in blocks(chinese) if not is_heading(block)
             for s in re.split(r"(?<=[。：；])", _flat(block))
             if CJK.search(s) and not re.search(r"[$`*_\[\]#|<>]", s)]
    assert found, f"no plain Chinese sentence in {chinese[:80]!r}"
    return max(found, key=len)


def _english_sentences(english: str) -> list[str]:
    """The English cell's prose sentences of 20+ characters with no math or code, none of which may show."""
    found = []
    for block in blocks(english):
        text = MATH.sub("\0", CODE.sub("\0", _flat(block.lstrip("#- "))))
        found += [s.strip() for s in re.split(r"[\0.:;]", text) if len(s.strip()) >= 20]
    return found


@pytest.fixture
def student_folder(tmp_path, monkeypatch) -> tuple[Path, Course]:
    """(a student's folder holding the zh release of ASSIGNMENT answered with MISTAKE, the course)."""
    course = Course(make_course_copy(tmp_path / "course"))
    with monkeypatch.context() as patch:
        patch.setenv("DNNKIT_COURSE_ROOT", str(course.root))
        assert main(["release", "--language", "zh", ASSIGNMENT]) == 0
    assert released_language(course, ASSIGNMENT) == "zh"
    home = tmp_path / "student"
    shutil.copytree(course.release(ASSIGNMENT), home / ASSIGNMENT,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    answered = solved_notebook(course, ASSIGNMENT, (MISTAKE.name,))
    # solved_notebook starts from the release notebook: the Chinese one, every markdown cell as the source's Chinese
    source = nbformat.read(course.notebook(ASSIGNMENT), as_version=4)
    assert [c.source for c in answered.cells if c.cell_type == "markdown"] == \
        [localized(c, "zh") for c in source.cells if c.cell_type == "markdown"]
    assert 'LANGUAGE = "zh"' in (home / ASSIGNMENT / "dnn_checks.py").read_text()
    nbformat.write(answered, home / NOTEBOOK)
    return home, course


def test_a_chinese_release_in_a_chinese_jupyterlab(browser, student_folder, pack, tmp_path):
    home, course = student_folder
    english_md, chinese_md = _chosen_cell(nbformat.read(course.notebook(ASSIGNMENT), as_version=4))
    heading = blocks(chinese_md)[0].lstrip("#").strip()
    sentence = _sentence(chinese_md)
    english = _english_sentences(english_md)
    displays = chinese_md.count("$$") // 2
    formulas = len(MATH.findall(CODE.sub(" ", chinese_md)))
    assert displays >= 1 and formulas > displays and english, "the chosen cell has no display math or no English"
    zh = chinese()[MISTAKE.name]
    diagnosis = checks.MESSAGES["diagnosis"][1].format(says=zh["says"])   # the catalog's words, in Chinese
    how_to_fix = checks.MESSAGES["how to fix"][1].format(fix=zh["fix"])
    menus = {name: tr(pack, name, context="menu") for name in ("File", "Edit", "Run", "Kernel")}
    run_all = tr(pack, "Run All Cells")

    env = {key: value for key, value in os.environ.items() if key != "DNNKIT_COURSE_ROOT"}
    env.update(HOME=str(home), PWD=str(home))
    server = start_lab(home, tmp_path / "lab", env=env, settings=LAB_SETTINGS)
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        lab = ChineseLab(page, server, tmp_path, Budget(BUDGET_S), pack)
        panel = page.locator(f"{ACTIVE_PANEL} .jp-Notebook")
        with lab.screenshot_on_failure("zh"):
            lab.open(NOTEBOOK)

            # the UI is Chinese: the menu bar holds the pack's words for File, Edit, Run, Kernel and not the English
            bar = page.locator(".lm-MenuBar-itemLabel")
            bar.first.wait_for(state="visible", timeout=lab.budget.ms())
            labels = [_bare(t) for t in bar.all_inner_texts()]
            assert all(m in labels for m in menus.values()) and not {"File", "Edit", "Run", "Kernel"} & set(labels), \
                f"the menu bar is not in Chinese ({menus!r} expected): {labels!r}"
            lab.wait_kernel_ready()

            # Run > Run All Cells, in Chinese; it stops at the failing test (a new count with an error) or runs through
            before = max((_number(c["prompt"]) for c in page.evaluate(_CELLS_JS)), default=0)
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{re.escape(menus['Run'])}$")).click(
                timeout=lab.budget.ms())
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(run_all)}$")).click(
                timeout=lab.budget.ms())
            try:
                page.wait_for_function(
                    """([cellsJs, before]) => {
                        const cells = eval(cellsJs)();
                        const count = p => { const m = /^\\[(\\d+)\\]:$/.exec(p.trim()); return m ? +m[1] : 0; };
                        if (!cells.length || cells.some(c => c.prompt.trim() === '[*]:')) return false;
                        return count(cells[cells.length - 1].prompt) > before
                            || cells.some(c => count(c.prompt) > before && c.errors.length > 0);
                    }""", arg=[_CELLS_JS, before], timeout=lab.budget.ms(), polling=250)
            except Exception:
                state = [(c["prompt"], c["source"][:40], len(c["errors"])) for c in page.evaluate(_CELLS_JS)]
                raise AssertionError(f"{menus['Run']} > {run_all} did not finish or stop at an error: {state!r}") \
                    from None
            lab.wait_kernel_ready()

            # (a) the markdown introducing FUNCTION: the source's Chinese, none of its English
            cell = panel.locator(".jp-MarkdownCell").filter(
                has=page.locator(".jp-RenderedMarkdown h2, .jp-RenderedMarkdown h3", has_text=heading))
            assert cell.count() == 1, f"{cell.count()} rendered markdown cells have the heading {heading!r}"
            rendered = cell.locator(".jp-RenderedMarkdown")
            rendered.scroll_into_view_if_needed(timeout=lab.budget.ms())

            # (b) its formulas typeset by MathJax: one mjx-container each, the display ones as display math, no $$
            try:
                page.wait_for_function(
                    """([el, formulas, displays]) =>
                        el.querySelectorAll('mjx-container').length === formulas
                        && el.querySelectorAll('mjx-container[display="true"]').length === displays
                        && !el.innerText.includes('$$')""",
                    arg=[rendered.element_handle(timeout=lab.budget.ms()), formulas, displays],
                    timeout=lab.budget.ms(), polling=250)
            except Exception:
                found = rendered.evaluate("""el => ({all: el.querySelectorAll('mjx-container').length,
                    display: el.querySelectorAll('mjx-container[display="true"]').length,
                    dollars: (el.innerText.match(/\\$\\$/g) || []).length})""")
                raise AssertionError(f"the formulas of the cell {heading!r} are not typeset: expected {formulas} "
                                     f"mjx-container ({displays} display), no $$; found {found!r}") from None
            text = rendered.inner_text(timeout=lab.budget.ms())
            assert _bare(sentence) in _bare(text), f"{sentence!r} is not in the rendered cell: {text[:1500]!r}"
            shown = [s for s in english if _flat(s) in _flat(text)]
            assert not shown, f"the rendered cell shows English: {shown!r}"
            assert "$" not in text and "\\frac" not in text, f"raw TeX in the rendered cell: {text[:1500]!r}"

            # (c) the one failing cell is FUNCTION's visible test, its output the catalog's Chinese, not the English
            cells = page.evaluate(_CELLS_JS)
            failing = [(c["source"][:40], c["errors"]) for c in cells if c["errors"]]
            assert len(failing) == 1 and f'check_public("{FUNCTION}"' in failing[0][0], \
                f"expected one failing cell, {FUNCTION}'s test: {failing!r}"
            message = _flat(failing[0][1][0])
            assert _flat(diagnosis) in message and _flat(how_to_fix) in message, \
                f"no Chinese diagnosis ({diagnosis!r}, {how_to_fix!r}) in: {message[-2000:]}"
            for english_line in ("Diagnosis:", "How to fix it:", MISTAKE.says):
                assert english_line not in message, f"English {english_line!r} in the test's output: {message[-2000:]}"

            test_cell = panel.locator(".jp-CodeCell").filter(
                has=page.locator(".jp-InputArea-editor", has_text=f'check_public("{FUNCTION}", {FUNCTION})'))
            assert test_cell.count() == 1, f"{test_cell.count()} cells look like {FUNCTION}'s test cell"
            error = test_cell.locator(f'.jp-OutputArea-output[data-mime-type="{STDERR_MIME}"]')
            assert _flat(diagnosis) in _flat(error.inner_text(timeout=lab.budget.ms())), \
                f"the Chinese diagnosis is not shown under {FUNCTION}'s test cell"
            _screenshot(lab, test_cell)
    finally:
        context.close()
        server.stop()


def _screenshot(lab: ChineseLab, test_cell) -> None:
    """The top of the page (the Chinese menus, file browser and tab) down to the bottom of the test cell's output,
    the test cell scrolled to the bottom of the notebook's visible area; in the test's folder and $DNNKIT_SCREENSHOTS."""
    test_cell.evaluate("el => el.scrollIntoView({block: 'end'})")
    lab.page.wait_for_timeout(300)   # let the scroll settle before measuring (a bounded pause)
    box = test_cell.bounding_box()
    view = lab.page.viewport_size
    assert box and view, "the test cell is not on the page"
    clip = {"x": 0, "y": 0, "width": view["width"], "height": min(view["height"], box["y"] + box["height"] + 12)}
    path = lab.shots / SCREENSHOT
    lab.page.screenshot(path=str(path), clip=clip, timeout=lab.budget.ms())
    if os.environ.get("DNNKIT_SCREENSHOTS"):
        # without a Chinese font Chromium draws boxes: the test passes (it reads the page's text), the picture
        # must not go into the README
        fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout \
            if shutil.which("fc-list") else ""
        assert fonts.strip(), "no Chinese font is installed (make system-deps installs fonts-wqy-microhei)"
        folder = Path(os.environ["DNNKIT_SCREENSHOTS"])
        folder = folder if folder.is_absolute() else REPO / folder
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, folder / SCREENSHOT)
