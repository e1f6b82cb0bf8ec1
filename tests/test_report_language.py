"""`dnnkit report` and `dnnkit check`'s first lines in the course's language (their texts are the catalog's,
dnnkit/texts.py, checked with the rest in tests/test_language_messages.py and tests/test_texts.py): the page in the
language of the release, Chinese headings and summary in a zh course, both in en+zh, the English page as it was,
hostile text escaped in every language, and plots that never draw Chinese without a font that has it."""
from __future__ import annotations

import re
import warnings

import pytest

from conftest import make_course_copy
from dnnkit import report as report_module, shipped
from dnnkit.cli import main
from dnnkit.commands import check as check_command
from dnnkit.language import LANGUAGES
from dnnkit.mistakes import chinese
from dnnkit.report import collect, render
from test_report import ASSIGNMENT, HOSTILE, HOSTILE_FLAG, HOSTILE_ID, PAGE, STUDENTS, Tables, make_record, own_markup, \
    write_record

CJK = re.compile(r"[\u4e00-\u9fff]")
# the English page's fixed texts as they were before the page had a language (a bilingual page holds them too)
ENGLISH = ["<title>dnnkit report: step_by_step</title>", "<h1>step_by_step: instructor report</h1>",
           "<h2>Scores</h2>", '<img alt="score histogram"', "<h2>Pass rate per function</h2>",
           '<img alt="pass rate per function"', "<h2>Most frequent mistakes</h2>",
           "<p>Failed functions by diagnosed mistake (the 3 most frequent per function), then those no known mistake "
           "matched.</p>", "<h2>Flagged or not fully graded</h2>", "<h2>Students</h2>",
           "<p>✓ passed, ✗ failed (also timed out or crashed), – not attempted (the stub left as released), · not "
           "run; hover a mark for the verdict.</p>", "no known mistake matched"]
ENGLISH_HEADERS = [["function", "passed", "failed", "not attempted", "not run", "pass rate"],
                   ["function", "mistake", "what it says", "the fix", "students"],
                   ["student", "status", "score", "flags"],
                   ["student", "raw score", "points lost by function", "graded by hand", "late penalty", "score"],
                   ["student", "score", "status"]]
CHINESE = ["<title>dnnkit 报告：step_by_step</title>", "<h1>step_by_step：教师报告</h1>", "<h2>分数</h2>",
           '<img alt="分数直方图"', "<h2>各函数的通过率</h2>", "<h2>最常见的错误</h2>",
           "未通过的函数按诊断出的错误归类（每个函数最常见的 3 种）", "<h2>有标记或未完全评分</h2>", "<h2>学生</h2>",
           "✓ 通过，✗ 未通过", "没有匹配到已知错误"]
CHINESE_HEADERS = [["函数", "通过", "未通过", "未作答", "未运行", "通过率"], ["函数", "错误", "诊断", "改正方法", "学生"],
                   ["学生", "状态", "分数", "标记"], ["学生", "原始分", "各函数失分", "手动评分", "迟交扣分", "分数"],
                   ["学生", "分数", "状态"]]


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict:
    """{language: the page} for test_report's records, and "course": the page of a course with no language set."""
    root = make_course_copy(tmp_path_factory.mktemp("course") / "course", with_release=False)
    for student in STUDENTS:
        write_record(root, student, make_record(student))
    found = {language: render(collect(root, ASSIGNMENT, language)) for language in LANGUAGES}
    found["course"] = render(collect(root, ASSIGNMENT))
    return found


def headers(page: str) -> list[list[str]]:
    return [table[0] for table in Tables(page).tables]


def test_the_english_page_is_as_it_was(pages):
    page = pages["en"]
    assert pages["course"] == page  # a course in English gets the English page
    assert all(text in page for text in ENGLISH)
    assert [h[:len(e)] for h, e in zip(headers(page), ENGLISH_HEADERS)] == ENGLISH_HEADERS
    assert Tables(page).summary == "9 submission(s): 7 graded, 1 incomplete, 1 missing; mean score 88.9, median 100 " \
                                   "(out of 120)"
    assert "<html lang=en>" in page and not CJK.search(page)


def test_a_chinese_page_has_chinese_headings_summary_and_words_and_no_english_fixed_text(pages):
    page = pages["zh"]
    assert all(text in page for text in CHINESE), [text for text in CHINESE if text not in page]
    assert [h[:len(c)] for h, c in zip(headers(page), CHINESE_HEADERS)] == CHINESE_HEADERS
    assert Tables(page).summary == "9 份提交：已评分 7 份，不完整 1 份，未提交 1 份；平均分 88.9，中位数 100（满分 120）"
    assert "<html lang=zh-CN>" in page
    assert not any(text in page for text in ENGLISH)
    for english in ("instructor report", "submission(s)", "mean score", "what it says", "hover a mark", ">graded<"):
        assert english not in page, english
    students = {row[0]: row for row in Tables(page).table(["学生", "分数", "状态"])}
    assert students["dan"][2] == "不完整" and students["gus"][2] == "未提交"
    # a catalogued mistake is told in the catalog's Chinese; a name the catalog does not know keeps the record's text
    mistakes = {row[1]: row for row in Tables(page).table(["函数", "错误"])}
    assert mistakes["missing_bias"][2:4] == [chinese()["missing_bias"]["says"], chinese()["missing_bias"]["fix"]]
    assert mistakes["transposed_W"][2] == "transposed_W: what went wrong"
    assert 'title="通过：' in page and 'title="未通过：' in page  # a mark's verdict


def test_a_bilingual_page_has_both(pages):
    page = pages["en+zh"]
    # a heading in both ("English / Chinese"), a paragraph's English line and then its Chinese
    for text in ENGLISH + CHINESE:
        assert re.sub(r"^<(?:title|h1|h2|p|img alt=\")>?|</\w+>$|\"$", "", text) in page, text
    assert "<h2>Scores / 分数</h2>" in page and "<h1>step_by_step: instructor report / step_by_step：教师报告</h1>" in page
    assert Tables(page).summary == ("9 submission(s): 7 graded, 1 incomplete, 1 missing; mean score 88.9, median 100 "
                                    "(out of 120)9 份提交：已评分 7 份，不完整 1 份，未提交 1 份；平均分 88.9，中位数 100（满分 120）")
    assert "(out of 120)<br>9 份提交" in page
    assert headers(page)[0][:3] == ["function / 函数", "passed / 通过", "failed / 未通过"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_hostile_text_is_escaped_in_every_language(pages, tmp_path, language):
    page = pages[language]
    assert "<script" not in own_markup(page).lower() and "onmouseover=\"" not in page
    assert "&lt;script&gt;alert(&#34;flag&#34;)&lt;/script&gt;" in page
    root = make_course_copy(tmp_path / "course", with_release=False)
    write_record(root, HOSTILE, make_record(HOSTILE))
    collected = collect(root, ASSIGNMENT, language)
    collected.submissions[0].student = HOSTILE_ID
    collected.submissions[0].status = "<b>refused</b>"  # not a status: shown as it is, escaped
    page = render(collected)
    assert "<script" not in own_markup(page).lower() and "<b>" not in own_markup(page)
    assert "&lt;script&gt;alert(1)&lt;\\script&gt;&#34;x" in page and "&lt;b&gt;refused&lt;/b&gt;" in page
    assert HOSTILE_FLAG not in page


def test_the_report_speaks_the_language_of_the_release(tmp_path, monkeypatch, capsys):
    root = make_course_copy(tmp_path / "course", with_release=False)
    monkeypatch.setenv("DNNKIT_COURSE_ROOT", str(root))
    for student in ("ada", "dan"):
        write_record(root, student, make_record(student))
    with (root / "nbgrader_config.py").open("a") as config:
        config.write('\nc.Dnnkit.language = "en+zh"\n')
    assert main(["report", ASSIGNMENT]) == 0
    assert "<h2>Scores / 分数</h2>" in (root / PAGE).read_text(encoding="utf-8")
    (root / "release" / ASSIGNMENT).mkdir(parents=True)  # released in Chinese: the release decides
    (root / "release" / ASSIGNMENT / "dnn_checks.py").write_text(shipped.localized_checks("zh"))
    assert main(["report", ASSIGNMENT]) == 0
    page = (root / PAGE).read_text(encoding="utf-8")
    assert "<h2>分数</h2>" in page and "Scores" not in page
    capsys.readouterr()


def test_plots_draw_chinese_only_with_a_font_that_has_it(pages, tmp_path, monkeypatch):
    root = make_course_copy(tmp_path / "course", with_release=False)
    write_record(root, "dan", make_record("dan"))
    collected = collect(root, ASSIGNMENT, "zh")
    font = report_module.cjk_font()
    assert report_module.plot_language("en") == ("en", {})
    assert report_module.plot_language("zh") == (("zh", {"fontfamily": [font, "DejaVu Sans"]}) if font else ("en", {}))
    for found in (font, None):  # whatever this machine has, and a machine without a Chinese font
        monkeypatch.setattr(report_module, "cjk_font", lambda: found)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            report_module.histogram(collected)
            report_module.pass_rate_chart(collected, report_module.verdict_counts(collected))
        assert not [w for w in caught if "missing from font" in str(w.message)], [str(w.message) for w in caught]
    assert report_module.plot_language("zh") == ("en", {})  # no font: English labels, no empty boxes


@pytest.mark.parametrize("language", LANGUAGES)
def test_dnnkit_check_header_and_sandbox_warning(language):
    english = ("dnnkit check step_by_step: study/x\\x1b[2J.ipynb, on the hidden checks of `dnnkit grade` "
               "(not sandboxed)")
    translation = "dnnkit check step_by_step：study/x\\x1b[2J.ipynb，使用 `dnnkit grade` 的隐藏检查（不在沙箱中运行）"
    line = check_command.header("step_by_step", "study/x\x1b[2J.ipynb", "no user namespaces", language)
    assert line == {"en": english, "zh": translation, "en+zh": f"{english}\n{translation}"}[language]
    assert check_command.header("step_by_step", "a.ipynb", None, language).endswith(
        {"en": "(sandboxed)", "zh": "（在沙箱中运行）", "en+zh": "（在沙箱中运行）"}[language])
    warning = check_command.sandbox_warning("no bubblewrap", language)
    assert ("dnnkit check: running your notebook without the sandbox (bubblewrap is not installed)" in warning) == \
        (language != "zh")
    assert ("dnnkit check：在沙箱之外运行你的笔记本（没有安装 bubblewrap）" in warning) == (language != "en")
    assert check_command.sandbox_problem() in (None, "no bubblewrap", "no user namespaces", "needs seccomp")
