"""The sandbox student code runs in: bubblewrap (Debian's `bubblewrap`), an unprivileged user, rlimits.

Inside: read-only system libraries, the Python environment and the assignment's released files; a private
writable working folder; no network, no other processes, no view of source/, references/, the gradebook, other
students' submissions or anyone's home. Outside it, nothing the student's code produced is trusted.
"""
from __future__ import annotations

import os
import fcntl
import shutil
import sys
import tempfile
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from . import DnnkitError

# Each running sandbox gets a user id of its own from this range (no account needed), so that the process
# limit, which Linux counts per user, is one submission's alone: a fork bomb cannot starve its neighbours.
UID_BASE, UID_COUNT = 200000, 4096
UID_LOCKS = Path(tempfile.gettempdir()) / "dnnkit-sandbox-uids"
WORK = "/sandbox/work"  # private, writable: a size-capped tmpfs, new for every run
OUT = "/sandbox/out"  # the runner's reports to the grader (the grader wipes it between runs)
GRADER = "/sandbox/grader"  # the runner, its plan and the hidden inputs; read-only
RELEASE = "/sandbox/release"  # the assignment's released files; read-only


@dataclass(frozen=True)
class Limits:
    """Per-submission resource limits (nbgrader_config.py: c.DnnkitGrade.*)."""
    memory_bytes: int = 2 * 1024**3
    cpu_seconds: int = 600
    processes: int = 64
    file_bytes: int = 256 * 1024**2
    open_files: int = 256
    work_bytes: int = 512 * 1024**2  # the private working folder (a tmpfs) and the reports folder, each
    output_line_chars: int = 2000  # cut by the grader, outside the sandbox
    output_cell_chars: int = 20000


def bubblewrap() -> str | None:
    return shutil.which("bwrap")


def _python_roots() -> list[Path]:
    """Folders the interpreter and its packages live in (the venv and the base installation)."""
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent.parent}
    roots |= {Path(sysconfig.get_paths()[k]) for k in ("stdlib", "purelib", "platlib")}
    kept: list[Path] = []
    for root in sorted(roots, key=lambda p: len(p.parts)):
        if not any(root == k or k in root.parents for k in kept):
            kept.append(root)
    return kept


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


def _ro_bind_with_parents(path: Path, dest: Path | None = None) -> list[str]:
    """Bind `path` read-only, creating its parent folders world-traversable (bwrap makes them 0700)."""
    dest = dest or path
    args: list[str] = []
    for parent in reversed(dest.parents):
        if str(parent) != "/":
            args += ["--perms", "0755", "--dir", str(parent)]
    return args + ["--ro-bind", str(path), str(dest)]


class UidLease:
    """An unprivileged user id held for one sandbox's lifetime (an flock'ed file, so also across processes)."""

    def __init__(self):
        UID_LOCKS.mkdir(mode=0o700, exist_ok=True)
        for uid in range(UID_BASE, UID_BASE + UID_COUNT):
            handle = open(UID_LOCKS / str(uid), "a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            self.uid, self._handle = uid, handle
            return
        raise DnnkitError(f"all {UID_COUNT} sandbox user ids are in use ({UID_LOCKS})")

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def command(argv: list[str], out: Path, grader: Path, release: Path, limits: Limits, uid: int,
            env: dict[str, str] | None = None, extra_ro_binds: dict[str, str] | None = None) -> list[str]:
    """The command that runs `argv` inside the sandbox: a fresh tmpfs as its working folder, `out` writable,
    `grader` and `release` (and `extra_ro_binds`, host path -> sandbox path) read-only."""
    bwrap = bubblewrap()
    if bwrap is None:
        raise DnnkitError("bubblewrap (bwrap) is not installed; `apt-get install bubblewrap`, "
                          "or pass --unsafe-no-sandbox to run student code without it")
    # later mounts cover earlier ones: /tmp first, so that a Python environment under /tmp stays visible
    args = [bwrap, *_system_binds(), "--proc", "/proc", "--dev", "/dev",
            "--size", str(limits.work_bytes), "--tmpfs", "/tmp"]
    for root in _python_roots():
        args += _ro_bind_with_parents(root)
    args += ["--perms", "0755", "--dir", "/sandbox", "--perms", "1777", "--size", str(limits.work_bytes),
             "--tmpfs", WORK, "--bind", str(out), OUT,
             "--ro-bind", str(grader), GRADER, "--ro-bind", str(release), RELEASE,
             *[a for host, dest in (extra_ro_binds or {}).items() for a in ("--ro-bind", host, dest)],
             "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
             "--die-with-parent", "--new-session", "--chdir", WORK, "--clearenv"]
    base_env = {"HOME": WORK, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "LANG": "C.UTF-8",
                "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{WORK}/.mpl", "PYTHONDONTWRITEBYTECODE": "1",
                "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # this machine's OpenBLAS needs them, see env notes
        if key in os.environ:
            base_env[key] = os.environ[key]
    for key, value in {**base_env, **(env or {})}.items():
        args += ["--setenv", key, value]
    setpriv = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs"]
    prlimit = ["prlimit", f"--as={limits.memory_bytes}", f"--cpu={limits.cpu_seconds}",
               f"--nproc={limits.processes}", f"--fsize={limits.file_bytes}", f"--nofile={limits.open_files}",
               "--core=0", "--"]
    return args + ["--", *setpriv, *prlimit, *argv]


def unsandboxed_command(argv: list[str], limits: Limits) -> list[str]:
    """--unsafe-no-sandbox: the same rlimits, nothing else."""
    return ["prlimit", f"--as={limits.memory_bytes}", f"--cpu={limits.cpu_seconds}",
            f"--fsize={limits.file_bytes}", "--core=0", "--", *argv]


def prepare_work_folder(work: Path, uid: int) -> None:
    work.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(work, uid, uid)
