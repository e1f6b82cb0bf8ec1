"""The grader's private state folder (locks, sandbox user id leases, scratch folders holding hidden cases), which
no other local account can plant anything in: made without following links, checked on every use, refused with
one line, never repaired. Where it is and why: docs/threat-model-local.md.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .. import DnnkitError

ROOT_FOLDER = Path("/run/dnnkit")
ENV = "DNNKIT_STATE_DIR"


def folder() -> Path:
    """This process's private state folder, made if missing; DnnkitError (one line) if it is not private."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if os.environ.get(ENV):
        return cache_folder()
    if os.geteuid() == 0:
        return private_dir(ROOT_FOLDER, parents=True)
    if runtime and Path(runtime).is_absolute():
        return private_dir(Path(runtime) / "dnnkit", parents=True)
    return cache_folder()


def cache_folder() -> Path:
    """This account's private folder for large things kept across runs (the sandbox's Python views, without
    root): $DNNKIT_STATE_DIR, else ~/.cache/dnnkit, never $XDG_RUNTIME_DIR (a small tmpfs, in memory)."""
    location = Path(os.environ[ENV]).absolute() if os.environ.get(ENV) else Path.home() / ".cache" / "dnnkit"
    return private_dir(location, parents=True)


def machine_folder(name: str) -> Path:
    """A folder that every root grader on this machine shares (sandbox user id leases): /run/dnnkit/NAME,
    whatever $DNNKIT_STATE_DIR says, since two graders must never lease the same user id."""
    return private_dir(private_dir(ROOT_FOLDER) / name)


def private_dir(path: Path, parents: bool = False, ancestors: bool = True) -> Path:
    """`path` as a private folder of this account: made (mode 0700) if missing, never through a link; its
    ancestors checked unless `ancestors` is False (`parents`: the missing ones made too, privately). The path,
    or DnnkitError."""
    path = Path(os.path.abspath(path))
    # links above are fine once nobody else can change them: from here on only the resolved path is used
    parent = Path(os.path.realpath(path.parent))
    path = parent / path.name
    if parents and not parent.exists():
        private_dir(parent, parents=True, ancestors=ancestors)
    if ancestors:
        _check_ancestors(path, parent)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as err:
        raise DnnkitError(f"{path}: cannot make the grader's private folder ({err.strerror}); "
                          f"set {ENV} to a folder only this account can write") from None
    if problem := not_private(os.lstat(path), directory=True):
        raise DnnkitError(f"{path}: refused as the grader's private folder: {problem}; another account may have "
                          f"made it: remove it (as root) and run again, or set {ENV} to a folder only this account "
                          "can write")
    return path


def not_private(info: os.stat_result, directory: bool, owners: tuple[int, ...] = ()) -> str | None:
    """Why an entry (its lstat) is not this account's own private folder or file (or one of `owners`'), or
    None when it is."""
    if stat.S_ISLNK(info.st_mode):
        return "it is a symbolic link"
    if not (stat.S_ISDIR(info.st_mode) if directory else stat.S_ISREG(info.st_mode)):
        return f"it is not a {'folder' if directory else 'regular file'}"
    if info.st_uid not in (os.geteuid(), *owners):
        return f"it is owned by user id {info.st_uid}, not by this account ({os.geteuid()})"
    if info.st_mode & 0o077:
        return f"other accounts have access to it (mode {stat.S_IMODE(info.st_mode):04o})"
    return None


def _check_ancestors(path: Path, parent: Path) -> None:
    """Every folder above `path` must be owned by root or this account and writable by no one else, unless
    sticky (like /tmp, where nobody can rename or remove another account's entries)."""
    for folder in (parent, *parent.parents):
        try:
            info = os.lstat(folder)
        except FileNotFoundError:
            raise DnnkitError(f"{path}: cannot make the grader's private folder: {folder} does not exist; "
                              f"make it, or set {ENV} to another folder") from None
        owner_ok = info.st_uid in (0, os.geteuid())
        shared = info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX
        if not owner_ok or shared:
            who = f"owned by user id {info.st_uid}" if not owner_ok else \
                f"writable by other accounts (mode {stat.S_IMODE(info.st_mode):04o})"
            raise DnnkitError(f"{path}: refused as the grader's private folder: {folder} above it is {who}, so "
                              f"another account could replace it; set {ENV} to a folder in a safe place")


def open_private(path: Path, flags: int) -> int:
    """os.open a file inside a private folder without following a link (`flags` may add O_CREAT|O_EXCL); the
    descriptor, or OSError. A file that is not this account's private regular file is closed and refused."""
    fd = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    if problem := not_private(os.fstat(fd), directory=False):
        os.close(fd)
        raise PermissionError(errno.EPERM, problem, str(path))
    return fd
