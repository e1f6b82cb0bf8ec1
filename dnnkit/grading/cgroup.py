"""A control group per sandbox: the memory of all its processes together (tmpfs pages included) and their number
are bounded as a whole, with cgroup v2 or v1, whichever root can write; where neither, `available()` says why.
"""
from __future__ import annotations

import contextlib
import functools
import os
import time
import uuid
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PARENT = "dnnkit-sandboxes"


def _writable(folder: Path) -> bool:
    return folder.is_dir() and os.access(folder, os.W_OK)


@functools.lru_cache(maxsize=None)
def _layout() -> tuple[str, list[Path]] | tuple[None, str]:
    """("v2", [parent]) or ("v1", [memory parent, pids parent]), or (None, why not)."""
    if (ROOT / "cgroup.controllers").is_file():  # v2 mounted at the root
        controllers = (ROOT / "cgroup.controllers").read_text().split()
        if "memory" in controllers and _writable(ROOT):
            parent = ROOT / PARENT
            try:
                parent.mkdir(exist_ok=True)
                (ROOT / "cgroup.subtree_control").write_text("+memory +pids")
                (parent / "cgroup.subtree_control").write_text("+memory +pids")
                return "v2", [parent]
            except OSError as err:
                return None, f"cgroup v2 without delegation ({err.strerror})"
        return None, "cgroup v2 without a writable memory controller"
    memory, pids = ROOT / "memory", ROOT / "pids"
    if _writable(memory) and _writable(pids):
        try:
            for folder in (memory, pids):
                (folder / PARENT).mkdir(exist_ok=True)
            return "v1", [memory / PARENT, pids / PARENT]
        except OSError as err:
            return None, f"cgroup v1 not writable ({err.strerror})"
    return None, "no writable memory cgroup (run as root on a machine with cgroups)"


def available() -> str | None:
    """None when sandboxes get a cgroup each, else the reason they do not."""
    kind, detail = _layout()
    return None if kind else detail


class SandboxCgroup:
    """One sandbox's group: `wrap(argv)` starts argv inside it; `remove()` once its processes are gone."""

    def __init__(self, memory_bytes: int, processes: int, owner: str):
        """`owner`: the grading process's token (leftovers.token), which remove_boxes is given once it died."""
        kind, parents = _layout()
        if kind is None:
            raise OSError(parents)
        name = f"box-{owner}-{uuid.uuid4().hex[:12]}"
        self.folders = [parent / name for parent in parents]
        for folder in self.folders:
            folder.mkdir()
        memory, pids, v2 = self.folders[0], self.folders[-1], kind == "v2"  # v2: one folder for both
        (memory / ("memory.max" if v2 else "memory.limit_in_bytes")).write_text(str(memory_bytes))
        swap = memory / ("memory.swap.max" if v2 else "memory.memsw.limit_in_bytes")  # v1: memory and swap together
        if swap.exists():  # no swap
            swap.write_text("0" if v2 else str(memory_bytes))
        (pids / "pids.max").write_text(str(processes))

    def wrap(self, argv: list[str]) -> list[str]:
        """argv run by a shell that first moves itself into the group (its children inherit it)."""
        procs = " ".join(f"'{folder / 'cgroup.procs'}'" for folder in self.folders)
        return ["/bin/sh", "-c", f'for f in {procs}; do echo $$ > "$f" || exit 125; done; exec "$@"', "sh", *argv]

    def remove(self) -> None:
        for folder in self.folders:
            for _ in range(50):  # processes killed a moment ago may still be leaving
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def owned_boxes(owner: str) -> list[Path]:
    """The groups (their folders in every hierarchy) of the grading process `owner`."""
    kind, parents = _layout()
    return [folder for parent in parents for folder in parent.glob(f"box-{owner}-*")] if kind else []


def remove_boxes(owner: str) -> None:
    """Remove the groups a dead grading process `owner` left (their processes died with it)."""
    for folder in owned_boxes(owner):
        with contextlib.suppress(OSError):  # still has a process: left for a later sweep
            folder.rmdir()
