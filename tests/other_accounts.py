"""Test steps run as other local accounts (setpriv; the user ids need no account): an attacker, and an
unprivileged grading account; and a stand-in for /tmp that all of them can write."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

ATTACKER = 61234  # another student's shell on the grading host
COURSE_ACCOUNT = 61235  # an unprivileged grading account (the course's)


@contextlib.contextmanager
def shared_folder():
    """A stand-in for /tmp: sticky, every account can write it; with a home for each of the two other uids."""
    folder = Path(tempfile.mkdtemp(prefix="dnnkit-test-shared-", dir="/tmp"))
    folder.chmod(0o1777)
    for uid in (ATTACKER, COURSE_ACCOUNT):
        home = folder / f"home-{uid}"
        home.mkdir(mode=0o700)
        os.chown(home, uid, uid)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def as_user(uid: int, shared: Path, argv: list[str], env: dict | None = None, **popen) -> subprocess.Popen:
    """Start `argv` as `uid` (its own group, no others), its home and temporary folder in `shared`."""
    base = {"PATH": os.environ["PATH"], "HOME": str(shared / f"home-{uid}"), "TMPDIR": str(shared),
            "OPENBLAS_NUM_THREADS": "1", "LANG": "C.UTF-8"}
    return subprocess.Popen(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *argv],
                            env={**base, **(env or {})}, text=True, **popen)


def attack(shared: Path, script: str, *args: str) -> subprocess.CompletedProcess:
    """Run the attack `script` (Python) as the attacker to its end."""
    process = as_user(ATTACKER, shared, [sys.executable, "-c", textwrap.dedent(script), *args],
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


class Background:
    """An attack script left running as the attacker; its output lines collected as they come."""

    def __init__(self, shared: Path, script: str, *args: str):
        self.process = as_user(ATTACKER, shared, [sys.executable, "-c", textwrap.dedent(script), *args],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True).start()

    def wait_for(self, start: str, seconds: float = 60) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = [line for line in self.lines if line.startswith(start)]
            if found:
                return found[0].strip()
            if self.process.poll() is not None and not found:
                time.sleep(0.2)
                found = [line for line in self.lines if line.startswith(start)]
                if found:
                    return found[0].strip()
                raise AssertionError(f"the attack script ended without {start!r}: {''.join(self.lines)[-2000:]}")
            time.sleep(0.05)
        raise AssertionError(f"no {start!r} from the attack script in {seconds} s: {''.join(self.lines)[-2000:]}")

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        time.sleep(0.1)
        return "".join(self.lines)
