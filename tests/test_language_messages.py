"""Messages in the course's language: the catalogued mistakes (says, fix) and every fixed text of the checks and
the grader hold English and Chinese in one entry, with the same code, names and numbers; a mistaken function is
diagnosed as the same mistake in every language and told in that language; the English release is unchanged."""
from __future__ import annotations

import importlib.util
import re
import string

import nbformat
import numpy as np
import pytest

from conftest import REPO, make_course_copy
from dnnkit import checks, shipped
from dnnkit.cases import assignment_of
from dnnkit.commands.check import report as check_report
from dnnkit.course import Course
from dnnkit.grading.nbgrader_pipeline import verdict_outputs
from dnnkit.grading.records import FunctionResult, SubmissionResult, Verdict
from dnnkit.language import LANGUAGES
from dnnkit.mistakes import CATALOG, chinese
from dnnkit.solutions import load_solutions, solution_digest
from translation_match import message_mismatches

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
            module.check_function(mistaken[mistake.name], mistake.function, cases)
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


# checks.compare's problems, and the grader's fault texts, in the course's language

NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")
WRONG = {  # (got, expected, function, path): one of each kind of problem compare tells
    "sequence": (3.0, (1.0, 2.0), "", ()),
    "nested": ({"dW1": (np.zeros(2),)}, {"dW1": (np.ones(2),)}, "", ()),
    "length": ([1.0], [1.0, 2.0], "", ()),
    "dict": ([1], {"dW1": 1.0}, "", ()),
    "keys": ({"dW2": 1.0, "x": 2.0}, {"dW1": 1.0}, "L_model_backward", ()),
    "text": ("sigmoid", "relu", "", ()),
    "array": ("x", np.zeros((2, 3)), "", ()),
    "objects": (np.array([None, 1], dtype=object), np.zeros(2), "", ()),
    "shape": (np.zeros((1, 4)), np.zeros((3, 1)), "linear_forward", (1, 1)),
    "dtype": (np.zeros(3, np.float32), np.zeros(3), "", ()),
    "nan": (np.array([1.0, np.nan, np.inf]), np.ones(3), "", ()),
    "values": (np.array([[1.0, 2.5], [3.0, 4.0]]), np.array([[1.0, 2.0], [3.0, 4.25]]), "L_model_forward", (1, 0, 1)),
}


@pytest.mark.parametrize("what", list(WRONG))
@pytest.mark.parametrize("reveal", [True, False])
def test_compare_in_english_is_as_before_and_in_chinese_says_the_same_numbers(what, reveal):
    got, expected, function, path = WRONG[what]
    default = checks.compare(got, expected, function, path, reveal)
    english = checks.compare(got, expected, function, path, reveal, language="en")
    translated = checks.compare(got, expected, function, path, reveal, language="zh")
    both = checks.compare(got, expected, function, path, reveal, language="en+zh")
    assert default and english == default and not any(CJK.search(p) for p in english)
    assert len(translated) == len(english) and all(CJK.search(p) for p in translated)
    for en, zh, pair in zip(english, translated, both):
        assert sorted(NUMBER.findall(en)) == sorted(NUMBER.findall(zh)), (en, zh)
        assert pair == f"{en}\n{zh}"
    assert checks.report(function, "c", both, "en+zh").split("\n")[2:4] == [f"  - {english[0]}",
                                                                           f"    {translated[0]}"]


def test_a_wrong_shape_and_wrong_values_in_chinese():
    got, expected, function, path = WRONG["shape"]
    (en,) = checks.compare(got, expected, function, path, language="en")
    (zh,) = checks.compare(got, expected, function, path, language="zh")
    assert en == "result[1][1] (linear cache: W): shape (1, 4), expected (3, 1)"
    assert zh == "result[1][1]（线性缓存：W）：形状为 (1, 4)，应为 (3, 1)"
    (zh,) = checks.compare(got, expected, function, path, reveal=False, language="zh")
    assert zh == "result[1][1]（线性缓存：W）：形状不对"
    got, expected, function, path = WRONG["values"]
    (en,) = checks.compare(got, expected, function, path, language="en")
    (zh,) = checks.compare(got, expected, function, path, language="zh")
    assert en == ("result[1][0][1] (Z1): 2 of 4 values differ; first at index (0, 1), largest absolute error 0.5; "
                  "there got 2.5, expected 2.0")
    assert zh == ("result[1][0][1]（Z1）：4 个值中有 2 个不同；第一个在下标 (0, 1)，最大绝对误差为 0.5；"
                  "该处得到 2.5，应为 2.0")


@pytest.mark.parametrize("language", LANGUAGES)
def test_hidden_problems_carry_no_value_size_index_or_student_key_in_any_language(language):
    expected = np.full((7, 9), 0.8125)  # its numbers: 7, 9, 0.8125
    found = []
    for got in (np.zeros((5, 11)), np.zeros((7, 9), np.float32), np.full((7, 9), np.nan), np.ones((7, 9)),
                [0.5] * 3, {"SECRET": 1}, "SECRET", None):
        found += checks.compare(got, expected, reveal=False, language=language)
    found += checks.compare({"dW1": 1.0, "SECRET": 2.0}, {"dW1": 1.0}, reveal=False, language=language)
    found += checks.compare([1.0] * 5, [0.8125] * 3, reveal=False, language=language)
    found += checks.compare("SECRET", "relu", reveal=False, language=language)
    text = "\n".join(found)
    assert len(found) == 11 and (CJK.search(text) is not None) == (language != "en")
    assert "SECRET" not in text and "relu" not in text and "0.8125" not in text
    # only the expected structure, as the English always told it: a sequence's length, an array's shape when
    # something else came back; never the expected values, nor the student's sizes (5, 11 and 5 values)
    assert set(NUMBER.findall(text.replace("float64", ""))) == {"3", "7", "9"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_grader_fault_texts_in_each_language(language):
    from dnnkit.grading.intake import Intake
    from dnnkit.grading.judge import Grader
    from dnnkit.grading.records import Status
    from dnnkit.grading.supervisor import Fault, RunState
    grader = object.__new__(Grader)
    grader.assignment, grader.language = "step_by_step", language
    for fault in Fault:
        state = RunState(function_faults={"compute_cost": fault})
        result = grader.finish("s", Intake(nbformat.v4.new_notebook()), state, {})
        message = result.functions["compute_cost"].message
        english = (f"compute_cost: {fault} (0 points)" if fault.verdict is Verdict.NOT_RUN
                   else f"compute_cost: the process {fault} while it ran (0 points)")
        assert (english in message) == (language != "zh")
        assert (CJK.search(message) is not None) == (language != "en") and "0" in message
        assert grader._cell_fault(fault).startswith(f"this cell {fault}; it was skipped" if language != "zh"
                                                     else "这个单元格")
    for status in (Status.INCOMPLETE, Status.MISSING, Status.REFUSED):
        result = grader.finish("s", Intake(None, status=status), None, {})
        message = result.functions["compute_cost"].message
        assert (f"compute_cost: not graded ({status})" in message) == (language != "zh")
        assert (CJK.search(message) is not None) == (language != "en")
