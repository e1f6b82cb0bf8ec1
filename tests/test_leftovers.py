"""What a grader killed outright leaves (scratch folders with hidden cases, cgroups) is removed by the next
grader, and what a live grader holds is not (dnnkit/grading/leftovers.py)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from dnnkit.grading import cgroup, leftovers

# a grading process in miniature: takes its token, makes a scratch folder holding a "hidden case" (and a cgroup
# where the machine has them) as the supervisor does, says so, then waits to be killed
OWNER = textwrap.dedent("""
    import sys, tempfile, time
    from pathlib import Path
    from dnnkit.grading import cgroup, leftovers
    scratch = Path(tempfile.mkdtemp(prefix=leftovers.scratch_prefix(), dir=leftovers.folder()))
    (scratch / "level-0.npz").write_bytes(b"hidden")
    groups = [str(f) for f in cgroup.SandboxCgroup(10**8, 8, leftovers.token()).folders] \\
        if cgroup.available() is None else []
    print(leftovers.token(), scratch, *groups, flush=True)
    time.sleep(600)
""")


@pytest.fixture
def state(tmp_path, monkeypatch) -> Path:
    """This test's own private state folder, for the graders it starts and for itself."""
    monkeypatch.setenv("DNNKIT_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


@pytest.fixture
def owners(state):
    started = []

    def start():
        process = subprocess.Popen([sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True)
        token, scratch, *groups = process.stdout.readline().split()
        started.append(process)
        return process, token, Path(scratch), [Path(g) for g in groups]

    yield start
    for process in started:
        process.kill()
        process.wait()
    leftovers.sweep()


def test_a_dead_graders_leftovers_go_and_a_live_ones_stay(owners):
    dead, dead_token, dead_scratch, dead_groups = owners()
    live, live_token, live_scratch, live_groups = owners()
    dead.send_signal(signal.SIGKILL)
    dead.wait()
    # the kill left them: the hidden case at rest, the lock file, the groups
    assert (dead_scratch / "level-0.npz").read_bytes() == b"hidden"
    assert leftovers.lock_file(dead_token).exists()
    assert all(group.is_dir() for group in dead_groups)

    assert leftovers.sweep() == [dead_token]
    assert not dead_scratch.exists()
    assert not leftovers.lock_file(dead_token).exists()
    assert not any(group.exists() for group in dead_groups)
    assert (live_scratch / "level-0.npz").read_bytes() == b"hidden"  # its owner is alive
    assert all(group.is_dir() for group in live_groups)
    assert live.poll() is None


def test_a_sweep_never_takes_its_own_processs(owners, state):
    scratch = Path(tempfile.mkdtemp(prefix=leftovers.scratch_prefix(), dir=leftovers.folder()))
    assert scratch.parent == state
    assert leftovers.sweep() == []
    assert scratch.is_dir()


@pytest.mark.skipif(cgroup.available() is not None, reason=f"no cgroup here: {cgroup.available()}")
def test_groups_are_named_after_their_owner(owners):
    _, token, _, groups = owners()
    assert groups and all(group.name.startswith(f"box-{token}-") for group in groups)


def test_a_grader_that_exits_normally_leaves_no_lock(state):
    done = subprocess.run([sys.executable, "-c", "from dnnkit.grading import leftovers; print(leftovers.token())"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() and list(state.iterdir()) == []


@pytest.mark.parametrize("planted", ["*", "?" * 12, "[0-9a-f]*", ""])
def test_a_planted_lock_whose_name_is_a_pattern_removes_nothing(owners, planted):
    """An unlocked file named like a lock, its token a glob pattern (it was planted in <tmp> before the state
    folder was private), must not make the sweep take it for a dead grader and remove a live grader's scratch
    folder (hidden cases) or cgroups."""
    _, token, scratch, groups = owners()
    planted_lock = leftovers.lock_file(planted)
    planted_lock.write_text("")
    assert token != planted and planted_lock.name.startswith(leftovers.PREFIX)  # it lands where the sweep looks

    swept = leftovers.sweep()
    assert (scratch / "level-0.npz").is_file(), f"the sweep took {planted!r} for a dead grader's token"
    assert all(group.is_dir() for group in groups)
    assert swept == [] and planted_lock.exists()  # not a grader's lock: neither swept nor removed


def test_the_sweep_follows_no_link_and_takes_only_its_own_accounts_entries(owners, state, tmp_path):
    """In the state folder (anything the grading account's own unsandboxed code could have put there): a dead
    grader's lock that is a link, and scratch "folders" that are links or another account's, are left alone;
    what they point to is untouched."""
    dead, token, scratch, _ = owners()
    dead.send_signal(signal.SIGKILL)
    dead.wait()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep").write_text("not the grader's")
    (state / f"{leftovers.PREFIX}{token}-link").symlink_to(elsewhere)
    foreign = state / f"{leftovers.PREFIX}{token}-foreign"
    foreign.mkdir()
    (foreign / "keep").write_text("another account's")
    os.chown(foreign, 65534, 65534)
    linked_token = "0123456789ab"
    (state / f"{leftovers.PREFIX}{linked_token}.lock").symlink_to(elsewhere / "keep")
    (state / f"{leftovers.PREFIX}{linked_token}-x").mkdir()

    assert leftovers.sweep() == [token]
    assert not scratch.exists()  # the dead grader's own folder went
    assert (elsewhere / "keep").read_text() == "not the grader's"
    assert (foreign / "keep").read_text() == "another account's"
    assert (state / f"{leftovers.PREFIX}{linked_token}-x").is_dir()  # a link is nobody's lock
