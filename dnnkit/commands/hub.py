"""`dnnkit hub`: the course server from one command, run as root in the course folder (docs/hub.md): it makes what
is missing (group, accounts, the course folder's owner and modes, nbgrader's exchange, each user's Jupyter
settings, jupyterhub_config.py), says what it changed, and starts JupyterHub, with formgrader as a service of
the grader account for the instructors' group. Settings: c.DnnkitHub (dnnkit.hub.settings)."""
from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

from .. import DnnkitError
from ..course import Course
from ..hub import accounts, folders, hubconfig, userconfig
from ..hub.settings import HubSettings, read_settings

PROXY = "configurable-http-proxy"


def add_arguments(parser) -> None:
    parser.add_argument("--roster", type=Path, metavar="CSV",
                        help="import these students into the gradebook first (nbgrader's student CSV: an 'id' "
                             "column; first_name, last_name, email optional); the gradebook's students are the roster")
    parser.add_argument("--setup-only", action="store_true",
                        help="make the accounts, folders and configuration, then stop instead of starting the hub")


def run(args) -> int:
    if os.geteuid() != 0:
        raise DnnkitError("the hub makes accounts and starts each user's server as that user: run `dnnkit hub` as "
                          "root (sudo), in the course folder")
    course = Course()
    settings = read_settings(course.root)
    programs = find_programs(course.root)
    students = accounts.students(course.root, args.roster)
    check_roles(settings, students)
    lines = prepare(settings, course.root, students, programs)
    config = hubconfig.write(settings, course.root, students, programs)
    for line in lines:
        print(line)
    print(f"{len(students)} student(s), {len(settings.instructors)} instructor(s); hub configuration: {config}")
    jupyterhub = str(Path(sys.prefix) / "bin" / "jupyterhub")
    if args.setup_only:
        print(f"ready; start the hub with: {jupyterhub} -f {config} (or `dnnkit hub` again)")
        return 0
    sys.stdout.flush()
    os.chdir(settings.state)
    os.execv(jupyterhub, [jupyterhub, "-f", str(config)])


def check_roles(settings: HubSettings, students: list[str]) -> None:
    if not settings.instructors:
        raise DnnkitError("nbgrader_config.py: c.DnnkitHub.instructors is empty; name the instructor's and the TAs' "
                          "accounts, e.g. c.DnnkitHub.instructors = ['alice']")
    both = sorted(set(settings.instructors) & set(students))
    if both:
        raise DnnkitError(f"{both[0]!r} is both a student (gradebook) and an instructor (c.DnnkitHub.instructors); "
                          "one account cannot be both: remove it from one of them")
    if settings.grader in {*students, *settings.instructors}:
        raise DnnkitError(f"c.DnnkitHub.grader {settings.grader!r} is also a user of the hub; the formgrader service "
                          "needs an account of its own")


def prepare(settings: HubSettings, root: Path, students: list[str], programs: hubconfig.Programs) -> list[str]:
    """Everything before the hub starts; the lines say what changed."""
    lines = folders.state_folder(settings.state)
    lines += accounts.ensure_group(settings.group)
    made, _ = accounts.ensure_account(settings.grader, settings, password=False, group=settings.group, login=False)
    lines += made + accounts.ensure_member(settings.grader, settings.group)
    with_password = settings.authenticator == "pam"
    for name in [*settings.instructors, *students]:
        made, password = accounts.ensure_account(name, settings, password=with_password)
        lines += made
        if password is not None:
            accounts.record_password(settings.state, name, password)
    for name in settings.instructors:
        lines += accounts.ensure_member(name, settings.group)
    lines += folders.course_folder(root, settings.grader, settings.group)
    lines += folders.exchange(Path(settings.exchange), settings.course_id, settings.grader, settings.group)
    for kind, names in (("grader", [settings.grader]), ("instructor", settings.instructors), ("student", students)):
        for name in names:
            lines += userconfig.write_as(name, userconfig.files_for(kind, settings, str(root)))
    return lines


def find_programs(course_root: Path) -> hubconfig.Programs:
    """The hub's programs in this environment, checked: every account must be able to run its Python, and it must
    lie outside the course folder, which only the instructors may enter."""
    prefix = Path(sys.prefix).resolve()
    bin_dir = Path(sys.prefix) / "bin"
    singleuser = bin_dir / "jupyterhub-singleuser"
    if not singleuser.is_file():
        raise DnnkitError(f"{prefix}: JupyterHub is not installed in this environment; `make hub` makes one "
                          "(requirements-hub.txt)")
    if prefix == course_root or course_root in prefix.parents:
        raise DnnkitError(f"{prefix}: the hub's environment is inside the course folder, which students cannot "
                          "enter; make it elsewhere (`make hub` puts it in HUB_ENV, /opt/dnnkit-hub-... by default)")
    for path in (Path(sys.executable).resolve(), prefix):
        closed = _closed_to_others(path)
        if closed is not None:
            raise DnnkitError(f"{closed}: other accounts cannot enter it, so they cannot run this environment's "
                              f"Python ({path}); make the hub's environment with a system Python (`make hub`, "
                              "HUB_PYTHON=/usr/bin/python3)")
    proxy = prefix / "node_modules" / ".bin" / PROXY
    found = str(proxy) if proxy.is_file() else shutil.which(PROXY)
    if not found:
        raise DnnkitError(f"{PROXY} is missing: `make hub` installs it from npm into {prefix}/node_modules "
                          f"(npm install --prefix {prefix} {PROXY})")
    return hubconfig.Programs(singleuser=str(singleuser), proxy=found,
                              path=os.pathsep.join([str(bin_dir), "/usr/local/bin", "/usr/bin", "/bin"]))


def _closed_to_others(path: Path) -> Path | None:
    """The first folder on the way to `path` (or `path`) that other accounts cannot pass; None if none."""
    for part in [*reversed(path.parents), path]:
        if not stat.S_IMODE(part.stat().st_mode) & 0o001:
            return part
    return None
