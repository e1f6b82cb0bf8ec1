"""Names a student controls (dnnkit.names): which student ids are accepted, how ids and file names are shown in a
terminal and in the grades CSV, and, end to end, hostile folder and file names in one `dnnkit grade` run with
ordinary students: each attack reaches the run and fails (the batch finishes, every ordinary student gets a
full row, nothing hostile reaches the terminal, the spreadsheet, the gradebook or autograded/).

Decisions: `o'brien` is refused (a quote could act as markup; the instructor renames the folder, e.g. to
`obrien`); file names inside a submission never refuse it, they are only ever shown escaped. Ids that look alike
(UTS #39 skeleton, with Unicode's confusables data from ICU): the one on the gradebook's roster is graded, the
other refused; when neither or both are on the roster, both are refused (docs/student-ids.md)."""
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
from dnnkit.grading.batch import write_csv
from dnnkit.grading.records import RECORDS, record_path
from dnnkit.course import Course
from dnnkit.names import csv_cell, id_problem, id_problems, one_line, shown, suggested_id

ASSIGNMENT = "step_by_step"
NAMES = FUNCTIONS[ASSIGNMENT]
TOP = 10 * len(NAMES)


# -- the rules, one by one -------------------------------------------------------------------------------------

ACCEPTED = ["ada", "josé", "张伟", "ada.lovelace@uni.edu", "x+tag@uni.edu", "s1234567", "jean-luc", "o_brien",
            "_ta", "demo-correct", "Ørsted", "Nguyễn", "Иван", "ωμέγα", "प्रिया", "محمد", "مُحَمَّد", "山田はなこ",
            "김민준", "张wei", "x" * 100, "ada.", "v1.2", "١٢٣"]

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
    # tricks that look like another id (UTS #39): the character rules alone let each of them through
    "jose\u0301": "NFC",  # NFD, as macOS archives spell é
    "\u0430da": "Cyrillic and Latin", "Ωmega": "Greek and Latin", "pаypal": "scripts",  # a Cyrillic а each
    "a\u034fda": "U+034F", "ada\u3164": "U+3164", "ada\u115f": "U+115F", "a\ufe00da": "U+FE00",  # invisible
    "\uff41da": "U+FF41", "\U0001d41ada": "U+1D41A",  # fullwidth, mathematical
    "O\u0338rsted": "U+0338", "l\u0131\u0307sa": "U+0307", "q\u0301": "U+0301",  # marks that do not compose
    "a\u0301\u0301": "NFC", "\u00e1\u0301": "U+0301", "q\u0308\u0308": "U+0308",
    "ada_\u0301": "not a letter", "1\u064e": "not a letter",  # a mark on what is not a letter
    "ب\u064e\u064e": "twice", "ب\u064e\u064f\u0650\u0651": "more than 3",  # stacked marks
    "a1\u0661": "digits",
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
    assert shown("a\u202eb\u200bc\x9bd\x7f\U000e0041") == "a\\u202eb\\u200bc\\u009bd\\x7f\\U000e0041"
    assert shown("a\u00a0b\u3000c\td") == "a\\u00a0b\\u3000c\\x09d" and shown("a b") == "a b"
    assert shown(os.fsdecode(b"a\x85")) == "a\\x85" != shown("a\x85")  # a byte and a character differ
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
    assert suggested_id("jose\u0301") == "jos\u00e9"  # the NFC form of an NFD name
    assert suggested_id("report-step_by_step.html") is None  # no obvious rename: the message says what is allowed
    refused = id_problems([os.fsdecode(b"jos\xe9"), "report-step_by_step.html", "jose\u0301"])
    assert refused[os.fsdecode(b"jos\xe9")] == "not valid UTF-8; rename it (e.g. to 'jose') and grade again"
    assert "letters, digits and _ - . @ + only" in refused["report-step_by_step.html"]
    assert "NFC" in refused["jose\u0301"] and refused["jose\u0301"].endswith("(e.g. to 'jos\u00e9') and grade again")
    for name in REFUSED:
        better = suggested_id(name)
        assert better is None or id_problem(better) is None, (name, better)


# -- ids that look like another id of the class ----------------------------------------------------------------

PACO, OCAP = "paco", "\u0440\u0430\u0441\u043e"  # Latin; Cyrillic р а с о, one script each: both acceptable alone


def test_lookalikes_are_acceptable_alone():
    assert id_problem(PACO) is None and id_problem(OCAP) is None and PACO != OCAP
    assert id_problems([PACO, OCAP], roster=[PACO, "ada"]).keys() == {OCAP}  # but not together


def test_of_two_lookalikes_the_one_on_the_roster_is_graded():
    for ids in ([PACO, OCAP], [OCAP]):  # the roster's student submitted too, or not (yet)
        refused = id_problems(ids, roster=[PACO])
        assert list(refused) == [OCAP], refused
        assert "looks like 'paco', a student on the gradebook's roster" in refused[OCAP]
    assert list(id_problems([PACO, OCAP], roster=[OCAP])) == [PACO]  # the roster decides, not the script


def test_lookalikes_neither_or_both_on_the_roster_are_both_refused():
    for roster in ([], [PACO, OCAP]):
        refused = id_problems([PACO, OCAP], roster=roster)
        assert refused.keys() == {PACO, OCAP}, (roster, refused)
        assert "'\\u0440\\u0430\\u0441\\u043e'" in refused[PACO] and "'paco'" in refused[OCAP]
        assert ("neither is on the gradebook's roster" if not roster else "both are on the gradebook's roster") in (
            refused[PACO])


@pytest.mark.parametrize("real, impostor", [
    ("ada", "\u0430da"), ("ada", "a\u034fda"), ("ada", "ada\u3164"), ("ada", "\uff41da"),  # refused alone
    ("jos\u00e9", "jose\u0301"), ("\u00d8rsted", "O\u0338rsted"), ("lisa", "l\u0131sa"),
    ("ada", "ada "), ("ada", "ada\u00a0"),  # refused alone, and the suggested rename would be the real id
    ("mary", "rnary"), ("s1", "sl"), ("alice", "aIice"), ("coco", "\u0441\u043e\u0441\u043e"),  # acceptable alone
])
def test_an_impostor_is_refused_and_says_whom_it_looks_like(real, impostor):
    refused = id_problems([real, impostor], roster=[real])
    assert list(refused) == [impostor], refused  # the real student is never refused for it
    assert f"looks like '{real}'" in refused[impostor] and one_line(refused[impostor]) == refused[impostor]
    assert shown(impostor, refused=True) != real  # the two differ visibly where the line prints them
    if id_problem(impostor) is not None:  # refused alone: an impostor refused alone refuses nobody else
        assert id_problems([real, impostor]).keys() == {impostor}


def test_different_ids_are_not_lookalikes():
    ids = ["ada", "adam", "Ada", "jose", "jos\u00e9", "张伟", "张玮", "Иван", "ivan", "s1234567", "s1234568",
           "ada.lovelace@uni.edu", "ada_lovelace@uni.edu", "Ørsted", "Orsted"]
    assert id_problems(ids, roster=ids[:3]) == {}


def test_without_pyicu_checking_an_id_says_what_to_install(monkeypatch):
    import dnnkit.names
    from dnnkit import DnnkitError

    monkeypatch.setitem(sys.modules, "icu", None)  # as in a student's install (requirements-student.txt)
    dnnkit.names._uts39.cache_clear()
    try:
        assert shown("jos\u00e9 \x1b", refused=True) == "jos\\u00e9\\x20\\x1b"  # showing needs no ICU
        with pytest.raises(DnnkitError, match="PyICU is not installed.*requirements.txt"):
            id_problem("ada")
    finally:
        dnnkit.names._uts39.cache_clear()


SHOWN_REFUSED = ["ada", "\u0430da", "a\u034fda", "ada\u3164", "ada ", "ada\u00a0", "jose\u0301", "jos\u00e9",
                 "jos\u00e9 ", os.fsdecode(b"jos\xe9 "), "a\x85", os.fsdecode(b"a\x85"), "a\\x85", "O\u0338rsted",
                 "\u00d8rsted", PACO, OCAP, "<svg onload=alert(1)>", "x\x1b[2K\rmallory\n", "a\ud800b"]


def test_refused_ids_are_shown_in_ascii_and_never_alike():
    texts = [shown(name, refused=True) for name in SHOWN_REFUSED]
    assert len(set(texts)) == len(SHOWN_REFUSED), texts  # no two different ids shown the same way
    assert all(text.isascii() and text.isprintable() and " " not in text for text in texts), texts
    assert shown("\u0430da", refused=True) == "\\u0430da" and shown("ada ", refused=True) == "ada\\x20"
    assert shown(os.fsdecode(b"jos\xe9"), refused=True) == "jos\\xe9" != shown("jos\u00e9", refused=True)
    for name in ACCEPTED:  # an accepted id has no other escape to fear: shown as itself
        assert shown(name) == name and (name.isascii() or shown(name, refused=True) != name)


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
        assert sum(f"{RECORDS}/{ASSIGNMENT}/{shown(name, refused=True)}.json" in w and "not a student id" in w
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


def row_of(run, name: str, refused: bool = False) -> dict[str, str]:
    key = csv_cell(shown(name, refused=refused))
    assert key in run.rows, f"no row for {key}: {sorted(run.rows)}\n{run.grade.stderr[-3000:]}"
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
    line = f"dnnkit grade: refused a submission folder '{shown(name, refused=True)}': "
    said = [text for text in run.grade.stderr.splitlines() if text.startswith(line)]
    assert len(said) == 1 and ATTACKS[name] in said[0] and said[0].endswith("and grade again"), said
    row = row_of(run, name, refused=True)  # and it failed: a refused row, zero points, the reason
    assert row["status"] == "refused" and ATTACKS[name] in row["flags"] and "rename it" in row["flags"], row
    assert float(row["score"]) == 0 and float(row["max_score"]) == TOP
    assert name not in gradebook_students(run.course.root)
    kept = run.course.root / "autograded" / name  # report-*.html and grades-*.csv: the kit's own files, not folders
    assert not kept.exists() or (name in KIT_FILES and kept.is_file() and not kept.is_symlink())


@pytest.mark.slow
def test_the_refused_ids_are_shown_escaped_in_the_csv(run):
    ids = {row[0] for row in run.first_rows[1:]}
    assert ids == {*ORDINARY, CAROL, "'=HYPERLINK(\"x\",\"y\")", "report-step_by_step.html",
                   "grades-step_by_step.csv", "jos\\xe9", "<svg\\x20onload=alert(1)>"}


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
    row = row_of(run, NAMED_ONLY, refused=True)
    assert row["status"] == "refused" and "formula" in row["flags"]
    for name in [*ORDINARY, CAROL]:  # the others' rows are still there, whole
        assert float(row_of(run, name)["score"]) == TOP
    assert NAMED_ONLY not in gradebook_students(run.course.root)


# -- end to end: impostors of real students' ids in one `dnnkit grade` run ------------------------------------

ROSTER = ["ada", "jos\u00e9", "\u00d8rsted", "paco"]  # the gradebook's students, each submits a correct notebook
IMPOSTORS = {  # folder: (the real id it imitates, how the kit shows it refused, a word of the reason)
    "\u0430da": ("ada", "\\u0430da", "Cyrillic and Latin"),  # a Cyrillic а
    "jose\u0301": ("jos\u00e9", "jose\\u0301", "NFC"),  # e + a combining acute accent
    "a\u034fda": ("ada", "a\\u034fda", "U+034F"),  # an invisible combining grapheme joiner
    "O\u0338rsted": ("\u00d8rsted", "O\\u0338rsted", "U+0338"),  # O + a combining overlay stroke
    "\u0440\u0430\u0441\u043e": ("paco", "\\u0440\\u0430\\u0441\\u043e", "roster"),  # all Cyrillic
}


def looks(text: str) -> str:
    """What a reader sees of an id, for the test: ICU's UTS #39 skeleton of the text without its default
    ignorable code points (invisible when printed)."""
    import icu

    ignorable = icu.UProperty.DEFAULT_IGNORABLE_CODE_POINT
    return icu.SpoofChecker().getSkeleton(0, "".join(c for c in text if not icu.Char.hasBinaryProperty(c, ignorable)))


@pytest.fixture(scope="module")
def lookalikes(tmp_path_factory):
    from dnnkit.gradebook import open_gradebook
    from grading_support import dnnkit_grade, grading_course, read_grades, submit

    course = grading_course(tmp_path_factory.mktemp("lookalikes") / "course")
    with open_gradebook(course.root) as gb:
        for student in ROSTER:
            gb.add_student(student)
    for student in [*ROSTER, *IMPOSTORS]:
        submit(course, student)  # every one a correct notebook: graded, it would earn full marks
    submitted = set(os.listdir(course.root / "submitted"))
    grade = dnnkit_grade(course, ASSIGNMENT, "--workers", "2", *sandbox_flag())
    assert (course.root / "autograded" / f"grades-{ASSIGNMENT}.csv").is_file(), grade.stdout + grade.stderr[-5000:]
    return SimpleNamespace(course=course, submitted=submitted, grade=grade, rows=read_grades(course))


@pytest.mark.slow
def test_the_impostors_reached_the_run_and_looked_like_real_students(lookalikes):
    assert lookalikes.grade.returncode == 0, lookalikes.grade.stdout + lookalikes.grade.stderr[-5000:]
    for name, (real, _, _) in IMPOSTORS.items():
        assert name in lookalikes.submitted and name != real and looks(name) == looks(real)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(IMPOSTORS))
def test_each_impostor_is_refused_with_one_line_naming_the_real_id(lookalikes, name):
    real, escaped, reason = IMPOSTORS[name]
    start = f"dnnkit grade: refused a submission folder '{escaped}': "
    said = [line for line in lookalikes.grade.stderr.splitlines() if line.startswith(start)]
    assert len(said) == 1 and reason in said[0] and f"looks like '{real}'" in said[0], (
        said, lookalikes.grade.stderr[-3000:])
    row = lookalikes.rows.get(escaped)
    assert row is not None and row["status"] == "refused" and float(row["score"]) == 0, (escaped, row)


@pytest.mark.slow
@pytest.mark.parametrize("name", ROSTER)
def test_each_real_student_is_graded(lookalikes, name):
    row = lookalikes.rows[name]
    assert row["status"] == "graded" and float(row["score"]) == TOP, row


@pytest.mark.slow
def test_no_two_rows_or_terminal_lines_look_the_same(lookalikes):
    ids = list(lookalikes.rows)  # the CSV's student_id cells, as a spreadsheet shows them
    assert len({looks(i) for i in ids}) == len(ids) == len(ROSTER) + len(IMPOSTORS), sorted(ids)
    summary = re.compile(r"(.+): [\d.]+/[\d.]+ graded$")  # the line of each graded submission
    graded = [m[1] for line in lookalikes.grade.stdout.splitlines() if (m := summary.match(line))]
    assert sorted(graded) == sorted(ROSTER), graded  # one summary line per real student, none for an impostor


@pytest.mark.slow
def test_no_impostor_reaches_the_gradebook_or_autograded(lookalikes):
    assert gradebook_students(lookalikes.course.root) == set(ROSTER)
    assert set(os.listdir(lookalikes.course.root / "autograded")) == {*ROSTER, f"grades-{ASSIGNMENT}.csv"}
