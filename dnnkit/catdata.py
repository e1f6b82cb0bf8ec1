"""Load and check the cat / non-cat image data sets.

Two HDF5 files, handed out next to the application notebook (``dnnkit release`` copies them from the
course folder's ``datasets/``):

* ``train_catvnoncat.h5``: ``train_set_x`` uint8 (209, 64, 64, 3), ``train_set_y`` int64 (209,),
  ``list_classes`` bytes ``|S7`` (2,) = [b'non-cat', b'cat'];
* ``test_catvnoncat.h5``: ``test_set_x`` uint8 (50, 64, 64, 3), ``test_set_y`` int64 (50,),
  ``list_classes`` the same.

``load_data()`` looks for them in the current folder (the notebook's own) first, then in the nearest
``datasets/`` folder at or above it (the course's), checks both files and returns the arrays.  Files
that are not the course's own photos (a synthetic stand-in, or images from a folder) carry the HDF5
root attributes ``origin`` and ``note``; ``data_note()`` gives a short suffix saying so for messages
that show an accuracy.

This module is standalone (standard library, numpy and h5py only): it is copied verbatim next to
the notebooks as ``cat_data.py``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import h5py
import numpy as np

# ---------------------------------------------------------------------------------------------
# Schema
# ---------------------------------------------------------------------------------------------
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
    """Name of the images dataset, e.g. "train_set_x"."""
    return f"{_check_split(split)}_set_x"


def y_key(split: str) -> str:
    """Name of the labels dataset, e.g. "train_set_y"."""
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
    """What validate_file found in a good file."""
    path: Path
    split: str
    m: int                   # number of images
    cats: int                # number of images labelled 1
    origin: str | None       # root attribute "origin"; None for the course's files
    note: str | None         # root attribute "note"
    images_folder: str | None  # root attribute "images_folder" (origin "folder" only)


def show_path(path: str | os.PathLike) -> str:
    """`path` as a user would type it: as given when relative, else relative to the current
    folder when that is short (e.g. ../../datasets/x.h5), else absolute."""
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
    if value is None:
        return None
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, (bytes, np.bytes_)):
        value = value.decode("utf-8", "replace")
    return str(value)


def _shape(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def validate_file(path: str | os.PathLike, split: str, *, display: str | None = None) -> FileInfo:
    """Check one data file against the schema; raise DatasetError (one line naming the file) if it
    is missing, not HDF5 (e.g. truncated) or has a wrong key, dtype, shape, label or class list.

    x must be uint8 (m, 64, 64, 3), y int64 (m,) with values 0/1, list_classes |S7 (2,) equal to
    [b'non-cat', b'cat'].  `display` is how to name the file in messages (default: show_path)."""
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
            keys = sorted(f.keys())
            for key in (x_key(split), y_key(split), CLASSES_KEY):
                if key not in f or not isinstance(f[key], h5py.Dataset):
                    fail(f'no dataset "{key}" (it has: {", ".join(keys) or "nothing"}); '
                         f"not a {split} file of the cat/non-cat data")
            dx, dy, dc = f[x_key(split)], f[y_key(split)], f[CLASSES_KEY]
            for ds, want in ((dx, X_DTYPE), (dy, Y_DTYPE), (dc, CLASSES_DTYPE)):
                if ds.dtype != want:
                    fail(f"{ds.name.lstrip('/')} has dtype {ds.dtype.str}, expected {want.str} ({want})")
            if dx.ndim != 4 or dx.shape[1:] != IMAGE_SHAPE:
                fail(f"{x_key(split)} has shape {_shape(dx.shape)}, expected (m, 64, 64, 3)")
            if dy.ndim != 1:
                fail(f"{y_key(split)} has shape {_shape(dy.shape)}, expected (m,)")
            if dc.shape != (len(CLASSES),):
                fail(f"{CLASSES_KEY} has shape {_shape(dc.shape)}, expected (2,)")
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
            origin = _attr_str(f.attrs, ORIGIN_ATTR)
            note = _attr_str(f.attrs, NOTE_ATTR)
            folder = _attr_str(f.attrs, FOLDER_ATTR)
    except DatasetError:
        raise
    except (OSError, RuntimeError, KeyError, ValueError) as err:
        reason = " ".join(str(err).split()) or type(err).__name__
        fail(f"not a readable HDF5 file (truncated or corrupt: {reason})")
    return FileInfo(path, split, int(m), int(y.sum()), origin, note, folder)


def _holds_data(folder: Path) -> bool:
    return any((folder / n).is_file() for n in FILE_NAMES.values())


def find_datasets(start: str | os.PathLike | None = None) -> Path:
    """The folder holding the data files, looked for from `start` (default: the current folder).

    The files come with the notebook, so `start` itself when it holds either file; else, walking up (the
    notebook in release/<assignment>/ or source/<assignment>/, the grader in autograded/<student>/<assignment>/),
    a datasets/ folder holding either file, else the nearest existing datasets/ folder, else the one beside the
    course's nbgrader_config.py, else start/datasets."""
    here = Path(start or os.getcwd()).resolve()
    if _holds_data(here):
        return here
    chain = (here, *here.parents)
    for folder in chain:
        if _holds_data(folder / "datasets"):
            return folder / "datasets"
    for folder in chain:
        if (folder / "datasets").is_dir():
            return folder / "datasets"
    for folder in chain:
        if (folder / "nbgrader_config.py").is_file():
            return folder / "datasets"
    return here / "datasets"


def _folder(folder) -> Path:
    return Path(folder) if folder is not None else find_datasets()


def load_data(folder: str | os.PathLike | None = None):
    """Load the cat / non-cat data, after checking both files (DatasetError if one is wrong).

    `folder` default: next to the notebook, else the course's datasets/ (find_datasets); when neither holds
    the files, the one-line error says what a student does about it.
    Returns (train_x_orig, train_y, test_x_orig, test_y, classes):
    train_x_orig uint8 (209, 64, 64, 3), train_y int64 (1, 209), test_x_orig uint8 (50, 64, 64, 3),
    test_y int64 (1, 50), classes bytes |S7 (2,) = [b'non-cat', b'cat'] (sizes of the course's files).
    Prints one note when the images are not the course's photos."""
    if folder is None:
        folder = find_datasets()
        if not _holds_data(folder):
            raise DatasetError(f"{FILE_NAMES['train']} and {FILE_NAMES['test']}: not found next to this notebook "
                               f"nor in a datasets/ folder above it; {_FIX_NOT_FOUND}")
    folder = Path(folder)
    for split in SPLITS:
        if not (folder / FILE_NAMES[split]).exists():
            raise DatasetError(f"{show_path(folder / FILE_NAMES[split])}: missing; {_FIX_NOT_FOUND}")
    infos = [validate_file(folder / FILE_NAMES[s], s) for s in SPLITS]
    arrays = []
    for split in SPLITS:
        with h5py.File(folder / FILE_NAMES[split], "r") as f:
            x = np.array(f[x_key(split)][:])
            y = np.array(f[y_key(split)][:]).reshape((1, -1))
            classes = np.array(f[CLASSES_KEY][:])
        arrays += [x, y]
    notes = []
    for info in infos:
        if info.origin is not None:
            text = info.note or f"these images are not the course's photos (origin: {info.origin})"
            if text not in notes:
                notes.append(text)
    for text in notes:
        print(f"Note: {text}")
    return arrays[0], arrays[1], arrays[2], arrays[3], classes


def data_note(folder: str | os.PathLike | None = None) -> str:
    """A short suffix for messages that show an accuracy: "" for the course's files,
    " (stand-in data: synthetic images, not the course's photos)" for the stand-in,
    " (images from <folder>)" for a set built from a folder of images.  Never raises."""
    try:
        folder = _folder(folder)
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
