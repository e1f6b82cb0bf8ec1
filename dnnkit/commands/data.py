"""`dnnkit data`: verify the cat/non-cat HDF5 files in <course>/datasets/, or build them.

    dnnkit data                         build the stand-in if both files are absent, then verify
    dnnkit data --check                 verify only (never builds)
    dnnkit data --force                 rebuild the stand-in over existing files
    dnnkit data --course-files DIR      install the course's real files from DIR (sha256 checked)
    dnnkit data --from-folder DIR [--test-fraction F] [--seed N] [--force]
                                        build from DIR/cat/ and DIR/non-cat/ images
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .. import DnnkitError
from ..catdata import FILE_NAMES, SPLITS, DatasetError, validate_file
from ..course import Course
from ..datasets import (build_from_folder, build_standin, identify, install_course_files,
                        sha256, short_hash)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="only verify the two files; never build anything")
    mode.add_argument("--course-files", metavar="DIR",
                      help="install the course's real train/test files from DIR (their sha256 is checked)")
    mode.add_argument("--from-folder", metavar="DIR",
                      help="build the files from images in DIR/cat/ and DIR/non-cat/")
    parser.add_argument("--force", action="store_true",
                        help="rebuild the stand-in (or the --from-folder set) over existing files")
    parser.add_argument("--test-fraction", type=float, metavar="F",
                        help="with --from-folder: share of each class put in the test file (default 0.2)")
    parser.add_argument("--seed", type=int, metavar="N",
                        help="with --from-folder: seed of the train/test split (default 0)")


_KINDS = {"course": "the course's file", "stand-in": "a stand-in", "folder": "built from a folder",
          "unknown": "unknown origin"}


def _rel(path: Path, root: Path) -> str:
    """`path` relative to the course root when inside it (e.g. datasets/train_catvnoncat.h5)."""
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _describe(path: Path, info) -> str:
    kind = identify(path)
    if kind == "course":
        return f"the course's file (sha256 {short_hash(sha256(path))})"
    if kind == "stand-in":
        return "STAND-IN synthetic images, not the course's photos"
    if kind == "folder":
        return f"built from images in {info.images_folder or 'a folder'}"
    return (f"unknown origin (sha256 {short_hash(sha256(path))}: not the course's file, "
            "not built by dnnkit)")


def _verify(root: Path, folder: Path) -> list[str]:
    """One 'ok' line per file; DnnkitError for a missing or broken file or a mismatched pair."""
    lines, kinds = [], {}
    for split in SPLITS:
        path = folder / FILE_NAMES[split]
        name = _rel(path, root)
        try:
            info = validate_file(path, split, display=name)
        except DatasetError as err:
            raise DnnkitError(str(err)) from None
        kinds[split] = identify(path)
        lines.append(f"{name}: ok — {_describe(path, info)}")
    if kinds["train"] != kinds["test"]:
        raise DnnkitError(
            f"{_rel(folder, root)}/: {FILE_NAMES['train']} is {kinds['train']!r} but {FILE_NAMES['test']} "
            f"is {kinds['test']!r}; both must come from the same source: run \"dnnkit data --force\" "
            "for a stand-in pair or \"dnnkit data --course-files DIR\" for the course's files")
    return lines


def run(args: argparse.Namespace) -> int:
    course = Course()
    root, folder = course.root, course.datasets
    present = {s: (folder / FILE_NAMES[s]).exists() for s in SPLITS}
    if args.from_folder is None and (args.test_fraction is not None or args.seed is not None):
        raise DnnkitError("--test-fraction and --seed only apply with --from-folder DIR")
    if args.check and args.force:
        raise DnnkitError("--check never builds anything; drop --force (or --check)")

    try:
        if args.course_files:
            install_course_files(args.course_files, folder)
            print(f"{_rel(folder, root)}/: installed the course's files from {args.course_files}")
        elif args.from_folder:
            existing = [s for s in SPLITS if present[s]]
            if existing and not args.force:
                path = folder / FILE_NAMES[existing[0]]
                raise DnnkitError(f"{_rel(path, root)}: already exists ({_KINDS.get(identify(path), 'unknown origin')}); "
                                  "add --force to replace it with the set built from the folder")
            build_from_folder(args.from_folder, folder,
                              test_fraction=0.2 if args.test_fraction is None else args.test_fraction,
                              seed=0 if args.seed is None else args.seed)
            print(f"{_rel(folder, root)}/: built the data files from the images in {args.from_folder}")
        elif args.force or (not args.check and not any(present.values())):
            build_standin(folder)
            why = "rebuilt" if any(present.values()) else "the course's files are not installed; built"
            print(f"{_rel(folder, root)}/: {why} a STAND-IN (synthetic images, not the course's photos); "
                  "for the real files run \"dnnkit data --course-files DIR\"")
        elif not args.check and not all(present.values()):
            missing = next(s for s in SPLITS if not present[s])
            other = next(s for s in SPLITS if present[s])
            raise DnnkitError(
                f"{_rel(folder / FILE_NAMES[missing], root)}: missing while {FILE_NAMES[other]} is present; "
                "copy the course's file there (or run \"dnnkit data --course-files DIR\"), "
                "or run \"dnnkit data --force\" to build a stand-in pair")
    except DatasetError as err:
        raise DnnkitError(str(err)) from None

    for line in _verify(root, folder):
        print(line)
    return 0
