"""Courses in English, Chinese or both: each source markdown cell carries its Chinese, with the same formulas,
code and numbers; the release writes the course's language and nothing else differs between languages."""
from __future__ import annotations

import re

import nbformat
import pytest
from traitlets.config import Config

from conftest import REPO, make_course_copy
from dnnkit import DnnkitError
from dnnkit.cases import FUNCTIONS
from dnnkit.cli import main
from dnnkit.commands.release import course_language
from dnnkit.course import Course
from dnnkit.language import LanguageError, Localize, bilingual
from dnnkit.nbgrader_cli import nbgrader
from translation_match import mismatches

CJK = re.compile(r"[\u4e00-\u9fff]")
TERMS = ("前向传播", "反向传播", "缓存", "激活函数", "代价函数", "梯度", "向量化", "广播", "学习率", "参数",
         "隐藏层", "输出层", "权重", "偏置", "损失函数", "链式法则")


def _markdown(assignment):
    nb = nbformat.read(Course(REPO).notebook(assignment), 4)
    return [c for c in nb.cells if c.cell_type == "markdown" and c.source.strip()]


@pytest.mark.parametrize("assignment", list(FUNCTIONS))
def test_every_markdown_cell_has_chinese_with_the_same_formulas_code_and_numbers(assignment):
    cells = _markdown(assignment)
    assert cells
    for cell in cells:
        chinese = cell.metadata.get("dnnkit", {}).get("zh", "")
        assert CJK.search(chinese), f"{cell.metadata.nbgrader.grade_id}: no Chinese translation"
        assert mismatches(cell.source, chinese) == [], cell.metadata.nbgrader.grade_id


def test_the_notebooks_use_the_course_terms():
    text = "".join(c.metadata.dnnkit.zh for a in FUNCTIONS for c in _markdown(a))
    assert [t for t in TERMS if t not in text] == []


@pytest.mark.parametrize("english, chinese, what", [
    ("Cost $J = \\frac{1}{m}$.", "代价 $J = \\frac{1}{n}$。", "formulas"),
    ("$$a^{[l]}$$ and $x$", "$$a^{[l-1]}$$ 和 $x$", "formulas"),
    ("Call `relu(Z)`.", "调用 `relu(z)`。", "code spans"),
    ("Train for 100 steps.", "训练 1000 步。", "numbers"),
    ("# 1 - Setup", "1 - 准备", "heading"),
    ("```\nA ──► B\n```", "```\nA ──► C\n```", "fenced block"),
    ("One.\n\nTwo.", "一。二。", "blocks"),
])
def test_a_translation_that_changes_formulas_code_numbers_or_blocks_is_caught(english, chinese, what):
    found = mismatches(english, chinese)
    assert found and all(what in line for line in found), found
    assert mismatches(english, english) == []


def test_bilingual_puts_the_chinese_under_each_english_block():
    english = "## 1 - Setup\n\nRun `f()` on $x$.\nTwice.\n\n```\nX ──► Y\n\nZ\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    chinese = "## 1 - 准备\n\n对 $x$ 运行 `f()`。\n两次。\n\n```\nX ──► Y\n\nZ\n```\n\n| a | 乙 |\n|---|---|\n| 1 | 2 |"
    assert bilingual(english, chinese) == (
        "## 1 - Setup · 1 - 准备\n\nRun `f()` on $x$.\nTwice.\n\n对 $x$ 运行 `f()`。\n两次。\n\n"
        "```\nX ──► Y\n\nZ\n```\n\n| a | b / 乙 |\n|---|---|\n| 1 | 2 |")
    with pytest.raises(LanguageError, match="2 English blocks but 1 Chinese"):
        bilingual("One.\n\nTwo.", "一。二。")


def _localized(language):
    config = Config()
    config.Dnnkit.language = language
    nb = nbformat.read(Course(REPO).notebook("application"), 4)
    Localize(config=config).preprocess(nb, {})
    return nb


@pytest.mark.parametrize("language", ["en", "zh", "en+zh"])
def test_localize_writes_the_language_and_drops_the_translations(language):
    source = nbformat.read(Course(REPO).notebook("application"), 4)
    nb = _localized(language)
    for before, after in zip(source.cells, nb.cells):
        assert "dnnkit" not in after.metadata
        if before.cell_type != "markdown":
            assert after == before
        elif language == "en":
            assert after.source == before.source
        elif language == "zh":
            assert after.source == before.metadata.dnnkit.zh
        else:
            assert after.source == bilingual(before.source, before.metadata.dnnkit.zh)


def test_an_unknown_language_is_an_error_naming_the_setting_and_the_choices(tmp_path, capsys):
    with pytest.raises(LanguageError, match=r"^c\.Dnnkit\.language = 'fr' is not a course language; "
                                            r"choose en, zh, en\+zh$"):
        _localized("fr")
    root = make_course_copy(tmp_path / "course", with_release=False)
    config = root / "nbgrader_config.py"
    config.write_text(config.read_text().replace('c.Dnnkit.language = "en"', 'c.Dnnkit.language = "de"'))
    with pytest.raises(DnnkitError, match=r"^nbgrader_config.py: c\.Dnnkit\.language = 'de' is not a course "
                                          r"language; choose en, zh, en\+zh$"):
        course_language(Course(root))
    with pytest.raises(SystemExit):
        main(["release", "--language", "fr"])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "--language: invalid choice: 'fr'" in err and "'en', 'zh', 'en+zh'" in err


def _cells(release, assignment):
    return nbformat.read(release / assignment / f"{assignment}.ipynb", 4).cells


@pytest.mark.slow
def test_every_language_releases_the_same_code_cells_and_cases(tmp_path, monkeypatch):
    """en through nbgrader_config.py's default, zh set there and run by plain nbgrader, en+zh by
    `dnnkit release --language`."""
    roots = {}
    for language in ("en", "zh", "en+zh"):
        root = roots[language] = make_course_copy(tmp_path / language.replace("+", "-"), with_release=False)
        if language == "zh":
            config = root / "nbgrader_config.py"
            config.write_text(config.read_text().replace('c.Dnnkit.language = "en"', 'c.Dnnkit.language = "zh"'))
        if language == "en+zh":
            monkeypatch.setenv("DNNKIT_COURSE_ROOT", str(root))
            assert main(["release", "--language", "en+zh", *FUNCTIONS]) == 0
        else:
            for assignment in FUNCTIONS:
                nbgrader(root, "generate_assignment", assignment, "--force")
    for assignment in FUNCTIONS:
        en, zh, both = (_cells(roots[lang] / "release", assignment) for lang in ("en", "zh", "en+zh"))
        assert en == _cells(REPO / "release", assignment)  # the committed release is the English one
        source = nbformat.read(Course(REPO).notebook(assignment), 4).cells
        assert len(en) == len(zh) == len(both) == len(source)
        for s, e, z, b in zip(source, en, zh, both):
            assert e.id == z.id == b.id and e.cell_type == z.cell_type == b.cell_type
            assert "dnnkit" not in e.metadata and "dnnkit" not in z.metadata and "dnnkit" not in b.metadata
            if e.cell_type == "code":
                assert e == z == b
                continue
            assert z.source == s.metadata.dnnkit.zh and b.source == bilingual(s.source, s.metadata.dnnkit.zh)
            for other in (z, b):  # the same grade id, lock and points: only the text and its checksum differ
                assert {k: v for k, v in other.metadata.nbgrader.items() if k != "checksum"} == \
                       {k: v for k, v in e.metadata.nbgrader.items() if k != "checksum"}
        cases = [(roots[lang] / "release" / assignment / "public_cases.npz").read_bytes() for lang in roots]
        assert cases[0] == cases[1] == cases[2]
