"""Names a student controls (dnnkit.names): which student ids are accepted, how ids and file names are shown in a
terminal and in the grades CSV, and, end to end, hostile folder and file names in one `dnnkit grade` run with
ordinary students: each attack reaches the run and fails (the batch finishes, every ordinary student gets a
full row, nothing hostile reaches the terminal, the spreadsheet, the gradebook or autograded/).

Decisions: `o'brien` is refused (a quote could act as markup; the instructor renames the folder, e.g. to
`obrien`); file names inside a submission never refuse it, they are only ever shown escaped."""
from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import make_course_copy
from dnnkit.cases import FUNCTIONS
from dnnkit.cli import main
from dnnkit.grading.batch import refusal, write_csv
from dnnkit.grading.records import RECORDS, record_path
from dnnkit.course import Course
from dnnkit.names import csv_cell, id_problem, one_line, shown, suggested_id

ASSIGNMENT = "step_by_step"
NAMES = FUNCTIONS[ASSIGNMENT]
TOP = 10 * len(NAMES)


# -- the rules, one by one -------------------------------------------------------------------------------------

ACCEPTED = ["ada", "josé", "张伟", "ada.lovelace@uni.edu", "x+tag@uni.edu", "s1234567", "jean-luc", "o_brien",
            "_ta", "demo-correct", "jose\u0301",  # NFD, as macOS archives spell é
            "Ωmega", "प्रिया", "محمد", "x" * 100, "ada.", "v1.2"]

REFUSED = {  # name: a word of the reason
    "o'brien": "markup", "<svg onload=alert(1)>": "markup", "a&b": "markup", 'a"b': "markup", "a`b": "markup",
    "a>b": "markup",
    '=HYPERLINK("http://x","y")': "formula", "=1+1": "formula", "+1": "formula", "-1": "formula",
    "@SUM(A1)": "formula", "\tx": "formula", "\rx": "formula",
    "x\x1b[2K": "control", "x\n": "whitespace", "a\x7fb": "control", "a\x9bb": "control", "a\x00b": "control",
    "a\u202eb": "control", "a\u2066b": "control", "a\u200bb": "control", "a\u200db": "control",
    "a\ufeffb": "control", "a\u2028b": "whitespace", "a\u2029b": "whitespace", "a\U000e0041b": "control",
    "a b": "whitespace", "a\u00a0b": "whitespace", "a\u3000b": "whitespace", "a\tb": "whitespace",
    "a/b": "path", "a\\b": "path", ".": "path", "..": "path", ".hidden": "hidden",
    os.fsdecode(b"jos\xe9"): "UTF-8", os.fsdecode(b"\xff\xfe"): "UTF-8", "a\ud800b": "UTF-8",
    "x" * 101: "longer than 100", "": "empty",
    "report-step_by_step.html": "autograded", "grades-step_by_step.csv": "autograded", "grades.csv": "autograded",
    "REPORT-application": "autograded", "notes.json": "autograded", "README.md": "autograded", "page.html": "autograded",
    "a!b": "not a letter", "a:b": "not a letter", "a;b": "not a letter", "a*b": "not a letter",
    "a$b": "not a letter", "a#b": "not a letter", "a%b": "not a letter", "a(b)": "not a letter",
    "smile\U0001f600": "not a letter", "\u0301a": "begin",
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_ids(name):
    assert id_problem(name) is None
    assert shown(name) == name  # an accepted id prints as itself


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_ids_say_why(name):
    problem = id_problem(name)
    assert problem is not None and REFUSED[name] in problem, problem
    assert one_line(problem) == problem  # the reason itself is one inert line


def test_shown_escapes_what_a_terminal_would_act_on():
    hostile = "x\x1b[2K\rmallory: 120/120 graded\n.ipynb"
    assert shown(hostile) == "x\\x1b[2K\\x0dmallory: 120/120 graded\\x0a.ipynb"
    assert shown(os.fsdecode(b"jos\xe9")) == "jos\\xe9"  # the byte, as the folder name holds it
    assert shown("a\u202eb\u200bc\x9bd\x7f\U000e0041") == "a\\u202eb\\u200bc\\x9bd\\x7f\\U000e0041"
    assert shown("a\u00a0b\u3000c\td") == "a\\xa0b\\u3000c\\x09d" and shown("a b") == "a b"
    assert shown("a\\x1b") == "a\\x5cx1b" != shown("a\x1b")  # a backslash is escaped: no two names look alike
    assert shown("josé 张伟 ünï") == "josé 张伟 ünï"


@pytest.mark.parametrize("char", [chr(c) for c in [*range(0x20), 0x7f, *range(0x80, 0xa0), 0x2028, 0x2029,
                                                   0x202a, 0x202e, 0x2066, 0x2069, 0x200b, 0x200f, 0xfeff]])
def test_shown_leaves_no_control_or_format_character(char):
    for text in (shown(f"a{char}b"), one_line(f"a{char}b")):
        assert all(unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp") for c in text), repr(text)
        assert len(text.splitlines()) == 1


def test_one_line_keeps_backslashes_of_names_shown_already():
    name = shown(os.fsdecode(b"n\xff.ipynb"))
    line = f"extra notebook(s) ignored: {name}\n\x1b[31m"
    assert one_line(line) == "extra notebook(s) ignored: n\\xff.ipynb\\x0a\\x1b[31m"


@pytest.mark.parametrize("text, cell", [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"), ("+1", "'+1"), ("-1+2", "'-1+2"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("ada", "ada"), ("", ""), ("a=b", "a=b"),
    ("'=1", "'=1")])
def test_csv_cell_neutralizes_formulas(text, cell):
    assert csv_cell(text) == cell


def test_refusal_suggests_a_name_that_is_accepted():
    assert suggested_id(os.fsdecode(b"jos\xe9")) == "jose"  # Latin-1 bytes, as platform zips hold them
    assert suggested_id("o'brien") == "o_brien" and suggested_id("a b") == "a_b"
    assert suggested_id("report-step_by_step.html") is None  # no obvious rename: the message says what is allowed
    message = refusal(os.fsdecode(b"jos\xe9"), "not valid UTF-8")
    assert message == "not valid UTF-8; rename it (e.g. to 'jose') and grade again"
    assert "letters, digits and _ - . @ + only" in refusal("report-step_by_step.html", "named like")
    for name in REFUSED:
        better = suggested_id(name)
        assert better is None or id_problem(better) is None, (name, better)


# -- records under names that are not student ids, folders left in autograded/ by an older dnnkit: skipped ---

LEGACY = ["report-step_by_step.html", "<svg onload=alert(1)>", os.fsdecode(b"jos\xe9"), "x\x1b[2K\rmallory\n"]


def record(student: str, score: float = TOP) -> str:
    """A result record's JSON as dnnkit grade writes it."""
    from dnnkit.grading.records import FunctionResult, SubmissionResult, Verdict

    passed = score == TOP
    result = SubmissionResult(student, ASSIGNMENT, raw_score=float(score), max_score=float(TOP), functions={
        n: FunctionResult(n, Verdict.PASSED if passed else Verdict.FAILED, score=10.0 if passed else 0.0,
                          max_score=10.0) for n in NAMES})
    return result.to_json()


@pytest.fixture
def legacy_course(tmp_path, monkeypatch) -> Path:
    root = make_course_copy(tmp_path / "course", with_release=False)
    monkeypatch.setenv("DNNKIT_COURSE_ROOT", str(root))
    for student in ["ada", "ben", *LEGACY]:
        path = record_path(root, ASSIGNMENT, student)  # records under names no student id may have: skipped
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(record(student, TOP if student == "ada" else 0.0))
    for student in LEGACY:  # folders an older dnnkit left in autograded/ (records were kept there): never read
        old = root / "autograded" / student / ASSIGNMENT / "dnnkit-result.json"
        old.parent.mkdir(parents=True)
        old.write_text(record(student))
    return root


def test_report_skips_refused_folders_and_still_writes_the_page(legacy_course, capsys):
    assert main(["report", ASSIGNMENT]) == 0
    out, err = capsys.readouterr()
    # the folder autograded/report-step_by_step.html/ holds the page's name: the page goes beside it
    page_path = legacy_course / "autograded" / f"report-{ASSIGNMENT}-1.html"
    assert f"autograded/report-{ASSIGNMENT}-1.html: 2 submission(s)" in out and "4 unreadable" in out
    warnings = err.splitlines()
    assert len(warnings) == len(LEGACY) + 1 and all(w.startswith("dnnkit report: warning: ") for w in warnings)
    for name in LEGACY:
        assert sum(f"{RECORDS}/{ASSIGNMENT}/{shown(name)}.json" in w and "not a student id" in w
                   for w in warnings) == 1, (name, warnings)
    assert sum(f"report-{ASSIGNMENT}-1.html" in w for w in warnings) == 1
    assert "\x1b" not in out + err and "\r" not in out + err
    page = page_path.read_text(encoding="utf-8")
    assert "<svg" not in page and "\x1b" not in page and "jos\\xe9" in page
    students = page.split("<h2>Students</h2>")[1]  # (a late or hand-graded one is also in "Where the points went")
    rows = re.findall(r"<tr><td>([^<]*)</td><td>[^<]*/ \d+</td>", students)
    assert sorted(rows) == ["ada", "ben"], rows
    assert (legacy_course / "autograded" / f"report-{ASSIGNMENT}.html").is_dir()  # left as it was


def test_grades_csv_skips_refused_folders(legacy_course):
    (legacy_course / "autograded" / f"grades-{ASSIGNMENT}.csv").mkdir()  # left by an older run, too
    (legacy_course / "submitted" / "=cmd" / ASSIGNMENT).mkdir(parents=True)
    path = write_csv(Course(legacy_course), ASSIGNMENT)
    assert path.name == f"grades-{ASSIGNMENT}-1.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [r["student_id"] for r in rows] == ["'=cmd", "ada", "ben"]
    assert rows[0]["status"] == "refused" and "formula" in rows[0]["flags"] and rows[0]["score"] == "0"


# -- end to end: one `dnnkit grade` run with hostile folder and file names ------------------------------------

ORDINARY = ["ada", "ben"]
# a file name cannot hold '/': the fake line's "120/120" is written with U+2215 DIVISION SLASH, which looks the same
EVIL_FILE = "x\x1b[2K\rmallory: 120\u2215120 graded\n.ipynb"
CAROL = "carol"  # an ordinary student whose extra notebook has the hostile name above
ATTACKS = {  # folder name under submitted/: a word of the reason it is refused
    '=HYPERLINK("x","y")': "formula",  # a folder name cannot hold the '/' of "http://": the exact id is tested
    "report-step_by_step.html": "autograded",  # with --student below
    "grades-step_by_step.csv": "autograded",
    os.fsdecode(b"jos\xe9"): "UTF-8",
    "<svg onload=alert(1)>": "markup",
}
NAMED_ONLY = '=HYPERLINK("http://x","y")'
KIT_FILES = {f"grades-{ASSIGNMENT}.csv", f"report-{ASSIGNMENT}.html"}


def sandbox_flag() -> list[str]:
    """Sandboxed when the sandbox works here; DNNKIT_TEST_UNSAFE=1 grades without it (while it is rebuilt)."""
    return ["--unsafe-no-sandbox"] if os.environ.get("DNNKIT_TEST_UNSAFE") == "1" else []


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from grading_support import dnnkit_grade, grading_course, read_grades, submit

    course = grading_course(tmp_path_factory.mktemp("names") / "course")
    for student in [*ORDINARY, CAROL, *ATTACKS]:
        submit(course, student)  # every one a correct notebook: accepted, it would earn full marks
    carol = course.root / "submitted" / CAROL / ASSIGNMENT
    (carol / EVIL_FILE).write_bytes((carol / f"{ASSIGNMENT}.ipynb").read_bytes())
    submitted = set(os.listdir(os.fsencode(course.root / "submitted")))
    grade = dnnkit_grade(course, ASSIGNMENT, "--workers", "2", *sandbox_flag())
    csv_path = course.root / "autograded" / f"grades-{ASSIGNMENT}.csv"
    assert csv_path.is_file(), grade.stdout + grade.stderr[-5000:]
    csv_text = csv_path.read_text(encoding="utf-8")
    env = {**os.environ, "DNNKIT_COURSE_ROOT": str(course.root)}
    report = subprocess.run([sys.executable, "-m", "dnnkit.cli", "report", ASSIGNMENT], env=env,
                            capture_output=True, text=True, timeout=300)
    named = dnnkit_grade(course, ASSIGNMENT, "--student", NAMED_ONLY, *sandbox_flag())
    return SimpleNamespace(course=course, submitted=submitted, grade=grade, report=report, named=named,
                           csv_text=csv_text, rows=read_grades(course),
                           first_rows=list(csv.reader(io.StringIO(csv_text))))


def row_of(run, name: str) -> dict[str, str]:
    key = csv_cell(shown(name))
    assert key in run.rows, f"no row for {shown(name)}: {sorted(run.rows)}\n{run.grade.stderr[-3000:]}"
    return run.rows[key]


def gradebook_students(root: Path) -> set[str]:
    from dnnkit.gradebook import open_gradebook

    with open_gradebook(root) as gb:
        return {student.id for student in gb.students}


def terminal_is_inert(done: subprocess.CompletedProcess) -> None:
    """No escape sequence, no bare carriage return: only tqdm's own bar redraws (a CR followed by the bar or by
    the blanks that clear it), no line that a file name started."""
    assert "\x1b" not in done.stdout + done.stderr
    assert "\r" not in done.stdout
    for piece in done.stderr.split("\r")[1:]:
        assert piece.startswith(f"grading {ASSIGNMENT}") or not piece.split("\n", 1)[0].strip(), repr(piece[:80])
    assert not [line for line in done.stdout.splitlines() if line.startswith("mallory")]


@pytest.mark.slow
def test_the_batch_finishes_with_exit_0(run):
    assert run.grade.returncode == 0, run.grade.stdout + run.grade.stderr[-5000:]
    assert f"{len(ORDINARY) + 1} submission(s), {len(ATTACKS)} refused" in run.grade.stdout


@pytest.mark.slow
@pytest.mark.parametrize("name", [*ORDINARY, CAROL])
def test_every_ordinary_student_has_a_full_row(run, name):
    row = row_of(run, name)
    assert [float(row[n]) for n in NAMES] == [10.0] * len(NAMES) and float(row["score"]) == TOP, row
    assert row["status"] == "graded"
    assert row["flags"] == ("" if name in ORDINARY else f"extra notebook(s) ignored: {shown(EVIL_FILE)}")


@pytest.mark.slow
@pytest.mark.parametrize("name", list(ATTACKS))
def test_each_hostile_folder_reached_the_run_and_was_refused(run, name):
    assert os.fsencode(name) in run.submitted  # the attack landed: that very folder was in submitted/
    line = f"dnnkit grade: refused a submission folder '{shown(name)}': "
    said = [text for text in run.grade.stderr.splitlines() if text.startswith(line)]
    assert len(said) == 1 and ATTACKS[name] in said[0] and said[0].endswith("and grade again"), said
    row = row_of(run, name)  # and it failed: a refused row, zero points, the reason
    assert row["status"] == "refused" and ATTACKS[name] in row["flags"] and "rename it" in row["flags"], row
    assert float(row["score"]) == 0 and float(row["max_score"]) == TOP
    assert name not in gradebook_students(run.course.root)
    kept = run.course.root / "autograded" / name  # report-*.html and grades-*.csv: the kit's own files, not folders
    assert not kept.exists() or (name in KIT_FILES and kept.is_file() and not kept.is_symlink())


@pytest.mark.slow
def test_the_refused_ids_are_shown_escaped_in_the_csv(run):
    ids = {row[0] for row in run.first_rows[1:]}
    assert ids == {*ORDINARY, CAROL, "'=HYPERLINK(\"x\",\"y\")", "report-step_by_step.html",
                   "grades-step_by_step.csv", "jos\\xe9", "<svg onload=alert(1)>"}


@pytest.mark.slow
def test_the_csv_parses_and_no_cell_is_a_formula(run):
    header, *body = run.first_rows
    assert header == ["student_id", *NAMES, "timestamp", "raw_score", "late_submission_penalty", "score", "max_score",
                      "status", "flags", "diagnoses", "not_attempted"]
    assert len(body) == len(ORDINARY) + 1 + len(ATTACKS) and all(len(r) == len(header) for r in body)
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
        numbers = row[1:len(NAMES) + 1] + row[len(NAMES) + 2:len(NAMES) + 6]
        assert all(re.fullmatch(r"\d+(\.\d+)?", cell) for cell in numbers), row  # numbers stay numbers
    assert "\x1b" not in run.csv_text


@pytest.mark.slow
def test_nothing_hostile_reaches_the_terminal(run):
    terminal_is_inert(run.grade)
    carol = [line for line in run.grade.stdout.splitlines() if line.startswith(f"{CAROL}: ")]
    assert len(carol) == 1 and shown(EVIL_FILE) in carol[0], run.grade.stdout


@pytest.mark.slow
def test_the_report_still_writes_the_page(run):
    assert run.report.returncode == 0, run.report.stderr
    assert run.report.stderr == ""  # nothing refused was left in autograded/ to warn about
    page = (run.course.root / "autograded" / f"report-{ASSIGNMENT}.html").read_text(encoding="utf-8")
    assert "3 submission(s)" in page and "<svg" not in page


@pytest.mark.slow
def test_nothing_refused_is_in_the_gradebook(run):
    from dnnkit.gradebook import function_scores

    assert gradebook_students(run.course.root) == {*ORDINARY, CAROL}
    assert set(function_scores(run.course.root, ASSIGNMENT)) == {*ORDINARY, CAROL}


@pytest.mark.slow
def test_nothing_refused_is_under_autograded(run):
    entries = set(os.listdir(os.fsencode(run.course.root / "autograded")))
    assert entries == {os.fsencode(n) for n in [*ORDINARY, CAROL, *KIT_FILES]}, entries


@pytest.mark.slow
def test_a_formula_named_with_student_is_refused_too(run):
    # the brief's id: no folder can hold its "//", but --student can name it
    assert run.named.returncode == 0, run.named.stdout + run.named.stderr[-3000:]
    terminal_is_inert(run.named)
    assert f"dnnkit grade: refused a submission folder '{NAMED_ONLY}': begins with '='" in run.named.stderr
    row = row_of(run, NAMED_ONLY)
    assert row["status"] == "refused" and "formula" in row["flags"]
    for name in [*ORDINARY, CAROL]:  # the others' rows are still there, whole
        assert float(row_of(run, name)["score"]) == TOP
    assert NAMED_ONLY not in gradebook_students(run.course.root)
