"""`dnnkit hub`'s settings: the `c.DnnkitHub` section of the course's nbgrader_config.py, with the course id and
exchange the course's nbgrader settings name. A key the section does not know, or a value of the wrong kind, is a
one-line error naming it."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from pathlib import Path

from .. import DnnkitError
from ..gradebook import course_config

# what an authenticator setting may be short for (any other value is a class name, used as it is)
AUTHENTICATORS = {
    "pam": "jupyterhub.auth.PAMAuthenticator",
}
ACCOUNT_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}\Z")  # what useradd accepts on Debian, portably
NBGRADER_EXCHANGE = "/srv/nbgrader/exchange"  # nbgrader's default c.Exchange.root


@dataclass(frozen=True)
class HubSettings:
    instructors: tuple[str, ...] = ()  # the instructor's and the TAs' accounts
    grader: str = ""  # the account the formgrader service runs as (default grader-<course id>)
    group: str = ""  # the instructors' group, on the system and in the hub (default formgrade-<course id>)
    authenticator: str = "pam"
    ip: str = ""  # the hub's public address: all interfaces
    port: int = 8000
    hub_port: int = 8081  # the hub's own API, on 127.0.0.1
    proxy_api_port: int = 8001  # configurable-http-proxy's API, on 127.0.0.1
    service_port: int = 9999  # the formgrader service, on 127.0.0.1
    state_dir: str = ""  # the hub's own files, root only (default /srv/dnnkit-hub/<course id>)
    home_base: str = "/home"  # where the accounts dnnkit hub creates get their home folders
    # filled from the course's nbgrader settings, not from c.DnnkitHub
    course_id: str = field(default="", metadata={"internal": True})
    exchange: str = field(default=NBGRADER_EXCHANGE, metadata={"internal": True})

    @property
    def authenticator_class(self) -> str:
        return AUTHENTICATORS.get(self.authenticator, self.authenticator)

    @property
    def state(self) -> Path:
        return Path(self.state_dir)


def read_settings(root: Path) -> HubSettings:
    """The hub's settings for the course in `root`, defaults filled in and checked."""
    config = course_config(root)
    section = dict(config.get("DnnkitHub", {}))
    known = {f.name: f for f in fields(HubSettings) if not f.metadata.get("internal")}
    unknown = sorted(set(section) - set(known))
    if unknown:
        raise DnnkitError(f"nbgrader_config.py: c.DnnkitHub.{unknown[0]} is not a dnnkit hub setting; "
                          f"known: {', '.join(sorted(known))}")
    values = {key: _checked(key, value, known[key].default) for key, value in section.items()}
    course_id = str(config.CourseDirectory.get("course_id", "") or "")
    if not course_id:
        raise DnnkitError("nbgrader_config.py: c.CourseDirectory.course_id is not set; the hub names its formgrader "
                          "service, group and exchange folder after it")
    exchange = str(config.get("Exchange", {}).get("root", "") or NBGRADER_EXCHANGE)
    values.setdefault("grader", f"grader-{course_id}")
    values.setdefault("group", f"formgrade-{course_id}")
    values.setdefault("state_dir", f"/srv/dnnkit-hub/{course_id}")
    settings = HubSettings(**values, course_id=course_id, exchange=exchange)
    for key in ("grader", "group"):
        _account_name(getattr(settings, key), f"c.DnnkitHub.{key}")
    for name in settings.instructors:
        _account_name(name, "c.DnnkitHub.instructors")
    return settings


def _checked(key: str, value, default):
    if isinstance(default, tuple):
        if isinstance(value, str) or not all(isinstance(item, str) for item in value):
            raise DnnkitError(f"nbgrader_config.py: c.DnnkitHub.{key} = {value!r} is not a list of names")
        return tuple(value)
    if isinstance(default, int) and not (isinstance(value, int) and 0 < value < 65536):
        raise DnnkitError(f"nbgrader_config.py: c.DnnkitHub.{key} = {value!r} is not a port number")
    if isinstance(default, str) and not isinstance(value, str):
        raise DnnkitError(f"nbgrader_config.py: c.DnnkitHub.{key} = {value!r} is not a string")
    return value


def _account_name(name: str, where: str) -> None:
    if not ACCOUNT_NAME.match(name):
        raise DnnkitError(f"{where}: {name!r} cannot be an account name (lower-case letters, digits, _ and -, "
                          "starting with a letter or _, at most 32 characters); choose another")
