"""What a grader killed outright (SIGKILL, a lost Dask worker, a power cut) leaves behind, and its removal.

Each grading process holds an flock on `<state>/dnnkit-grade-<token>.lock` for its lifetime; its scratch folders
are `<state>/dnnkit-grade-<token>-*` and its cgroups `box-<token>-*`. The kernel drops the lock however the
process dies, so the next grader can tell a dead owner's leftovers from a live one's (across pid namespaces too).
"""
from __future__ import annotations

import atexit
import fcntl
import os
import re
import shutil
import stat
import threading
import uuid
from pathlib import Path

from . import cgroup, private

PREFIX = "dnnkit-grade-"
TOKEN_CHARS = 12  # a token is this many lowercase hex digits, nothing else
_lock = threading.Lock()
_owned: tuple[int, str, object] | None = None  # (pid, token, the open lock file)
_swept_in: int | None = None  # the process that swept


def folder() -> Path:
    """Where lock files and scratch folders live: the grader's private folder."""
    return private.folder()


def lock_file(name: str) -> Path:
    """The lock file of the grading process with token `name`."""
    return folder() / f"{PREFIX}{name}.lock"


def token_of(lock: Path) -> str | None:
    """The token a lock file names, None if it is not one (a name that is not a token, a glob pattern say,
    must never reach the sweep's globs)."""
    found = re.fullmatch(re.escape(PREFIX) + f"([0-9a-f]{{{TOKEN_CHARS}}})" + r"\.lock", lock.name)
    return found[1] if found else None


def token() -> str:
    """This process's token, its lock taken on first use (again in a forked child)."""
    global _owned
    with _lock:
        if _owned is None or _owned[0] != os.getpid():
            name = uuid.uuid4().hex[:TOKEN_CHARS]
            lock = lock_file(name)
            # locked before it has the name a sweeper looks for
            new = lock.with_name(lock.name + ".new")
            handle = os.fdopen(private.open_private(new, os.O_WRONLY | os.O_CREAT | os.O_EXCL), "w")
            fcntl.flock(handle, fcntl.LOCK_EX)
            os.replace(new, lock)
            _owned = (os.getpid(), name, handle)
            atexit.register(_release, os.getpid(), lock)
        return _owned[1]


def _release(pid: int, lock: Path) -> None:
    """At a normal exit, the lock file goes too (not in a forked child, which has a lock of its own)."""
    if os.getpid() == pid:
        lock.unlink(missing_ok=True)


def scratch_prefix() -> str:
    """The prefix of this process's scratch folders (tempfile.TemporaryDirectory(prefix=..., dir=folder()))."""
    return f"{PREFIX}{token()}-"


def begin() -> None:
    """Once per process, before its first sandbox: take its token and sweep what dead graders left."""
    global _swept_in
    if _swept_in != os.getpid():
        _swept_in = os.getpid()
        sweep()


def sweep() -> list[str]:
    """Remove the scratch folders and cgroups of every grader that died without cleaning up; the dead tokens.
    Only this account's own lock files and folders are taken, and no link is followed."""
    where = folder()
    own = token()
    dead = []
    for lock in where.glob(f"{PREFIX}*.lock"):
        if (name := token_of(lock)) in (None, own):
            continue
        try:
            handle = os.fdopen(private.open_private(lock, os.O_RDWR), "r+")
        except OSError:  # removed meanwhile by another sweeper, or not a lock file of this account's
            continue
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # its owner is alive
            for scratch in where.glob(f"{PREFIX}{name}-*"):
                _remove_own_folder(scratch)
            cgroup.remove_boxes(name)
            lock.unlink(missing_ok=True)
        dead.append(name)
    return dead


def _remove_own_folder(scratch: Path) -> None:
    """Remove a scratch folder if it is a folder (not a link) of this account's; rmtree follows no link inside."""
    try:
        info = os.lstat(scratch)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid():
        shutil.rmtree(scratch, ignore_errors=True)
