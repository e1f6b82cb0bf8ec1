"""MathJax, from the installed PyPI package django-static-mathjax (MathJax 3.2.2's own files), written into the
pages the kit makes: the feedback page, the instructor report, and formgrader's pages (nbgrader_config.py).

Where a page finds MathJax: inside itself. A feedback page travels alone: nbgrader's release_feedback copies only
the .html file into the exchange, and a student opens it from disk or through the hub's /files/ URL, which
jupyter_server sends with `Content-Security-Policy: sandbox allow-scripts` (an opaque origin: no cookie goes with a
request for a script beside the page). So the page carries MathJax inline, about 2.3 MB: the single-file component
tex-svg-full (its SVG output draws glyphs from paths, so no font files are fetched) and the `safe` extension, which
drops `\\href{javascript:...}`, styles and ids from TeX a student wrote. No page the kit writes fetches MathJax from
a CDN or anywhere else."""
from __future__ import annotations

import functools
import json
from importlib import metadata
from pathlib import Path

from . import DnnkitError

DISTRIBUTION = "django-static-mathjax"
COMPONENTS = ("mathjax/static/mathjax/es5/tex-svg-full.js",  # TeX in, SVG out, every TeX extension preloaded
              "mathjax/static/mathjax/es5/ui/safe.js")  # filters what TeX may put into the page
TEMPLATES = str(Path(__file__).resolve().parent / "templates")  # holds base/mathjax.html.j2, the macro's override


def config(process_class: str | None = None) -> dict:
    """MathJax's configuration: $...$ and \\(...\\) inline, $$...$$ and \\[...\\] displayed (as nbconvert's
    templates have it), no context menu (it would load more components), and, given `process_class`, math only
    inside elements of that class (the page's body then has class "tex2jax_ignore")."""
    options = {"enableMenu": False}
    if process_class:
        options.update(ignoreHtmlClass="tex2jax_ignore", processHtmlClass=process_class)
    return {"tex": {"inlineMath": [["$", "$"], ["\\(", "\\)"]], "displayMath": [["$$", "$$"], ["\\[", "\\]"]],
                    "processEscapes": True, "processEnvironments": True},
            "options": options}


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
    """The <script> elements that typeset the page's math: the configuration, then MathJax itself."""
    settings = json.dumps(config(process_class)).replace("</", "<\\/")
    return f"<script>window.MathJax = {settings};</script>\n<script>{source()}</script>"


def jinja_filter(_url=None) -> str:
    """The Jinja filter `inline_mathjax` that templates/base/mathjax.html.j2 calls in place of nbconvert's CDN
    script (the URL nbconvert passes is not used)."""
    return script_tags()


def formgrader_template_basedirs() -> list[str]:
    """c.HTMLExporter.extra_template_basedirs for formgrader: nbgrader's own templates (what formgrader sets), then
    the kit's, whose base/mathjax.html.j2 comes before nbconvert's in the search path."""
    import nbgrader

    return [str(Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates"),
            TEMPLATES]
