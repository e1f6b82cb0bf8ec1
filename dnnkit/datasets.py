"""Instructor side of the cat / non-cat data: identify files, build a stand-in or a set from a folder of images,
install the course's real files, check a pair before it is handed on (release/, study/). Every writer is atomic:
nothing lands in the output folder unless the whole build succeeded."""
from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import shutil
from pathlib import Path

import h5py
import numpy as np

from .catdata import (CLASSES, CLASSES_DTYPE, CLASSES_KEY, FILE_NAMES, FOLDER_ATTR, IMAGE_SHAPE,
                      NOTE_ATTR, ORIGIN_ATTR, ORIGIN_FOLDER, ORIGIN_STANDIN, SPLITS, X_DTYPE,
                      Y_DTYPE, DatasetError, FileInfo, _attr_str, show_path, validate_file, x_key, y_key)

COURSE_SHA256 = {
    "train_catvnoncat.h5": "fbe56ab67c3ae28d564e3a644189117976d6b31af0a3ce9bb17dbf22908af242",
    "test_catvnoncat.h5": "6a9d39ce52fa85953c5834695b8534a30ed8cfd54971fb2f080b5a24d002b951",
}
# (images, cats) per split, counted once from the course's own train/test files.
COURSE_COUNTS = {"train": (209, 72), "test": (50, 33)}

STANDIN_SEED = 20240601
STANDIN_NOTE = ("These are STAND-IN data: synthetic cat/non-cat images built by \"dnnkit data\", "
                "not the course's photos; costs and accuracies will differ from the ones quoted "
                "in the notebook.")
_counter = itertools.count()
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp")
CLASS_FOLDERS = {"non-cat": 0, "cat": 1}
KIND_WORDS = {"course": "the course's files", "stand-in": "a STAND-IN (synthetic images, not the course's photos)",
              "folder": "built from a folder of images", "unknown": "of unknown origin (not the course's files)"}


def sha256(path: str | os.PathLike) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def short_hash(digest: str) -> str:
    """fbe56ab6…f242"""
    return f"{digest[:8]}…{digest[-4:]}"


def identify(path: str | os.PathLike) -> str:
    """"course" if the file's sha256 is the course's file for its split (by file name), else its `origin` root
    attribute ("stand-in", "folder"), else "unknown" (also for unreadable files)."""
    path = Path(path)
    wanted = [COURSE_SHA256[path.name]] if path.name in COURSE_SHA256 else list(COURSE_SHA256.values())
    try:
        if sha256(path) in wanted:
            return "course"
        with h5py.File(path, "r") as f:
            origin = _attr_str(f.attrs, ORIGIN_ATTR)
    except (OSError, RuntimeError, ValueError):
        return "unknown"
    # "course" is only ever established by the hash, never by an attribute.
    return origin if origin and origin != "course" else "unknown"


@contextlib.contextmanager
def _placed(folder: Path, names):
    """Yields {name: a hidden temporary path in `folder`} to write; on success each is renamed to folder/name
    (made with the usual permissions), on failure none is; no temporary is left."""
    folder.mkdir(parents=True, exist_ok=True)
    temps = {name: folder / f".{name}.{os.getpid()}.{next(_counter)}.tmp" for name in names}
    try:
        yield temps
        for name, tmp in temps.items():
            os.replace(tmp, folder / name)
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)


def _write_pair(out_folder, data: dict[str, tuple[np.ndarray, np.ndarray]],
                attrs: dict[str, str]) -> tuple[Path, Path]:
    """Write both files, byte-reproducible (no timestamps, fixed order), into out_folder at once."""
    out = Path(out_folder)
    with _placed(out, FILE_NAMES.values()) as temps:
        for split in SPLITS:
            x, y = data[split]
            with h5py.File(temps[FILE_NAMES[split]], "w", libver="earliest") as f:
                f.create_dataset(CLASSES_KEY, data=np.array(CLASSES, dtype=CLASSES_DTYPE), track_times=False)
                f.create_dataset(x_key(split), data=np.ascontiguousarray(x, dtype=X_DTYPE), track_times=False)
                f.create_dataset(y_key(split), data=np.ascontiguousarray(y, dtype=Y_DTYPE), track_times=False)
                for key, value in attrs.items():
                    f.attrs[key] = value
    return out / FILE_NAMES["train"], out / FILE_NAMES["test"]


_YY, _XX = np.mgrid[0:64, 0:64].astype(np.float64)


def _triangle(p0, p1, p2) -> np.ndarray:
    """Mask of the 64x64 pixels inside the triangle p0 p1 p2 ((x, y) points)."""
    def side(a, b):
        return (_XX - b[0]) * (a[1] - b[1]) - (a[0] - b[0]) * (_YY - b[1])
    d1, d2, d3 = side(p0, p1), side(p1, p2), side(p2, p0)
    neg = (d1 < 0) | (d2 < 0) | (d3 < 0)
    pos = (d1 > 0) | (d2 > 0) | (d3 > 0)
    return ~(neg & pos)


def _ellipse(cx, cy, rx, ry) -> np.ndarray:
    return ((_XX - cx) / rx) ** 2 + ((_YY - cy) / ry) ** 2 <= 1.0


def _standin_image(rng: np.random.RandomState, cat: bool) -> np.ndarray:
    """One synthetic 64x64x3 uint8 image: a noisy background with clutter, and a warm round head with pointed ears
    and dark eyes (cat) or a cooler ball, box or band (non-cat). Only arithmetic and uniform draws from the legacy
    RandomState, so the bytes are the same on every platform and numpy."""
    u = rng.uniform
    base = u(15, 175, size=3)
    img = base + u(-50, 50) * (_YY / 63.0 - 0.5)[..., None] + u(-28, 28, size=(64, 64, 3))
    for _ in range(rng.randint(0, 3)):  # clutter shared by both classes
        x0, y0 = rng.randint(0, 56, size=2)
        w, h = rng.randint(4, 20, size=2)
        img[y0:y0 + h, x0:x0 + w] = u(0, 255, size=3)
    if cat:
        cx, cy, r = 32 + u(-9, 9), 36 + u(-7, 7), u(10, 17)
        fur = np.array([u(170, 250), u(90, 170), u(20, 90)]) * u(0.6, 1.0)
        ry = r * u(0.8, 0.95)
        for sign in (-1, 1):
            ear = _triangle((cx + sign * r * 0.95, cy - ry * 0.2), (cx + sign * r * 0.15, cy - ry * 0.75),
                            (cx + sign * r * u(0.6, 0.85), cy - ry * u(1.45, 1.8)))
            img[ear] = fur * 0.9
        img[_ellipse(cx, cy, r, ry)] = fur
        for sign in (-1, 1):
            img[_ellipse(cx + sign * r * 0.38, cy - ry * 0.15, r * 0.13, r * 0.16)] = (20, 25, 10)
    else:
        colour = np.array([u(20, 150), u(40, 200), u(90, 250)])
        kind = rng.randint(0, 3)
        if kind == 0:  # ball
            cx, cy, r = u(12, 52), u(12, 52), u(7, 17)
            img[_ellipse(cx, cy, r, r)] = colour
        elif kind == 1:  # box
            x0, y0 = rng.randint(0, 40, size=2)
            w, h = rng.randint(14, 30, size=2)
            img[y0:y0 + h, x0:x0 + w] = colour
        else:  # band (horizon, shelf, road)
            y0 = rng.randint(5, 50)
            img[y0:y0 + rng.randint(6, 16)] = colour
    img += u(-12, 12, size=(64, 64, 3))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def standin_arrays(seed: int = STANDIN_SEED) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{"train": (x uint8 (209, 64, 64, 3), y int64 (209,)), "test": (x (50, 64, 64, 3), y (50,))}, with the
    course's class counts (72 and 33 cats) in a seeded random order."""
    rng = np.random.RandomState(seed)
    data = {}
    for split in SPLITS:
        m, cats = COURSE_COUNTS[split]
        y = np.zeros(m, dtype=Y_DTYPE)
        y[:cats] = 1
        y = y[rng.permutation(m)]
        data[split] = (np.stack([_standin_image(rng, bool(label)) for label in y]), y)
    return data


def build_standin(folder: str | os.PathLike) -> tuple[Path, Path]:
    """Write the deterministic stand-in pair (origin "stand-in") into `folder`, replacing any files there;
    returns (train_path, test_path)."""
    return _write_pair(folder, standin_arrays(), {ORIGIN_ATTR: ORIGIN_STANDIN, NOTE_ATTR: STANDIN_NOTE})


def load_image(path: str | os.PathLike, display: str | None = None) -> np.ndarray:
    """An image file as uint8 (64, 64, 3): RGB (transparency over white), centre-cropped to a square and resized
    with Lanczos. DatasetError naming the file if Pillow cannot read it."""
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as im:
            im.load()
            im = ImageOps.exif_transpose(im)
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                rgba = im.convert("RGBA")
                im = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                im.alpha_composite(rgba)
            im = im.convert("RGB")
            w, h = im.size
            s = min(w, h)
            if s == 0:
                raise ValueError("empty image")
            left, top = (w - s) // 2, (h - s) // 2
            im = im.crop((left, top, left + s, top + s)).resize(IMAGE_SHAPE[:2], Image.Resampling.LANCZOS)
            arr = np.asarray(im, dtype=np.uint8)
    except Exception as err:  # Pillow raises many types (OSError, SyntaxError, DecompressionBombError...)
        reason = " ".join(str(err).split()) or type(err).__name__
        raise DatasetError(f"{display or show_path(path)}: not a readable image ({reason}); "
                           "remove it or replace it with a PNG or JPEG file") from None
    return arr.reshape(IMAGE_SHAPE).copy()


def build_from_folder(images_dir: str | os.PathLike, out_folder: str | os.PathLike,
                      test_fraction: float = 0.2, seed: int = 0) -> tuple[Path, Path]:
    """Build the pair (origin "folder") from the images in images_dir/cat/ and images_dir/non-cat/; returns
    (train_path, test_path). Each class is split on its own (files sorted by name, then a permutation seeded with
    `seed`): round(n * test_fraction) images, at least 1 and at most n - 1, go to the test file. Writes nothing
    unless every image loads."""
    images_dir = Path(images_dir)
    if not 0.0 < test_fraction < 1.0:
        raise DatasetError(f"test fraction {test_fraction}: must be between 0 and 1 (e.g. 0.2)")
    if not images_dir.is_dir():
        raise DatasetError(f"{images_dir}: no such folder; give a folder holding cat/ and non-cat/ "
                           "subfolders of images")
    rng = np.random.RandomState(seed)
    parts: dict[str, list[tuple[np.ndarray, int]]] = {"train": [], "test": []}
    for cls, label in CLASS_FOLDERS.items():
        sub = images_dir / cls
        if not sub.is_dir():
            raise DatasetError(f"{sub}: missing class folder; put the cat images in {images_dir / 'cat'} "
                               f"and the others in {images_dir / 'non-cat'}")
        files = sorted((p for p in sub.iterdir() if p.is_file() and not p.name.startswith(".")
                        and p.suffix.lower() in IMAGE_SUFFIXES), key=lambda p: p.name)
        n = len(files)
        if n < 2:
            raise DatasetError(f"{sub}: {n} image(s) found, need at least 2 (1 for training, 1 for "
                               f"testing); add {', '.join(IMAGE_SUFFIXES)} files")
        n_test = min(max(int(round(n * test_fraction)), 1), n - 1)
        test_idx = set(rng.permutation(n)[:n_test].tolist())
        for i, file in enumerate(files):
            parts["test" if i in test_idx else "train"].append((load_image(file, str(file)), label))
    data = {}
    for split in SPLITS:
        items = [parts[split][i] for i in rng.permutation(len(parts[split]))]
        data[split] = (np.stack([x for x, _ in items]), np.array([y for _, y in items], dtype=Y_DTYPE))
    note = (f"These images were built by \"dnnkit data --from-folder\" from the images in {images_dir}, "
            "not the course's photos; costs and accuracies will differ from the ones quoted in the notebook.")
    return _write_pair(out_folder, data, {ORIGIN_ATTR: ORIGIN_FOLDER, NOTE_ATTR: note,
                                          FOLDER_ATTR: str(images_dir)})


def install_course_files(src_folder: str | os.PathLike, out_folder: str | os.PathLike) -> tuple[Path, Path]:
    """Copy the course's two files from src_folder into out_folder after checking both sha256 (DatasetError
    naming the file otherwise; nothing is copied then). Returns (train, test)."""
    src, out = Path(src_folder), Path(out_folder)
    for name, digest in COURSE_SHA256.items():
        path = src / name
        if not path.is_file():
            raise DatasetError(f"{path}: missing; give the folder holding the course's "
                               f"{FILE_NAMES['train']} and {FILE_NAMES['test']}")
        got = sha256(path)
        if got != digest:
            raise DatasetError(f"{path}: sha256 {short_hash(got)} is not the course's file "
                               f"({short_hash(digest)}); copy the original {name} from the course materials")
    with _placed(out, COURSE_SHA256) as temps:
        for name, tmp in temps.items():
            shutil.copyfile(src / name, tmp)
            if sha256(tmp) != COURSE_SHA256[name]:
                raise DatasetError(f"{src / name}: changed while being copied; run the command again")
    return out / FILE_NAMES["train"], out / FILE_NAMES["test"]


def verified_pair(folder: Path, display: str) -> dict[str, FileInfo]:
    """{split: FileInfo} once both files in `folder` (named `display`/ in messages) are checked against the schema
    and come from one source; DatasetError (one line naming the file and the fix) otherwise."""
    infos = {split: validate_file(folder / FILE_NAMES[split], split, display=f"{display}/{FILE_NAMES[split]}")
             for split in SPLITS}
    kinds = {split: identify(info.path) for split, info in infos.items()}
    if kinds["train"] != kinds["test"]:
        raise DatasetError(f"{display}/: {FILE_NAMES['train']} is {kinds['train']!r} but {FILE_NAMES['test']} is "
                           f"{kinds['test']!r}; both must come from the same source: run \"dnnkit data --force\" "
                           "for a stand-in pair or \"dnnkit data --course-files DIR\" for the course's files")
    return infos


def checked_pair(folder: str | os.PathLike, display: str = "datasets") -> tuple[Path, Path] | None:
    """(train, test) in `folder` once verified_pair checked them; None when neither is there. DatasetError for a
    lone, broken or mismatched file. `display` names the folder in messages."""
    folder = Path(folder)
    present = [split for split in SPLITS if (folder / FILE_NAMES[split]).exists()]
    if not present:
        return None
    if len(present) == 1:
        lone, other = present[0], next(s for s in SPLITS if s != present[0])
        raise DatasetError(f"{display}/{FILE_NAMES[other]}: missing while {FILE_NAMES[lone]} is present; copy the "
                           "course's file there (\"dnnkit data --course-files DIR\"), or run \"dnnkit data --force\" "
                           "to build a stand-in pair")
    verified_pair(folder, display)
    return folder / FILE_NAMES["train"], folder / FILE_NAMES["test"]


def pair_kind(train: str | os.PathLike) -> str:
    """What a checked pair is, in words (from its train file)."""
    return KIND_WORDS.get(identify(train), KIND_WORDS["unknown"])


def copy_replacing(source: str | os.PathLike, target: str | os.PathLike) -> None:
    """Copy `source` to `target` through a temporary name: `target` is the old file or the whole new one."""
    target = Path(target)
    with _placed(target.parent, [target.name]) as temps:
        shutil.copyfile(source, temps[target.name])
