"""`dnnkit grade --scheduler` on a Dask cluster that loses a worker mid-run: 200+ submissions, one worker
process killed hard while it runs a submission; every submission must still be graded, recorded and scored
exactly once, with the scores the grader decides in its own process. The cluster speaks TLS with the course's
certificate (`dnnkit certs`), as the grader requires; a cluster with another course's certificate gets no
work, an account without the certificate cannot use the cluster's workers, and without the sandbox no work
goes to workers that run as root."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import nbformat
import pytest

from dnnkit import DnnkitError
from dnnkit.cases import FUNCTIONS
from dnnkit.gradebook import function_scores
from dnnkit.grading import cluster
from dnnkit.grading.records import record_path
from dnnkit.mistakes import BY_NAME
from dnnkit.submissions import solved_notebook
from grading_support import dnnkit_grade, grading_course, read_grades, scores, submit
from other_accounts import ATTACKER, as_user, shared_folder

pytestmark = pytest.mark.slow
distributed = pytest.importorskip("distributed")

ASSIGNMENT = "step_by_step"
NAMES = FUNCTIONS[ASSIGNMENT]
POINTS = 10.0
STUDENTS = 210
MISTAKE_EVERY = 7  # every 7th student made mistakes: 30 of 210
VARIANTS = (  # each variant's mistakes, cycled through by the students who made some
    ("missing_bias",),
    ("cost_without_1_over_m",),
    ("db_wrong_axis",),
    ("learning_rate_ignored",),
    ("weights_not_small", "dAL_wrong_sign"),
)
KILL_AFTER = 30  # result files on disk before a worker is killed
GRADE_TIMEOUT = 15 * 60
ROLES = ("client", "scheduler", "worker")


def course_cluster(root: Path, **kwargs):
    """A LocalCluster started, as an administrator would, with the course's certificate (made if missing)."""
    if not (cluster.tls_folder(root) / cluster.CA).exists():
        cluster.make_certificates(root)
    return distributed.LocalCluster(processes=True, dashboard_address=None, protocol="tls://",
                                    security=cluster.security(root, ROLES), **kwargs)


def plan() -> dict[str, tuple[str, ...]]:
    """{student: mistakes made} — most students none."""
    made = {}
    for i in range(STUDENTS):
        made[f"s{i:03d}"] = VARIANTS[(i // MISTAKE_EVERY) % len(VARIANTS)] if i % MISTAKE_EVERY == 3 else ()
    return made


def expected_scores(mistakes: tuple[str, ...]) -> dict[str, float]:
    lost = {BY_NAME[m].function for m in mistakes}
    return {name: 0.0 if name in lost else POINTS for name in NAMES}


def write_submissions(course, made: dict[str, tuple[str, ...]], templates: Path) -> None:
    """Each variant's notebook written once with nbformat, then copied for every student who made it."""
    templates.mkdir()
    for mistakes in set(made.values()):
        nbformat.write(solved_notebook(course, ASSIGNMENT, mistakes=mistakes),
                       templates / ("+".join(mistakes) or "correct"))
    for student, mistakes in made.items():
        folder = course.root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        shutil.copy(templates / ("+".join(mistakes) or "correct"), folder / f"{ASSIGNMENT}.ipynb")


def result_files(root: Path) -> list[Path]:
    return list(record_path(root, ASSIGNMENT, "x").parent.glob("*.json"))


def _executing(dask_worker) -> list[str]:
    """Run on a worker: the arguments of its running tasks (the first names the student)."""
    return [repr(getattr(ts.run_spec, "args", ts.run_spec)) for ts in list(dask_worker.state.executing)]


def kill_a_busy_worker(client, root: Path) -> dict:
    """SIGKILL the process of one worker that is running a submission now; which one and what it ran."""
    deadline, errors = time.monotonic() + 60, []
    while time.monotonic() < deadline:
        pids = client.run(os.getpid)
        for address, pid in sorted(pids.items()):
            try:
                running = client.run(_executing, workers=[address])[address]
            except Exception as err:  # the worker just left, or the call failed: say which at the end
                errors.append(f"{type(err).__name__}: {err}")
                continue
            students = sorted({s for spec in running for s in re.findall(r"'(s\d{3})'", spec)})
            if students:
                os.kill(pid, signal.SIGKILL)
                done = {p.stem for p in result_files(root)}
                return {"address": address, "pid": pid, "students": students,
                        "unfinished": [s for s in students if s not in done]}
        time.sleep(0.2)
    raise AssertionError(f"no worker was seen running a submission within 60 s; errors: {errors[-3:]}")


def test_a_killed_worker_loses_and_duplicates_nothing(tmp_path):
    started = time.monotonic()
    course = grading_course(tmp_path / "course")
    made = plan()
    write_submissions(course, made, tmp_path / "templates")
    assert len(list((course.root / "submitted").glob(f"*/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"))) == STUDENTS

    built = time.monotonic()
    env = {**os.environ, "DNNKIT_COURSE_ROOT": str(course.root), "OPENBLAS_NUM_THREADS": "1"}
    workers = course_cluster(course.root, n_workers=3, threads_per_worker=1)
    client = grader = None
    try:
        client = distributed.Client(workers.scheduler_address, security=cluster.security(course.root))
        grader = subprocess.Popen(
            [sys.executable, "-m", "dnnkit.cli", "grade", ASSIGNMENT, "--scheduler", workers.scheduler_address],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            stdin=subprocess.DEVNULL, cwd=course.root)
        # read the pipes in threads, so a full pipe never stalls the grader while we poll
        out, err = [], []
        readers = [threading.Thread(target=lambda s=s, b=b: b.append(s.read()), daemon=True)
                   for s, b in ((grader.stdout, out), (grader.stderr, err))]
        for reader in readers:
            reader.start()

        while len(result_files(course.root)) < KILL_AFTER:
            assert grader.poll() is None, f"the grader exited early ({grader.returncode})"
            assert time.monotonic() - started < GRADE_TIMEOUT, "fewer than 30 submissions graded in 15 minutes"
            time.sleep(0.2)
        killed = kill_a_busy_worker(client, course.root)
        graded_at_kill = len(result_files(course.root))

        try:
            grader.wait(timeout=max(60, GRADE_TIMEOUT - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            grader.kill()
            grader.wait()
            pytest.fail(f"the grader hung: {len(result_files(course.root))}/{STUDENTS} submissions graded; "
                        f"killed worker: {killed}")
        for reader in readers:
            reader.join(timeout=30)
        stdout, stderr = "".join(out), "".join(err)
        new_pids = client.run(os.getpid)
    finally:
        if grader is not None and grader.poll() is None:
            grader.kill()
            grader.wait()
        if client is not None:
            client.close()
        workers.close()
    elapsed = time.monotonic() - started
    print(f"course built in {built - started:.0f} s, {STUDENTS} submissions graded in "
          f"{elapsed - (built - started):.0f} s; worker {killed['address']} (pid {killed['pid']}) killed after "
          f"{graded_at_kill} results while running {killed['students']}")

    assert grader.returncode == 0, stderr[-3000:]
    assert killed["pid"] not in new_pids.values()  # the kill took: the worker process was replaced
    assert killed["unfinished"], f"the killed worker's submission {killed['students']} had already finished"
    # ... so it was run again on another worker: graded once, with its own scores (checked for everyone below)

    # the CSV: exactly one row per student, none missing, none doubled
    lines = (course.root / "autograded" / f"grades-{ASSIGNMENT}.csv").read_text().splitlines()
    ids = [line.split(",", 1)[0] for line in lines[1:]]
    assert sorted(ids) == sorted(made), (
        f"doubled: {[s for s, n in Counter(ids).items() if n > 1]}, missing: {sorted(set(made) - set(ids))}")
    rows = read_grades(course, ASSIGNMENT)

    # one result record per student, naming that student, none half-written
    records = {p.stem: json.loads(p.read_text()) for p in result_files(course.root)}
    assert sorted(records) == sorted(made)
    for student, record in records.items():
        assert (record["student"], record["assignment"]) == (student, ASSIGNMENT)
        assert {n: f["score"] for n, f in record["functions"].items()} == scores(rows[student], NAMES), student
    assert not list((course.root / "autograded").rglob("*.tmp"))

    # the grader's output names each student once: no submission recorded twice
    named = Counter(m.group(1) for m in re.finditer(r"^(s\d{3}): ", stdout, re.MULTILINE))
    assert named == Counter(list(made)), (
        f"named twice: {[s for s, n in named.items() if n > 1]}, never: {sorted(set(made) - set(named))}")
    assert "already graded" not in stdout
    assert f"grades-{ASSIGNMENT}.csv: {STUDENTS} submission(s)" in stdout

    # the gradebook says what the CSV says, for every student
    book = function_scores(course.root, ASSIGNMENT)
    assert set(book) == set(made)
    differ = {s: (book[s], scores(rows[s], NAMES)) for s in made
              if book[s] is None or {n: book[s][n] for n in NAMES} != scores(rows[s], NAMES)
              or book[s]["total"] != float(rows[s]["score"])}
    assert not differ, f"gradebook and CSV differ for {len(differ)} students, e.g. {dict(list(differ.items())[:3])}"

    # and the scores are the expected ones: full marks but for each mistake's function (its 10 points)
    wrong = {s: (rows[s]["score"], rows[s]["status"], rows[s]["flags"]) for s in made
             if scores(rows[s], NAMES) != expected_scores(made[s]) or rows[s]["status"] != "graded"
             or rows[s]["flags"] or float(rows[s]["score"]) != sum(expected_scores(made[s]).values())
             or float(rows[s]["max_score"]) != POINTS * len(NAMES)}
    assert not wrong, (f"{len(wrong)} of {STUDENTS} rows not as expected (score, status, flags): "
                       + "; ".join(f"{s}: {v}" for s, v in sorted(wrong.items())))


@pytest.fixture(scope="module")
def small_course(tmp_path_factory):
    """A course with one submission and its certificate, and a one-worker cluster started with it."""
    course = grading_course(tmp_path_factory.mktemp("tls") / "course")
    submit(course, "alice", ASSIGNMENT)
    workers = course_cluster(course.root, n_workers=1, threads_per_worker=1)
    yield course, workers
    workers.close()


def test_a_cluster_with_another_courses_certificate_gets_no_work(small_course, tmp_path):
    course, _ = small_course
    other = tmp_path / "other-course"
    other.mkdir()
    workers = course_cluster(other, n_workers=1, threads_per_worker=1)
    try:
        done = dnnkit_grade(course, ASSIGNMENT, "--scheduler", workers.scheduler_address, timeout=120)
    finally:
        workers.close()
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr[-2000:]
    assert workers.scheduler_address in lines[0] and "course's certificate" in lines[0]
    assert not result_files(course.root)


SNOOP = """
import os, sys
from distributed import Client
from distributed.security import Security
try:
    with Client(sys.argv[1], timeout=15, security=Security.temporary() if sys.argv[1].startswith("tls") else None) as client:
        print("ran as", sorted(set(client.run(os.geteuid).values())))
except Exception as err:
    print("refused", type(err).__name__)
"""


def test_an_account_without_the_certificate_cannot_use_the_courses_workers(small_course):
    """Dask workers run as root (the sandbox needs it) and run whatever their scheduler is sent: on a plain
    tcp:// cluster another account runs code as root on them; on the course's TLS cluster it cannot connect."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run a step as another account")
    course, workers = small_course
    plain = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None)
    said = {}
    try:
        with shared_folder() as shared:
            for name, address in (("tcp", plain.scheduler_address), ("tls", workers.scheduler_address)):
                process = as_user(ATTACKER, shared, [sys.executable, "-c", SNOOP, address], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
                said[name] = process.communicate(timeout=120)[0].strip().splitlines()[-1:]
    finally:
        plain.close()
    assert said["tcp"] == ["ran as [0]"], said  # the attack lands where nothing authenticates
    assert said["tls"] and said["tls"][0].startswith("refused"), said


def test_without_the_sandbox_no_work_goes_to_root_workers(small_course):
    course, workers = small_course
    with distributed.Client(workers.scheduler_address, security=cluster.security(course.root)) as client:
        if 0 not in client.run(os.geteuid).values():
            pytest.skip("the workers do not run as root here")
        with pytest.raises(DnnkitError, match="run as root") as refused:
            cluster.refuse_root_workers(client)
    assert "\n" not in str(refused.value)
