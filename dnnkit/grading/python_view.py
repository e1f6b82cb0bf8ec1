"""The Python environment as a sandbox sees it: a view of the grader's interpreter, standard library and virtual
environment in which no file names a host path, mounted read-only at neutral paths (PYTHON, PYTHON_BASE); built
once per state of the environment. What it holds, leaves out and cannot rewrite (binaries), and where views are
kept: docs/sandbox.md, "The Python view".
"""
from __future__ import annotations

import contextlib
import fcntl
import fnmatch
import functools
import hashlib
import importlib.util
import marshal
import os
import re
import shutil
import stat
import struct
import sys
import sysconfig
import threading
import types
import warnings
from dataclasses import dataclass
from pathlib import Path

from .. import DnnkitError
from . import private

VIEWS = Path("/var/cache/dnnkit/python-views")  # writable by root alone: a planted view would run as student code
PYTHON = "/sandbox/python"  # the virtual environment (or the interpreter, without one)
PYTHON_BASE = "/sandbox/python-base"  # the base interpreter of a virtual environment
FORMAT = "3"  # part of every fingerprint: a change to what a view holds makes new views
LEFT_OUT_FILES = ("__editable__*", "*.pth", "*.egg-link", "direct_url.json")
LEFT_OUT_STDLIB = ("test", "config-*")  # the stdlib's test suite and build configuration (Makefile, ...)
NAME_CHARS = rb"[\w.+@~-]"  # a path followed by one of these is another name, not this path


@dataclass(frozen=True)
class Tree:
    """One folder of the environment: where it is on the host and where the view shows it."""
    host: Path
    view: Path  # relative to the view's folder
    inside: str  # its path inside the sandbox
    left_out: tuple[str, ...] = ()  # names of sub-folders not shown


@dataclass(frozen=True)
class View:
    """A built view: bubblewrap arguments mounting it, the interpreter's path and environment inside."""
    mounts: tuple[str, ...]
    executable: str
    env: tuple[tuple[str, str], ...]


def _is_system(path: Path) -> bool:
    return path.is_relative_to("/usr")


class Layout:
    """What a view of this interpreter holds and where."""

    def __init__(self):
        self.version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        self.base, self.prefix = Path(sys.base_prefix), Path(sys.prefix)
        self.venv = self.prefix != self.base
        self.base_shown = not _is_system(self.base)  # a system interpreter is the system's, like /usr/lib
        base_inside = PYTHON_BASE if self.venv else PYTHON
        self.base_inside = base_inside if self.base_shown else str(self.base)
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        self.trees: list[Tree] = []
        if self.base_shown:
            skipped = LEFT_OUT_STDLIB + (("site-packages",) if self.venv else ())
            self.trees.append(Tree(stdlib, Path("base") / stdlib.relative_to(self.base),
                                   f"{base_inside}/{stdlib.relative_to(self.base)}", skipped))
        if self.venv:
            for key in ("purelib", "platlib"):
                site = Path(sysconfig.get_paths()[key])
                if not any(tree.host.resolve() == site.resolve() for tree in self.trees):
                    self.trees.append(Tree(site, Path("venv") / site.relative_to(self.prefix),
                                           f"{PYTHON}/{site.relative_to(self.prefix)}"))
        # host folders and what they become inside; longest first, so that the most specific one is used
        pairs = {}
        for host, inside in ((self.base, self.base_inside), (self.prefix, PYTHON if self.venv else self.base_inside)):
            if not _is_system(host):
                pairs[str(host)] = pairs[os.path.realpath(host)] = inside
        self.renames = sorted(((h.encode(), i.encode()) for h, i in pairs.items()), key=lambda p: -len(p[0]))

    def binaries(self) -> list[tuple[Path, Path]]:
        """(host file, place in the view) of the base interpreter's program and its shared libpython."""
        if not self.base_shown:
            return []
        libraries = sorted((self.base / "lib").glob("libpython*.so*"))
        return [(Path(os.path.realpath(sys._base_executable)), Path("base/bin") / self.version),
                *((library, Path("base/lib") / library.name) for library in libraries)]

    def fingerprint(self) -> str:
        """Changes whenever a file is added to, removed from or renamed in the environment (pip does all three)."""
        digest = hashlib.sha256(f"{FORMAT}\n{sys.version}\n{self.base}\n{self.prefix}\n".encode())
        for host, _ in self.binaries():
            info = host.stat()
            digest.update(f"{host} {info.st_mtime_ns} {info.st_size}\n".encode())
        for tree in self.trees:
            for folder, subfolders, _ in _walk(tree):
                digest.update(f"{folder} {os.stat(folder).st_mtime_ns}\n".encode())
        return digest.hexdigest()[:16]

    def identity(self) -> str:
        return hashlib.sha256(f"{self.base}\n{self.prefix}\n{sys.version}".encode()).hexdigest()[:12]


def _walk(tree: Tree):
    """os.walk of a tree without __pycache__ and the left-out folders (top level), symlinks not followed."""
    for folder, subfolders, files in os.walk(tree.host):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__" and not (
            folder == str(tree.host) and any(fnmatch.fnmatch(name, pattern) for pattern in tree.left_out)))
        yield folder, subfolders, files


def _rename(data: bytes, renames) -> bytes | None:
    """Text `data` with every host path replaced by its path inside, or None if it names none or is binary (a
    binary's strings cannot be changed in place safely: docs/sandbox.md)."""
    hits = [(host, inside) for host, inside in renames if host in data]
    if not hits or b"\0" in data:
        return None
    for host, inside in hits:
        data = re.sub(re.escape(host) + rb"(?!" + NAME_CHARS + rb")", inside.replace(b"\\", b"\\\\"), data)
    return data


def _place(source: Path, target: Path, renames) -> None:
    """Put one file into the view: a hard link (a copy across file systems), or a rewritten copy of a text
    file that names a host path."""
    with open(source, "rb") as handle:
        head = handle.read(8192)
        changed = None if b"\0" in head else _rename(head + handle.read(), renames)  # binaries: not read on
    if changed is None:
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)
        return
    target.write_bytes(changed)
    shutil.copystat(source, target)


def _with_filename(code: types.CodeType, filename: str) -> types.CodeType:
    consts = tuple(_with_filename(c, filename) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def _write_pyc(source: Path, view_file: Path, inside: str) -> None:
    """Write the .pyc of `view_file` for its path inside the sandbox: the host's .pyc of `source` with its file name
    replaced where that .pyc is current, else compiled; none for a file that does not compile."""
    info = view_file.stat()
    header = importlib.util.MAGIC_NUMBER + struct.pack("<III", 0, int(info.st_mtime) & 0xFFFFFFFF,
                                                       info.st_size & 0xFFFFFFFF)
    code = None
    with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
        cached = Path(importlib.util.cache_from_source(str(source))).read_bytes()
        if cached[:16] == header and source.stat().st_size == info.st_size:
            code = marshal.loads(memoryview(cached)[16:])
    try:
        if code is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                code = compile(view_file.read_bytes(), inside, "exec", dont_inherit=True)
        data = header + marshal.dumps(_with_filename(code, inside))
    except (SyntaxError, ValueError, RecursionError):
        return
    cache = view_file.parent / "__pycache__"  # in the view, whatever sys.pycache_prefix says on the host
    cache.mkdir(mode=0o755, exist_ok=True)
    pyc = cache / Path(importlib.util.cache_from_source(view_file.name)).name
    pyc.write_bytes(data)
    pyc.chmod(0o644)


def _copy_tree(tree: Tree, root: Path, renames) -> None:
    for folder, subfolders, files in _walk(tree):
        relative = Path(folder).relative_to(tree.host)
        target = root / tree.view / relative
        target.mkdir(mode=0o755, parents=True, exist_ok=True)
        target.chmod(0o755)
        for name in subfolders + sorted(files):
            source = Path(folder) / name
            if name in files and any(fnmatch.fnmatch(name, pattern) for pattern in LEFT_OUT_FILES):
                continue
            if source.is_symlink():
                pointed = os.readlink(source)
                inside = (Path(folder) / pointed).resolve()
                if not os.path.isabs(pointed) and inside.is_relative_to(tree.host):
                    (target / name).symlink_to(pointed)
                    continue
                if not inside.is_file():
                    continue
                source = inside
            if name in files and source.is_file():
                _place(source, target / name, renames)
                if name.endswith(".py"):
                    _write_pyc(source, target / name,
                               f"{tree.inside}/{(relative / name).as_posix()}".replace("/./", "/"))


def _build(layout: Layout, root: Path) -> None:
    root.mkdir(mode=0o755)
    for tree in layout.trees:
        _copy_tree(tree, root, layout.renames)
    for host, place in layout.binaries():
        (root / place).parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        _place(host, root / place, layout.renames)
    if layout.venv:
        (root / "venv/bin").mkdir(mode=0o755, parents=True, exist_ok=True)
        base_bin = f"{PYTHON_BASE}/bin" if layout.base_shown else str(Path(sys._base_executable).parent)
        (root / "venv/bin/python").symlink_to(f"{base_bin}/{layout.version}" if layout.base_shown
                                              else sys._base_executable)
        (root / "venv/pyvenv.cfg").write_text(f"home = {base_bin}\ninclude-system-site-packages = false\n"
                                              f"version = {sys.version.split()[0]}\n")
    for folder in ("base", "venv"):
        if (root / folder).is_dir():
            (root / folder).chmod(0o755)
    (root / "source").write_text(f"{sys.prefix}\n")  # which environment it shows (for the clean-up)
    (root / "lock").touch()


def views_folder() -> Path:
    """Where views are kept: VIEWS as root; without root, a folder of the account's private cache."""
    return VIEWS if os.geteuid() == 0 else private.cache_folder() / "python-views"


def _own_folder(path: Path) -> None:
    """Create `path` (and its parents) owned by root or this account and writable by its owner alone, or refuse
    one that is not (checked after creating, so a folder another account made first is refused too)."""
    for folder in reversed([path, *path.parents]):
        if not folder.exists() and not folder.is_symlink():
            try:
                folder.mkdir(mode=0o755)
            except FileExistsError:
                pass
            except OSError as err:
                raise DnnkitError(f"{folder}: cannot be made ({err.strerror}); the sandbox's Python views are kept "
                                  f"there: grade as root, or set {private.ENV} to a folder this account owns"
                                  ) from None
        info = folder.lstat()
        # a sticky folder (/tmp) above it is fine: no other account can move what root made in it
        shared = info.st_mode & 0o022 and not (folder != path and info.st_mode & stat.S_ISVTX)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid not in (0, os.geteuid()) or shared:
            what = ("a link" if stat.S_ISLNK(info.st_mode) else "not a folder" if not stat.S_ISDIR(info.st_mode)
                    else f"owned by uid {info.st_uid} with mode {stat.filemode(info.st_mode)}")
            raise DnnkitError(f"{folder}: the sandbox's Python views must be in folders only root can write "
                              f"(or, grading without root, only root and this account; this one is {what}); "
                              "remove it and grade again")


def _held(view: Path) -> bool:
    """Whether a grader holds `view` (its shared lock), without waiting."""
    try:
        handle = open(view / "lock", "rb")
    except OSError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        return False


def _clean(views: Path, current: Path, identity: str) -> None:
    """Remove failed builds, this environment's older views and views of environments that are gone, when no
    grader holds them."""
    for folder in views.iterdir():
        if folder == current or folder.is_symlink() or not folder.is_dir():
            continue
        if folder.name.startswith(".build-"):
            shutil.rmtree(folder, ignore_errors=True)
            continue
        source = folder / "source"
        gone = source.is_file() and not Path(source.read_text().strip()).exists()
        if (folder.name.startswith(identity + "-") or gone) and not _held(folder):
            shutil.rmtree(folder, ignore_errors=True)


_building = threading.Lock()


@functools.lru_cache(maxsize=None)
def _current_folder() -> tuple[Path, Layout]:
    layout = Layout()
    views = views_folder()
    _own_folder(views)
    name = f"{layout.identity()}-{layout.fingerprint()}"
    view = views / name
    with open(views / ".build.lock", "a") as build_lock:
        fcntl.flock(build_lock, fcntl.LOCK_EX)
        if not (view / "lock").is_file():
            shutil.rmtree(view, ignore_errors=True)
            scratch = views / f".build-{name}-{os.getpid()}"
            shutil.rmtree(scratch, ignore_errors=True)
            _build(layout, scratch)
            os.rename(scratch, view)
        holder = open(view / "lock", "rb")  # held for this process's lifetime: the view is in use
        fcntl.flock(holder, fcntl.LOCK_SH)
        _HOLDERS.append(holder)
        _clean(views, view, layout.identity())
    return view, layout


_HOLDERS: list = []


def current() -> View:
    """This interpreter's view (built first if the environment changed), held by this process."""
    layout = Layout()
    if not layout.trees and not layout.venv:  # a system interpreter without a virtual environment
        return View((), sys.executable, ())
    with _building:
        folder, layout = _current_folder()
    mounts = ["--perms", "0755", "--dir", "/sandbox"]
    env: tuple[tuple[str, str], ...] = ()
    if layout.venv:
        mounts += ["--ro-bind", str(folder / "venv"), PYTHON]
    if layout.base_shown:
        mounts += ["--ro-bind", str(folder / "base"), layout.base_inside]
        if any(place.parent == Path("base/lib") for _, place in layout.binaries()):
            env = (("LD_LIBRARY_PATH", f"{layout.base_inside}/lib"),)  # the binaries' RUNPATH is the host's
    return View(tuple(mounts), f"{PYTHON}/bin/{'python' if layout.venv else layout.version}", env)
