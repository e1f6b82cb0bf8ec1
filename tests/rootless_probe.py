"""Run probes (Python code) the way `dnnkit grade` runs student code, as the account that starts this script:
`sandbox` in the grader's sandbox (without root: a user namespace of its own), `plain` with the same rlimits and
no sandbox (the bare account, for the attack's "landed" half). All probes of one call run at the same time.

stdin: {"mode": ..., "probes": [code, ...], "memory_bytes": N (optional)}; stdout: one JSON list of
{"returncode", "stdout", "stderr"}. Started by tests/test_rootless.py with the hub environment's Python."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from dnnkit.grading.sandbox import Limits, command, lease
from dnnkit.grading.syscalls import open_filter


def start(code: str, mode: str, limits: Limits, scratch: Path) -> subprocess.Popen:
    argv = ["python", "-E", "-s", "-c", code]
    if mode == "plain":
        plain = ["prlimit", f"--as={limits.memory_bytes}", f"--nproc={limits.processes}", "--", sys.executable,
                 *argv[1:]]
        return subprocess.Popen(plain, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True, cwd=scratch)
    (scratch / "grader").mkdir()
    (scratch / "release").mkdir()
    seccomp_fd = open_filter()
    try:
        full = command(argv, scratch / "grader", scratch / "release", limits, lease().uid, seccomp_fd)
        return subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True, pass_fds=(seccomp_fd,))
    finally:
        os.close(seccomp_fd)


def main() -> None:
    request = json.load(sys.stdin)
    limits = Limits(memory_bytes=request.get("memory_bytes", Limits.memory_bytes), work_bytes=256 * 1024**2)
    with tempfile.TemporaryDirectory() as scratch:
        running = []
        for n, code in enumerate(request["probes"]):
            folder = Path(scratch) / str(n)
            folder.mkdir()
            running.append(start(code, request["mode"], limits, folder))
        results = []
        for process in running:
            out, err = process.communicate(timeout=120)
            results.append({"returncode": process.returncode, "stdout": out, "stderr": err[-3000:]})
            try:
                os.killpg(process.pid, signal.SIGKILL)  # what a probe left running (a fork bomb's children)
            except ProcessLookupError:
                pass
    print(json.dumps(results))


if __name__ == "__main__":
    main()
