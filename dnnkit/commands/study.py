"""`dnnkit study`: a self-learner's own copy of both assignments in study/<assignment>/ (git-ignored), never
overwriting a file there, then JupyterLab in study/ (docs/self-study.md). `--language` first releases the
assignments in that language where release/ is in another."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

from .. import DnnkitError
from ..cases import FUNCTIONS
from ..catdata import DatasetError
from ..course import DATA_ASSIGNMENTS, DATASET_FILES, Course
from ..datasets import build_standin, checked_pair
from ..language import LANGUAGES
from ..names import one_line
from ..shipped import released_language
from . import release

STUDY = "study"  # in the course root; git-ignored
NOT_COPIED = ("__pycache__", ".ipynb_checkpoints")


def add_arguments(parser) -> None:
    parser.add_argument("--no-lab", action="store_true",
                        help=f"only copy what is new into {STUDY}/; do not start JupyterLab there")
    parser.add_argument("--language", choices=LANGUAGES,
                        help="language of the notebooks and their messages (default: the release's); release/ is "
                             "released again in it first when it is in another")


def run(args) -> int:
    course = Course()
    folder = course.root / STUDY
    if args.language is not None:
        release_in(course, args.language)
    added, kept = prepare(course, folder)
    print(summary(added, kept))
    if args.no_lab:
        print(f"{STUDY}/: ready; `dnnkit study` starts JupyterLab there, `dnnkit check ASSIGNMENT` grades your "
              "notebook with the hidden checks")
        return 0
    return start_lab(folder, released_language(course, "step_by_step"))


def release_in(course: Course, language: str) -> None:
    """Release the assignments whose release/ is in another language than `language` again, in it."""
    others = [a for a in FUNCTIONS if released_language(course, a) != language]
    if others:
        print(f"{STUDY}: releasing {', '.join(others)} in {language} first (`dnnkit release --language {language}`)")
        # the data first (a stand-in built where the course's files are missing), so that the release carries
        # them; and none of `dnnkit release`'s warnings for instructors
        data = list(data_files(course).values()) if any(a in DATA_ASSIGNMENTS for a in others) else []
        release.release_assignments(course, others, language, data or None)


def release_files(course: Course, assignment: str) -> dict[str, Path]:
    """{path relative to the assignment folder: file in release/ASSIGNMENT/} (caches and checkpoints left out);
    DnnkitError when the release is missing."""
    release = course.release(assignment)
    if not course.notebook(assignment, "release").is_file():
        raise DnnkitError(f"release/{assignment}/{assignment}.ipynb is missing; restore release/ "
                          f"(`git checkout release`) or run `dnnkit release {assignment}`")
    return {path.relative_to(release).as_posix(): path for path in sorted(release.rglob("*"))
            if path.is_file() and path.suffix != ".pyc"
            and not set(NOT_COPIED) & set(path.relative_to(release).parts)}


def data_files(course: Course) -> dict[str, Path]:
    """{name: file} of the data pair for a notebook when release/ has none: datasets/'s (checked), else a
    stand-in built there; {} (said in one line) for a broken pair."""
    try:
        pair = checked_pair(course.datasets)
    except DatasetError as err:
        print(one_line(f"warning: {err}; the notebook in {STUDY}/ gets no data until then"), file=sys.stderr)
        return {}
    if pair is None:
        pair = build_standin(course.datasets)
        print("datasets/: the course's files are not installed; built a STAND-IN (synthetic images, not the "
              "course's photos); for the real files run \"dnnkit data --course-files DIR\"")
    return {path.name: path for path in pair}


def prepare(course: Course, folder: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Copy every file of both assignments that `folder` lacks; ({assignment: names added}, {assignment: names
    kept as they were})."""
    added: dict[str, list[str]] = {assignment: [] for assignment in FUNCTIONS}
    kept: dict[str, list[str]] = {assignment: [] for assignment in FUNCTIONS}
    sources = {assignment: release_files(course, assignment) for assignment in FUNCTIONS}  # all checked first
    for assignment, files in sources.items():
        target = folder / assignment
        if assignment in DATA_ASSIGNMENTS and not all(name in files for name in DATASET_FILES):
            if all(os.path.lexists(target / name) for name in DATASET_FILES):
                kept[assignment] += DATASET_FILES  # the learner's data: nothing to look for or build
            else:
                files = {**files, **data_files(course)}
        for relative, source in files.items():
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            (added if copy_if_absent(source, destination) else kept)[assignment].append(relative)
    return added, kept


def copy_if_absent(source: Path, target: Path) -> bool:
    """Copy `source` to `target` unless something (a file, a folder, a link) is there; whether it copied. Never
    overwrites, not even a file that appears meanwhile, and leaves no half file: the whole copy is linked in."""
    if os.path.lexists(target):
        return False
    tmp = target.with_name(f".{target.name}.{os.getpid()}.dnnkit-study.tmp")
    try:
        shutil.copy(source, tmp)  # the bytes and the mode
        try:
            os.link(tmp, target)
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links: create the file exclusively, then fill it
            try:
                with open(target, "xb") as out, open(tmp, "rb") as data:
                    shutil.copyfileobj(data, out)
            except FileExistsError:
                return False
            shutil.copymode(source, target)
    finally:
        tmp.unlink(missing_ok=True)
    return True


def summary(added: dict[str, list[str]], kept: dict[str, list[str]]) -> str:
    """One line: the files added to study/ (a whole folder in a word), and how many of each folder's were kept."""
    new, old = [], []
    for assignment, names in added.items():
        total = len(names) + len(kept[assignment])
        whole = f"{assignment}/ (all {total} files)"
        new += [whole] if names and not kept[assignment] else [f"{assignment}/{name}" for name in names]
        if kept[assignment]:
            old.append(f"{assignment}/ ({len(kept[assignment])} of {total} files)" if names else whole)
    line = f"{STUDY}/: added {', '.join(new)}" if new else f"{STUDY}/: nothing new to add"
    if old:
        line += (f"; kept the files you had, as they were: {', '.join(old)} (never overwritten: for the "
                 "release's version of one, delete it and run `dnnkit study` again)")
    return one_line(line)


LAB_SETTINGS = ".jupyterlab-settings"  # in study/: JupyterLab's user settings for a Chinese study copy
LOCALES = {"zh": "zh_CN", "en+zh": "zh_CN"}  # JupyterLab's own language (the zh-CN language pack)


def lab_command(folder: Path, language: str) -> list[str]:
    """The command that starts JupyterLab for `folder`; for a language with Chinese, with user settings of its own
    in `folder` (made once, never overwritten) choosing the zh-CN language pack, leaving the learner's alone."""
    command = [sys.executable, "-m", "jupyterlab"]
    locale = LOCALES.get(language)
    if locale is None:
        return command
    settings = folder / LAB_SETTINGS
    plugin = settings / "@jupyterlab" / "translation-extension" / "plugin.jupyterlab-settings"
    if not os.path.lexists(plugin):
        plugin.parent.mkdir(parents=True, exist_ok=True)
        plugin.write_text(json.dumps({"locale": locale}) + "\n")
    if importlib.util.find_spec("jupyterlab_language_pack_zh_CN") is None:
        print("warning: the JupyterLab zh-CN language pack is not installed (pip install "
              "jupyterlab-language-pack-zh-CN); JupyterLab's own menus stay in English", file=sys.stderr)
    return [*command, f"--LabApp.user_settings_dir={settings}"]


def start_lab(folder: Path, language: str = "en") -> None:
    """Replace this process by JupyterLab, started in `folder` with this Python (see lab_command)."""
    if importlib.util.find_spec("jupyterlab") is None:
        raise DnnkitError(f"JupyterLab is not installed in this Python ({sys.executable}); install the student "
                          f"packages (`make student`), or run `dnnkit study --no-lab` and open {STUDY}/ yourself")
    command = lab_command(folder, language)
    print(f"{STUDY}/: starting JupyterLab there (Ctrl-C twice stops it); open step_by_step/step_by_step.ipynb first",
          flush=True)
    sys.stderr.flush()
    os.chdir(folder)
    os.execv(sys.executable, command)
