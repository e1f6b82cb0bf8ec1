"""The hub's jupyterhub_config.py, written by `dnnkit hub` into the hub's state folder at every start as plain
JupyterHub configuration; it loads the administrator's jupyterhub_config_local.py beside it last."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from .settings import HubSettings

CONFIG = "jupyterhub_config.py"
LOCAL_CONFIG = "jupyterhub_config_local.py"


@dataclass(frozen=True)
class Programs:
    """Where the hub's programs are: the environment's jupyterhub-singleuser and configurable-http-proxy."""
    singleuser: str
    proxy: str
    path: str  # PATH of every server the hub starts


def render(settings: HubSettings, course_root: Path, students: list[str], programs: Programs) -> str:
    s, course, state = settings, settings.course_id, settings.state
    users = sorted({*students, *s.instructors})
    service_url = f"http://127.0.0.1:{s.service_port}"
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f'''\
# The course server of {course}: written by `dnnkit hub` on {when} from the course's nbgrader_config.py
# (c.DnnkitHub) and its roster. It is written again at every start: put your own settings in
# {LOCAL_CONFIG} beside this file, which is loaded last.
c = get_config()  # noqa: F821 (provided by JupyterHub)

# Where the hub listens; its own API and the proxy's stay on this machine.
c.JupyterHub.ip = {s.ip!r}
c.JupyterHub.port = {s.port!r}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {s.hub_port!r}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{s.proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{programs.proxy!r}]
c.ConfigurableHTTPProxy.should_start = True

# The hub's own files, root only.
c.JupyterHub.db_url = {"sqlite:///" + str(state / "jupyterhub.sqlite")!r}
c.JupyterHub.cookie_secret_file = {str(state / "jupyterhub_cookie_secret")!r}

# Who may log in: the roster's students and the instructors, each an account on this machine.
c.JupyterHub.authenticator_class = {s.authenticator_class!r}
c.Authenticator.allowed_users = set({users!r})
c.Authenticator.admin_users = set()

# Every user's server runs as their own account, from the hub's environment, opening JupyterLab.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [{programs.singleuser!r}]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {{"PATH": {programs.path!r}}}

# The instructor and TAs: one group, named as nbgrader's course list expects (formgrade-<course id>).
c.JupyterHub.load_groups = {{{s.group!r}: {{"users": {sorted(s.instructors)!r}}}}}

# Formgrader: a JupyterLab server of the grader account in the course folder, started and stopped by the hub as
# the service {course!r} (nbgrader's course list finds a course's formgrader by this name). Only the instructors'
# group may open it; the hub refuses everyone else.
c.JupyterHub.services = [
    {{
        "name": {course!r},
        "url": {service_url!r},
        "command": [{programs.singleuser!r}],
        "user": {s.grader!r},
        "cwd": {str(course_root)!r},
        "environment": {{"JUPYTERHUB_DEFAULT_URL": "/lab", "PATH": {programs.path!r}}},
        "oauth_no_confirm": True,
    }},
]
c.JupyterHub.load_roles = [
    {{
        "name": {s.group!r},
        "groups": [{s.group!r}],
        "scopes": ["access:services!service={course}", "list:services", "read:services!service={course}"],
    }},
    # a server acts with its owner's permissions, so an instructor's course list can reach the service
    {{"name": "server", "scopes": ["inherit"]}},
]

import os  # noqa: E402

if os.path.isfile({str(state / LOCAL_CONFIG)!r}):
    load_subconfig({str(state / LOCAL_CONFIG)!r})  # noqa: F821 (provided by JupyterHub)
'''


def write(settings: HubSettings, course_root: Path, students: list[str], programs: Programs) -> Path:
    path = settings.state / CONFIG
    path.write_text(render(settings, course_root, students, programs))
    path.chmod(0o600)
    return path
