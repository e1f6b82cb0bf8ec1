"""The feedback page `nbgrader generate_feedback` writes (c.GenerateFeedback.exporter_class): nbgrader's own
template through templates/dnnkit_feedback, its labels from the catalog (texts.FEEDBACK) in the release's
language, each test cell named by its graded function, MathJax inline (docs/feedback-pages.md)."""
from __future__ import annotations

import os

from nbconvert.exporters import HTMLExporter
from traitlets.config import Config

from . import mathjax
from .cases import function_of
from .checks import term
from .course import Course
from .shipped import released_language
from .texts import FEEDBACK

TEMPLATE = "dnnkit_feedback"
# ours first (dnnkit_feedback, and base/mathjax.html.j2 before nbconvert's), then nbgrader's ("feedback", which ours
# names as its base)
TEMPLATE_BASEDIRS = [mathjax.TEMPLATES, mathjax.NBGRADER_TEMPLATES]

PREFIX = "feedback "  # of the labels' keys in the catalog (dnnkit.texts.FEEDBACK)


def labels(language: str) -> dict[str, str]:
    """The feedback labels in `language`, by the name the template gives them; in "en+zh" "English / Chinese"."""
    return {key.removeprefix(PREFIX): term(key, language) for key in FEEDBACK}


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
            *config.get("HTMLExporter", {}).get("extra_template_paths", []), mathjax.NBGRADER_TEMPLATES]
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
