"""A real course server for the hub tests: `dnnkit hub` (from the hub's environment, as `make hub` runs it) on a
course copy in a folder of its own under /tmp, with accounts named for this run (a random suffix), on free
localhost ports; and the ways a user reaches it: a logged-in HTTP session, an API token, their own server, code
run in a kernel of theirs. Everything a test made (processes, accounts, group, folders) is removed by cleanup()."""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from conftest import COURSE_SHA256, REPO, make_course_copy
from test_browser import _descendants, _end_processes, _free_port, _tail

HUB_ENV = Path(os.environ.get("DNNKIT_HUB_ENV") or "/opt/dnnkit-hub" + str(REPO).replace("/", "-"))
START_S = 90


def need_hub() -> None:
    """Skip (fail in CI) where a hub cannot be tested: not root, or no hub environment (`make test` makes it)."""
    why = None
    if os.geteuid() != 0:
        why = "the hub tests make accounts: they run as root"
    elif not (HUB_ENV / "bin" / "dnnkit").is_file() or not (HUB_ENV / ".installed").is_file():
        why = f"no hub environment at {HUB_ENV} (make {HUB_ENV}/.installed, which `make test` does)"
    if why:
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)


class Hub:
    """One course server: its course, accounts, ports and process."""

    def __init__(self, students=("ada", "ben"), datasets: Path | None = None):
        tag = secrets.token_hex(3)
        self.base = Path(tempfile.mkdtemp(prefix="dnnkit-hub-", dir="/tmp"))
        self.base.chmod(0o755)   # the accounts' homes and the exchange are in it
        self.course = self.base / "course"
        self.exchange = self.base / "exchange"
        self.state = self.base / "state"
        self.homes = self.base / "home"
        self.course_id = "dnn-forward-backward"
        self.students = [f"{name}{tag}" for name in students]
        self.instructor = f"ins{tag}"
        self.grader = f"grader{tag}"
        self.group = f"formgrade-{tag}"
        self.port, self.hub_port, self.proxy_port, self.service_port = (_free_port() for _ in range(4))
        self.proc: subprocess.Popen | None = None
        self.log = self.base / "hub.log"
        self.passwords: dict[str, str] = {}
        self._sessions: dict = {}
        self._tokens: dict[str, str] = {}
        self.datasets = datasets

    # ------------------------------------------------------------------------------------------ set-up

    def make_course(self, gradebook: bool = False) -> None:
        """The course copy (with its gradebook holding step_by_step when `gradebook`) and its hub settings."""
        make_course_copy(self.course)
        if gradebook:
            from dnnkit.nbgrader_cli import nbgrader
            nbgrader(self.course, "generate_assignment", "step_by_step", "--force")
        if self.datasets is not None:
            for name in COURSE_SHA256:
                shutil.copy(self.datasets / name, self.course / "datasets" / name)
        self.homes.mkdir(mode=0o755)
        with open(self.course / "nbgrader_config.py", "a") as config:
            config.write(f"""
c.Exchange.root = {str(self.exchange)!r}
c.DnnkitHub.instructors = [{self.instructor!r}]
c.DnnkitHub.grader = {self.grader!r}
c.DnnkitHub.group = {self.group!r}
c.DnnkitHub.ip = "127.0.0.1"
c.DnnkitHub.port = {self.port}
c.DnnkitHub.hub_port = {self.hub_port}
c.DnnkitHub.proxy_api_port = {self.proxy_port}
c.DnnkitHub.service_port = {self.service_port}
c.DnnkitHub.state_dir = {str(self.state)!r}
c.DnnkitHub.home_base = {str(self.homes)!r}
""")
        roster = self.base / "roster.csv"
        roster.write_text("id,first_name\n" + "".join(f"{name},{name[:3].title()}\n" for name in self.students))
        self.roster = roster

    def dnnkit(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """`dnnkit ARGS` from the hub's environment, as root, in the course folder."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DNNKIT_COURSE_ROOT")}
        done = subprocess.run([str(HUB_ENV / "bin" / "dnnkit"), *args], cwd=self.course, env=env,
                              capture_output=True, text=True, timeout=300)
        if check:
            assert done.returncode == 0, f"dnnkit {' '.join(args)}: {done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        return done

    def setup(self) -> subprocess.CompletedProcess:
        done = self.dnnkit("hub", "--setup-only", "--roster", str(self.roster))
        from dnnkit.hub.accounts import passwords
        self.passwords = passwords(self.state)
        return done

    # ----------------------------------------------------------------------------------- the process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        import requests

        with self.log.open("a") as log:
            log.write(f"\n==== dnnkit hub on port {self.port}\n")
            log.flush()
            self.proc = subprocess.Popen([str(HUB_ENV / "bin" / "dnnkit"), "hub"], cwd=self.course,
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        end = time.monotonic() + START_S
        while time.monotonic() < end and self.proc.poll() is None:
            with contextlib.suppress(requests.RequestException):
                hub = requests.get(f"{self.url}/hub/health", timeout=5)
                service = requests.get(f"{self.url}/services/{self.course_id}/", timeout=5, allow_redirects=False)
                if hub.status_code == 200 and service.status_code in (302, 303):
                    self._sessions.clear()
                    self._tokens.clear()
                    return
            time.sleep(0.5)
        state = f"exited with {self.proc.returncode}" if self.proc.poll() is not None else f"not ready in {START_S} s"
        self.stop()
        raise AssertionError(f"the hub did not start ({state}); log {self.log}:\n{_tail(self.log, 40)}")

    def stop(self) -> None:
        """Stop the hub, the proxy and every server it started (SIGINT, as Ctrl-C would; then anything left)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        below = _descendants(proc.pid)
        for sig, wait in ((signal.SIGINT, 30), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            if proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)
            try:
                proc.wait(wait)
            except subprocess.TimeoutExpired:
                below.update(_descendants(proc.pid))
        _end_processes(below)

    def cleanup(self) -> None:
        self.stop()
        for name in [*self.students, self.instructor, self.grader]:
            subprocess.run(["userdel", "--remove", name], capture_output=True)
        subprocess.run(["groupdel", self.group], capture_output=True)
        shutil.rmtree(self.base, ignore_errors=True)

    # ------------------------------------------------------------------------------------ as a user

    def session(self, user: str):
        """A requests session logged in as `user` with their password (the hub's login form)."""
        import requests

        if user in self._sessions:
            return self._sessions[user]
        session = requests.Session()
        session.get(f"{self.url}/hub/login", timeout=30)
        answer = session.post(f"{self.url}/hub/login", timeout=60, allow_redirects=False,
                              data={"username": user, "password": self.passwords[user],
                                    "_xsrf": self.xsrf(session)})
        assert answer.status_code == 302 and "login" not in answer.headers.get("location", ""), \
            f"{user} could not log in: {answer.status_code} {answer.headers.get('location')}"
        self._sessions[user] = session
        return session

    @staticmethod
    def xsrf(session) -> str:
        return next((c.value for c in session.cookies if c.name == "_xsrf" and c.path.startswith("/hub")), "")

    def token(self, user: str) -> str:
        """An API token the user makes for themselves through the hub's REST API."""
        if user not in self._tokens:
            session = self.session(user)
            answer = session.post(f"{self.url}/hub/api/users/{user}/tokens", json={"note": "test"},
                                  headers={"X-XSRFToken": self.xsrf(session)}, timeout=30)
            assert answer.status_code in (200, 201), (answer.status_code, answer.text[:300])
            self._tokens[user] = answer.json()["token"]
        return self._tokens[user]

    def api(self, user: str, method: str, path: str, **kwargs):
        import requests

        return requests.request(method, f"{self.url}{path}", timeout=60,
                                headers={"Authorization": f"token {self.token(user)}"}, **kwargs)

    def start_server(self, user: str, timeout: float = 90) -> None:
        answer = self.api(user, "POST", f"/hub/api/users/{user}/server")
        assert answer.status_code in (201, 202, 400), (answer.status_code, answer.text[:300])  # 400: running
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            model = self.api(user, "GET", f"/hub/api/users/{user}").json()
            if model.get("servers", {}).get("", {}).get("ready"):
                return
            time.sleep(0.5)
        raise AssertionError(f"{user}'s server did not start in {timeout} s; log {self.log}:\n{_tail(self.log, 30)}")

    def run_in_kernel(self, user: str, code: str, timeout: float = 60) -> str:
        """Run `code` in a new kernel of `user`'s own server (their account, through the hub and proxy); its
        standard output (an error's text when it raised)."""
        import websocket

        self.start_server(user)
        base = f"/user/{user}/api/kernels"
        answer = self.api(user, "POST", base, json={"name": "python3"})
        assert answer.status_code == 201, (answer.status_code, answer.text[:300])
        kernel = answer.json()["id"]
        socket = websocket.create_connection(f"ws://127.0.0.1:{self.port}{base}/{kernel}/channels", timeout=timeout,
                                             header=[f"Authorization: token {self.token(user)}"])
        try:
            msg_id = uuid.uuid4().hex
            socket.send(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": user,
                           "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                            "allow_stdin": False, "stop_on_error": True}}))
            out = []
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                message = json.loads(socket.recv())
                if message.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = message["msg_type"], message["content"]
                if kind == "stream":
                    out.append(content["text"])
                elif kind == "error":
                    out.append(f"{content['ename']}: {content['evalue']}")
                elif kind == "status" and content["execution_state"] == "idle":
                    return "".join(out)
            raise AssertionError(f"the code in {user}'s kernel did not finish in {timeout} s: {''.join(out)!r}")
        finally:
            socket.close()
            self.api(user, "DELETE", f"{base}/{kernel}")

    def as_account(self, user: str, *command: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        """A command run as `user` (their uid, groups and HOME), as a terminal of theirs would."""
        import pwd

        entry = pwd.getpwnam(user)
        env = {"HOME": entry.pw_dir, "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
               "PATH": f"{HUB_ENV / 'bin'}:/usr/bin:/bin"}
        return subprocess.run(list(command), cwd=cwd or entry.pw_dir, env=env, capture_output=True, text=True,
                              user=entry.pw_uid, group=entry.pw_gid, extra_groups=os.getgrouplist(user, entry.pw_gid),
                              timeout=300)
