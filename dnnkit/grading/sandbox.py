"""The sandbox student code runs in: bubblewrap, a user id leased for each sandbox (as root) or a user namespace
of its own (without root), a system-call filter (syscalls.py) and rlimits. What is inside, what is not, and what
holds without root: docs/sandbox.md.
"""
from __future__ import annotations

import fcntl
import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .. import DnnkitError
from . import private, python_view

# Each running sandbox gets a user id of its own from this range (no account needed), so that the process
# limit, which Linux counts per user, is one submission's alone: a fork bomb cannot starve its neighbours.
UID_BASE, UID_COUNT = 200000, 4096
UID_LOCKS = "sandbox-uids"  # a folder of /run/dnnkit, shared by every grader on the machine (private.py)
WORK = "/sandbox/work"  # private, writable: a size-capped tmpfs, new for every run
GRADER = "/sandbox/grader"  # the runner, its plan, then each level's inputs; read-only
RELEASE = "/sandbox/release"  # the assignment's released files; read-only
DATASETS = "/sandbox/datasets"
# without root: the user and group id the code has inside its user namespace (the grading account's outside)
NAMESPACE_ID = UID_BASE
USERNS_SETTINGS = (("/proc/sys/user/max_user_namespaces", "user.max_user_namespaces"),
                   ("/proc/sys/kernel/unprivileged_userns_clone", "kernel.unprivileged_userns_clone"))  # Debian


@dataclass(frozen=True)
class Limits:
    """Per-submission resource limits (nbgrader_config.py: c.DnnkitGrade.*)."""
    memory_bytes: int = 2 * 1024**3
    cpu_seconds: int = 600
    processes: int = 64
    file_bytes: int = 256 * 1024**2
    open_files: int = 256
    work_bytes: int = 512 * 1024**2  # each private tmpfs: the working folder, /tmp, /dev/shm
    restarts: int = 10  # fresh processes after faults, per submission


def bubblewrap() -> str | None:
    return shutil.which("bwrap")


def rootless() -> bool:
    """Whether sandboxes run in a user namespace of their own, as this account (not root)."""
    return os.geteuid() != 0


@functools.lru_cache(maxsize=None)
def rootless_problem() -> str | None:
    """Why this account cannot have a sandbox without root (one line, with the administrator's fix), or None
    when it can: the kernel must let unprivileged accounts make user namespaces, and bubblewrap must make one."""
    for path, name in USERNS_SETTINGS:
        try:
            value = Path(path).read_text().strip()
        except OSError:
            continue
        if value == "0":
            return (f"this kernel does not let accounts without root make user namespaces ({name} = 0): an "
                    f"administrator can set `sysctl -w {name}=1` (where the distribution allows it), or let this "
                    "account run `dnnkit grade` as root (docs/sandbox.md, \"Grading without root\")")
    if (bwrap := bubblewrap()) is None:
        return "bubblewrap (bwrap) is not installed; `apt-get install bubblewrap`"
    probe = subprocess.run([bwrap, "--unshare-user", "--disable-userns", *_system_binds(), "--", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        said = " ".join(probe.stderr.split())[:200] or f"exit status {probe.returncode}"
        return (f"bubblewrap cannot make a user namespace for this account ({said}): an administrator can allow "
                "unprivileged user namespaces for bwrap, or let this account run `dnnkit grade` as root "
                "(docs/sandbox.md, \"Grading without root\")")
    return None


def rootless_warning(cgroup_problem: str | None) -> str:
    """The one line `dnnkit grade` prints when it grades without root: what the sandbox lacks then."""
    memory = (f"; memory is bounded per process, not for the whole sandbox (no cgroup: {cgroup_problem})"
              if cgroup_problem else "")
    return ("dnnkit grade: warning: grading without root: every sandbox runs as this account in a user namespace of "
            f"its own, not as a user id of its own{memory}; docs/sandbox.md (\"Grading without root\") says what "
            "still holds and how an administrator grants the rest")


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib64", "lib32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for path in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/alternatives",
                 "/etc/fonts", "/etc/ssl/certs"):
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    return args


class OwnUid:
    """Without the sandbox (--unsafe-no-sandbox, `dnnkit check` without bubblewrap), and in a sandbox without
    root (inside a user namespace of its own), the code runs as the caller: no user id is leased, so the account
    needs no access to root's lock folder."""

    def __init__(self):
        self.uid = os.getuid()

    def release(self) -> None:
        pass


class UidLease:
    """An unprivileged user id held for one sandbox's lifetime (an flock'ed file, so also across processes), in
    root's private /run/dnnkit/sandbox-uids: no other account can hold a lease or plant a link there."""

    def __init__(self):
        folder = private.machine_folder(UID_LOCKS)
        for uid in range(UID_BASE, UID_BASE + UID_COUNT):
            try:
                handle = os.fdopen(private.open_private(folder / str(uid), os.O_WRONLY | os.O_CREAT), "w")
            except OSError as err:
                raise DnnkitError(f"{folder / str(uid)}: not a sandbox user id lease ({err.strerror}); remove it "
                                  "as root") from None
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            self.uid, self._handle = uid, handle
            return
        raise DnnkitError(f"all {UID_COUNT} sandbox user ids are in use ({folder})")

    def release(self) -> None:
        self._handle.close()


def lease() -> UidLease | OwnUid:
    """The user id one sandbox runs as: leased as root; without root the account's own, in a user namespace."""
    return OwnUid() if rootless() else UidLease()


def command(argv: list[str], grader: Path, release: Path, limits: Limits, uid: int, seccomp_fd: int,
            env: dict[str, str] | None = None, datasets: Path | None = None) -> list[str]:
    """The command that runs `argv` inside the sandbox (argv[0] "python" is the sandbox's interpreter, from
    python_view): `grader` and `release` (and `datasets`) read-only, the filter read from `seccomp_fd` (pass
    it to the child); as `uid` (a lease) as root, else in a user namespace of its own (`uid` unused)."""
    if (bwrap := bubblewrap()) is None:
        raise DnnkitError("bubblewrap (bwrap) is not installed; `apt-get install bubblewrap`, "
                          "or pass --unsafe-no-sandbox to run student code without it")
    size = str(limits.work_bytes)
    view = python_view.current()
    python = view.executable
    args = [bwrap, *_system_binds(), "--dev", "/dev", "--perms", "1777", "--size", size, "--tmpfs", "/dev/shm",
            "--perms", "1777", "--size", size, "--tmpfs", "/tmp", *view.mounts,
            "--perms", "0755", "--dir", "/sandbox", "--perms", "1777", "--size", size, "--tmpfs", WORK,
            "--ro-bind", str(grader), GRADER, "--ro-bind", str(release), RELEASE]
    if datasets is not None:
        args += ["--ro-bind", str(datasets), DATASETS]
    args += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
             "--die-with-parent", "--new-session", "--seccomp", str(seccomp_fd), "--chdir", WORK, "--clearenv"]
    base_env = {"HOME": WORK, "PATH": f"{Path(python).parent}:/usr/bin:/bin", "LANG": "C.UTF-8",
                "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{WORK}/.mpl", "PYTHONDONTWRITEBYTECODE": "1",
                "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    # this machine's OpenBLAS needs them, see env notes
    openblas = {key: os.environ[key] for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if key in os.environ}
    for key, value in {**base_env, **openblas, **dict(view.env), **(env or {})}.items():
        args += ["--setenv", key, value]
    if rootless():  # bubblewrap drops every capability and sets no_new_privs itself
        args[1:1] = ["--unshare-user", "--disable-userns", "--uid", str(NAMESPACE_ID), "--gid", str(NAMESPACE_ID)]
        setpriv = []
    else:
        setpriv = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs"]
    prlimit = ["prlimit", f"--as={limits.memory_bytes}", f"--cpu={limits.cpu_seconds}",
               f"--nproc={limits.processes}", f"--fsize={limits.file_bytes}", f"--nofile={limits.open_files}",
               "--core=0", "--"]
    argv = [python if argv[0] == "python" else argv[0], *argv[1:]]
    return args + ["--", *setpriv, *prlimit, *argv]


def unsandboxed_command(argv: list[str], limits: Limits) -> list[str]:
    """--unsafe-no-sandbox: the same rlimits, nothing else."""
    argv = [sys.executable if argv[0] == "python" else argv[0], *argv[1:]]
    return ["prlimit", f"--as={limits.memory_bytes}", f"--cpu={limits.cpu_seconds}",
            f"--fsize={limits.file_bytes}", "--core=0", "--", *argv]


def prepare_work_folder(work: Path, uid: int) -> None:
    work.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(work, uid, uid)
