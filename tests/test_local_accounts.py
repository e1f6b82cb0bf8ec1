"""A local account on the grading host is an attacker (issue 21, principle 5).

Every attack step runs as another user id (setpriv; no account needed), before or while a root grader runs.
A shared folder stands in for /tmp (sticky, writable by every account); the graders started here take it as
their temporary folder ($TMPDIR). Each test runs its attack and then asserts that it achieved nothing and that
grading went on: against the grader as it was before its state moved to a private folder (private.py), before
it talked only TLS to the course's cluster (cluster.py) and while it still ran student code as root under
--unsafe-no-sandbox, each of them fails, its message saying what the attack achieved."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from dnnkit.cases import FUNCTIONS
from dnnkit.course import Course
from grading_support import dnnkit_grade, grading_course, read_grades, submit
from other_accounts import COURSE_ACCOUNT, Background, as_user, attack, shared_folder

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                                reason="the attacks run as a second user id: root and setpriv needed")
FULL = 10.0 * len(FUNCTIONS["step_by_step"])
UIDS = range(200000, 200000 + 4096)  # the sandbox user ids the grader leases


@pytest.fixture
def shared():
    with shared_folder() as folder:
        yield folder


def grader_env(shared: Path, **more: str) -> dict[str, str]:
    """A root grader's environment: the shared folder as its temporary folder, its state where it keeps it."""
    env = {k: v for k, v in os.environ.items() if k != "DNNKIT_STATE_DIR"}
    return {**env, "TMPDIR": str(shared), **more}


def python(code: str, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True,
                          timeout=timeout)


def one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"not one line: {stderr[-2000:]}"
    return lines[0]


# -- sandbox user id leases ------------------------------------------------------------------------------

PLANT_LEASE_LINKS = """
    import os, sys
    folder = os.path.join(os.environ["TMPDIR"], "dnnkit-sandbox-uids")
    os.mkdir(folder, 0o755)
    for uid in range(200000, 200000 + 4096):
        os.symlink(os.path.join(sys.argv[1], str(uid)), os.path.join(folder, str(uid)))
"""

PLANT_IN_THE_PRIVATE_FOLDER = """
    import os, sys
    try:
        os.symlink(sys.argv[1], sys.argv[2])
        print("planted")
    except OSError as err:
        print("refused", type(err).__name__)
"""


def test_links_planted_where_uid_leases_are_made_are_not_written_through(shared, tmp_path):
    target = tmp_path / "root-only"  # the attacker can name this folder in a link, but not write to it
    target.mkdir(mode=0o700)
    planted = attack(shared, PLANT_LEASE_LINKS, str(target))
    assert planted.returncode == 0, planted.stderr

    lease = python("""
        from dnnkit.grading.sandbox import UidLease
        lease = UidLease()
        print(lease.uid)
    """, grader_env(shared))
    assert lease.returncode == 0, lease.stderr[-2000:]
    assert int(lease.stdout) in UIDS
    made = sorted(p.name for p in target.iterdir())
    assert made == [], f"the root grader created {made} in {target} through the attacker's links"
    from dnnkit.grading import private
    leases_folder = private.machine_folder("sandbox-uids")
    leases = os.lstat(leases_folder)
    assert (leases.st_uid, stat.S_IMODE(leases.st_mode)) == (0, 0o700)
    # where the leases are now, the attacker cannot even look
    again = attack(shared, PLANT_IN_THE_PRIVATE_FOLDER, str(target), str(leases_folder / "planted"))
    assert again.stdout.split() == ["refused", "PermissionError"], again.stdout + again.stderr


HOLD_EVERY_LEASE = """
    import fcntl, os, resource, time
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    folder = os.path.join(os.environ["TMPDIR"], "dnnkit-sandbox-uids")
    os.mkdir(folder, 0o755)
    held = []
    for uid in range(200000, 200000 + 4096):
        handle = open(os.path.join(folder, str(uid)), "w")
        fcntl.flock(handle, fcntl.LOCK_EX)
        held.append(handle)
    print("holding", len(held), flush=True)
    time.sleep(900)
"""


@pytest.mark.slow
def test_uid_leases_cannot_be_held_hostage(shared, tmp_path):
    """The attacker makes the lease folder first and holds a lock on every lease in it: a grader that uses it
    cannot start a single sandbox."""
    course = grading_course(tmp_path / "course")
    submit(course, "alice")
    hostage = Background(shared, HOLD_EVERY_LEASE)
    try:
        assert hostage.wait_for("holding") == "holding 4096"
        done = dnnkit_grade(course, env=grader_env(shared))
        assert hostage.process.poll() is None  # still holding them all
    finally:
        hostage.stop()
    assert done.returncode == 0, done.stderr[-2000:]
    row = read_grades(course)["alice"]
    assert (row["status"], float(row["score"]), row["flags"]) == ("graded", FULL, ""), row


# -- leftovers: lock files and scratch folders -----------------------------------------------------------

DEAD_GRADER = """
    import tempfile, time
    from pathlib import Path
    from dnnkit.grading import leftovers
    lock = leftovers.lock_file(leftovers.token())
    scratch = Path(tempfile.mkdtemp(prefix=leftovers.scratch_prefix(), dir=lock.parent))
    (scratch / "level-0.npz").write_bytes(b"hidden cases")
    print(leftovers.token(), lock, scratch, flush=True)
    time.sleep(900)
"""

HOLD_A_LOCK = """
    import fcntl, sys, time
    try:
        handle = open(sys.argv[1])
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as err:
        print("refused", type(err).__name__, flush=True)
    else:
        print("holding", flush=True)
        time.sleep(900)
"""


def test_a_dead_graders_hidden_cases_cannot_be_kept_from_the_sweep(shared):
    """A grader killed outright leaves its scratch folder (hidden cases) for the next one to sweep; the
    attacker takes the dead grader's lock first, so that the sweep thinks it alive and leaves them."""
    dead = subprocess.Popen([sys.executable, "-c", textwrap.dedent(DEAD_GRADER)], env=grader_env(shared),
                            stdout=subprocess.PIPE, text=True)
    token, lock, scratch = dead.stdout.readline().split()
    dead.kill()
    dead.wait()
    assert Path(scratch, "level-0.npz").is_file()
    holder = Background(shared, HOLD_A_LOCK, lock)
    try:
        holder.wait_for(("holding", "refused"))
        swept = python("from dnnkit.grading import leftovers; print(*leftovers.sweep())", grader_env(shared))
    finally:
        said = holder.stop()
    assert swept.returncode == 0, swept.stderr[-2000:]
    assert not Path(scratch).exists(), f"the dead grader's hidden cases stayed in {scratch}: the attacker: {said}"
    assert token in swept.stdout.split()
    assert "refused PermissionError" in said


STATE_PLANTS = {
    "another account's folder": "os.mkdir(path, 0o700)",
    "a link": "os.symlink(os.environ['HOME'], path)",
    "a folder everyone can write": "os.mkdir(path); os.chmod(path, 0o777)",
}


@pytest.mark.parametrize("plant", sorted(STATE_PLANTS))
def test_a_state_folder_planted_first_is_refused_in_one_line(shared, tmp_path, plant):
    """The state folder's path is known in advance (here $DNNKIT_STATE_DIR in the shared folder, as a careless
    administrator could set it); the attacker makes it first: the grader refuses it, naming it."""
    course = grading_course(tmp_path / "course")
    submit(course, "alice")
    path = shared / "dnnkit-state"
    planted = attack(shared, f"import os, sys\npath = sys.argv[1]\n{STATE_PLANTS[plant]}\n", str(path))
    assert planted.returncode == 0, planted.stderr
    done = dnnkit_grade(course, env=grader_env(shared, DNNKIT_STATE_DIR=str(path)))
    assert done.returncode == 2, f"the grader used {plant} planted at {path}: {done.stdout[-1500:]}"
    line = one_line_error(done.stderr)
    assert str(path) in line and "refused as the grader's private folder" in line
    assert not (course.root / "autograded" / "grades-step_by_step.csv").exists()


@pytest.mark.parametrize("case", ["sticky parent", "open parent", "own folder open to others"])
def test_private_folder_checks(tmp_path, monkeypatch, case):
    """The checks themselves (in-process): a sticky shared parent is fine, a parent others can rename things
    in is not, nor a folder of ours that others can write."""
    from dnnkit import DnnkitError
    from dnnkit.grading import private

    parent = tmp_path / "parent"
    parent.mkdir()
    parent.chmod({"sticky parent": 0o1777, "open parent": 0o777}.get(case, 0o755))
    if case == "sticky parent":
        made = private.private_dir(parent / "state")
        info = os.lstat(made)
        assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (os.geteuid(), 0o700)
        return
    if case == "own folder open to others":
        (parent / "state").mkdir()
        (parent / "state").chmod(0o757)
    with pytest.raises(DnnkitError, match="refused as the grader's private folder") as refused:
        private.private_dir(parent / "state")
    assert "\n" not in str(refused.value)


# -- the Dask path ---------------------------------------------------------------------------------------

SQUATTING_SCHEDULER = """
    import asyncio, sys
    from distributed import Scheduler
    from distributed.security import Security

    async def main():
        tls = sys.argv[1] == "tls"
        security = Security.temporary() if tls else None  # a certificate of its own, not the course's
        async with Scheduler(host="127.0.0.1", port=0, dashboard=False, security=security,
                             protocol="tls" if tls else "tcp") as scheduler:
            print("address", scheduler.address, flush=True)
            while True:
                await asyncio.sleep(0.1)
                for task in list(scheduler.tasks.values()):
                    print("received", repr(getattr(task.run_spec, "args", task.run_spec))[:3000], flush=True)
                    return

    asyncio.run(main())
"""


@pytest.mark.parametrize("protocol", ["tcp", "tls"])
def test_work_goes_to_no_scheduler_that_lacks_the_courses_certificate(shared, tmp_path, protocol):
    """The attacker runs a scheduler where the grader is told to send its work (the administrator's address,
    taken while the real scheduler was down): a plain tcp:// one, or a TLS one with a certificate of its own.
    The grader must send it nothing (no submission, no hidden case) and say so in one line."""
    course = grading_course(tmp_path / "course")
    submit(course, "alice")
    subprocess.run([sys.executable, "-m", "dnnkit.cli", "certs"], env={**os.environ,
                   "DNNKIT_COURSE_ROOT": str(course.root)}, capture_output=True, check=False)
    squatter = Background(shared, SQUATTING_SCHEDULER, protocol)
    grader = None
    try:
        address = squatter.wait_for("address").split()[1]
        grader = subprocess.Popen([sys.executable, "-m", "dnnkit.cli", "grade", "step_by_step", "--scheduler",
                                   address], env=grader_env(shared, DNNKIT_COURSE_ROOT=str(course.root)),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 90
        while grader.poll() is None and time.monotonic() < deadline:
            if any(line.startswith("received") for line in squatter.lines):
                break
            time.sleep(0.1)
    finally:
        said = squatter.stop()
        if grader is not None and grader.poll() is None:
            grader.kill()
        out, err = grader.communicate() if grader is not None else ("", "")
    received = [line for line in said.splitlines() if line.startswith("received")]
    assert not received, f"the attacker's scheduler received the grader's work: {received[0][:600]}"
    assert grader.returncode == 2, err[-2000:]
    line = one_line_error(err)
    assert address in line
    assert ("refused" in line) if protocol == "tcp" else ("course's certificate" in line)
    assert not (course.root / "autograded" / "grades-step_by_step.csv").exists()


# -- no student code as root -----------------------------------------------------------------------------

def _records_its_uid(path: Path):
    def transform(nb):
        nb.cells.append(nbformat.v4.new_code_cell(
            f"import os\ntry:\n    open({str(path)!r}, 'w').write(str(os.geteuid()))\nexcept OSError:\n    pass\n"))
    return transform


def test_student_code_never_runs_as_root_without_the_sandbox(shared, tmp_path):
    """--unsafe-no-sandbox as root: the student's cell would run as root (it writes its uid where it can)."""
    course = grading_course(tmp_path / "course")
    witness = shared / "uid-of-the-student-code"
    submit(course, "mallory", transform=_records_its_uid(witness))
    done = dnnkit_grade(course, "step_by_step", "--unsafe-no-sandbox", "--workers", "1", env=grader_env(shared))
    assert not witness.exists(), f"the student's code ran as uid {witness.read_text()} (0 is root)"
    assert done.returncode == 2
    assert "as root" in one_line_error(done.stderr)
    assert not (course.root / "autograded" / "grades-step_by_step.csv").exists()


@pytest.mark.parametrize("runtime", [False, True])
def test_an_unprivileged_grader_keeps_its_state_in_its_own_private_folder(shared, runtime):
    """Without root the state folder is the grading account's: $XDG_RUNTIME_DIR/dnnkit, else ~/.cache/dnnkit."""
    home = shared / f"home-{COURSE_ACCOUNT}"
    env = {"XDG_RUNTIME_DIR": str(home / "run")} if runtime else {}
    if runtime:
        (home / "run").mkdir(mode=0o700)
        os.chown(home / "run", COURSE_ACCOUNT, COURSE_ACCOUNT)
    grader = as_user(COURSE_ACCOUNT, shared, [sys.executable, "-c", textwrap.dedent("""
        import tempfile
        from dnnkit.grading import leftovers
        print(tempfile.mkdtemp(prefix=leftovers.scratch_prefix(), dir=leftovers.folder()))
        print(leftovers.lock_file(leftovers.token()))
    """)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = grader.communicate(timeout=120)
    assert grader.returncode == 0, err[-2000:]
    scratch, lock = map(Path, out.split())
    expected = home / "run" / "dnnkit" if runtime else home / ".cache" / "dnnkit"
    assert scratch.parent == lock.parent == expected
    state = os.lstat(expected)
    assert (state.st_uid, stat.S_IMODE(state.st_mode)) == (COURSE_ACCOUNT, 0o700)
    assert not list(shared.glob("dnnkit-*"))


def other_accounts_can_start(executable: str) -> bool:
    """Whether a process of another account can start `executable` itself (not only through setpriv, which
    finds it with root's rights): every folder on its real path must let others through."""
    real = Path(os.path.realpath(executable))
    return all(os.stat(folder).st_mode & 0o001 for folder in real.parents) and bool(os.stat(real).st_mode & 0o001)


@pytest.mark.slow
@pytest.mark.skipif(not other_accounts_can_start(sys.executable),
                    reason=f"other accounts cannot start {os.path.realpath(sys.executable)} (a folder above it is "
                           "private), so the grader run as one cannot start its runner")
def test_an_unprivileged_grading_account_grades_without_the_sandbox(shared, tmp_path):
    """The course's own account grades with --unsafe-no-sandbox: the student code runs as that account, and
    the grader's state is in that account's private folder."""
    course = Course(shutil.copytree(grading_course(tmp_path / "course").root, shared / "course"))
    witness = shared / "uid-of-the-student-code"
    submit(course, "alice", transform=_records_its_uid(witness))
    for path in (course.root, *course.root.rglob("*")):
        os.lchown(path, COURSE_ACCOUNT, COURSE_ACCOUNT)
    env = {"DNNKIT_COURSE_ROOT": str(course.root), "DNNKIT_COURSE_SECRET": os.environ["DNNKIT_COURSE_SECRET"]}
    grader = as_user(COURSE_ACCOUNT, shared, [sys.executable, "-m", "dnnkit.cli", "grade", "step_by_step",
                                              "--unsafe-no-sandbox", "--workers", "1"], env=env,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = grader.communicate(timeout=600)
    assert grader.returncode == 0, err[-2000:]
    row = read_grades(course)["alice"]
    assert (row["status"], float(row["score"])) == ("graded", FULL), (row, out[-3000:], err[-3000:])
    assert witness.read_text() == str(COURSE_ACCOUNT)
    state = os.lstat(shared / f"home-{COURSE_ACCOUNT}" / ".cache" / "dnnkit")
    assert (state.st_uid, stat.S_IMODE(state.st_mode)) == (COURSE_ACCOUNT, 0o700)
    assert not list(shared.glob("dnnkit-grade-*")) and not list(shared.glob("dnnkit-sandbox-uids"))


def test_the_courses_certificate_is_private_and_checked_before_use(tmp_path):
    """`dnnkit certs` writes the authority, certificate and key readable by the grading account only; a key
    other accounts can read, or a certificate replaced by a link, is refused in one line."""
    from dnnkit import DnnkitError
    from dnnkit.grading import cluster

    folder = cluster.make_certificates(tmp_path)
    files = {path.name: os.lstat(path) for path in folder.iterdir()}
    assert sorted(files) == sorted((cluster.CA, cluster.CERT, cluster.KEY))
    assert {stat.S_IMODE(info.st_mode) for info in files.values()} == {0o600}
    assert stat.S_IMODE(os.lstat(folder).st_mode) == 0o700
    assert cluster.security(tmp_path).require_encryption
    with pytest.raises(DnnkitError, match="already has its Dask certificates"):
        cluster.make_certificates(tmp_path)

    (folder / cluster.KEY).chmod(0o644)
    with pytest.raises(DnnkitError, match="other accounts have access") as refused:
        cluster.security(tmp_path)
    assert "\n" not in str(refused.value) and cluster.KEY in str(refused.value)
    (folder / cluster.KEY).chmod(0o600)
    (folder / cluster.CA).rename(folder / "elsewhere.pem")
    (folder / cluster.CA).symlink_to(folder / "elsewhere.pem")
    with pytest.raises(DnnkitError, match="symbolic link"):
        cluster.security(tmp_path)
