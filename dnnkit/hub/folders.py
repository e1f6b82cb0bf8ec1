"""The hub's folders and who may enter them (docs/hub.md): the course folder (the grader's and the instructors'
group's, 2770, so no other account enters it; `dnnkit grade`'s sandbox reaches release/ and datasets/ through its
own mounts), nbgrader's exchange (root sticky and world-writable; the course's folders with the modes nbgrader's
release gives them) and the hub's state folder (root only). Each function returns the lines to print."""
from __future__ import annotations

import grp
import os
import pwd
import stat
from pathlib import Path

from .. import DnnkitError

COURSE_MODE = 0o2770
EXCHANGE_ROOT_MODE = 0o1777
EXCHANGE_COURSE_MODES = {"": 0o755, "inbound": 0o2733, "outbound": 0o755, "feedback": 0o711}


def _name(lookup, number: int) -> str:
    """The name `lookup` (pwd.getpwuid, grp.getgrgid) gives `number`, else the number."""
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


def _describe(path: Path) -> str:
    info = path.lstat()
    return f"{_name(pwd.getpwuid, info.st_uid)}:{_name(grp.getgrgid, info.st_gid)} {stat.S_IMODE(info.st_mode):04o}"


def course_folder(root: Path, grader: str, group: str) -> list[str]:
    """Give the course folder and everything in it to `grader` and `group` (links are not followed), and close
    the folder itself to every other account. One line when anything changed."""
    uid, gid = pwd.getpwnam(grader).pw_uid, grp.getgrnam(group).gr_gid
    before = _describe(root)
    changed = 0
    for folder, dirs, files in os.walk(root):
        for path in [Path(folder), *(Path(folder) / name for name in dirs + files)]:
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                if (info.st_uid, info.st_gid) != (uid, gid):
                    os.lchown(path, uid, gid)
                continue
            mode = stat.S_IMODE(info.st_mode)
            if path == root:
                wanted = COURSE_MODE
            elif stat.S_ISDIR(info.st_mode):
                wanted = (mode & 0o707) | 0o2070
            elif mode & 0o077:  # the group gets what the owner has
                wanted = (mode & 0o707) | ((mode & 0o700) >> 3)
            else:  # a file only its owner may read (the course secret) stays so
                wanted = mode
            if (info.st_uid, info.st_gid) != (uid, gid):
                os.lchown(path, uid, gid)
                changed += 1
            if mode != wanted:
                path.chmod(wanted)
                changed += 1
    if not changed:
        return []
    return [f"course folder {root}: now {grader}:{group} and no access for other accounts "
            f"(was {before}; {changed} owner or mode change(s) in it)"]


def exchange(root: Path, course_id: str, grader: str, group: str) -> list[str]:
    """nbgrader's exchange at `root`, with the course's folder owned by `grader`."""
    lines = []
    if not root.exists():
        root.mkdir(parents=True)
        root.chmod(EXCHANGE_ROOT_MODE)
        lines.append(f"exchange {root}: created, mode {EXCHANGE_ROOT_MODE:04o}")
    elif not root.is_dir() or root.is_symlink():
        raise DnnkitError(f"exchange {root}: not a folder; remove it or set c.Exchange.root to another path")
    elif stat.S_IMODE(root.stat().st_mode) != EXCHANGE_ROOT_MODE:
        lines.append(f"exchange {root}: mode {stat.S_IMODE(root.stat().st_mode):04o} -> {EXCHANGE_ROOT_MODE:04o}")
        root.chmod(EXCHANGE_ROOT_MODE)
    uid, gid = pwd.getpwnam(grader).pw_uid, grp.getgrnam(group).gr_gid
    for name, mode in EXCHANGE_COURSE_MODES.items():
        path = root / course_id / name if name else root / course_id
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            raise DnnkitError(f"exchange {path}: not a folder; remove it (anyone can make files in the exchange)")
        if not path.exists():
            path.mkdir()
            os.chown(path, uid, gid)
            path.chmod(mode)
            lines.append(f"exchange {path}: created, {grader}:{group} {mode:04o}")
            continue
        owner = path.stat().st_uid
        if owner not in (uid, 0):
            raise DnnkitError(f"exchange {path}: belongs to {pwd.getpwuid(owner).pw_name}, not to {grader}: anyone "
                              "can make folders in the exchange, so look at what is in it, then remove it")
        if owner == 0:
            os.chown(path, uid, gid)
            lines.append(f"exchange {path}: owner root -> {grader}")
        current = stat.S_IMODE(path.stat().st_mode)
        if current != mode:
            path.chmod(mode)
            lines.append(f"exchange {path}: mode {current:04o} -> {mode:04o}")
    return lines


def state_folder(path: Path) -> list[str]:
    """The hub's own folder: root only."""
    if path.is_symlink():
        raise DnnkitError(f"{path}: the hub's state folder is a link; make it a folder of root's")
    made = not path.exists()
    path.mkdir(parents=True, exist_ok=True)
    if path.stat().st_uid != 0:
        raise DnnkitError(f"{path}: the hub's state folder belongs to another account than root; "
                          "choose another (c.DnnkitHub.state_dir)")
    path.chmod(0o700)
    return [f"hub state folder {path}: created (root only)"] if made else []
