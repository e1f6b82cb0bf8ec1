"""`dnnkit hub`: its settings and configuration (fast), then a real course server (slow): what the setup makes, and
the walls between a student and what is not theirs, each attacked from the student's own kernel on the hub (their
account, through the hub and proxy) and through the hub's web front, first with the wall taken down (the attack
lands), then as `dnnkit hub` leaves it (the attack fails)."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from conftest import make_course_copy
from dnnkit import DnnkitError
from dnnkit.hub import hubconfig, userconfig
from dnnkit.hub.settings import read_settings
from hub_support import Hub, need_hub

ASSIGNMENT = "step_by_step"


# ------------------------------------------------------------------------------------- settings, config (fast)


def _course_with(tmp_path: Path, lines: str) -> Path:
    root = make_course_copy(tmp_path / "course", with_release=False)
    with open(root / "nbgrader_config.py", "a") as config:
        config.write("\n" + lines + "\n")
    return root


@pytest.mark.parametrize("lines, message", [
    ("c.DnnkitHub.instructor = ['amy']", "c.DnnkitHub.instructor is not a dnnkit hub setting"),
    ("c.DnnkitHub.port = 'eighty'", "c.DnnkitHub.port = 'eighty' is not a port number"),
    ("c.DnnkitHub.instructors = 'amy'", "c.DnnkitHub.instructors = 'amy' is not a list of names"),
    ("c.DnnkitHub.instructors = ['Amy Lee']", "c.DnnkitHub.instructors: 'Amy Lee' cannot be an account name"),
    ("c.CourseDirectory.course_id = ''", "c.CourseDirectory.course_id is not set"),
])
def test_a_bad_setting_is_one_line_naming_it(tmp_path, lines, message):
    with pytest.raises(DnnkitError) as raised:
        read_settings(_course_with(tmp_path, lines))
    assert message in str(raised.value) and "\n" not in str(raised.value), str(raised.value)


def test_defaults_follow_the_course_id_and_nbgraders_exchange(tmp_path):
    settings = read_settings(_course_with(tmp_path, "c.DnnkitHub.instructors = ['amy']"))
    assert (settings.grader, settings.group) == ("grader-dnn-forward-backward", "formgrade-dnn-forward-backward")
    assert settings.exchange == "/srv/nbgrader/exchange" and settings.authenticator_class.endswith("PAMAuthenticator")
    assert settings.state_dir == "/srv/dnnkit-hub/dnn-forward-backward"


def test_the_generated_config_is_plain_jupyterhub_configuration(tmp_path):
    """Loaded with traitlets as JupyterHub loads it: who may log in, the group, the service and its role."""
    from traitlets.config.loader import PyFileConfigLoader

    root = _course_with(tmp_path, f"c.DnnkitHub.instructors = ['amy']\nc.DnnkitHub.state_dir = {str(tmp_path)!r}")
    settings = read_settings(root)
    programs = hubconfig.Programs(singleuser="/env/bin/jupyterhub-singleuser", proxy="/env/chp", path="/env/bin")
    path = hubconfig.write(settings, root, ["ada", "ben"], programs)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    assert config.Authenticator.allowed_users == {"ada", "ben", "amy"}
    assert config.JupyterHub.load_groups == {"formgrade-dnn-forward-backward": {"users": ["amy"]}}
    (service,) = config.JupyterHub.services
    assert service["name"] == "dnn-forward-backward" and service["user"] == "grader-dnn-forward-backward"
    assert service["cwd"] == str(root) and service["url"] == "http://127.0.0.1:9999"
    role = next(r for r in config.JupyterHub.load_roles if r["name"] == settings.group)
    assert role["groups"] == [settings.group] and "access:services!service=dnn-forward-backward" in role["scopes"]
    assert config.Spawner.cmd == ["/env/bin/jupyterhub-singleuser"]


def test_students_get_assignment_list_and_validate_only():
    student = userconfig.extension_files("student")
    server = json.loads(student[f".jupyter/jupyter_server_config.d/{userconfig.CONFIG_NAME}"])
    lab = json.loads(student[f".jupyter/labconfig/page_config.d/{userconfig.CONFIG_NAME}"])
    on = {name.rsplit(".", 1)[1] for name, enabled in server["ServerApp"]["jpserver_extensions"].items() if enabled}
    assert on == {"assignment_list", "validate_assignment"}
    assert set(lab["disabledExtensions"]) == {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                                              "@jupyter/nbgrader:course-list"}
    instructor = json.loads(userconfig.extension_files("instructor")[
        f".jupyter/labconfig/page_config.d/{userconfig.CONFIG_NAME}"])
    assert "@jupyter/nbgrader:course-list" not in instructor["disabledExtensions"]


def test_dnnkit_hub_refuses_to_run_without_root(tmp_path, monkeypatch):
    from dnnkit.cli import main

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.chdir(_course_with(tmp_path, "c.DnnkitHub.instructors = ['amy']"))
    assert main(["hub", "--setup-only"]) == 2


# ------------------------------------------------------------------------------------------ a real hub (slow)


@pytest.fixture(scope="module")
def hub():
    need_hub()
    server = Hub()
    try:
        server.make_course()
        with pytest.MonkeyPatch.context() as patch:   # the course secret as a file, as a real course has it
            patch.delenv("DNNKIT_COURSE_SECRET", raising=False)
            from dnnkit.secret import course_secret
            course_secret(server.course)
        server.first_setup = server.setup()
        ada, ben = server.students
        assert server.as_account(server.grader, "nbgrader", "release_assignment", ASSIGNMENT,
                                 cwd=server.course).returncode == 0
        for student in (ada, ben):
            done = server.as_account(student, "nbgrader", "fetch_assignment", ASSIGNMENT)
            assert done.returncode == 0, done.stderr[-2000:]
        done = server.as_account(ben, "nbgrader", "submit", ASSIGNMENT)
        assert done.returncode == 0, done.stderr[-2000:]
        server.start()
        yield server
    finally:
        server.cleanup()


@pytest.mark.slow
def test_the_setup_makes_accounts_folders_and_settings_and_says_so(hub):
    import grp
    import pwd

    out = hub.first_setup.stdout
    for name in [*hub.students, hub.instructor]:
        assert f"account {name}: created" in out, out
        home = Path(pwd.getpwnam(name).pw_dir)
        assert stat.S_IMODE(home.stat().st_mode) == 0o700 and home.owner() == name
    assert hub.instructor in grp.getgrnam(hub.group).gr_mem
    info = hub.course.stat()
    assert (hub.course.owner(), hub.course.group(), stat.S_IMODE(info.st_mode)) == (hub.grader, hub.group, 0o2770)
    secret = hub.course / ".dnnkit" / "course-secret"
    assert secret.owner() == hub.grader and stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(hub.exchange.stat().st_mode) == 0o1777
    inbound = hub.exchange / hub.course_id / "inbound"
    assert inbound.owner() == hub.grader and stat.S_IMODE(inbound.stat().st_mode) == 0o2733
    config = (Path(pwd.getpwnam(hub.students[0]).pw_dir) / ".jupyter" / "nbgrader_config.py").read_text()
    assert f"c.Exchange.root = {str(hub.exchange)!r}" in config and repr(hub.course_id) in config
    assert set(hub.passwords) == {*hub.students, hub.instructor}
    # once made, a second run changes nothing and says that the accounts are left as they are
    again = hub.setup().stdout
    assert f"account {hub.students[0]}: exists, left as it is" in again
    assert "created" not in again and "wrote" not in again and "course folder" not in again, again


@pytest.mark.slow
def test_a_student_cannot_open_formgrader_an_instructor_can(hub):
    import requests

    student, instructor = hub.students[0], hub.instructor
    page = hub.session(student).get(f"{hub.url}/services/{hub.course_id}/lab", timeout=60)
    assert page.status_code == 403 and "/hub/api/oauth2/authorize" in page.url, (page.status_code, page.url)
    assert hub.session(instructor).get(f"{hub.url}/services/{hub.course_id}/lab", timeout=60).status_code == 200
    # past the proxy, straight to the service's own port, with the student's own API token: refused too
    direct = f"http://127.0.0.1:{hub.service_port}/services/{hub.course_id}/api/status"
    for user, expected in ((student, 403), (instructor, 200)):
        answer = requests.get(direct, headers={"Authorization": f"token {hub.token(user)}"}, timeout=30)
        assert answer.status_code == expected, (user, answer.status_code, answer.text[:200])


def _probes(hub: Hub) -> dict[str, tuple[str, bool]]:
    """{what: (path, list it)} a student (the first) must not read, with two they must (controls)."""
    import pwd

    ben_home = Path(pwd.getpwnam(hub.students[1]).pw_dir)
    return {
        "own notebook (control)": (str(Path(pwd.getpwnam(hub.students[0]).pw_dir) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
                                   False),
        "outbound (control)": (str(hub.exchange / hub.course_id / "outbound"), True),
        "another student's notebook": (str(ben_home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), False),
        "the exchange's inbound": (str(hub.exchange / hub.course_id / "inbound"), True),
        "source/": (str(hub.course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), False),
        "references/": (str(hub.course / "references"), True),
        "the course secret": (str(hub.course / ".dnnkit" / "course-secret"), False),
        "the gradebook": (str(hub.course / "gradebook.db"), False),
    }


_PROBE = """
import json, os
def probe(path, listing):
    try:
        os.listdir(path) if listing else open(path, "rb").read(1)
        return "read"
    except PermissionError:
        return "denied"
    except OSError as err:
        return type(err).__name__
print(json.dumps({what: probe(path, listing) for what, (path, listing) in %r.items()}))
"""


def _attack(hub: Hub) -> dict[str, str]:
    """What the first student's own kernel on the hub can read of the probes."""
    out = hub.run_in_kernel(hub.students[0], _PROBE % _probes(hub))
    return json.loads(out.strip().splitlines()[-1])


def _open_to_everyone(folder: Path) -> None:
    for where, dirs, files in os.walk(folder):
        os.chmod(where, os.stat(where).st_mode | 0o005)
        for name in files:
            path = os.path.join(where, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | 0o004)


@pytest.mark.slow
def test_a_student_cannot_read_another_students_files_the_inbound_or_the_course(hub):
    import pwd

    ben_home = Path(pwd.getpwnam(hub.students[1]).pw_dir)
    controls = {"own notebook (control)", "outbound (control)"}
    # the walls down: the course folder, ben's home and the inbound open to every account, as they would be
    # without `dnnkit hub` (a course cloned by root: 0755; a home made with a umask of 022; inbound listable)
    _open_to_everyone(hub.course)
    _open_to_everyone(ben_home)
    (hub.exchange / hub.course_id / "inbound").chmod(0o2777)
    landed = _attack(hub)
    assert set(landed.values()) == {"read"}, landed
    # the walls as `dnnkit hub` leaves them (run again: it restores the course folder and the exchange, and says
    # that ben's home is open, which it does not change); homes it makes are 0700
    again = hub.setup().stdout
    assert f"account {hub.students[1]}: warning: its home {ben_home} is open" in again, again
    assert "course folder" in again and "inbound: mode 2777 -> 2733" in again, again
    ben_home.chmod(0o700)
    refused = _attack(hub)
    assert {what for what, result in refused.items() if result == "read"} == controls, refused
    assert {result for what, result in refused.items() if what not in controls} == {"denied"}, refused


@pytest.mark.slow
def test_a_student_cannot_move_the_courses_exchange_folder(hub):
    """nbgrader's exchange root is writable by all: without the sticky bit a student could rename the course's
    folder and put one of their own in its place."""
    folder = hub.exchange / hub.course_id
    attack = f"import os; os.rename({str(folder)!r}, {str(folder) + '-moved'!r}); print('moved')"
    hub.exchange.chmod(0o777)   # the wall down: nbgrader's own mode
    assert hub.run_in_kernel(hub.students[0], attack).strip() == "moved"
    os.rename(str(folder) + "-moved", folder)
    hub.exchange.chmod(0o1777)  # as dnnkit hub makes it
    assert hub.run_in_kernel(hub.students[0], attack).startswith("PermissionError")
    assert folder.is_dir()


@pytest.mark.slow
def test_formgrader_open_to_every_user_lets_the_student_in(hub):
    """The landed half of the formgrader wall: with the hub's role scoping taken down (every user given access to
    services, in the administrator's own config file), the same student request gets in. Runs last: it restarts
    the hub."""
    local = hub.state / hubconfig.LOCAL_CONFIG
    local.write_text('c.JupyterHub.load_roles.append({"name": "user", "scopes": ["self", "access:services"]})\n')
    try:
        hub.stop()
        hub.start()
        page = hub.session(hub.students[0]).get(f"{hub.url}/services/{hub.course_id}/lab", timeout=60)
        assert page.status_code == 200 and page.url.endswith(f"/services/{hub.course_id}/lab"), page.url
    finally:
        local.unlink()
        hub.stop()
