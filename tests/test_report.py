"""`dnnkit report`: the instructor page built from synthetic result records (and from the gradebook without
any), checked against counts the tests compute themselves from what they wrote."""
from __future__ import annotations

import base64
import json
import re
import statistics
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import make_course_copy
from dnnkit.cases import FUNCTIONS
from dnnkit.cli import main
from dnnkit.grading.records import record_path
from dnnkit.mathjax import script_tags
from dnnkit.report import collect, render

ASSIGNMENT = "step_by_step"
NAMES = FUNCTIONS[ASSIGNMENT]
TOP = 10 * len(NAMES)  # every function is worth 10 points
PAGE = Path("autograded") / f"report-{ASSIGNMENT}.html"
HOSTILE_ID = '<script>alert(1)<\\script>"x'  # no folder can be named so (dnnkit.names): escaped all the same
HOSTILE = "hal"  # an ordinary id whose record holds hostile flags and messages
HOSTILE_FLAG = 'visible test edited: <script>alert("flag")</script>'
HOSTILE_MESSAGE = 'wrong" onmouseover="alert(2)'


def diagnosis(mistake: str) -> dict:
    return {"mistake": mistake, "says": f"{mistake}: what went wrong", "fix": f"{mistake}: how to fix it"}


# student: (status, flags, {function: verdict or (verdict, diagnosis)}); unnamed functions passed.
# "-" = the function is absent from the record; linear_backward has 4 distinct mistakes (only 3 are shown).
STUDENTS = {
    "ada": ("graded", [], {}),
    "ben": ("graded", [], {"linear_forward": ("failed", diagnosis("missing_bias")),
                           "compute_cost": ("failed", diagnosis("cost_without_1_minus_y")),
                           "linear_backward": ("failed", diagnosis("db_wrong_axis"))}),
    "cleo": ("graded", [], {"linear_forward": ("failed", diagnosis("missing_bias")), "compute_cost": "failed",
                            "linear_backward": ("failed", diagnosis("db_wrong_axis"))}),
    "dan": ("incomplete", ["cell 7 timed out after 10 s"],
            {"linear_forward": ("failed", diagnosis("transposed_W")), "L_model_backward": "timed out",
             "update_parameters": "-", "linear_backward": ("failed", diagnosis("dW_not_divided_by_m"))}),
    "eve": ("graded", ["possible tampering: a visible test passed in the notebook"],
            {"linear_backward": ("failed", diagnosis("dA_prev_uses_W_transposed_wrong"))}),
    "fay": ("graded", [], {"linear_backward": ("failed", diagnosis("db_without_keepdims")),
                           "compute_cost": "crashed"}),
    "gus": ("missing", [], {name: "not run" for name in NAMES}),  # listed for its status alone
    "ida": ("graded", [], {"linear_forward": "not attempted", "compute_cost": "not attempted"}),  # stubs left
    HOSTILE: ("graded", [HOSTILE_FLAG], {"initialize_parameters": "failed"}),
}


def verdict_of(student: str, name: str) -> str:
    spec = STUDENTS[student][2].get(name, "passed")
    return spec[0] if isinstance(spec, tuple) else spec


def make_record(student: str) -> dict:
    status, flags, _ = STUDENTS[student]
    functions = {}
    for name in NAMES:
        spec = STUDENTS[student][2].get(name, "passed")
        if spec == "-":
            continue
        verdict, found = spec if isinstance(spec, tuple) else (spec, None)
        message = HOSTILE_MESSAGE if student == HOSTILE else f"{name}: {verdict}"
        functions[name] = {"score": 10.0 if verdict == "passed" else 0.0, "max_score": 10.0, "verdict": verdict,
                           "message": message, "visible_passed": verdict == "passed", "diagnosis": found}
    if student == "ada":  # a function the assignment does not grade: ignored
        functions["extra_function_xyz"] = {"score": 5.0, "max_score": 5.0, "verdict": "passed", "message": ""}
    score = sum(f["score"] for n, f in functions.items() if n in NAMES)
    return {"student": student, "assignment": ASSIGNMENT, "status": status, "grader_error": False,
            "flags": flags, "provenance": {"submission": "0" * 64}, "max_score": float(TOP), "functions": functions,
            "timestamp": None, "raw_score": score, "late_submission_penalty": 0.0, "score": score}


def own_markup(page: str) -> str:
    """The page without the MathJax it carries (once, inline: dnnkit.mathjax), which is code of its own."""
    assert page.count(script_tags("tex2jax_process")) == 1
    return page.replace(script_tags("tex2jax_process"), "")


def record_file(student: str) -> str:
    return f".dnnkit/results/{ASSIGNMENT}/{student}.json"


def write_record(root: Path, student: str, content) -> Path:
    path = record_path(root, ASSIGNMENT, student)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=1))
    return path


class Tables(HTMLParser):
    """Every <table> of a page as rows of cell texts, and the text of the summary paragraph."""

    def __init__(self, page: str):
        super().__init__()
        self.tables, self.cell, self.in_summary, self.summary = [], None, False, ""
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = ""
        elif tag == "p" and ("id", "summary") in attrs:
            self.in_summary = True

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append(self.cell)
            self.cell = None
        elif tag == "p":
            self.in_summary = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
        elif self.in_summary:
            self.summary += data

    def table(self, first_header: list[str]) -> list[list[str]]:
        """The rows (header excluded) of the table whose header starts with `first_header`."""
        found = [t for t in self.tables if t and t[0][:len(first_header)] == first_header]
        assert len(found) == 1, f"expected one table headed {first_header}, found {len(found)}"
        return found[0][1:]


@pytest.fixture
def course(tmp_path, monkeypatch) -> Path:
    root = make_course_copy(tmp_path / "course", with_release=False)
    monkeypatch.setenv("DNNKIT_COURSE_ROOT", str(root))
    return root


@pytest.fixture
def graded(course) -> Path:
    for student in STUDENTS:
        write_record(course, student, make_record(student))
    return course


def report(root: Path, capsys) -> tuple[str, str, str]:
    """Run `dnnkit report step_by_step`: (the page, stdout, stderr); the run must succeed."""
    code = main(["report", ASSIGNMENT])
    out, err = capsys.readouterr()
    assert code == 0, err
    return (root / PAGE).read_text(encoding="utf-8"), out, err


def test_page_embeds_png_plots(graded, capsys):
    page, out, err = report(graded, capsys)
    assert str(PAGE) in out and err == ""
    images = re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert {alt for alt, _ in images} >= {"score histogram", "pass rate per function"}
    for _, data in images:
        assert base64.b64decode(data, validate=True).startswith(b"\x89PNG\r\n\x1a\n")
    assert not re.search(r'(src|href)="(?!data:)', own_markup(page))  # self-contained: nothing fetched


def test_summary_and_pass_rates_match_the_records(graded, capsys):
    page = Tables(report(graded, capsys)[0])
    scores = [make_record(s)["score"] for s in STUDENTS]
    assert page.summary.startswith(f"{len(STUDENTS)} submission(s): 7 graded, 1 incomplete, 1 missing;")
    assert f"mean score {statistics.mean(scores):.1f}, median {statistics.median(scores):g}" in page.summary
    rows = page.table(["function", "passed", "failed", "not attempted", "not run"])
    assert [row[0] for row in rows] == list(NAMES)
    for name, passed, failed, not_attempted, not_run, _ in rows:
        verdicts = [verdict_of(s, name) for s in STUDENTS]
        expected = (verdicts.count("passed"), sum(v not in ("passed", "not run", "not attempted", "-") for v in verdicts),
                    verdicts.count("not attempted"), verdicts.count("not run") + verdicts.count("-"))
        assert (int(passed), int(failed), int(not_attempted), int(not_run)) == expected, name
    assert "extra_function_xyz" not in page.rawdata


def test_most_frequent_mistakes_per_function(graded, capsys):
    rows = Tables(report(graded, capsys)[0]).table(["function", "mistake", "what it says", "the fix", "students"])
    by_function = {}
    for function, mistake, says, fix, count in rows:
        by_function.setdefault(function, []).append((mistake, says, fix, int(count)))
    forward = by_function["linear_forward"]
    assert forward[0] == ("missing_bias", "missing_bias: what went wrong", "missing_bias: how to fix it", 2)
    assert forward[1][::3] == ("transposed_W", 1) and len(forward) == 2
    assert [(m, n) for m, _, _, n in by_function["compute_cost"]] == [
        ("cost_without_1_minus_y", 1), ("no known mistake matched", 2)]  # cleo failed, fay crashed
    backward = [m for m, *_ in by_function["linear_backward"]]
    assert backward[0] == "db_wrong_axis" and len(backward) == 3  # top 3 of 4 distinct mistakes
    assert by_function["L_model_backward"] == [("no known mistake matched", "", "", 1)]  # dan timed out
    assert "update_parameters" not in by_function and "initialize_parameters_deep" not in by_function


def test_flagged_and_incomplete_submissions_listed(graded, capsys):
    page = Tables(report(graded, capsys)[0])
    rows = page.table(["student", "status", "score", "flags"])
    expected = {s for s, (status, flags, _) in STUDENTS.items() if flags or status != "graded"}
    assert {row[0] for row in rows} == expected == {"dan", "eve", "gus", HOSTILE}
    listed = {row[0]: row for row in rows}
    assert listed["dan"][1] == "incomplete" and "cell 7 timed out after 10 s" in listed["dan"][3]
    assert listed["gus"][1:3] == ["missing", f"0 / {TOP}"]
    students = {row[0]: row for row in page.table(["student", "score", "status"])}
    assert set(students) == set(STUDENTS)
    assert students["ben"][1] == f"{TOP - 30} / {TOP}" and students["ben"][-1] == "0" and students["eve"][-1] == "1"
    marks = students["ben"][3:-1]
    assert marks == ["✗" if verdict_of("ben", n) != "passed" else "✓" for n in NAMES]


def test_hostile_text_is_escaped(graded, capsys):
    page, _, _ = report(graded, capsys)
    assert "<script" not in own_markup(page).lower()
    assert "&lt;script&gt;alert(&#34;flag&#34;)&lt;/script&gt;" in page  # the flag
    assert 'onmouseover="' not in page and "wrong&#34; onmouseover=&#34;alert(2)" in page  # a message
    # a folder cannot carry such an id any more (tests/test_names.py), but the page escapes ids all the same
    collected = collect(graded, ASSIGNMENT)
    next(sub for sub in collected.submissions if sub.student == HOSTILE).student = HOSTILE_ID
    page = render(collected)
    assert "<script" not in own_markup(page).lower()
    assert "&lt;script&gt;alert(1)&lt;\\script&gt;&#34;x" in page  # the student id
    assert HOSTILE_ID in {row[0] for row in Tables(page).table(["student", "score", "status"])}


def test_unreadable_records_are_reported_and_skipped(graded, capsys):
    bad = {"broken": "invalid JSON", "listed": "not a JSON object", "shapeless": "functions is not an object",
           "impostor": "not the name of its file", "linked": "symbolic link", "folder": "not a regular file",
           "unknown": "verdict is unknown"}
    write_record(graded, "unknown", {**make_record("ada"), "student": "unknown", "functions": {
        "linear_forward": {"verdict": "great", "score": 10.0, "max_score": 10.0}}})
    write_record(graded, "broken", '{"student": "broken", ')
    write_record(graded, "listed", "[1, 2]")
    write_record(graded, "shapeless", {**make_record("ada"), "student": "shapeless", "functions": [1]})
    write_record(graded, "impostor", make_record("ada"))
    record_path(graded, ASSIGNMENT, "linked").symlink_to(record_path(graded, ASSIGNMENT, "ada"))
    record_path(graded, ASSIGNMENT, "folder").mkdir()
    page, out, err = report(graded, capsys)
    warnings = err.strip().splitlines()
    assert len(warnings) == len(bad)
    for student, why in bad.items():
        assert sum(record_file(student) in line and why in line for line in warnings) == 1, (student, warnings)
    tables = Tables(page)
    listed = dict(tables.table(["file", "why"]))
    assert set(listed) == {record_file(s) for s in bad}
    assert tables.summary.startswith(f"{len(STUDENTS)} submission(s)")
    assert f"{len(bad)} unreadable record(s) skipped" in out


def test_no_records_and_no_gradebook_is_an_error(course, capsys):
    assert main(["report", ASSIGNMENT]) == 2
    err = capsys.readouterr().err
    assert f"no graded submissions of {ASSIGNMENT}: run `dnnkit grade {ASSIGNMENT}` first" in err
    assert not (course / "gradebook.db").exists() and not (course / PAGE).exists()


def test_only_unreadable_records_is_an_error_naming_them(course, capsys):
    write_record(course, "ada", "not json")
    assert main(["report", ASSIGNMENT]) == 2
    err = capsys.readouterr().err
    assert record_file("ada") in err and "1 unreadable" in err


@pytest.mark.slow  # nbgrader generate_assignment: a few seconds
def test_gradebook_fallback_without_records(course, capsys):
    from dnnkit.gradebook import open_gradebook
    from dnnkit.nbgrader_cli import nbgrader

    def record_scores(root, assignment, student, by_cell):  # what plain nbgrader autograde would have saved
        with open_gradebook(root) as gb:
            gb.update_or_create_student(student)
            for grade in gb.update_or_create_submission(assignment, student).notebooks[0].grades:
                grade.auto_score = by_cell[grade.name]
            gb.db.commit()

    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    scores = {"ada": dict.fromkeys(NAMES, 10.0), "ben": {**dict.fromkeys(NAMES, 10.0), "linear_forward": 0.0,
                                                         "compute_cost": 0.0}}
    for student, by_function in scores.items():
        record_scores(course, ASSIGNMENT, student, {f"test_{n}": s for n, s in by_function.items()})
    page, out, _ = report(course, capsys)
    assert "from the gradebook" in out and "come from the nbgrader gradebook" in page
    tables = Tables(page)
    assert tables.summary.startswith("2 submission(s): 2 graded, 0 incomplete;")
    for name, passed, failed, _, not_run, _ in tables.table(["function", "passed", "failed", "not attempted"]):
        assert int(passed) == sum(s[name] == 10.0 for s in scores.values()) and int(not_run) == 0, name
        assert int(passed) + int(failed) == 2
    students = {row[0]: row[1] for row in tables.table(["student", "score", "status"])}
    assert students == {"ada": f"{TOP} / {TOP}", "ben": f"{TOP - 20} / {TOP}"}
    assert len(re.findall(r"data:image/png;base64,", page)) == 2
