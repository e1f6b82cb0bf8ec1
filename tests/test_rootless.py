"""Grading without root (docs/sandbox.md, "Grading without root"): a real unprivileged account, made here with
useradd, runs student code in the sandbox it can have, a user namespace of its own per sandbox.

Each wall is shown holding as that account, and the attack it stops first landing as the same account without
the sandbox (`plain`: the same rlimits, no namespaces, no filter). What falls away without root (a cgroup for the
whole sandbox) is measured too. The administrator's grant, a sudo rule for exactly `dnnkit grade`, is tested
with a real file in /etc/sudoers.d."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import nbformat
import pytest

from dnnkit import DnnkitError
from dnnkit.cases import FUNCTIONS
from dnnkit.commands import check as check_command
from dnnkit.course import Course
from dnnkit.grading import batch, sandbox
from grading_support import executed_notebook, grading_course, read_grades, submit
from rootless_support import HUB_ENV, Account, dnnkit_as, need_account_tests

FULL = 10.0 * len(FUNCTIONS["step_by_step"])


@pytest.fixture(scope="module")
def account():
    need_account_tests()
    made = Account()
    try:
        yield made
    finally:
        made.remove()


def view_folder(account: Account) -> Path:
    """The host folder of the account's Python view (built by its first sandbox)."""
    views = [path for path in (account.home / ".cache" / "dnnkit" / "python-views").glob("*/venv")]
    assert len(views) == 1, views
    return views[0]


# -- who the code is -----------------------------------------------------------------------------------------

def _user_namespace_of(marker: str, helper: subprocess.Popen, seconds: float = 60) -> tuple[int, str]:
    """(real uid, user namespace) of the process whose command line holds `marker`, below `helper`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
                if marker.encode() in cmdline and cmdline.startswith((b"/sandbox/python", b"/opt/")):
                    status = (entry / "status").read_text()
                    uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
                    return uid, os.readlink(entry / "ns" / "user")
            except (OSError, StopIteration):
                continue
        assert helper.poll() is None, helper.communicate()
        time.sleep(0.05)
    raise AssertionError(f"no process with {marker!r}")


def test_student_code_runs_in_a_user_namespace_of_its_own_never_as_the_bare_account(account):
    """Without the sandbox the code is the account itself (its user namespace is the machine's); in the sandbox it
    is the account's uid to the kernel, but inside a user namespace of its own, never root."""
    host_namespace = os.readlink("/proc/self/ns/user")
    for mode in ("plain", "sandbox"):
        marker = f"rootless-marker-{mode}-{secrets.token_hex(6)}"
        helper = account.probes(mode, f"import time  # {marker}\ntime.sleep(4)", background=True)
        try:
            uid, namespace = _user_namespace_of(marker, helper)
        finally:
            helper.communicate(timeout=60)
        assert uid == account.uid != 0
        if mode == "plain":
            assert namespace == host_namespace  # landed: the bare account
        else:
            assert namespace != host_namespace


# -- the walls that hold -------------------------------------------------------------------------------------

WALLS = r"""
import ctypes, errno, json, os, socket, subprocess, sys
report = {}
def outcome(action):
    try:
        action()
        return "done"
    except OSError as err:
        return errno.errorcode.get(err.errno, str(err.errno))
def write(path):
    with open(path, "w") as handle:
        handle.write("planted")
for name, path in TARGETS.items():
    report["write " + name] = outcome(lambda: write(path))
if os.path.isdir("/sandbox"):  # the sandbox's own read-only folders: its environment view and the runner's
    report["write /sandbox/python"] = outcome(lambda: write(sys.prefix + "/planted"))
    report["write /sandbox/grader"] = outcome(lambda: write("/sandbox/grader/planted"))
report["network"] = outcome(lambda: socket.create_connection(("127.0.0.1", PORT), timeout=5).sendall(b"leaked"))
done = subprocess.run(["unshare", "-Urm", "true"], capture_output=True)
report["user namespace"] = "done" if done.returncode == 0 else "refused"
libc = ctypes.CDLL(None, use_errno=True)
report["keyring"] = "done" if libc.syscall(248, b"user", b"dnnkit-probe", b"x", 1, -4) >= 0 else \
    errno.errorcode[ctypes.get_errno()]
print(json.dumps(report))
"""


class Listener:
    """A TCP listener on the machine's loopback that records what reaches it."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(2)
                try:
                    self.received.append(connection.recv(100))
                except OSError:
                    self.received.append(b"")

    def close(self):
        self._stop.set()
        self.thread.join()
        self.server.close()


def test_no_network_no_write_outside_no_namespace_no_keyring(account):
    """As the bare account the code reaches a server on the machine's loopback, writes into the account's home,
    its course and the Python view every sandbox of the account runs (the account owns them all), makes a user
    namespace (root inside it) and a key in its keyring. In the sandbox each of these fails."""
    account.probes("sandbox", "pass")  # builds the view
    course = account.home / "course"
    course.mkdir(exist_ok=True)
    os.chown(course, account.uid, account.gid)
    targets = {"home": str(account.home / "planted"), "course": str(course / "planted"),
               "view": str(view_folder(account) / "planted")}
    listener = Listener()
    try:
        code = WALLS.replace("TARGETS", repr(targets)).replace("PORT", str(listener.port))
        plain, = account.probes("plain", code)
        assert plain["returncode"] == 0, plain["stderr"]
        landed = json.loads(plain["stdout"])
        assert {key: landed[key] for key in ("write home", "write course", "write view", "network",
                                             "user namespace", "keyring")} == dict.fromkeys(
            ("write home", "write course", "write view", "network", "user namespace", "keyring"), "done")
        assert listener.received == [b"leaked"]
        for path in targets.values():
            assert Path(path).read_text() == "planted"
            os.unlink(path)

        sandboxed, = account.probes("sandbox", code)
        assert sandboxed["returncode"] == 0, sandboxed["stderr"]
        held = json.loads(sandboxed["stdout"])
    finally:
        listener.close()
    assert held == {"write home": "ENOENT", "write course": "ENOENT", "write view": "ENOENT",
                    "write /sandbox/python": "EROFS", "write /sandbox/grader": "EROFS",
                    "network": "EAFNOSUPPORT", "user namespace": "refused", "keyring": "EPERM"}, held
    assert listener.received == [b"leaked"]  # nothing more
    assert not any(Path(path).exists() for path in targets.values())


HOST_PATHS = r"""
import marshal, os, sys, sysconfig
import numpy
seen = [repr(sys.path), sys.executable, sys.prefix, repr(sysconfig.get_paths()), repr(dict(os.environ)),
        open(os.path.join(sys.prefix, "pyvenv.cfg")).read(), numpy.__file__]
cached = os.path.join(os.path.dirname(numpy.__file__), "__pycache__")
for name in os.listdir(cached):
    seen.append(marshal.loads(open(os.path.join(cached, name), "rb").read()[16:]).co_filename)
print("\n".join(seen))
"""


def test_no_host_path_of_the_account_is_seen(account):
    """The account's home (where its view is kept) and the environment's folder are not in what the code sees:
    paths, environment, pyvenv.cfg, the compiled files' names."""
    plain, sandboxed = (account.probes(mode, HOST_PATHS)[0] for mode in ("plain", "sandbox"))
    assert plain["returncode"] == 0 and sandboxed["returncode"] == 0, (plain["stderr"], sandboxed["stderr"])
    assert str(HUB_ENV) in plain["stdout"]  # landed: the bare account sees where its environment is
    for path in (str(HUB_ENV), str(account.home), str(account.base)):
        assert path not in sandboxed["stdout"], path
    assert "/sandbox/python/lib/python3.11/site-packages/numpy/__init__.py" in sandboxed["stdout"]


# -- processes: still one sandbox's own --------------------------------------------------------------------

FORK_BOMB = r"""
import os, time
held = 0
while True:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        os.close(1); os.close(2)
        time.sleep(15)
        os._exit(0)
    held += 1
print("bomb held", held, flush=True)
time.sleep(8)
"""

NEIGHBOUR = r"""
import os, time
time.sleep(3)  # the bomb has gone off by now
children = []
for n in range(30):
    try:
        pid = os.fork()
    except OSError as err:
        print("neighbour could not fork:", err)
        break
    if pid == 0:
        time.sleep(1)
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
print("neighbour forked", len(children))
"""


def test_a_fork_bomb_starves_only_its_own_sandbox(account):
    """Linux counts processes per user, so with every sandbox running as the account one submission's fork bomb
    would use up the limit of its neighbours. It counts them per user namespace too (5.14+): each sandbox is one,
    so the bomb stops at its own limit and a neighbour graded at the same time forks freely."""
    bomb, neighbour = account.probes("plain", FORK_BOMB, NEIGHBOUR)
    assert "neighbour could not fork" in neighbour["stdout"], neighbour  # landed: one count for the account
    bomb, neighbour = account.probes("sandbox", FORK_BOMB, NEIGHBOUR)
    assert bomb["stdout"].startswith("bomb held "), bomb
    assert 50 <= int(bomb["stdout"].split()[2]) < 64  # stopped at the sandbox's limit (64 with bwrap and python)
    assert neighbour["stdout"].strip() == "neighbour forked 30", neighbour


# -- what falls away: memory of the whole sandbox --------------------------------------------------------------

MEMORY = r"""
import os, time
try:
    bytearray(600 * 1024**2)
    print("one process: allocated")
except MemoryError:
    print("one process: MemoryError")
children = []
for _ in range(3):  # three processes of 200 MB each, every one under the per-process limit
    pid = os.fork()
    if pid == 0:
        block = bytearray(200 * 1024**2)
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(1)
        os._exit(0)
    children.append(pid)
print("three processes:", [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children])
"""


def test_memory_is_bounded_per_process_not_for_the_whole_sandbox(account):
    """What falls away without root (and without a delegated cgroup): one process cannot go past the limit
    (rlimit), but three processes together can (700 MB against a 400 MB limit)."""
    done, = account.probes("sandbox", MEMORY, memory_bytes=400 * 1024**2)
    assert done["returncode"] == 0, done["stderr"]
    assert done["stdout"].splitlines() == ["one process: MemoryError", "three processes: [0, 0, 0]"]


# -- `dnnkit grade` and `dnnkit check` as the account -------------------------------------------------------------

def _cell(code: str):
    def transform(nb):
        nb.cells.append(nbformat.v4.new_code_cell(code))
    return transform


def _outputs(course: Course, student: str) -> str:
    """Every text output of the student's autograded notebook."""
    nb = executed_notebook(course, student)
    return "\n".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                     for output in cell.get("outputs", []))


@pytest.mark.slow
def test_a_grading_run_as_the_account_holds_against_hostile_submissions(account, tmp_path):
    """A correct submission, a fork bomb graded beside a submission that forks, and one that tries the network,
    writes into the account's home and course and takes 3 GB, all graded as the account: the bomb costs its
    neighbour nothing, every other attack fails, and grading goes on. The same hostile submission graded by that
    account without the sandbox (--unsafe-no-sandbox) reaches the network and writes both files."""
    listener = Listener()
    template = grading_course(tmp_path / "template")
    home_witness, course_witness = account.home / "planted-by-mallory", account.home / "graded" / "planted"
    submit(template, "alice")
    submit(template, "aaron", transform=_cell(FORK_BOMB.replace("15", "10")))
    submit(template, "abby", transform=_cell(NEIGHBOUR))
    attack = WALLS.replace("TARGETS", repr({"home": str(home_witness), "course": str(course_witness)})).replace(
        "PORT", str(listener.port)).replace("print(json.dumps(report))", "print('WALLS', json.dumps(report))")
    memory = ("try:\n    bytearray(3 * 1024**3)\n    print('MEMORY allocated')\n"
              "except MemoryError:\n    print('MEMORY refused')\n")
    submit(template, "mallory", transform=_cell(attack + memory))
    course = account.home / "graded"
    shutil.copytree(template.root, course)
    account.give(course)
    course = Course(course)
    try:
        done = dnnkit_as(account, course.root, "grade", "step_by_step", "--workers", "2")
        assert done.returncode == 0, done.stderr[-3000:]
        warnings = [line for line in done.stderr.splitlines() if "grading without root" in line]
        assert len(warnings) == 1 and "memory is bounded per process" in warnings[0], done.stderr[-3000:]
        grades = read_grades(course)
        for student in ("alice", "abby", "mallory"):
            assert (grades[student]["status"], float(grades[student]["score"])) == ("graded", FULL), grades[student]
        assert "aaron" in grades
        assert "neighbour forked 30" in _outputs(course, "abby")
        assert "bomb held" in _outputs(course, "aaron")
        walls = json.loads(_outputs(course, "mallory").split("WALLS ", 1)[1].splitlines()[0])
        assert walls == {"write home": "ENOENT", "write course": "ENOENT", "write /sandbox/python": "EROFS",
                         "write /sandbox/grader": "EROFS", "network": "EAFNOSUPPORT", "user namespace": "refused",
                         "keyring": "EPERM"}, walls
        assert "MEMORY refused" in _outputs(course, "mallory")
        assert not home_witness.exists() and not course_witness.exists() and listener.received == []

        landed = dnnkit_as(account, course.root, "grade", "step_by_step", "--unsafe-no-sandbox", "--student",
                           "mallory", "--force")
        assert landed.returncode == 0, landed.stderr[-3000:]
    finally:
        listener.close()
    assert home_witness.read_text() == course_witness.read_text() == "planted"
    assert listener.received == [b"leaked"]


@pytest.mark.slow
def test_dnnkit_check_as_the_account_runs_in_the_sandbox(account, tmp_path):
    """`dnnkit check` for a learner without root ran the notebook unsandboxed; now it is sandboxed."""
    template = grading_course(tmp_path / "template")
    notebook = submit(template, "learner")
    course = account.home / "checked"
    shutil.copytree(template.root, course)
    account.give(course)
    done = dnnkit_as(account, course, "check", "step_by_step", str(course / notebook.relative_to(template.root)))
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].endswith("(sandboxed)"), lines[0]
    assert lines[-1] == f"total: {FULL:g}/{FULL:g}", lines[-3:]
    assert "without the sandbox" not in done.stderr


# -- the administrator's grant: a sudo rule for exactly `dnnkit grade` ---------------------------------------------

WHO = "import os\nprint('WHO', os.getuid(), os.stat('/usr').st_uid)\n"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("sudo") is None or shutil.which("visudo") is None,
                    reason="sudo is not installed (make system-deps installs it)")
def test_a_sudo_rule_for_dnnkit_grade_gives_the_account_the_full_sandbox_and_nothing_else(account, tmp_path):
    """Without root the sandbox is the account's (inside, /usr belongs to no mapped user: 65534). With the rule
    of docs/sandbox.md in /etc/sudoers.d, the account's `sudo -n dnnkit grade` grades in the root sandbox (a
    leased user id, /usr root's), with no warning; any other command through sudo is still refused."""
    template = grading_course(tmp_path / "template")
    submit(template, "alice", transform=_cell(WHO))
    course = account.home / "granted"
    shutil.copytree(template.root, course)
    account.give(course)
    course = Course(course)
    dnnkit = str(HUB_ENV / "bin" / "dnnkit")
    rule = Path("/etc/sudoers.d") / f"dnnkit-test-{account.name}"

    refused = account.run(["sudo", "-n", dnnkit, "grade", "step_by_step"], cwd=course.root)
    assert refused.returncode == 1 and "password is required" in refused.stderr, refused.stderr
    rootless = dnnkit_as(account, course.root, "grade", "step_by_step")
    assert rootless.returncode == 0, rootless.stderr[-3000:]
    assert "WHO 200000 65534" in _outputs(course, "alice")
    assert "grading without root" in rootless.stderr

    rule.write_text(f"{account.name} ALL=(root) NOPASSWD: {dnnkit} grade *\n")
    rule.chmod(0o440)
    try:
        checked = subprocess.run(["visudo", "-cf", str(rule)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        granted = account.run(["sudo", "-n", dnnkit, "grade", "step_by_step", "--force"], cwd=course.root)
        others = [account.run(["sudo", "-n", *argv], cwd=course.root) for argv in
                  ([dnnkit, "release", "step_by_step"], ["id", "-u"], [str(HUB_ENV / "bin" / "python"), "-c", "1"])]
    finally:
        rule.unlink()
    assert granted.returncode == 0, granted.stderr[-3000:]
    assert "grading without root" not in granted.stderr
    uid, usr_owner = _outputs(course, "alice").split("WHO ", 1)[1].split()[:2]
    assert 200000 <= int(uid) < 200000 + 4096 and usr_owner == "0"
    assert read_grades(course)["alice"]["status"] == "graded"
    for other in others:
        assert other.returncode == 1 and "password is required" in other.stderr, other.stderr


# -- where an account cannot have the sandbox: one line, with the fix -------------------------------------------

@pytest.fixture
def fresh_problem():
    sandbox.rootless_problem.cache_clear()
    yield
    sandbox.rootless_problem.cache_clear()


def test_a_kernel_without_unprivileged_user_namespaces_is_named_with_its_setting(tmp_path, monkeypatch,
                                                                                  fresh_problem):
    setting = tmp_path / "unprivileged_userns_clone"
    setting.write_text("0\n")
    monkeypatch.setattr(sandbox, "USERNS_SETTINGS", ((str(setting), "kernel.unprivileged_userns_clone"),))
    problem = sandbox.rootless_problem()
    assert "kernel.unprivileged_userns_clone = 0" in problem and "sysctl -w kernel.unprivileged_userns_clone=1" \
        in problem and "Grading without root" in problem and "\n" not in problem
    setting.write_text("1\n")
    sandbox.rootless_problem.cache_clear()
    assert sandbox.rootless_problem() is None  # this machine's bubblewrap does make one


def test_a_bubblewrap_that_cannot_make_a_user_namespace_is_quoted(tmp_path, monkeypatch, fresh_problem):
    refusing = tmp_path / "bwrap"  # as an AppArmor-restricted bubblewrap answers
    refusing.write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    refusing.chmod(0o755)
    monkeypatch.setattr(sandbox, "bubblewrap", lambda: str(refusing))
    problem = sandbox.rootless_problem()
    assert "bubblewrap cannot make a user namespace for this account (bwrap: setting up uid map: Permission " \
           "denied)" in problem


def test_grade_and_check_say_so_before_running_anything(tmp_path, monkeypatch):
    """`dnnkit grade` stops in one line (it never falls back to running student code as the account itself);
    `dnnkit check` runs the learner's own notebook unsandboxed and says why."""
    monkeypatch.setattr(batch, "rootless", lambda: True)
    monkeypatch.setattr(batch, "rootless_problem", lambda: "the kernel says no")
    with pytest.raises(DnnkitError, match="^no sandbox for this account: the kernel says no$"):
        batch.grade(Course(tmp_path), "step_by_step", [], False, True, 1, None)
    monkeypatch.setattr(check_command, "rootless", lambda: True)
    monkeypatch.setattr(check_command, "rootless_problem", lambda: "the kernel says no")
    assert check_command.sandbox_problem() == "no user namespaces"
    assert "without root the sandbox needs a user namespace" in check_command.sandbox_warning("no user namespaces")
