"""The gradebook on a real PostgreSQL server (DNNKIT_DB_URL): `dnnkit grade --workers 3` gives the same grades
as with the default SQLite gradebook, and writes them to the server, not to a gradebook.db beside the course."""
from __future__ import annotations

import csv
import os

import psycopg
import pytest
from sqlalchemy import create_engine, text

from dnnkit.cases import FUNCTIONS
from dnnkit.gradebook import course_config, function_scores
from dnnkit.mistakes import BY_NAME
from dnnkit.nbgrader_cli import nbgrader
from dnnkit.submissions import solved_notebook, write_submission
from grading_support import dnnkit_grade, grading_course, read_grades, scores
from pg_server import postgres_bin, postgres_server

pytestmark = pytest.mark.slow
ASSIGNMENT = "step_by_step"
NAMES = FUNCTIONS[ASSIGNMENT]
DB_VAR = "DNNKIT_DB_URL"
# one mistake in each of six different functions
MISTAKES = ("weights_not_small", "missing_bias", "activations_swapped", "cost_without_1_minus_y", "db_wrong_axis",
            "dAL_wrong_sign")
STUDENTS = ["correct", "stub", *(f"m-{m}" for m in MISTAKES)]


@pytest.fixture(scope="module")
def pg_url():
    """A real PostgreSQL server on 127.0.0.1 with an empty database `gradebook`; stopped and deleted afterwards."""
    bindir = postgres_bin()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb); CI must have it")
        pytest.skip("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb)")
    with postgres_server("gradebook", bindir) as url:
        yield url


def _libpq(url: str) -> str:
    """The URL for psycopg itself: without SQLAlchemy's +driver part, if any."""
    scheme, rest = url.split("://", 1)
    return scheme.split("+")[0] + "://" + rest


def test_documented_url_opens_the_server(pg_url, repo_root, monkeypatch):
    """requirements.txt and nbgrader_config.py say DNNKIT_DB_URL=postgresql://...; the kit installs psycopg 3
    (not psycopg2): the course config must hand SQLAlchemy that URL with the psycopg 3 driver named."""
    monkeypatch.setenv(DB_VAR, pg_url)
    db_url = course_config(repo_root).CourseDirectory.db_url
    assert db_url == pg_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def _submissions(course) -> None:
    write_submission(course, ASSIGNMENT, "correct", solved_notebook(course, ASSIGNMENT))
    write_submission(course, ASSIGNMENT, "stub")
    for mistake in MISTAKES:
        write_submission(course, ASSIGNMENT, f"m-{mistake}", solved_notebook(course, ASSIGNMENT, (mistake,)))


def _csv_rows(course) -> list[list[str]]:
    with open(course.root / "autograded" / f"grades-{ASSIGNMENT}.csv", newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture(scope="module")
def graded(tmp_path_factory, pg_url):
    """The same eight submissions graded in two course copies: on the PostgreSQL server, then with the default
    SQLite gradebook."""
    base = tmp_path_factory.mktemp("pg-vs-sqlite")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(DB_VAR, pg_url)  # inherited by nbgrader generate_assignment and by the dnnkit grade subprocess
        pg_course = grading_course(base / "postgres" / "course")
        _submissions(pg_course)
        pg_done = dnnkit_grade(pg_course, ASSIGNMENT, "--workers", "3")

        mp.delenv(DB_VAR)  # the SQLite copy must not see the server (nor a URL set outside the tests)
        sqlite_course = grading_course(base / "sqlite" / "course")
        _submissions(sqlite_course)
        sqlite_done = dnnkit_grade(sqlite_course, ASSIGNMENT, "--workers", "3")
    return sqlite_course, sqlite_done, pg_course, pg_done


def test_both_gradings_succeed(graded):
    sqlite_course, sqlite_done, pg_course, pg_done = graded
    assert sqlite_done.returncode == 0, sqlite_done.stderr[-3000:]
    assert pg_done.returncode == 0, pg_done.stderr[-3000:]
    assert sorted(read_grades(sqlite_course)) == sorted(STUDENTS)
    assert sorted(read_grades(pg_course)) == sorted(STUDENTS)


def test_grades_are_meaningful(graded):
    """Both gradings could agree by both being wrong: the correct answer scores full, the stub zero, and every
    mistake costs exactly its function's 10 points."""
    rows = read_grades(graded[2])
    full = {name: 10.0 for name in NAMES}
    assert scores(rows["correct"], NAMES) == full
    assert scores(rows["stub"], NAMES) == {name: 0.0 for name in NAMES}
    for mistake in MISTAKES:
        assert scores(rows[f"m-{mistake}"], NAMES) == {**full, BY_NAME[mistake].function: 0.0}, mistake
    assert all(row["status"] == "graded" and float(row["max_score"]) == 10 * len(NAMES) for row in rows.values())


def test_csv_is_identical_with_sqlite_and_postgres(graded):
    sqlite_course, _, pg_course, _ = graded
    assert _csv_rows(pg_course) == _csv_rows(sqlite_course)


def test_sqlite_copy_used_sqlite(graded, monkeypatch):
    sqlite_course = graded[0]
    monkeypatch.delenv(DB_VAR, raising=False)
    assert (sqlite_course.root / "gradebook.db").is_file()
    rows = read_grades(sqlite_course)
    table = function_scores(sqlite_course.root, ASSIGNMENT)
    assert set(table) == set(STUDENTS)
    for student, row in rows.items():
        assert table[student] == {**scores(row, NAMES), "total": float(row["score"])}, student


def test_postgres_gradebook_equals_csv(graded, pg_url, monkeypatch):
    pg_course = graded[2]
    assert not (pg_course.root / "gradebook.db").exists(), "grading wrote a SQLite gradebook in the course folder"
    monkeypatch.setenv(DB_VAR, pg_url)
    rows = read_grades(pg_course)
    table = function_scores(pg_course.root, ASSIGNMENT)
    assert set(table) == set(STUDENTS)
    for student, row in rows.items():
        assert table[student] == {**scores(row, NAMES), "total": float(row["score"])}, student


def test_postgres_database_holds_the_grades(graded, pg_url):
    """Straight from the server, without nbgrader or dnnkit in between: one grade per test cell per student,
    each equal to the CSV's score of that function."""
    pg_course = graded[2]
    rows = read_grades(pg_course)
    with psycopg.connect(_libpq(pg_url)) as conn:
        found = conn.execute(
            """SELECT sa.student_id, bc.name, g.auto_score
                 FROM grade g
                 JOIN submitted_notebook sn ON g.notebook_id = sn.id
                 JOIN submitted_assignment sa ON sn.assignment_id = sa.id
                 JOIN assignment a ON sa.assignment_id = a.id
                 JOIN base_cell bc ON g.cell_id = bc.id
                WHERE a.name = %s""", (ASSIGNMENT,)).fetchall()
        totals = dict(conn.execute(
            """SELECT sa.student_id, SUM(g.auto_score)
                 FROM grade g
                 JOIN submitted_notebook sn ON g.notebook_id = sn.id
                 JOIN submitted_assignment sa ON sn.assignment_id = sa.id
                 JOIN assignment a ON sa.assignment_id = a.id
                WHERE a.name = %s GROUP BY sa.student_id""", (ASSIGNMENT,)).fetchall())
        students = {r[0] for r in conn.execute("SELECT id FROM student").fetchall()}
    assert students == set(STUDENTS)
    assert len(found) == len(STUDENTS) * len(NAMES)
    stored = {(student, cell): score for student, cell, score in found}
    expected = {(student, f"test_{name}"): float(row[name]) for student, row in rows.items() for name in NAMES}
    assert stored == expected
    assert totals == pytest.approx({student: float(row["score"]) for student, row in rows.items()})


def test_nbgrader_export_from_postgres(graded, pg_url, monkeypatch):
    pg_course = graded[2]
    monkeypatch.setenv(DB_VAR, pg_url)
    target = pg_course.root / "export.csv"
    nbgrader(pg_course.root, "export", "--to", str(target))
    with open(target, newline="") as handle:
        exported = [r for r in csv.DictReader(handle) if r["assignment"] == ASSIGNMENT]
    rows = read_grades(pg_course)
    assert sorted(r["student_id"] for r in exported) == sorted(STUDENTS)
    for r in exported:
        assert float(r["raw_score"]) == float(rows[r["student_id"]]["score"]), r["student_id"]
        assert float(r["max_score"]) == float(rows[r["student_id"]]["max_score"]), r["student_id"]
    assert not (pg_course.root / "gradebook.db").exists()
