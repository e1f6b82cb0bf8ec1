"""The documentation: the site in docs/ builds strictly, as `make docs` builds it (a broken link, a missing page
or heading, a page in no table of contents fails the build; shown on copies of docs/ with one planted), every
`c.DnnkitGrade` setting the code knows is documented, and the README stays one page whose two commands are the
Makefile's (`make demo`, `make test`, the latter exactly what `.ci/run` runs)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

DOCS = REPO / "docs"
README_MAX_LINES = 150


def _docs_flags() -> list[str]:
    """The sphinx-build options of the Makefile's `docs` recipe (the test builds with exactly these)."""
    makefile = (REPO / "Makefile").read_text()
    rule = re.search(r"^docs:.*\n\t\$\(BIN\)/sphinx-build (.*) docs docs/_build/html$", makefile, re.M)
    assert rule, "the Makefile has no `docs` target running $(BIN)/sphinx-build ... docs docs/_build/html"
    return rule.group(1).split()


def build(source: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sphinx", *_docs_flags(), str(source), str(out)],
                          capture_output=True, text=True, timeout=300)


def test_the_make_docs_build_is_strict():
    flags = _docs_flags()
    assert "-W" in flags and "--keep-going" in flags and "-n" in flags  # every warning an error, all of them shown


def test_the_site_builds_with_no_warning_and_every_page(tmp_path):
    done = build(DOCS, tmp_path / "html")
    assert done.returncode == 0, done.stderr[-5000:]
    assert "WARNING" not in done.stderr and "ERROR" not in done.stderr, done.stderr[-5000:]
    pages = sorted(path.stem for path in DOCS.glob("*.md"))
    assert len(pages) > 10
    for page in pages:
        assert (tmp_path / "html" / f"{page}.html").is_file(), f"docs/{page}.md was not built"
    for picture in DOCS.glob("screenshots/*.png"):  # every committed screenshot is shown somewhere on the site
        assert (tmp_path / "html" / "_images" / picture.name).is_file(), f"{picture.name} is on no page"


PLANTED = {
    "a link to a page that is not there": ("students.md", "\nSee [the old page](no-such-page.md).\n",
                                           "no-such-page.md"),
    "a link to a heading that is not there": ("term.md", "\nSee [grading](grading.md#no-such-heading).\n",
                                              "no-such-heading"),
    "a link to a file that is not there": ("sandbox.md", "\n![a picture](screenshots/no-such-picture.png)\n",
                                           "no-such-picture.png"),
    "a page in no table of contents": ("orphan.md", "# An orphan\n\nNo table of contents lists this page.\n",
                                       "orphan"),
}


@pytest.mark.parametrize("planted", list(PLANTED))
def test_a_planted_broken_reference_fails_the_build_naming_it(tmp_path, planted):
    page, text, named = PLANTED[planted]
    copy = tmp_path / "docs"
    shutil.copytree(DOCS, copy, ignore=shutil.ignore_patterns("_build"))
    with open(copy / page, "a") as handle:
        handle.write(text)
    done = build(copy, tmp_path / "html")
    assert done.returncode != 0, f"{planted}: the build passed"
    assert named in done.stderr and page in done.stderr, done.stderr[-3000:]


def _documented_grade_settings() -> dict[str, str]:
    """{key: what it bounds} from the table of docs/settings.md's c.DnnkitGrade section."""
    text = (DOCS / "settings.md").read_text()
    section = text.split("## `c.DnnkitGrade`", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| `(\w+)` \| [^|]* \| (.*) \|$", section, re.M))


def test_every_dnnkit_grade_setting_is_documented_by_its_help_text():
    from dnnkit.grading.settings import DnnkitGrade

    known = DnnkitGrade.class_traits(config=True)
    documented = _documented_grade_settings()
    assert set(known) - set(documented) == set(), "settings the code knows but docs/settings.md does not list"
    assert set(documented) - set(known) == set(), "settings docs/settings.md lists but the code does not know"
    assert {key: documented[key] for key in known} == {key: trait.help for key, trait in known.items()}
    configured = set(re.findall(r"^c\.DnnkitGrade\.(\w+) *=", (REPO / "nbgrader_config.py").read_text(), re.M))
    assert configured <= set(documented)


# ---------------------------------------------------------------------------------------------
# The README: one page, the two commands, links into the documentation
# ---------------------------------------------------------------------------------------------
def _readme() -> str:
    return (REPO / "README.md").read_text()


def test_the_readme_fits_on_a_page():
    lines = _readme().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move the rest into docs/"


def _make_rule(name: str) -> str:
    rule = re.search(rf"^{name}:.*\n((?:\t.*\n)+)", (REPO / "Makefile").read_text(), re.M)
    assert rule, f"no `{name}` target in the Makefile"
    return rule.group(1)


def test_the_readme_s_two_commands_are_the_makefile_s_and_ci_runs_make_test():
    section = _readme().split("## Two commands", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the README's 'Two commands' section has no sh block"
    commands = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    assert "dnnkit demo" in _make_rule("demo")
    assert " -m " not in _make_rule("test")  # make test is everything: no marker left out
    ci = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.lstrip().startswith("#")]
    assert [line for line in ci if line.split()[0] == "make"] == ["make test"], ci


def test_every_link_of_the_readme_leads_somewhere_and_every_page_is_linked():
    targets = re.findall(r"\]\(([^)\s]+)\)", _readme())
    local = [t.split("#", 1)[0] for t in targets if not re.match(r"[a-z]+:", t)]
    assert local, "the README links to nothing"
    for target in local:
        assert (REPO / target).exists(), f"the README links to {target}, which is not there"
    pages = {f"docs/{path.name}" for path in DOCS.glob("*.md")} - {"docs/index.md"}
    assert pages - set(local) == set(), "pages of docs/ the README's map does not link"
