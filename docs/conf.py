"""Sphinx configuration of dnnkit's documentation site (`make docs`): the Markdown pages of docs/, read by MyST.

Built strictly (sphinx-build -W --keep-going -n): a link to a missing page, file or heading, a page in no table
of contents, or any other warning is an error. Nothing is fetched while building: Sphinx's own theme, no
intersphinx, no extension that downloads.
"""
project = "dnnkit"
author = "the dnnkit maintainers"
copyright = "the dnnkit maintainers"

extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

myst_heading_anchors = 3  # [text](page.md#a-heading) links, checked like page links
suppress_warnings: list[str] = []  # nothing is let through

html_theme = "alabaster"
html_theme_options = {"description": "deep networks, forward and backward, built by hand", "fixed_sidebar": True}
html_sidebars = {"**": ["about.html", "navigation.html", "searchbox.html"]}
html_show_sourcelink = False
