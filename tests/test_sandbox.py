"""The bubblewrap sandbox itself: what student code can see, write and do inside it.

Each attack is first shown to work where the sandbox does not stop it (on the host, or as the same unprivileged
user without the sandbox), then to fail inside."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dnnkit.grading import cgroup, leftovers
from dnnkit.grading.cgroup import SandboxCgroup
from dnnkit.grading.sandbox import Limits, UidLease, bubblewrap, command
from dnnkit.grading.syscalls import open_filter

pytestmark = pytest.mark.skipif(bubblewrap() is None, reason="bubblewrap is not installed")
REPO = Path(__file__).resolve().parents[1]
LIMITS = Limits(work_bytes=8 * 1024**2)


def inside(tmp_path: Path, probe: str, datasets: Path | None = None, limits: Limits = LIMITS,
           group: SandboxCgroup | None = None, restrict_sockets: bool = True) -> subprocess.CompletedProcess:
    """Run the Python code `probe` in a sandbox built like the grader's (same binds, filter and limits;
    `restrict_sockets=False`: the filter without its socket rule)."""
    grader, release = tmp_path / "grader", tmp_path / "release"
    grader.mkdir(exist_ok=True)
    grader.chmod(0o755)
    release.mkdir(exist_ok=True)
    lease, seccomp_fd = UidLease(), open_filter(restrict_sockets)
    try:
        argv = command(["python", "-E", "-s", "-c", probe], grader, release, limits, lease.uid, seccomp_fd,
                       datasets=datasets)
        argv = group.wrap(argv) if group is not None else argv
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, pass_fds=(seccomp_fd,))
    finally:
        os.close(seccomp_fd)
        lease.release()


def as_unprivileged_user(argv: list[str]) -> subprocess.CompletedProcess:
    """`argv` as a sandbox user id, without the sandbox: what the kernel allows that user."""
    lease = UidLease()
    try:
        return subprocess.run(["setpriv", f"--reuid={lease.uid}", f"--regid={lease.uid}", "--clear-groups", *argv],
                              capture_output=True, text=True, timeout=60, cwd="/")
    finally:
        lease.release()


def test_python_runs_inside_and_sees_only_what_it_should(tmp_path):
    probe = ("import os, sys, numpy, IPython, matplotlib, h5py; "
             "print(os.getuid() >= 200000, os.path.exists(%r), os.path.exists('/sandbox/work'), "
             "os.access('/sandbox/grader', os.W_OK), os.path.exists(%r), sys.prefix, numpy.__version__)"
             % (str(tmp_path), str(REPO)))
    done = inside(tmp_path, probe)
    assert done.returncode == 0, done.stderr
    # the environment's own packages (numpy of the same version as here), from the neutral path
    assert done.stdout.split() == ["True", "False", "True", "False", "False", "/sandbox/python", np.__version__]


def test_no_host_path_and_no_command_line_can_be_read(tmp_path):
    """/proc/1/cmdline and /proc/self/mountinfo named the course root, the virtualenv and the grader's scratch
    folder. The sandbox has no /proc, runs the environment from a neutral path and hides the files naming it."""
    host_paths = [str(REPO), sys.prefix, sys.base_prefix, str(tmp_path)]
    mountinfo = Path("/proc/self/mountinfo").read_text()
    assert Path("/proc/1/cmdline").exists() and "/" in mountinfo  # the attack's target, on the host
    probe = r"""
import os, sys, sysconfig
seen = [repr(sys.path), sys.executable, sys.prefix, repr(dict(os.environ)), repr(sys.argv)]
for path in ("/proc/1/cmdline", "/proc/self/mountinfo", "/proc/self/environ", "/proc/1/mountinfo"):
    try:
        seen.append(open(path, "rb").read().decode("utf-8", "replace"))
        print("READ", path)
    except OSError as err:
        print("refused", path, type(err).__name__)
site = sysconfig.get_paths()['purelib']
for root, folders, files in os.walk(sys.prefix):
    for name in files:
        if name.endswith((".pth", ".cfg", ".json", ".py", ".txt")) and (root == sys.prefix or root.startswith(site)):
            if root.count("/") - site.count("/") > 1:
                continue
            try:
                seen.append(open(os.path.join(root, name), errors="replace").read())
            except OSError:
                pass
print("TEXT", repr("\n".join(seen)))
"""
    done = inside(tmp_path, probe)
    assert done.returncode == 0, done.stderr
    head, text = done.stdout.split("TEXT", 1)
    assert "READ" not in head and head.count("refused") == 4, head
    assert "site-packages" in text and "numpy" in text  # it did read the environment's files
    for path in host_paths:
        assert path not in text, path


COMPILED_AND_TEXT = r"""
import json, marshal, os, re, sys, types
def names(code):
    yield code.co_filename
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from names(const)
counts, found = {"pyc": 0, "text": 0, "binary": 0}, set()
for top in sorted({sys.prefix, sys.base_prefix}):
    for folder, _, files in os.walk(top):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as handle:
                data = handle.read(8192)
                if name.endswith(".pyc"):
                    counts["pyc"] += 1
                    found.update(names(marshal.loads((data + handle.read())[16:])))
                elif b"\0" in data:
                    counts["binary"] += 1  # the interpreter's binaries keep their RUNPATH (docs/sandbox.md)
                else:
                    counts["text"] += 1
                    text = (data + handle.read()).decode("utf-8", "replace")
                    found.update(re.findall(r"/[\w.+@~-]+(?:/[\w.+@~-]+)*", text))
print(json.dumps(counts))
print("TEXT", repr("\n".join(found)))
"""


def test_no_compiled_or_text_file_of_the_environment_names_a_host_path(tmp_path):
    """The .pyc files of the mounted environment were compiled on the host: unmarshalled, their code objects
    named the host's folders (and the base interpreter's sysconfig data and pyvenv.cfg named it as text). The
    view the sandbox mounts has .pyc files made for the paths inside and rewritten text."""
    host_paths = sorted({str(REPO), sys.prefix, sys.base_prefix, os.path.realpath(sys.prefix),
                         os.path.realpath(sys.base_prefix)} - {"/usr"})
    done = inside(tmp_path, COMPILED_AND_TEXT, limits=Limits(work_bytes=8 * 1024**2, cpu_seconds=300))
    assert done.returncode == 0, done.stderr[-3000:]
    counts, text = done.stdout.split("TEXT", 1)
    counts = json.loads(counts)
    assert counts["pyc"] > 1000 and counts["text"] > 1000, counts  # it did read the environment
    leaked = [path for path in host_paths if path in text]
    assert not leaked, leaked
    assert "/sandbox/python/lib/python3.11/site-packages/numpy/__init__.py" in text  # named by numpy's .pyc


def test_user_namespaces_and_keyrings_are_denied(tmp_path):
    """`unshare -Urm` gave root in a new namespace (and a RAM tmpfs past every limit); a key stored in the
    user keyring would outlive the run and reach the next student leased the same user id."""
    landed = as_unprivileged_user(["unshare", "-Urm", "true"])
    assert landed.returncode == 0, landed.stderr  # the kernel allows it to this user outside the sandbox
    probe = r"""
import ctypes, subprocess
libc = ctypes.CDLL(None, use_errno=True)
done = subprocess.run(["unshare", "-Urm", "true"], capture_output=True, text=True)
print("unshare-command", done.returncode, done.stderr.strip())
print("unshare-call", libc.unshare(0x10000000), ctypes.get_errno())
print("keyctl", libc.syscall(250, 0, -4, 0), ctypes.get_errno())  # KEYCTL_GET_KEYRING_ID of @u (x86-64: 250)
print("add_key", libc.syscall(248, b"user", b"dnnkit-probe", b"secret", 6, -4), ctypes.get_errno())
"""
    done = inside(tmp_path, probe)
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.strip().splitlines())
    assert lines["unshare-command"].startswith("1") and "Operation not permitted" in lines["unshare-command"]
    assert lines["unshare-call"] == "-1 1"  # EPERM
    assert lines["keyctl"] == "-1 1"
    assert lines["add_key"] == "-1 1"


SOCKETS = r"""
import errno, socket
tries = {"AF_VSOCK": (socket.AF_VSOCK, socket.SOCK_STREAM), "AF_NETLINK": (socket.AF_NETLINK, socket.SOCK_RAW),
         "AF_PACKET": (socket.AF_PACKET, socket.SOCK_RAW), "AF_ALG": (socket.AF_ALG, socket.SOCK_SEQPACKET),
         "AF_INET": (socket.AF_INET, socket.SOCK_STREAM), "AF_INET6": (socket.AF_INET6, socket.SOCK_DGRAM),
         "AF_UNIX": (socket.AF_UNIX, socket.SOCK_STREAM)}
for name, (family, kind) in tries.items():
    try:
        socket.socket(family, kind).close()
        print(name, "open")
    except OSError as err:
        print(name, errno.errorcode[err.errno])
for name, family in (("pair-AF_UNIX", socket.AF_UNIX), ("pair-AF_INET", socket.AF_INET)):
    try:
        [end.close() for end in socket.socketpair(family)]
        print(name, "open")
    except OSError as err:
        print(name, errno.errorcode[err.errno])
"""


def test_only_unix_sockets_can_be_made(tmp_path):
    """vsock talks to the hypervisor's side, netlink and TCP/IP are kernel code no grading needs. Without the
    filter's socket rule they open inside the sandbox (whether AF_PACKET and AF_ALG do depends on the kernel:
    here they fail on their own, EPERM without CAP_NET_RAW and no crypto sockets); with it every family but
    AF_UNIX fails with the filter's EAFNOSUPPORT, before the kernel looks at it."""
    def results(restrict_sockets):
        done = inside(tmp_path, SOCKETS, restrict_sockets=restrict_sockets)
        assert done.returncode == 0, done.stderr
        return dict(line.split(" ", 1) for line in done.stdout.strip().splitlines())

    landed = results(restrict_sockets=False)
    for name in ("AF_VSOCK", "AF_NETLINK", "AF_INET", "AF_INET6", "AF_UNIX", "pair-AF_UNIX"):
        assert landed[name] == "open", landed
    refused = results(restrict_sockets=True)
    assert refused == {**{name: "EAFNOSUPPORT" for name in landed}, "AF_UNIX": "open", "pair-AF_UNIX": "open"}


def test_every_writable_place_is_a_small_tmpfs_and_the_rest_is_read_only(tmp_path):
    datasets = tmp_path / "datasets"
    datasets.mkdir()
    probe = r"""
import errno, os
for folder in ("/sandbox/work", "/tmp", "/dev/shm"):
    try:
        with open(os.path.join(folder, "fill"), "wb") as handle:
            for _ in range(64):
                handle.write(b"x" * 1024 * 1024)
        print(folder, "wrote 64 MiB")
    except OSError as err:
        print(folder, "full after", os.path.getsize(os.path.join(folder, "fill")) // 1024**2, errno.errorcode[err.errno])
for folder in ("/sandbox/grader", "/sandbox/release", "/sandbox/datasets", "/sandbox/python", "/usr", "/", "/dev"):
    try:
        open(os.path.join(folder, "x"), "w").close()
        print(folder, "WRITABLE")
    except OSError as err:
        print(folder, "refused", errno.errorcode[err.errno])
"""
    done = inside(tmp_path, probe, datasets=datasets)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    for folder in ("/sandbox/work", "/tmp", "/dev/shm"):  # 8 MiB each here
        assert any(line.startswith(f"{folder} full after") and line.endswith("ENOSPC") for line in lines), lines
    assert not any("WRITABLE" in line for line in lines), lines
    assert sum("refused" in line for line in lines) == 7
    assert list(datasets.iterdir()) == [] and list((tmp_path / "release").iterdir()) == []


MEMORY_HOG = r"""
import os, time
children = []
for _ in range(3):  # three processes of 200 MB each: every one under the per-process limit
    pid = os.fork()
    if pid == 0:
        block = bytearray(200 * 1024**2)
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(1.5)
        os._exit(0)
    children.append(pid)
codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]
with open("/dev/shm/fill", "wb") as handle:  # and tmpfs pages, which no rlimit counts
    handle.write(b"x" * 100 * 1024**2)
print("survived", codes)
"""


@pytest.mark.skipif(cgroup.available() is not None, reason=f"no cgroup here: {cgroup.available()}")
def test_memory_is_bounded_for_the_whole_sandbox(tmp_path):
    """rlimits bound one process's address space; three processes (and a tmpfs) together went past it."""
    limits = Limits(memory_bytes=400 * 1024**2, work_bytes=256 * 1024**2, processes=16)
    landed = inside(tmp_path, MEMORY_HOG, limits=limits)
    assert landed.returncode == 0 and "survived [0, 0, 0]" in landed.stdout, landed.stderr  # 700 MB in all
    group = SandboxCgroup(limits.memory_bytes, limits.processes, leftovers.token())
    try:
        done = inside(tmp_path, MEMORY_HOG, limits=limits, group=group)
    finally:
        group.remove()
    assert "survived [0, 0, 0]" not in done.stdout, done.stdout
    assert "-9" in done.stdout or done.returncode != 0  # killed by the group's memory limit
    assert all(not folder.exists() for folder in group.folders)
