"""Student markup in a real browser: what a student's notebook carries must not run in formgrader or in the
feedback HTML (headless Chromium, as in test_browser.py).

One submission carries every vector: markdown cells (an <img onerror>, a <script>, an <svg onload>, a markdown
`javascript:` link, a raw <a href="javascript:">, an <iframe srcdoc>, a <form action="javascript:">, an SVG
attachment) and outputs its code displays when graded (HTML, JavaScript, Markdown, SVG). Each vector, if it
runs, logs `xss:<name>` to the console; the links and the form run only when clicked, so every page gets them
clicked. Two throw-away courses, graded side by side:
- `control`: plain `nbgrader autograde` and `nbgrader generate_feedback` with the kit's nbgrader_config.py minus
  the sanitizer: there the vectors DO run, in formgrader and in the feedback file, which shows that the attack
  lands and that the page checks see it;
- `kit`: the same with the kit's nbgrader_config.py: nothing runs, in formgrader (its own URL, served by
  `jupyter lab`) or in the feedback file. Formgrader renders the autograded notebook anew on every request;
  with the control's unsanitized notebook put in its place, nothing runs either (the config sanitizes there too);
- and in `control`, a second student's step_by_step submission with the same vectors, graded by
  `dnnkit grade` (in the sandbox: the tests run as root, and no student code runs as root): nothing runs, although that course's formgrader and feedback do not
  sanitize, because dnnkit grade wrote the notebook sanitized.
To keep it quick, nbgrader grades a one-cell assignment (`xss`) made in the throw-away course.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from conftest import make_course_copy
from dnnkit.course import Course
from dnnkit.gradebook import open_gradebook
from dnnkit.grading.records import record_path
from dnnkit.nbgrader_cli import nbgrader
from dnnkit.submissions import write_submission
from grading_support import dnnkit_grade, submit
from test_browser import Budget, LabServer, browser  # noqa: F401 (browser: the module's Chromium fixture)
from test_sanitize import active, render

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MARKDOWN_VECTORS = {
    "img-onerror": """Look: <img src="missing-xss.png" onerror="console.log('xss:img-onerror')">""",
    "script": """<script>console.log('xss:script')</script>""",
    "svg-onload": """<svg onload="console.log('xss:svg-onload')"><circle r="2"></circle></svg>""",
    "md-link": """[xss-md-link](javascript:console.log('xss:md-link'))""",
    "a-link": """<a href="javascript:console.log('xss:a-link')">xss-a-link</a>""",
    "iframe": """<iframe srcdoc="<script>parent.console.log('xss:iframe')</script>"></iframe>""",
    "form": """<form action="javascript:console.log('xss:form')"><button type="submit">xss-form-submit</button>
</form>""",
}
CLICKED = ("xss-md-link", "xss-a-link", "xss-form-submit")      # link texts / button label
SVG = """<svg xmlns="http://www.w3.org/2000/svg" onload="console.log('xss:{name}')"><script>console.log('xss:{name}')
</script><circle r="2"/></svg>"""
ATTACHMENT_CELL = "An attachment: ![xss-attachment](attachment:evil.svg)"
OUTPUTS = {   # what the submission's last code cell displays when it is graded
    "HTML": """<img src="missing-xss2.png" onerror="console.log('xss:html-output')">""",
    "Javascript": """console.log('xss:js-output')""",
    "Markdown": """<img src="missing-xss3.png" onerror="console.log('xss:markdown-output')">""",
    "SVG": SVG.format(name="svg-output"),
}
OUTPUT_CODE = "from IPython.display import HTML, SVG, Javascript, Markdown, display\n" + "\n".join(
    f"display({kind}({json.dumps(payload)}))" for kind, payload in OUTPUTS.items())
RUNS_WHEN_LIVE = {*MARKDOWN_VECTORS, "html-output", "js-output", "markdown-output"}
# SVG shown through <img> (the attachment, nbconvert's SVG outputs) cannot run scripts even unsanitized: for
# those the pages are checked for the SVG itself
SVG_IMAGES_JS = """() => Array.from(document.querySelectorAll('img'))
    .filter(img => (img.getAttribute('src') || '').toLowerCase().startsWith('data:image/svg+xml')).length"""
# what student content may never hold in a page: elements and attributes that run or load things
LIVE_MARKUP_JS = """() => {
    const found = [];
    for (const el of document.querySelectorAll('#notebook-container *')) {
        const tag = el.tagName.toLowerCase();
        if (['script', 'iframe', 'form', 'object', 'embed', 'svg', 'button', 'style', 'link', 'meta', 'base']
                .includes(tag) && el.outerHTML.includes('xss'))
            found.push('<' + tag + '>');
        for (const attr of el.attributes) {
            const name = attr.name.toLowerCase();
            const value = attr.value.replace(/[\\s\\u0000-\\u0020]+/g, '').toLowerCase();
            if (!value.includes('xss')) continue;
            if (name.startsWith('on') || name === 'srcdoc'
                    || (['href', 'src', 'action', 'formaction'].includes(name) && value.startsWith('javascript:')))
                found.push(tag + ' ' + name + '=' + value.slice(0, 40));
        }
    }
    return found;
}"""
SETUP_BUDGET_S = 240
PAGE_SETTLE_S = 0.5       # after the load event and the clicks: a javascript: URL runs in a later task


# ------------------------------------------------------------------------------------------ the courses


def _xss_assignment(root: Path) -> None:
    """source/xss/xss.ipynb: one answer cell and its test, as an instructor would write it."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    meta = {"schema_version": 3, "task": False}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A tiny assignment\n\nSet `answer` to $6 \\times 7$.", metadata={
            "nbgrader": {**meta, "grade": False, "solution": False, "locked": True, "grade_id": "intro"}}),
        nbformat.v4.new_code_cell("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION", metadata={
            "nbgrader": {**meta, "grade": False, "solution": True, "locked": False, "grade_id": "answer"}}),
        nbformat.v4.new_code_cell("assert answer == 42", metadata={
            "nbgrader": {**meta, "grade": True, "solution": False, "locked": True, "points": 1,
                         "grade_id": "test_answer"}}),
    ]
    (root / "source" / "xss").mkdir(parents=True)
    nbformat.write(nb, root / "source" / "xss" / "xss.ipynb")


def _with_vectors(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A notebook with every vector added at its end (markdown cells, an attachment, an output cell)."""
    for source in MARKDOWN_VECTORS.values():
        nb.cells.append(nbformat.v4.new_markdown_cell(source))
    attachment = nbformat.v4.new_markdown_cell(ATTACHMENT_CELL)
    attachment.attachments = {"evil.svg": {"image/svg+xml": base64.b64encode(
        SVG.format(name="attachment").encode()).decode()}}
    nb.cells.append(attachment)
    nb.cells.append(nbformat.v4.new_code_cell(OUTPUT_CODE))
    return nb


def _xss_submission(course: Course, student: str) -> None:
    nb = nbformat.read(course.root / "release" / "xss" / "xss.ipynb", as_version=4)
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "answer")
    answer.source = "answer = 6 * 7"
    write_submission(course, "xss", student, _with_vectors(nb))


CONTROL_CONFIG = """
# a course of tests/test_browser_sanitize.py with no sanitizing in nbgrader's pipelines or renderers
c.SanitizeStudentMarkup.enabled = False
c.HTMLExporter.preprocessors = []
c.HTMLExporter.sanitize_html = False
"""


class Courses:
    """The two graded courses and their servers (see the module docstring)."""

    def __init__(self, base: Path):
        self.course = {name: Course(base / name) for name in ("kit", "control")}
        self.dnnkit_error: str | None = None
        self.servers: dict[str, LabServer] = {}
        self.timings: dict[str, float] = {}

    def build(self, env: dict[str, str], jupyter: Path, logs: Path) -> None:
        """Make both courses, then grade them and start their servers, all at once (a server reads the
        gradebook and the autograded notebooks only when a page is asked for)."""
        kit, control = self.course["kit"], self.course["control"]
        began = time.monotonic()
        make_course_copy(kit.root)
        _xss_assignment(kit.root)
        nbgrader(kit.root, "generate_assignment", "[sx]*", "--force")     # xss and step_by_step, one process
        shutil.copytree(kit.root, control.root)
        with (control.root / "nbgrader_config.py").open("a") as config:
            config.write(CONTROL_CONFIG)
        self.timings["courses"] = time.monotonic() - began
        with _Threads(self.timings) as threads:
            threads.run("kit", self._grade_kit)
            threads.run("control", self._grade_control)
            for name, course in self.course.items():
                self.servers[name] = server = LabServer(course.root, logs / f"{name}-server.log")
                threads.run(f"{name} server", lambda server=server: server.start(env, jupyter))

    def _grade_kit(self) -> None:
        course = self.course["kit"]
        _xss_submission(course, "mallory")
        nbgrader(course.root, "autograde", "xss")
        nbgrader(course.root, "generate_feedback", "xss")

    def _grade_control(self) -> None:
        course = self.course["control"]
        _xss_submission(course, "mallory")
        nbgrader(course.root, "autograde", "xss")
        # step_by_step with `dnnkit grade` (its intake and runner are another engineer's); this course does not
        # sanitize in nbgrader's pipelines or renderers, so its pages show what dnnkit grade wrote
        submit(course, "eve", transform=_with_vectors)
        done = dnnkit_grade(course, "step_by_step", "--student", "eve", "--workers", "1",
                            timeout=SETUP_BUDGET_S)
        if done.returncode != 0:
            self.dnnkit_error = f"dnnkit grade exited {done.returncode}: {done.stderr[-1500:]}"
        nbgrader(course.root, "generate_feedback", "[sx]*")                # both assignments, one process

    def stop_servers(self) -> None:
        for server in self.servers.values():
            server.stop()

    def formgrader_url(self, name: str, assignment: str, student: str) -> str:
        with open_gradebook(self.course[name].root) as gb:
            submission = gb.find_submission_notebook(assignment, assignment, student).id
        server = self.servers[name]
        return f"{server.base_url}/formgrader/submissions/{submission}/?token={server.token}"

    def feedback_url(self, name: str, assignment: str, student: str) -> str:
        path = self.course[name].root / "feedback" / student / assignment / f"{assignment}.html"
        assert path.is_file(), f"no feedback file {path}"
        return path.as_uri()


class _Threads:
    """Run jobs in threads; on leaving, wait for all (within the setup budget) and raise the first error."""

    def __init__(self, timings: dict[str, float]):
        self.timings = timings
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []

    def run(self, name: str, job) -> None:
        def timed():
            began = time.monotonic()
            try:
                job()
            except BaseException as err:  # noqa: BLE001 (raised again in the main thread)
                self.errors.append(err)
            self.timings[name] = time.monotonic() - began
        thread = threading.Thread(target=timed, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        end = time.monotonic() + SETUP_BUDGET_S
        for thread in self.threads:
            thread.join(max(0.0, end - time.monotonic()))
        late = [thread.name for thread in self.threads if thread.is_alive()]
        if exc[0] is None:
            assert not late, f"{late} took more than {SETUP_BUDGET_S} s"
            if self.errors:
                raise self.errors[0]


@pytest.fixture(scope="module")
def courses(tmp_path_factory):
    base = tmp_path_factory.mktemp("sanitize")
    courses = Courses(base)
    config = base / "jupyter-config"        # fresh: no restored workspace, no news toast (see test_browser.py)
    settings = config / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    venv_bin = Path(sys.prefix) / "bin"
    env = {k: v for k, v in os.environ.items()
           if k not in ("JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR", "JUPYTER_TOKEN")}
    env.update(JUPYTER_CONFIG_DIR=str(config), JUPYTER_RUNTIME_DIR=str(base / "runtime"),
               IPYTHONDIR=str(base / "ipython"), PATH=f"{venv_bin}{os.pathsep}{env.get('PATH', '')}")
    try:
        courses.build(env, venv_bin / "jupyter", base)
        yield courses
    finally:
        courses.stop_servers()
        print(f"\nsetup times (s): {', '.join(f'{k} {v:.1f}' for k, v in courses.timings.items())}")


# ----------------------------------------------------------------------------------------- the browser


class Visit:
    """One page in a fresh browser context: what it logged as `xss:<name>`, and what its DOM holds."""

    def __init__(self, browser, name: str, url: str, budget: Budget, shots: Path, expect=frozenset()):
        self.url = url
        self.fired: set[str] = set()
        began = time.monotonic()
        context = browser.new_context(viewport={"width": 1300, "height": 900})
        # nothing leaves the machine (the templates load MathJax, jQuery and require.js from CDNs)
        context.route("**/*", lambda route: route.continue_()
                      if route.request.url.startswith(("http://127.0.0.1", "file:", "data:", "about:"))
                      else route.abort())
        try:
            page = context.new_page()
            page.on("console", lambda msg: msg.text.startswith("xss:") and self.fired.add(msg.text[4:]))
            page.on("dialog", lambda dialog: dialog.dismiss())
            page.goto(url, wait_until="load", timeout=budget.ms())
            for text in CLICKED:                # what runs only when the instructor clicks it
                target = page.get_by_text(text, exact=True)
                if target.count():
                    target.first.dispatch_event("click", timeout=budget.ms())
            end = time.monotonic() + 5
            while time.monotonic() < end and not expect <= self.fired:
                page.wait_for_timeout(100)     # the control: until every expected vector logged
            page.wait_for_timeout(PAGE_SETTLE_S * 1000)
            self.svg_images = page.evaluate(SVG_IMAGES_JS)
            self.live_markup = page.evaluate(LIVE_MARKUP_JS)
            self.text = page.inner_text("body")
            page.screenshot(path=str(shots / f"{name}.png"))      # for a failure's post-mortem
        finally:
            context.close()
        print(f"  {name}: {time.monotonic() - began:.1f} s")


def assert_sanitized(path: Path) -> None:
    """The autograded notebook itself holds no live student markup (checked as test_sanitize.py does)."""
    nb = nbformat.read(path, as_version=4)
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type == "markdown":
            assert active(render(cell.source, cell.get("attachments"))) == set(), (number, cell.source)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            assert not {"application/javascript", "image/svg+xml"} & set(data), (number, output)
            assert active(data.get("text/html", "")) == set(), (number, output)
            assert active(render(data.get("text/markdown", ""))) == set(), (number, output)
    assert any("[dnnkit: removed" in cell.source for cell in nb.cells if cell.cell_type == "markdown")


def assert_inert(visit: Visit, what: str) -> None:
    assert visit.fired == set(), f"{what}: student markup ran: {sorted(visit.fired)} ({visit.url})"
    assert visit.live_markup == [], f"{what}: live markup in the page: {visit.live_markup}"
    assert visit.svg_images == 0, f"{what}: {visit.svg_images} SVG image(s) from the student"
    assert "xss-md-link" in visit.text, f"{what}: the page does not show the submission: {visit.text[:500]!r}"
    assert "[dnnkit: removed" in visit.text, f"{what}: no note of what was removed"


# ------------------------------------------------------------------------------------------------- tests


def test_without_the_sanitizer_the_students_markup_runs(courses, browser, tmp_path):  # noqa: F811
    budget = Budget(60)
    formgrader = Visit(browser, "control-formgrader", courses.formgrader_url("control", "xss", "mallory"), budget,
                       tmp_path, expect=RUNS_WHEN_LIVE)
    feedback = Visit(browser, "control-feedback", courses.feedback_url("control", "xss", "mallory"), budget,
                     tmp_path, expect=RUNS_WHEN_LIVE - {"js-output"})
    print(f"\ncontrol formgrader ran {sorted(formgrader.fired)}; control feedback ran {sorted(feedback.fired)}")
    # every vector runs in formgrader, as the instructor, in the Jupyter server's origin
    assert formgrader.fired == RUNS_WHEN_LIVE, sorted(RUNS_WHEN_LIVE - formgrader.fired)
    # and in the feedback file; its JavaScript output needs jQuery from a CDN, which this test blocks
    assert feedback.fired >= RUNS_WHEN_LIVE - {"js-output"}, sorted(RUNS_WHEN_LIVE - feedback.fired)
    # SVG through <img> (attachment, SVG output) cannot run here even unsanitized; the SVG is there
    assert formgrader.svg_images >= 2 and feedback.svg_images >= 2
    # and the DOM check used on the kit's pages sees the live markup
    assert len(formgrader.live_markup) >= 6 and len(feedback.live_markup) >= 6, formgrader.live_markup


def test_with_the_kit_config_nothing_runs_in_formgrader_or_the_feedback(courses, browser, tmp_path):  # noqa: F811
    budget = Budget(60)
    notebook = courses.course["kit"].root / "autograded" / "mallory" / "xss" / "xss.ipynb"
    assert_sanitized(notebook)

    url = courses.formgrader_url("kit", "xss", "mallory")
    assert_inert(Visit(browser, "kit-formgrader", url, budget, tmp_path), "formgrader")
    assert_inert(Visit(browser, "kit-feedback", courses.feedback_url("kit", "xss", "mallory"), budget, tmp_path),
                 "feedback")

    # formgrader renders the file anew on every request: put the control's unsanitized notebook there (as if
    # graded before the kit sanitized anything); the course config's exporter sanitizes it on the way out
    unsanitized = courses.course["control"].root / "autograded" / "mallory" / "xss" / "xss.ipynb"
    assert "onerror" in unsanitized.read_text() and "javascript:" in unsanitized.read_text()
    shutil.copy(unsanitized, notebook)
    assert_inert(Visit(browser, "kit-formgrader-unsanitized", url, budget, tmp_path),
                 "formgrader, unsanitized notebook on disk")


def test_dnnkit_grade_output_is_inert_in_formgrader_and_the_feedback(courses, browser, tmp_path):  # noqa: F811
    if courses.dnnkit_error:
        pytest.fail(courses.dnnkit_error)
    budget = Budget(60)
    graded = courses.course["control"].root / "autograded" / "eve" / "step_by_step"
    record = json.loads(record_path(courses.course["control"].root, "step_by_step", "eve").read_text())
    assert any("removed <script>" in flag for flag in record["flags"]), record["flags"]
    assert_sanitized(graded / "step_by_step.ipynb")
    # this course's formgrader and feedback do not sanitize: what they show is what dnnkit grade wrote
    assert_inert(Visit(browser, "dnnkit-formgrader", courses.formgrader_url("control", "step_by_step", "eve"),
                       budget, tmp_path), "formgrader (dnnkit grade)")
    assert_inert(Visit(browser, "dnnkit-feedback", courses.feedback_url("control", "step_by_step", "eve"),
                       budget, tmp_path), "feedback (dnnkit grade)")
