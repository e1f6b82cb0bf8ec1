"""The feedback page a student gets, the instructor report and formgrader, in a course graded by `dnnkit grade`:
the contents list names each graded function, and math typesets with no network, from MathJax carried inline
(dnnkit/mathjax.py): in headless Chromium with every request to another host aborted, the feedback opened from
disk and served by a real Jupyter server's /files/ (sandboxed, as a hub serves it), the report, formgrader's page.
TeX a student wrote cannot put a javascript: link into the page (MathJax's safe extension; without it, it can)."""
from __future__ import annotations

import contextlib
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from dnnkit import mathjax
from dnnkit.cases import FUNCTIONS
from dnnkit.gradebook import open_gradebook
from grading_support import submit
from test_browser import LAUNCH_ARGS, Budget, browser, start_lab  # noqa: F401 (browser: Chromium fixture)

pytestmark = pytest.mark.slow

ASSIGNMENT = "step_by_step"
NAMES = FUNCTIONS[ASSIGNMENT]
# a markdown cell a student adds: TeX that, typeset without MathJax's safe extension, is a javascript: link
HOSTILE_TEX = r"My note: $\href{javascript:console.log('xss:tex-href')}{\text{texlink}}$ and $x^2$."
LOCAL = ("http://127.0.0.1", "file:", "data:", "about:", "blob:")


class Contents(HTMLParser):
    """The entries of the feedback page's contents list (#toc li): [(href, text)]."""

    def __init__(self, page: str):
        super().__init__()
        self.entries, self.depth, self.href, self.text = [], 0, None, None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and attrs.get("id") == "toc":
            self.depth = 1
        elif self.depth and tag == "div":
            self.depth += 1
        elif self.depth and tag == "li":
            self.href, self.text = None, ""
        elif self.depth and tag == "a" and self.text is not None and self.href is None:
            self.href = attrs.get("href")

    def handle_endtag(self, tag):
        if self.depth and tag == "div":
            self.depth -= 1
        elif self.depth and tag == "li" and self.text is not None:
            self.entries.append((self.href, " ".join(self.text.split())))
            self.text = None

    def handle_data(self, data):
        if self.depth and self.text is not None:
            self.text += data


def _with_hostile_tex(nb):
    nb.cells.append(nbformat.v4.new_markdown_cell(HOSTILE_TEX))


@contextlib.contextmanager
def dnnkit_submissions(course):
    """ada (correct) and mallory (linear_forward wrong, and a markdown cell of hostile TeX), for the course
    shared_courses.py grades with `dnnkit grade` (and writes the feedback and the report of)."""
    submit(course, "ada")
    submit(course, "mallory", answers={"linear_forward": "def linear_forward(A, W, b):\n    return A, (A, W, b)\n"},
           transform=_with_hostile_tex)
    yield {}


@pytest.fixture(scope="module")
def course(dnnkit_graded):
    for run in ("grade-step_by_step", "report-step_by_step"):
        done = dnnkit_graded.run(run)
        assert done.returncode == 0, done.stderr[-3000:]
    return dnnkit_graded.course


def feedback(course, student: str) -> Path:
    return course.root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"


def test_the_contents_list_names_each_graded_function(course):
    entries = Contents(feedback(course, "mallory").read_text()).entries
    tests = [(href, text) for href, text in entries if text.startswith("Test cell")]
    assert [href for href, _ in tests] == [f"#test_{name}" for name in NAMES]
    for (_, text), name in zip(tests, NAMES):
        points = "0.0 / 10.0" if name == "linear_forward" else "10.0 / 10.0"
        assert text == f"Test cell: {name} (Score: {points})", text
    assert [text for _, text in entries if "Test cell" not in text] == []  # nothing else, nothing unnamed


def test_no_page_loads_mathjax_from_anywhere(course):
    for page in (feedback(course, "ada"), course.root / "autograded" / f"report-{ASSIGNMENT}.html"):
        text = page.read_text()
        assert not re.search(r"<script[^>]+src=", text), page  # everything inline
        assert text.count(mathjax.source()) == 1, page
        rest = text.replace(mathjax.source(), "")  # (MathJax's own code names CDNs it never uses here)
        assert "window.MathJax = " in rest and not re.search(r"cdnjs|jsdelivr|mathjax/2\.7", rest), page


# ------------------------------------------------------------------------------------------- in Chromium

TYPESET_JS = """async () => {
    await window.MathJax.startup.promise;
    const inside = document.querySelectorAll('.tex2jax_process mjx-container').length;
    return {all: document.querySelectorAll('mjx-container').length, inside: inside,
            text: document.body.innerText};
}"""
JAVASCRIPT_LINKS_JS = """() => Array.from(document.querySelectorAll('a')).map(
    a => a.getAttribute('href') || a.getAttributeNS('http://www.w3.org/1999/xlink', 'href') || '')
    .filter(href => href.replace(/\\s/g, '').toLowerCase().startsWith('javascript:'))"""


def visit(browser, url: str, budget: Budget, click: str | None = None) -> dict:  # noqa: F811
    """Open `url` in a fresh context (requests to other hosts aborted): what MathJax typeset, every request made
    besides the page, the javascript: links in the page, console lines `xss:...`, the page's response headers."""
    context = browser.new_context()
    requests, fired = [], []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(LOCAL) else route.abort())
    try:
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.on("console", lambda msg: msg.text.startswith("xss:") and fired.append(msg.text))
        page.on("dialog", lambda dialog: dialog.dismiss())
        response = page.goto(url, wait_until="load", timeout=budget.ms())
        found = page.evaluate(TYPESET_JS)
        found["javascript_links"] = page.evaluate(JAVASCRIPT_LINKS_JS)
        if click and page.get_by_text(click).count():
            # MathJax's SVG glyphs lie over the text: click where it is, whatever is on top
            page.get_by_text(click).first.click(force=True, timeout=budget.ms())
            page.wait_for_timeout(500)
        found.update(requests=[r for r in requests if r.split("?")[0] != url.split("?")[0]], fired=fired,
                     headers=response.headers if response else {})
        return found
    finally:
        context.close()


def assert_typeset(found: dict, at_least: int, where: str) -> None:
    assert found["all"] >= at_least, f"{where}: {found['all']} formulas typeset"
    assert found["requests"] == [], f"{where}: the page asked for {found['requests'][:5]}"
    assert "$W^{[3]}$" not in found["text"], f"{where}: raw TeX left in the text"


@pytest.fixture(scope="module")
def server(course, tmp_path_factory):
    """`jupyter lab` serving the course folder: its /files/ (a hub serves feedback so) and formgrader."""
    server = start_lab(course.root, tmp_path_factory.mktemp("lab"))
    yield server
    server.stop()


@pytest.mark.browser
def test_feedback_math_typesets_from_disk_and_from_the_server_with_no_network(course, browser, server):  # noqa: F811
    budget = Budget(120)
    page = feedback(course, "ada")
    # a lower bound: the markdown's math, two $ for each inline formula, four for a displayed one
    formulas = page.read_text().replace(mathjax.source(), "").count("$") // 4
    assert formulas > 20
    from_disk = visit(browser, page.as_uri(), budget)
    assert_typeset(from_disk, formulas, "from disk")
    served = visit(browser, f"{server.base_url}/files/feedback/ada/{ASSIGNMENT}/{ASSIGNMENT}.html?token="
                            f"{server.token}", budget)
    assert "sandbox" in served["headers"].get("content-security-policy", "")  # as the hub serves it
    assert_typeset(served, formulas, "served")


@pytest.mark.browser
def test_student_tex_cannot_put_a_javascript_link_in_the_feedback(course, browser, tmp_path):  # noqa: F811
    budget = Budget(120)
    page = feedback(course, "mallory")
    kit = visit(browser, page.as_uri(), budget, click="texlink")
    assert "texlink" in kit["text"]
    assert kit["javascript_links"] == [] and kit["fired"] == [], kit["javascript_links"]
    # the control: the same page with MathJax but without its safe extension; the link lands and runs
    html = page.read_text()
    unsafe = html.replace(mathjax.source(), mathjax.inline(mathjax.component(mathjax.COMPONENTS[0])))
    assert unsafe != html
    control = tmp_path / "unsafe.html"
    control.write_text(unsafe)
    landed = visit(browser, control.as_uri(), budget, click="texlink")
    assert landed["javascript_links"] and landed["fired"] == ["xss:tex-href"], landed["javascript_links"]


@pytest.mark.browser
def test_the_report_typesets_its_formula_and_nothing_else(course, browser):  # noqa: F811
    found = visit(browser, (course.root / "autograded" / f"report-{ASSIGNMENT}.html").as_uri(), Budget(60))
    assert found["inside"] >= 1 and found["all"] == found["inside"], found
    assert found["requests"] == []


@pytest.mark.browser
def test_formgrader_typesets_math_with_no_network(course, browser, server):  # noqa: F811
    with open_gradebook(course.root) as gb:
        submission = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "ada").id
    began = time.monotonic()
    found = visit(browser, f"{server.base_url}/formgrader/submissions/{submission}/?token={server.token}",
                  Budget(120))
    assert found["all"] > 20, found["all"]
    assert not [r for r in found["requests"] if "mathjax" in r.lower()], found["requests"]
    print(f"formgrader page: {time.monotonic() - began:.1f} s")
