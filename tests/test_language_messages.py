"""Messages in the course's language: the catalogued mistakes (says, fix) and every fixed text of the checks and
the grader hold English and Chinese in one entry, with the same code, names and numbers; a mistaken function is
diagnosed as the same mistake in every language and told in that language; the English release is unchanged."""
from __future__ import annotations

import importlib.util
import re
import string

import pytest

from conftest import REPO, make_course_copy
from dnnkit import checks, shipped
from dnnkit.cases import assignment_of
from dnnkit.commands.check import report as check_report
from dnnkit.course import Course
from dnnkit.grading.nbgrader_pipeline import verdict_outputs
from dnnkit.grading.records import FunctionResult, SubmissionResult, Verdict
from dnnkit.language import LANGUAGES, message_mismatches
from dnnkit.mistakes import CATALOG, chinese
from dnnkit.solutions import load_solutions, solution_digest

CJK = re.compile(r"[\u4e00-\u9fff]")
# the step_by_step mistakes: their functions run on the public cases in milliseconds
MISTAKES = [m for m in CATALOG if assignment_of(m.function) == "step_by_step"]


def _is_code(text: str) -> bool:
    """A fix that is a line of code alone (its Chinese is the same line)."""
    return "=" in text and not re.search(r"\b(?:the|a|an|and|or|of|to|by|for|with|use|is)\b", text)


@pytest.mark.parametrize("mistake", CATALOG, ids=[m.name for m in CATALOG])
def test_every_catalog_entry_has_chinese_with_the_same_code_and_numbers(mistake):
    for english, translated in zip((mistake.says, mistake.fix), mistake.zh):
        assert CJK.search(translated) or translated == english and _is_code(english), \
            f"{mistake.name}: no Chinese for {english!r}"
        assert message_mismatches(english, translated) == [], mistake.name


@pytest.mark.parametrize("key", list(checks.MESSAGES))
def test_every_fixed_text_has_chinese_with_the_same_fields_code_and_numbers(key):
    english, translated = checks.MESSAGES[key]
    assert CJK.search(translated), key
    fields = [{name for _, name, _, _ in string.Formatter().parse(text) if name} for text in (english, translated)]
    assert fields[0] == fields[1], key
    assert message_mismatches(english, translated) == [], key


@pytest.mark.parametrize("english, translated, what", [
    ("multiply np.random.randn(...) by 0.01", "把 np.random.randn(...) 乘以 0.1", "numbers"),
    ("dW = np.dot(dZ, A_prev.T) / m", "dW = np.sum(dZ, A_prev.T) / m", "code words"),
    ("loop over range(1, L + 1)", "让 l 取遍 range(1, L)", "numbers"),
    ("keys dA0 ... dA{L-1}", "键 dA1 ... dA{L-1}", "code words"),
])
def test_a_translation_that_changes_code_or_numbers_is_caught(english, translated, what):
    found = message_mismatches(english, translated)
    assert found and any(what in line for line in found), found
    assert message_mismatches(english, english) == []


def _shipped_checks(language: str):
    """dnn_checks.py as `dnnkit release` ships it in `language`, loaded as a student's kernel loads it."""
    text = shipped.localized_checks(language)
    spec = importlib.util.spec_from_loader(f"dnn_checks_{language.replace('+', '_')}", loader=None)
    module = importlib.util.module_from_spec(spec)
    exec(compile(text, f"dnn_checks ({language})", "exec"), module.__dict__)
    return module


@pytest.fixture(scope="module")
def public_cases():
    return checks.load_plain(REPO / "release" / "step_by_step" / "public_cases.npz")[0]


@pytest.fixture(scope="module")
def mistaken():
    return {m.name: load_solutions(Course(REPO), "step_by_step", edits={m.function: m.apply})[m.function]
            for m in MISTAKES}


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.name for m in MISTAKES])
def test_a_mistake_is_the_same_mistake_in_every_language_and_told_in_it(mistake, public_cases, mistaken):
    cases = public_cases[mistake.function]
    zh = chinese()[mistake.name]
    english = (f"Diagnosis: {mistake.says}.", f"How to fix it: {mistake.fix}.")
    translated = (checks.MESSAGES["diagnosis"][1].format(says=zh["says"]),
                  checks.MESSAGES["how to fix"][1].format(fix=zh["fix"]))
    found = {}
    for language in LANGUAGES:
        module = _shipped_checks(language)
        outcomes = [checks.outcome(checks.run_case, mistaken[mistake.name], case) for case in cases]
        found[language] = module.diagnose(mistake.function, cases, outcomes)["mistake"]
        with pytest.raises(AssertionError) as failure:
            module.checked(mistaken[mistake.name], mistake.function, cases)
        message = str(failure.value)
        lines = message.split("\n")
        if language == "en":
            assert message == checks.evaluate(mistaken[mistake.name], mistake.function, cases)[0]
            assert all(line in lines for line in english) and not CJK.search(message)
        elif language == "zh":
            assert all(line in lines for line in translated) and not any(line in message for line in english)
        else:  # each English line, then its Chinese
            for en, cn in zip(english, translated):
                assert lines[lines.index(en) + 1] == cn
    assert set(found.values()) == {mistake.name}


def test_the_english_dnn_checks_is_the_committed_one_and_other_languages_differ_only_in_their_language():
    english = shipped.localized_checks("en")
    for assignment in ("step_by_step", "application"):
        assert (REPO / "source" / assignment / "dnn_checks.py").read_text() == english
        assert (REPO / "release" / assignment / "dnn_checks.py").read_text() == english
    for language in ("zh", "en+zh"):
        text = shipped.localized_checks(language)
        assert text != english and f'LANGUAGE = "{language}"' in text
        assert shipped.english_checks(text) == english
        assert _shipped_checks(language).MISTAKE_ZH == chinese()


def test_the_reference_cases_do_not_depend_on_the_language(tmp_path):
    """The shipped dnn_checks.py is among what the reference caches' digest covers: in every language the same
    digest, so the same reference and hidden cases (no regeneration, no regrade)."""
    course = Course(make_course_copy(tmp_path / "course", with_release=False))
    digests = set()
    for language in LANGUAGES:
        shipped.write_shipped(course, language)
        assert f'LANGUAGE = "{language}"' in (course.source("step_by_step") / "dnn_checks.py").read_text()
        digests.add(tuple(solution_digest(course, a) for a in ("step_by_step", "application")))
    assert len(digests) == 1


def test_the_grader_speaks_the_language_of_the_release(tmp_path):
    course = Course(make_course_copy(tmp_path / "course"))
    assert shipped.released_language(course, "step_by_step") == "en"
    (course.release("step_by_step") / "dnn_checks.py").write_text(shipped.localized_checks("zh"))
    assert shipped.released_language(course, "step_by_step") == "zh"
    (course.release("step_by_step") / "dnn_checks.py").unlink()  # no release: the course's language
    assert shipped.released_language(course, "step_by_step") == "en"


def _failed(mistake) -> FunctionResult:
    function = FunctionResult(mistake.function, Verdict.FAILED)
    function.message = checks.report(mistake.function, "h1", ["result (Z): wrong shape"], "zh", "hidden case")
    function.diagnosis = {"mistake": mistake.name, "says": mistake.says, "fix": mistake.fix}
    return function


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_grader_line_and_dnnkit_check_in_each_language(language):
    mistake = CATALOG[3]
    function = _failed(mistake)
    zh = chinese()[mistake.name]
    [line] = verdict_outputs([], function, 5.0, language)
    text = "\n".join(line.traceback)
    assert text.startswith("[grader] 0/5: ")
    assert (mistake.says in text) == (language != "zh") and (zh["says"] in text) == (language != "en")
    result = SubmissionResult("s", "step_by_step", flags=["a flag"], functions={mistake.function: function})
    lines = check_report(result, {mistake.function: 5.0}, language)
    total = {"en": "total", "zh": "总分", "en+zh": "total / 总分"}[language]
    assert lines[-1] == f"{total}: 0/5"
    assert (f"      How to fix it: {mistake.fix}." in lines) == (language != "zh")
    assert (f"      改正方法：{zh['fix']}。" in lines) == (language != "en")
    assert any("隐藏用例 'h1'" in line for line in lines)
