"""`dnnkit data`: verify the cat/non-cat HDF5 files in <course>/datasets/, or build them (docs/commands.md):
a stand-in when both are absent (or with --force), the course's real files (--course-files), or a set from a
folder of images (--from-folder)."""
from __future__ import annotations

import argparse

from .. import DnnkitError
from ..catdata import FILE_NAMES, SPLITS, DatasetError
from ..course import Course
from ..datasets import (build_from_folder, build_standin, checked_pair, identify, install_course_files,
                        sha256, short_hash, verified_pair)

# what an existing file is, in the message refusing to build over it
_KINDS = {"course": "the course's file", "stand-in": "a stand-in", "folder": "built from a folder",
          "unknown": "unknown origin"}


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


def _describe(info) -> str:
    path, kind = info.path, identify(info.path)
    if kind == "course":
        return f"the course's file (sha256 {short_hash(sha256(path))})"
    if kind == "stand-in":
        return "STAND-IN synthetic images, not the course's photos"
    if kind == "folder":
        return f"built from images in {info.images_folder or 'a folder'}"
    return f"unknown origin (sha256 {short_hash(sha256(path))}: not the course's file, not built by dnnkit)"


def run(args: argparse.Namespace) -> int:
    course = Course()
    folder = course.datasets
    present = [s for s in SPLITS if (folder / FILE_NAMES[s]).exists()]
    if args.from_folder is None and (args.test_fraction is not None or args.seed is not None):
        raise DnnkitError("--test-fraction and --seed only apply with --from-folder DIR")
    if args.check and args.force:
        raise DnnkitError("--check never builds anything; drop --force (or --check)")
    shown = course.relative(folder)
    try:
        if args.course_files:
            install_course_files(args.course_files, folder)
            print(f"{shown}/: installed the course's files from {args.course_files}")
        elif args.from_folder:
            if present and not args.force:
                path = folder / FILE_NAMES[present[0]]
                kind = _KINDS.get(identify(path), "unknown origin")
                raise DnnkitError(f"{course.relative(path)}: already exists ({kind}); "
                                  "add --force to replace it with the set built from the folder")
            build_from_folder(args.from_folder, folder,
                              test_fraction=0.2 if args.test_fraction is None else args.test_fraction,
                              seed=0 if args.seed is None else args.seed)
            print(f"{shown}/: built the data files from the images in {args.from_folder}")
        elif args.force or (not args.check and not present):
            build_standin(folder)
            why = "rebuilt" if present else "the course's files are not installed; built"
            print(f"{shown}/: {why} a STAND-IN (synthetic images, not the course's photos); "
                  "for the real files run \"dnnkit data --course-files DIR\"")
        elif not args.check and len(present) == 1:
            checked_pair(folder, shown)  # one file without the other: the error names the missing one
        infos = verified_pair(folder, shown)
    except DatasetError as err:
        raise DnnkitError(str(err)) from None
    for info in infos.values():
        print(f"{course.relative(info.path)}: ok — {_describe(info)}")
    return 0
