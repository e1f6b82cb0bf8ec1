"""Load and check the cat / non-cat image data (schema: docs/layout.md#datasets).

``load_data()`` finds the two HDF5 files next to the notebook, else in the nearest ``datasets/`` above it, checks
them and returns the arrays; ``data_note()`` says when they are not the course's photos. Standalone (standard
library, numpy and h5py only): it is shipped next to the notebooks as ``cat_data.py``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import h5py
import numpy as np

SPLITS = ("train", "test")
FILE_NAMES = {"train": "train_catvnoncat.h5", "test": "test_catvnoncat.h5"}
IMAGE_SHAPE = (64, 64, 3)
X_DTYPE = np.dtype(np.uint8)
Y_DTYPE = np.dtype(np.int64)
CLASSES = (b"non-cat", b"cat")
CLASSES_DTYPE = np.dtype("S7")
CLASSES_KEY = "list_classes"

# Root attributes marking files that are not the course's photos ("course" is never written).
ORIGIN_ATTR = "origin"
NOTE_ATTR = "note"
FOLDER_ATTR = "images_folder"
ORIGIN_STANDIN = "stand-in"
ORIGIN_FOLDER = "folder"

STANDIN_SUFFIX = " (stand-in data: synthetic images, not the course's photos)"

_FIX_MISSING = 'run "dnnkit data" in the course folder to build it (or copy the course\'s file there)'
# What a student does when the notebook finds neither file (one line; students have no dnnkit command).
_FIX_NOT_FOUND = ("ask your instructor for the course's data files and put them next to this notebook; "
                  "studying on your own, run \"dnnkit study\" in the dnnkit folder (it brings them, or builds "
                  "a stand-in)")
_FIX_BROKEN = ('replace it with the course\'s file, or run "dnnkit data --force" in the course folder '
               'to rebuild a stand-in')


def x_key(split: str) -> str:
    return f"{_check_split(split)}_set_x"


def y_key(split: str) -> str:
    return f"{_check_split(split)}_set_y"


def _check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    return split


class DatasetError(ValueError):
    """A data file is missing or wrong; the message is one line: the file, the problem, the fix."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).splitlines()))


class FileInfo(NamedTuple):
    """What validate_file found in a good file (origin, note, images_folder: its root attributes, or None)."""
    path: Path
    split: str
    m: int  # number of images
    cats: int  # number of images labelled 1
    origin: str | None
    note: str | None
    images_folder: str | None


def show_path(path: str | os.PathLike) -> str:
    """`path` as given when relative, else relative to the current folder when short (../../x.h5), else absolute."""
    p = Path(path)
    if not p.is_absolute():
        return str(p)
    try:
        rel = os.path.relpath(p)
    except ValueError:  # another drive on Windows
        return str(p)
    return rel if Path(rel).parts.count("..") <= 3 else str(p)


def _attr_str(attrs, name: str) -> str | None:
    value = attrs.get(name)
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, (bytes, np.bytes_)):
        value = value.decode("utf-8", "replace")
    return None if value is None else str(value)


def validate_file(path: str | os.PathLike, split: str, *, display: str | None = None) -> FileInfo:
    """Check one data file against the schema; DatasetError (one line naming the file, `display` or show_path)
    if it is missing, not HDF5 (e.g. truncated) or has a wrong key, dtype, shape, label or class list."""
    _check_split(split)
    path = Path(path)
    name = display or show_path(path)

    def fail(problem: str, fix: str = _FIX_BROKEN):
        raise DatasetError(f"{name}: {problem}; {fix}")

    if not path.exists():
        fail("missing", _FIX_MISSING)
    if not path.is_file():
        fail("not a file", f"remove it and {_FIX_MISSING}")
    try:
        with h5py.File(path, "r") as f:
            for key in (x_key(split), y_key(split), CLASSES_KEY):
                if key not in f or not isinstance(f[key], h5py.Dataset):
                    fail(f'no dataset "{key}" (it has: {", ".join(sorted(f.keys())) or "nothing"}); '
                         f"not a {split} file of the cat/non-cat data")
            dx, dy, dc = f[x_key(split)], f[y_key(split)], f[CLASSES_KEY]
            for ds, want in ((dx, X_DTYPE), (dy, Y_DTYPE), (dc, CLASSES_DTYPE)):
                if ds.dtype != want:
                    fail(f"{ds.name.lstrip('/')} has dtype {ds.dtype.str}, expected {want.str} ({want})")
            if dx.ndim != 4 or dx.shape[1:] != IMAGE_SHAPE:
                fail(f"{x_key(split)} has shape {dx.shape}, expected (m, 64, 64, 3)")
            if dy.ndim != 1:
                fail(f"{y_key(split)} has shape {dy.shape}, expected (m,)")
            if dc.shape != (len(CLASSES),):
                fail(f"{CLASSES_KEY} has shape {dc.shape}, expected (2,)")
            m = dx.shape[0]
            if dy.shape[0] != m:
                fail(f"{x_key(split)} has {m} images but {y_key(split)} has {dy.shape[0]} labels")
            if m == 0:
                fail("it holds no images")
            classes = tuple(bytes(c) for c in dc[()])
            if classes != CLASSES:
                fail(f"{CLASSES_KEY} is {list(classes)}, expected {list(CLASSES)}")
            y = dy[()]
            bad = np.unique(y[(y != 0) & (y != 1)])
            if bad.size:
                shown = ", ".join(str(v) for v in bad[:5]) + (", ..." if bad.size > 5 else "")
                fail(f"{y_key(split)} has labels other than 0 and 1 (found {shown})")
            dx.read_direct(np.empty(dx.shape, X_DTYPE))  # every byte readable (catches truncation)
            attrs = [_attr_str(f.attrs, key) for key in (ORIGIN_ATTR, NOTE_ATTR, FOLDER_ATTR)]
    except DatasetError:
        raise
    except (OSError, RuntimeError, KeyError, ValueError) as err:
        reason = " ".join(str(err).split()) or type(err).__name__
        fail(f"not a readable HDF5 file (truncated or corrupt: {reason})")
    return FileInfo(path, split, int(m), int(y.sum()), *attrs)


def _holds_data(folder: Path) -> bool:
    return any((folder / n).is_file() for n in FILE_NAMES.values())


def find_datasets(start: str | os.PathLike | None = None) -> Path:
    """The folder holding the data files: `start` (default: the current folder) when it holds either file; else,
    walking up, a datasets/ holding either file, else the nearest datasets/, else the one beside the course's
    nbgrader_config.py, else start/datasets."""
    here = Path(start or os.getcwd()).resolve()
    if _holds_data(here):
        return here
    chain = (here, *here.parents)
    for wanted in (_holds_data, Path.is_dir):
        for folder in chain:
            if wanted(folder / "datasets"):
                return folder / "datasets"
    return next((f / "datasets" for f in chain if (f / "nbgrader_config.py").is_file()), here / "datasets")


def load_data(folder: str | os.PathLike | None = None):
    """Load the data after checking both files (DatasetError if one is wrong; `folder` default: find_datasets).

    Returns (train_x_orig uint8 (209, 64, 64, 3), train_y int64 (1, 209), test_x_orig uint8 (50, 64, 64, 3),
    test_y int64 (1, 50), classes |S7 (2,)). Prints one note when the images are not the course's photos."""
    if folder is None:
        folder = find_datasets()
        if not _holds_data(folder):
            raise DatasetError(f"{FILE_NAMES['train']} and {FILE_NAMES['test']}: not found next to this notebook "
                               f"nor in a datasets/ folder above it; {_FIX_NOT_FOUND}")
    paths = [Path(folder) / FILE_NAMES[split] for split in SPLITS]
    for path in paths:
        if not path.exists():
            raise DatasetError(f"{show_path(path)}: missing; {_FIX_NOT_FOUND}")
    infos = [validate_file(path, split) for path, split in zip(paths, SPLITS)]
    arrays = []
    for path, split in zip(paths, SPLITS):
        with h5py.File(path, "r") as f:
            arrays += [np.array(f[x_key(split)][:]), np.array(f[y_key(split)][:]).reshape((1, -1))]
            classes = np.array(f[CLASSES_KEY][:])
    notes = dict.fromkeys(info.note or f"these images are not the course's photos (origin: {info.origin})"
                          for info in infos if info.origin is not None)
    for text in notes:
        print(f"Note: {text}")
    return (*arrays, classes)


def data_note(folder: str | os.PathLike | None = None) -> str:
    """A suffix for messages that show an accuracy: "" for the course's files, STANDIN_SUFFIX for the stand-in,
    " (images from <folder>)" for a set built from a folder of images. Never raises."""
    try:
        folder = Path(folder) if folder is not None else find_datasets()
    except OSError:
        return ""
    for split in SPLITS:
        try:
            with h5py.File(folder / FILE_NAMES[split], "r") as f:
                origin = _attr_str(f.attrs, ORIGIN_ATTR)
                images = _attr_str(f.attrs, FOLDER_ATTR)
        except (OSError, RuntimeError, ValueError):
            continue
        if origin == ORIGIN_STANDIN:
            return STANDIN_SUFFIX
        if origin == ORIGIN_FOLDER:
            return f" (images from {images or 'a folder of images'})"
        if origin is not None:
            return f" (data origin: {origin}, not the course's photos)"
    return ""
