"""MathJax (PyPI package django-static-mathjax, MathJax 3.2.2's own files) carried inline in the pages the kit
makes: the feedback page, the instructor report and formgrader's pages. Why inline, never from a CDN:
docs/feedback-pages.md."""
from __future__ import annotations

import functools
import json
from importlib import metadata
from pathlib import Path

import nbgrader

from . import DnnkitError

DISTRIBUTION = "django-static-mathjax"
COMPONENTS = ("mathjax/static/mathjax/es5/tex-svg-full.js",  # TeX in, SVG out, every TeX extension preloaded
              "mathjax/static/mathjax/es5/ui/safe.js")  # filters what TeX may put into the page
TEMPLATES = str(Path(__file__).resolve().parent / "templates")  # holds base/mathjax.html.j2, the macro's override
NBGRADER_TEMPLATES = str(Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates")


def component(name: str) -> str:
    """The JavaScript of one of MathJax's files (a path in the distribution, as in COMPONENTS)."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise DnnkitError(f"MathJax is not installed (PyPI package {DISTRIBUTION}): run "
                          "`.venv/bin/pip install -r requirements.txt`") from None
    try:
        return Path(dist.locate_file(name)).read_text(encoding="utf-8")
    except OSError as err:
        raise DnnkitError(f"MathJax's {name} cannot be read ({err.strerror}): reinstall {DISTRIBUTION}") from None


def inline(javascript: str) -> str:
    """`javascript` made safe to stand inside a <script> element: "</script" would end the element and "<!--" can
    start an escaped state; in MathJax's code both occur only inside strings and regular expressions, where these
    escapes mean the same characters."""
    return javascript.replace("</script", "<\\/script").replace("<!--", "\\x3C!--")


@functools.cache
def source() -> str:
    """The components' JavaScript, as one script. One script element: the `safe` extension must hook into MathJax
    before MathJax's start-up, which runs in a promise callback once the current script has finished."""
    return inline("\n;\n".join(component(name) for name in COMPONENTS))


def script_tags(process_class: str | None = None) -> str:
    """The <script> elements that typeset the page's math: the configuration, then MathJax itself. $...$ and
    \\(...\\) inline, $$...$$ and \\[...\\] displayed (as nbconvert's templates have it), no context menu (it would
    load more components), and, given `process_class`, math only inside elements of that class (the page's body
    then has class "tex2jax_ignore")."""
    tex = {"inlineMath": [["$", "$"], ["\\(", "\\)"]], "displayMath": [["$$", "$$"], ["\\[", "\\]"]],
           "processEscapes": True, "processEnvironments": True}
    options = {"enableMenu": False}
    if process_class:
        options.update(ignoreHtmlClass="tex2jax_ignore", processHtmlClass=process_class)
    settings = json.dumps({"tex": tex, "options": options}).replace("</", "<\\/")
    return f"<script>window.MathJax = {settings};</script>\n<script>{source()}</script>"


def jinja_filter(_url=None) -> str:
    """The Jinja filter `inline_mathjax` that templates/base/mathjax.html.j2 calls in place of nbconvert's CDN
    script (the URL nbconvert passes is not used)."""
    return script_tags()


def formgrader_template_basedirs() -> list[str]:
    """c.HTMLExporter.extra_template_basedirs for formgrader: nbgrader's own templates (what formgrader sets), then
    the kit's, whose base/mathjax.html.j2 comes before nbconvert's in the search path."""
    return [NBGRADER_TEMPLATES, TEMPLATES]
