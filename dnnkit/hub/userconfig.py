"""Each hub user's own Jupyter settings in their home (docs/hub.md#what-students-see): nbgrader_config.py naming
the course and the exchange (the grader's: the course folder), and nbgrader's extensions a student or an
instructor does not get turned off. A convenience, not a wall. Written by a process running as the user: never as
root in a folder the user controls, where a planted link could send root's write elsewhere. A file there with
other content is kept as NAME.before-dnnkit."""
from __future__ import annotations

import json
import pwd
import subprocess
import sys

from .. import DnnkitError
from .settings import HubSettings

CONFIG_NAME = "dnnkit-hub.json"  # our file in jupyter_server_config.d/ and labconfig/page_config.d/
SERVER_EXTENSIONS = ("formgrader", "assignment_list", "course_list", "validate_assignment")
LAB_EXTENSIONS = ("formgrader", "create-assignment", "course-list", "assignment-list", "validate-assignment")
OFFERED = {  # which of nbgrader's extensions each kind of user has
    "student": {"assignment_list", "validate_assignment", "assignment-list", "validate-assignment"},
    "instructor": {"assignment_list", "validate_assignment", "course_list",
                   "assignment-list", "validate-assignment", "course-list"},
}

_WRITER = r"""
import json, os, sys
home = os.path.expanduser("~")
done = []
for relpath, text in json.load(sys.stdin).items():
    path = os.path.join(home, relpath)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    try:
        with open(path, encoding="utf-8") as handle:
            old = handle.read()
    except FileNotFoundError:
        old = None
    if old == text:
        continue
    if old is not None:
        os.replace(path, path + ".before-dnnkit")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    done.append([relpath, old is not None])
print(json.dumps(done))
"""


def extension_files(kind: str) -> dict[str, str]:
    """The server and lab extension settings of a `kind` ("student" or "instructor") of user."""
    offered = OFFERED[kind]
    server = {f"nbgrader.server_extensions.{name}": name in offered for name in SERVER_EXTENSIONS}
    lab = {f"@jupyter/nbgrader:{name}": True for name in LAB_EXTENSIONS if name not in offered}
    return {
        f".jupyter/jupyter_server_config.d/{CONFIG_NAME}":
            json.dumps({"ServerApp": {"jpserver_extensions": server}}, indent=2) + "\n",
        f".jupyter/labconfig/page_config.d/{CONFIG_NAME}":
            json.dumps({"disabledExtensions": lab}, indent=2) + "\n",
    }


def files_for(kind: str, settings: HubSettings, course_root: str) -> dict[str, str]:
    """{path in the home: content} for a "student", an "instructor" or the "grader" (whose nbgrader_config.py
    points at the course folder, the others' at the course id and the exchange)."""
    where = ([f"c.CourseDirectory.root = {course_root!r}"] if kind == "grader" else
             [f"c.CourseDirectory.course_id = {settings.course_id!r}", f"c.Exchange.root = {settings.exchange!r}"])
    config = "\n".join([f"# Written by `dnnkit hub` for the course {settings.course_id}: where nbgrader finds it.",
                        "c = get_config()", *where]) + "\n"
    return {".jupyter/nbgrader_config.py": config, **(extension_files(kind) if kind != "grader" else {})}


def write_as(account: str, files: dict[str, str]) -> list[str]:
    """Write `files` into `account`'s home as that account; a line per file written."""
    entry = pwd.getpwnam(account)
    env = {"HOME": entry.pw_dir, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    try:
        done = subprocess.run([sys.executable, "-I", "-c", _WRITER], input=json.dumps(files), capture_output=True,
                              text=True, user=entry.pw_uid, group=entry.pw_gid, extra_groups=[], env=env,
                              cwd="/", timeout=60)
    except (OSError, subprocess.SubprocessError) as err:
        raise DnnkitError(f"account {account}: could not write its Jupyter settings in {entry.pw_dir}: {err}")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise DnnkitError(f"account {account}: could not write its Jupyter settings in {entry.pw_dir}: {last}")
    return [f"account {account}: wrote ~/{relpath}" + (" (the old one kept as .before-dnnkit)" if replaced else "")
            for relpath, replaced in json.loads(done.stdout)]
