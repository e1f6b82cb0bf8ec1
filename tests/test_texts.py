"""The catalog of texts (dnnkit/texts.py): one table of unique keys; one English term has one Chinese wherever it
appears (in the catalog and in the mistakes' sentences); the student's dnn_checks.py carries every text it says
and imports nothing but the standard library and numpy."""
from __future__ import annotations

import ast
import re
import string
import subprocess
import sys
from collections import defaultdict

import pytest

from conftest import REPO
from dnnkit import checks, shipped, texts
from dnnkit.mistakes import BEHAVIOURS, CATALOG

FIELD = re.compile(r"\{[^{}]*\}")


def words(english: str) -> str:
    """The words of an English text, lower case, without its {fields}, punctuation and code: what makes it a
    term."""
    return " ".join(word.lower() for word in re.findall(r"[\w']+", FIELD.sub(" ", english))
                    if word.replace("'", "").isalpha() and word.isascii())  # not code (an_identifier, dA0)


def corpus() -> dict[str, tuple[str, str]]:
    """{where: (English, Chinese)}: every catalog text and every mistake's sentences."""
    found = {f"texts[{key!r}]": pair for key, pair in texts.TEXTS.items()}
    for mistake in CATALOG + BEHAVIOURS:
        found[f"mistake {mistake.name} says"] = (mistake.says, mistake.zh[0])
        found[f"mistake {mistake.name} fix"] = (mistake.fix, mistake.zh[1])
    return found


def glossary(entries: dict[str, tuple[str, str]]) -> dict[str, dict[str, list[str]]]:
    """{term: {Chinese: [where]}} for every text that is a term: no {field}, at most four words."""
    found: dict = defaultdict(lambda: defaultdict(list))
    for where, (english, chinese) in entries.items():
        if "{" not in english and 0 < len(words(english).split()) <= 4:
            found[words(english)][chinese].append(where)
    return found


def disagreements(entries: dict[str, tuple[str, str]]) -> list[str]:
    """Two texts that translate the same English term differently (the same words, whatever the case and
    punctuation); and a term of two words or more (a single word can mean two things: "failed" is a verdict and
    what a process does) that a longer text uses without the term's Chinese (the longest term first, plurals
    too)."""
    found, terms = [], glossary(entries)
    for term, translations in terms.items():
        if len(translations) > 1:
            found.append(f"{term!r} is " + " and ".join(f"{zh!r} ({', '.join(where)})"
                                                         for zh, where in translations.items()))
    phrases = sorted((t for t, zh in terms.items() if len(t.split()) > 1 and len(zh) == 1), key=lambda t: -len(t))
    for where, (english, chinese) in entries.items():
        text = f" {words(english)} "
        for phrase in phrases:
            used = re.compile(rf" {re.escape(phrase)}s? ")
            if text.strip() == phrase or not used.search(text):
                continue
            text = used.sub(" # ", text)
            (translation,) = terms[phrase]
            if translation not in chinese:
                found.append(f"{where} uses {phrase!r} without {translation!r}: {chinese!r}")
    return found


def test_the_tables_share_no_key():
    assert sum(len(table) for table in texts.TABLES.values()) == len(texts.TEXTS)
    assert checks.MESSAGES is texts.TEXTS  # the kit's checks look up the catalog itself


def test_one_english_term_has_one_chinese_everywhere():
    assert disagreements(corpus()) == []


# Before the catalog the kit's four tables held these pairs (checks.MESSAGES, report.STATUSES and report.TEXTS,
# feedback.LABELS); the same check over those tables names each of them.
TODAYS_TABLES = {
    "checks.MESSAGES['status missing']": ("missing", "未提交"), "report.STATUSES['missing']": ("missing", "缺交"),
    "checks.MESSAGES['status refused']": ("refused", "被拒绝"), "report.STATUSES['refused']": ("refused", "被拒收"),
    "report.TEXTS['score']": ("score", "分数"), "feedback.LABELS['score']": ("Score", "得分"),
    "report.TEXTS['students']": ("Students", "学生"), "report.TEXTS['students count']": ("students", "学生数"),
}


def test_the_check_names_every_pair_the_old_tables_disagreed_on():
    found = disagreements(TODAYS_TABLES)
    assert len(found) == 4
    for term in ("'missing'", "'refused'", "'score'", "'students'"):
        assert sum(line.startswith(term) for line in found) == 1, (term, found)


def test_a_longer_text_without_a_terms_chinese_is_named():
    entries = {"a": ("late penalty", "迟交扣分"), "b": ("the late penalty of {student}", "{student} 的迟交罚分"),
               "c": ("Late penalty: {points}", "迟交扣分：{points}")}
    assert disagreements(entries) == ["b uses 'late penalty' without '迟交扣分': '{student} 的迟交罚分'"]


def _keys_said_in(source: str) -> set[str]:
    """The catalog keys that literal calls of say/term/labelled (and labelled's kinds) and of compare's
    problem() in `source` name."""
    keys = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                "say", "term", "labelled", "problem") and node.args and isinstance(node.args[0], ast.Constant):
            keys.add(node.args[0].value)
            keys.update(k.value.value for k in node.keywords if k.arg == "kind" and isinstance(k.value, ast.Constant))
    return keys


def test_dnn_checks_carries_every_text_it_says():
    said = _keys_said_in((REPO / "dnnkit" / "checks.py").read_text())
    said |= set(checks.KEEPS_ITS_INPUTS.values()) | {"case", "public case", "hidden case"}
    assert said == set(texts.STUDENT), (said - set(texts.STUDENT), set(texts.STUDENT) - said)


@pytest.mark.parametrize("language", ["en", "zh", "en+zh"])
def test_the_shipped_dnn_checks_stands_alone_and_says_each_text(tmp_path, language):
    """Loaded where no dnnkit can be imported (a student's kernel), it says every students' text in its
    language, from the table `dnnkit release` wrote into it."""
    (tmp_path / "dnn_checks.py").write_text(shipped.localized_checks(language))
    fields = {key: {name: f"<{name}>" for _, name, _, _ in string.Formatter().parse(english) if name}
              for key, (english, _) in texts.STUDENT.items()}
    program = f"""
import importlib.abc, sys
class NoKit(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "dnnkit":
            raise ImportError("dnnkit is not installed here")
sys.meta_path.insert(0, NoKit())
before = set(sys.modules)
import dnn_checks
for key, fields in {fields!r}.items():
    print(repr(dnn_checks.say(key, **fields)))
print(sorted(name for name in set(sys.modules) - before if name.split(".")[0] not in sys.stdlib_module_names))
"""
    done = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    *said, modules = done.stdout.splitlines()
    expected = [repr(checks.say(key, language, **fields[key])) for key in texts.STUDENT]
    assert said == expected
    assert not [name for name in ast.literal_eval(modules) if name.startswith("dnnkit")]
    body = ast.parse(shipped.localized_checks(language)).body  # module level: relative imports shown as "."
    imported = {"." * node.level + (node.module or "").split(".")[0]
                for node in body if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name.split(".")[0] for node in body if isinstance(node, ast.Import) for alias in node.names}
    assert imported - set(sys.stdlib_module_names) == {"numpy"}, imported
