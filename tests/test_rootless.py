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
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from rootless_support import Account, need_account_tests


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
targets = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
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
report["write /sandbox/python"] = outcome(lambda: write(sys.prefix + "/planted")) if sys.prefix.startswith("/sandbox") else "-"
report["write /sandbox/grader"] = outcome(lambda: write("/sandbox/grader/planted")) if os.path.isdir("/sandbox") else "-"
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
    from rootless_support import HUB_ENV
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
