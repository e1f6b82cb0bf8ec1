"""The bubblewrap command line: mount order and what is (not) visible inside."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dnnkit.sandbox import Limits, UidLease, _python_roots, bubblewrap, command, prepare_work_folder


def test_tmp_is_mounted_before_the_python_environment():
    """A Python environment under /tmp (a CI checkout there) must not be hidden by the sandbox's own /tmp."""
    argv = command(["true"], Path("/x/out"), Path("/x/grader"), Path("/x/release"), Limits(), uid=200000)
    tmp_at = next(i for i in range(len(argv) - 1) if argv[i] == "--tmpfs" and argv[i + 1] == "/tmp")
    for root in _python_roots():
        bind_at = next(i for i in range(len(argv) - 2) if argv[i] == "--ro-bind" and argv[i + 2] == str(root))
        assert tmp_at < bind_at, root


@pytest.mark.skipif(bubblewrap() is None, reason="bubblewrap is not installed")
def test_python_runs_inside_and_sees_only_what_it_should(tmp_path):
    grader, release, out = tmp_path / "grader", tmp_path / "release", tmp_path / "out"
    grader.mkdir()
    release.mkdir()
    lease = UidLease()
    try:
        prepare_work_folder(out, lease.uid)
        probe = ("import os, numpy; print(os.getuid(), os.path.exists(%r), os.path.exists('/sandbox/work'), "
                 "os.access('/sandbox/grader', os.W_OK))" % str(tmp_path))
        done = subprocess.run(command([sys.executable, "-c", probe], out, grader, release, Limits(), lease.uid),
                              capture_output=True, text=True, timeout=120)
    finally:
        lease.release()
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(lease.uid), "False", "True", "False"]
