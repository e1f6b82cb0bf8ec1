"""One gradebook for every language: the same submissions, graded by `dnnkit grade` in an `en`, a `zh` and an
`en+zh` course, get the same scores and the same diagnoses (by catalog id), no flag (a Chinese notebook is not
an edited one), and their verdicts in the course's language."""
from __future__ import annotations

import html
import os
import re
import subprocess
import sys

import pytest

from conftest import make_course_copy
from dnnkit import feedback
from dnnkit.course import Course
from dnnkit.language import LANGUAGES
from dnnkit.mistakes import BY_NAME
from dnnkit.nbgrader_cli import nbgrader
from dnnkit.submissions import solved_notebook, write_submission
from grading_support import (STEP_NAMES, dnnkit_grade, executed_notebook, expect_row, grader_lines, read_grades,
                             result_record)

pytestmark = pytest.mark.slow

STUDENTS = {"correct": (), "axis": ("db_wrong_axis",), "bias": ("missing_bias",),
            "cost": ("cost_without_1_over_m",)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    courses = {}
    for language in LANGUAGES:
        course = Course(make_course_copy(tmp_path_factory.mktemp(language.replace("+", "-")) / "course"))
        env = {**os.environ, "DNNKIT_COURSE_ROOT": str(course.root)}
        released = subprocess.run([sys.executable, "-m", "dnnkit.cli", "release", "step_by_step", "--language",
                                   language], env=env, capture_output=True, text=True, timeout=600)
        assert released.returncode == 0, released.stderr[-3000:]
        for student, mistakes in STUDENTS.items():
            write_submission(course, "step_by_step", student, solved_notebook(course, "step_by_step", mistakes))
        done = dnnkit_grade(course)
        assert done.returncode == 0, done.stderr[-3000:]
        courses[language] = course
    return courses


def diagnosed(course: Course, student: str) -> dict[str, str | None]:
    functions = result_record(course, student)["functions"]
    return {name: (functions[name].get("diagnosis") or {}).get("mistake") for name in STEP_NAMES}


def test_every_language_gives_the_same_scores_diagnoses_and_no_flag(graded):
    for language, course in graded.items():
        rows = read_grades(course)
        for student, mistakes in STUDENTS.items():
            expect_row(rows[student], lost=tuple(BY_NAME[m].function for m in mistakes))  # and no flag
            assert diagnosed(course, student) == {
                name: next((m for m in mistakes if BY_NAME[m].function == name), None) for name in STEP_NAMES
            }, (language, student)


def test_the_verdicts_speak_the_courses_language(graded):
    mistake = BY_NAME["db_wrong_axis"]
    says_zh, fix_zh = mistake.zh
    for language, course in graded.items():
        [line] = grader_lines(executed_notebook(course, "axis"), mistake.function)
        assert (mistake.says in line) == (language != "zh"), language
        assert (says_zh in line and fix_zh in line) == (language != "en"), language
        assert ("Diagnosis:" in line) == (language != "zh"), language


def feedback_page(course: Course, student: str, *options: str) -> str:
    nbgrader(course.root, "generate_feedback", "step_by_step", "--student", student, "--force", *options)
    return (course.root / "feedback" / student / "step_by_step" / "step_by_step.html").read_text()


def words(page: str) -> str:
    return " ".join(page.split())


def without_kit_additions(page: str) -> str:
    """A feedback page without what the kit adds to nbgrader's markup: MathJax inline (or nbgrader's MathJax from
    a CDN) and the graded function named after "Test cell" in the contents list."""
    page = re.sub(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", "", page, flags=re.S)
    page = re.sub(r"<script>window\.MathJax = .*?</script>\n<script>.*?</script>", "", page, flags=re.S)
    return re.sub(r": <code>\w+</code></a>", "</a>", page)


def test_the_feedback_page_speaks_the_courses_language(graded):
    mistake = BY_NAME["db_wrong_axis"]
    pages = {language: feedback_page(course, "axis") for language, course in graded.items()}
    # in English, nbgrader's own page: the same markup and words, whitespace aside
    nbgraders = feedback_page(graded["en"], "axis", "--GenerateFeedback.exporter_class=nbconvert.exporters.HTMLExporter")
    assert 'Test cell</a> (Score: ' in nbgraders and "<span class=\"nbgrader-label\">Student's answer</span>" in nbgraders
    assert words(without_kit_additions(pages["en"])) == words(without_kit_additions(nbgraders))
    for language, page in pages.items():
        labels = feedback.labels(language)
        assert f'<span class="nbgrader-label">{labels["answer"]}</span>' in page, language
        assert f'">{labels["test_cell"]}: <code>linear_backward</code></a> ({labels["score"]}: ' in page, language
        assert f'({labels["top"]})</a>' in page, language
        # the scores are the same numbers in every language
        assert re.findall(r"\d+\.\d+ / \d+\.\d+", page) == re.findall(r"\d+\.\d+ / \d+\.\d+", pages["en"]), language
        text = html.unescape(page)
        assert ("Score: " in text) == (language == "en"), language
        assert bool(re.search(r"(?<!/ )分数: ", text)) == (language == "zh"), language
        assert ("Score / 分数: " in text) == (language == "en+zh"), language
        assert (mistake.zh[0] in text) == (language != "en"), language  # the grader's diagnosis, as the verdicts
