"""The hub's accounts (docs/hub.md): the roster's students, the instructors' group and accounts, the grader
account. Missing ones are made with Debian's tools (groupadd, useradd, chpasswd, usermod); an existing account is
never changed, except for joining the instructors' group. Each function returns the lines to print."""
from __future__ import annotations

import csv
import grp
import os
import pwd
import secrets
import subprocess
from pathlib import Path

from .. import DnnkitError
from ..gradebook import roster
from ..nbgrader_cli import nbgrader
from .settings import ACCOUNT_NAME, HubSettings

NEW_PASSWORDS = "new-passwords.csv"  # in the hub's state folder: the first password of each account made here


def students(root: Path, roster_file: Path | None) -> list[str]:
    """The course's students: the gradebook's roster, after importing `roster_file` (nbgrader's student CSV:
    an `id` column, optionally first_name, last_name, email) into it. Every id must be an account name."""
    if roster_file is not None:
        if not roster_file.is_file():
            raise DnnkitError(f"{roster_file}: no such roster file; give a CSV with an 'id' column")
        with roster_file.open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle), [])
        if "id" not in header:
            raise DnnkitError(f"{roster_file}: no 'id' column in its first line; nbgrader's student import needs one")
        nbgrader(root, "db", "student", "import", str(roster_file.resolve()))
    ids = sorted(roster(root))
    for student in ids:
        if not ACCOUNT_NAME.match(student):
            raise DnnkitError(f"student id {student!r} in the gradebook cannot be an account on this machine "
                              "(lower-case letters, digits, _ and -, at most 32); rename it in the gradebook "
                              "(nbgrader db student remove/add) before starting the hub")
    return ids


def ensure_group(name: str) -> list[str]:
    try:
        grp.getgrnam(name)
    except KeyError:
        _run(["groupadd", name])
        return [f"group {name}: created"]
    return []


def ensure_account(name: str, settings: HubSettings, *, password: bool, group: str | None = None,
                   login: bool = True) -> tuple[list[str], str | None]:
    """Make account `name` when missing (its own home, mode 0700; `group` as its primary group, else one of its
    own), with a random first password when `password`; (lines to print, the password or None). An existing
    account is left as it is; only its home's mode is looked at."""
    try:
        home = Path(pwd.getpwnam(name).pw_dir)
    except KeyError:
        home = None
    if home is not None:
        lines = [f"account {name}: exists, left as it is"]
        try:
            if home.stat().st_mode & 0o007:
                lines.append(f"account {name}: warning: its home {home} is open to other accounts "
                             f"(chmod 700 {home} makes it private); not changed")
        except OSError:
            lines.append(f"account {name}: warning: its home {home} is missing")
        return lines, None
    home = Path(settings.home_base) / name
    command = ["useradd", "--create-home", "--home-dir", str(home),
               "--shell", "/bin/bash" if login else "/usr/sbin/nologin"]
    command += ["--gid", group, "--no-user-group"] if group else ["--user-group"]
    _run([*command, name])
    home.chmod(0o700)
    secret = None
    if password:
        secret = secrets.token_urlsafe(9)
        _run(["chpasswd"], stdin=f"{name}:{secret}\n")
    note = " (first password in the hub's state folder)" if password else ""
    return [f"account {name}: created, home {home}{note}"], secret


def ensure_member(name: str, group: str) -> list[str]:
    entry = grp.getgrnam(group)
    if name in entry.gr_mem or pwd.getpwnam(name).pw_gid == entry.gr_gid:
        return []
    _run(["usermod", "--append", "--groups", group, name])
    return [f"account {name}: added to group {group}"]


def record_password(state: Path, name: str, password: str) -> None:
    """Append a new account's first password to the state folder's NEW_PASSWORDS (root only)."""
    path = state / NEW_PASSWORDS
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "a", newline="") as handle:
        csv.writer(handle).writerow([name, password])


def passwords(state: Path) -> dict[str, str]:
    """{account: first password} from the state folder (the latest line per account)."""
    path = state / NEW_PASSWORDS
    if not path.is_file():
        return {}
    with path.open(newline="") as handle:
        return {row[0]: row[1] for row in csv.reader(handle) if len(row) == 2}


def _run(command: list[str], stdin: str | None = None) -> None:
    done = subprocess.run(command, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise DnnkitError(f"`{command[0]}` failed for {command[-1]!r}: {last}")
