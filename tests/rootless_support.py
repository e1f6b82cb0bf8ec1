"""A real unprivileged account for the tests of grading without root: made with useradd (home in a folder of its
own under /tmp), removed with userdel afterwards; commands run as it with the hub's environment (a Python every
account can start: the test venv's lives under /root)."""
from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from hub_support import HUB_ENV

PROBE = Path(__file__).resolve().parent / "rootless_probe.py"


def need_account_tests() -> None:
    """Skip (fail in CI) where these tests cannot run: not root, no useradd, no bubblewrap or no hub
    environment (`make test` makes it)."""
    why = None
    if os.geteuid() != 0 or shutil.which("useradd") is None:
        why = "the tests make an account: root and useradd needed"
    elif shutil.which("bwrap") is None:
        why = "bubblewrap is not installed"
    elif not (HUB_ENV / ".installed").is_file():
        why = f"no hub environment at {HUB_ENV} (make {HUB_ENV}/.installed, which `make test` does)"
    if why:
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)


class Account:
    """An account of this machine made for one test module, with a private home under /tmp."""

    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="dnnkit-rootless-", dir="/tmp"))
        self.base.chmod(0o755)
        self.name = f"rl{secrets.token_hex(3)}"
        self.home = self.base / "home"
        subprocess.run(["useradd", "--create-home", "--home-dir", str(self.home), "--shell", "/bin/sh",
                        "--user-group", self.name], check=True, capture_output=True)
        self.home.chmod(0o700)
        entry = pwd.getpwnam(self.name)
        self.uid, self.gid = entry.pw_uid, entry.pw_gid

    def remove(self) -> None:
        for _ in range(50):  # a probe's process may still be ending
            if subprocess.run(["userdel", "--remove", self.name], capture_output=True).returncode in (0, 6):
                break
            time.sleep(0.2)
        shutil.rmtree(self.base, ignore_errors=True)

    def env(self, **more: str) -> dict[str, str]:
        return {"HOME": str(self.home), "USER": self.name, "LOGNAME": self.name, "LANG": "C.UTF-8",
                "PATH": f"{HUB_ENV / 'bin'}:/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1", **more}

    def popen(self, argv: list[str], cwd: Path | None = None, env: dict | None = None, **kwargs) -> subprocess.Popen:
        return subprocess.Popen(argv, cwd=cwd or self.home, env=self.env(**(env or {})), user=self.uid,
                                group=self.gid, extra_groups=[], text=True, **kwargs)

    def run(self, argv: list[str], cwd: Path | None = None, env: dict | None = None, timeout: float = 600,
            stdin: str | None = None) -> subprocess.CompletedProcess:
        process = self.popen(argv, cwd, env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = process.communicate(stdin, timeout=timeout)
        return subprocess.CompletedProcess(argv, process.returncode, out, err)

    def give(self, path: Path) -> None:
        """Make `path` and everything under it this account's."""
        for item in (path, *path.rglob("*")):
            os.lchown(item, self.uid, self.gid)

    def probes(self, mode: str, *probes: str, memory_bytes: int | None = None, background: bool = False):
        """Run `probes` at once as this account, `mode` "sandbox" or "plain" (rootless_probe.py): their
        results, or the started helper when `background`."""
        request = {"mode": mode, "probes": list(probes)}
        if memory_bytes:
            request["memory_bytes"] = memory_bytes
        argv = [str(HUB_ENV / "bin" / "python"), str(PROBE)]
        if background:
            helper = self.popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            helper.stdin.write(json.dumps(request))
            helper.stdin.close()
            helper.stdin = None
            return helper
        done = self.run(argv, stdin=json.dumps(request), timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout)


def dnnkit_as(account: Account, course: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """`dnnkit ARGS` from the hub's environment, as `account`, in the course folder."""
    return account.run([str(HUB_ENV / "bin" / "dnnkit"), *args], cwd=course, timeout=timeout,
                       env={"DNNKIT_COURSE_SECRET": os.environ["DNNKIT_COURSE_SECRET"]})
