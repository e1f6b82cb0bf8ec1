"""The feedback page `nbgrader generate_feedback` writes, in the language of the release students got.

nbgrader_config.py makes FeedbackExporter the exporter of nbgrader's GenerateFeedback. It renders nbgrader's own
feedback template through templates/dnnkit_feedback, which takes every label ("Score", "Test cell", "Comments",
...) from LABELS in the release's language (dnnkit.shipped.released_language, as the grader's lines), names the
graded function of each test cell in the contents list, and carries MathJax inline (dnnkit.mathjax, through
templates/base/mathjax.html.j2). Formgrader keeps its own exporter and template (nbgrader_config.py gives it the
inline MathJax too).
"""
from __future__ import annotations

import os
from pathlib import Path

import nbgrader
from nbconvert.exporters import HTMLExporter
from traitlets.config import Config

from . import mathjax
from .cases import function_of
from .course import Course
from .language import translated_term
from .shipped import released_language

TEMPLATE = "dnnkit_feedback"
NBGRADER_TEMPLATES = str(Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates")
# ours first (dnnkit_feedback, and base/mathjax.html.j2 before nbconvert's), then nbgrader's ("feedback", which ours
# names as its base)
TEMPLATE_BASEDIRS = [mathjax.TEMPLATES, NBGRADER_TEMPLATES]

# {key: (English, Chinese)}: nbgrader's feedback labels; the English ones are nbgrader's words
LABELS = {
    "score": ("Score", "得分"),
    "test_cell": ("Test cell", "测试单元"),
    "coding": ("Coding free-response", "编程自由作答"),
    "written": ("Written response", "书面作答"),
    "task": ("Task", "任务"),
    "comment": ("Comment", "评语"),
    "comments": ("Comments", "评语"),
    "late_penalty": ("Late submission penalty", "迟交扣分"),
    "top": ("Top", "回到顶部"),
    "answer": ("Student's answer", "学生的答案"),
    "student_task": ("Student's task", "学生的任务"),
    "grade_cell": ("Grade cell", "评分单元"),
}


def labels(language: str) -> dict[str, str]:
    """LABELS in `language`; in "en+zh" as "English / Chinese"."""
    return {key: translated_term(texts, language) for key, texts in LABELS.items()}


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback HTML with its labels in the release's language (c.GenerateFeedback.exporter_class).
    Its template and template folders are TEMPLATE and TEMPLATE_BASEDIRS unless c.FeedbackExporter sets them
    (GenerateFeedback sets HTMLExporter's, for nbgrader's own template, which this section overrides)."""

    def __init__(self, config=None, **kw):
        config = config or Config()
        own = Config()
        own.FeedbackExporter.template_name = TEMPLATE
        own.FeedbackExporter.extra_template_basedirs = TEMPLATE_BASEDIRS
        # where Jinja finds "feedback/index.html.j2", which ours extends, besides GenerateFeedback's own paths
        own.FeedbackExporter.extra_template_paths = [
            *config.get("HTMLExporter", {}).get("extra_template_paths", []), NBGRADER_TEMPLATES]
        own.merge(config)
        super().__init__(config=own, **kw)

    def default_filters(self):
        yield from super().default_filters()
        yield "inline_mathjax", mathjax.jinja_filter

    def from_notebook_node(self, nb, resources=None, **kw):
        resources = dict(resources or {})
        assignment = resources.get("nbgrader", {}).get("assignment")
        # nbgrader runs its converters inside the course root; its coursedir says so explicitly
        coursedir = getattr(self.parent, "coursedir", None)
        root = coursedir.root if coursedir is not None else os.getcwd()
        language = released_language(Course(root), assignment) if assignment else "en"
        resources["dnnkit_labels"] = labels(language)
        # {grade id: what the contents list calls the cell}: the graded function a test cell checks
        resources["dnnkit_functions"] = {gid: function_of(gid) or gid for cell in nb.cells
                                         if isinstance(gid := cell.metadata.get("nbgrader", {}).get("grade_id"), str)}
        return super().from_notebook_node(nb, resources, **kw)
