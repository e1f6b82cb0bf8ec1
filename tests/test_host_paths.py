"""No host path reaches a student's output: a submission that prints every path it can find from inside the
sandbox (the interpreter's, its modules' and code objects', a traceback and warnings from inside numpy, the
environment, sysconfig, site, /proc) shows only neutral ones in its autograded notebook. Before, the base
interpreter was mounted at its host path, which sys.path, sysconfig, the stdlib's code objects, the venv's
python link and its pyvenv.cfg all named.

The course the end-to-end modules share (shared_courses.py) grades the prober and a solved application in the
sandbox: the walls cost the runner nothing it needs."""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from dnnkit.cases import FUNCTIONS
from dnnkit.grading.leftovers import PREFIX
from dnnkit.grading.sandbox import bubblewrap
from grading_support import expect_row, read_grades, submit

pytestmark = [pytest.mark.slow, pytest.mark.skipif(bubblewrap() is None, reason="bubblewrap is not installed")]
REPO = Path(__file__).resolve().parents[1]
CHUNKS = 12  # cells that print the paths found, each well under the output limits

COLLECT = r'''
import gc, glob, inspect, json, os, re, site, sys, sysconfig, traceback, types, warnings
import numpy, IPython, matplotlib
import matplotlib.font_manager
texts = [repr(sys.path), sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, sys.executable,
         getattr(sys, "_base_executable", ""), getattr(sys, "_stdlib_dir", ""), repr(sys.argv), os.getcwd(),
         repr(dict(os.environ)), repr(sysconfig.get_config_vars()), repr(sysconfig.get_paths()),
         repr(site.getsitepackages()), site.getusersitepackages(), repr(list(sys.path_importer_cache)),
         matplotlib.get_data_path(), matplotlib.get_cachedir(), repr(matplotlib.font_manager.findSystemFonts()),
         inspect.getsourcefile(json.dumps), inspect.getsourcefile(IPython.core.interactiveshell.InteractiveShell),
         inspect.getsourcefile(numpy.linalg._linalg)]
for link in (sys.executable, os.path.dirname(sys.executable)):
    texts += [os.path.realpath(link)] + ([os.readlink(link)] if os.path.islink(link) else [])
for folder in {sys.prefix, sys.base_prefix}:
    for name in glob.glob(folder + "/*.cfg"):
        texts.append(open(name).read())
for module in list(sys.modules.values()):
    texts += [str(getattr(module, key, "")) for key in ("__file__", "__cached__")]
    texts += [str(getattr(getattr(module, "__spec__", None), "origin", ""))]
    texts += list(getattr(module, "__path__", []) or [])
texts += [thing.__code__.co_filename for thing in gc.get_objects() if type(thing) is types.FunctionType]
try:
    numpy.linalg.inv(numpy.zeros((2, 3)))  # raised inside numpy
except Exception:
    texts.append(traceback.format_exc())
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    numpy.mean([])  # warned from inside numpy
    texts += [warnings.formatwarning(w.message, w.category, w.filename, w.lineno) for w in caught]
assert caught, "numpy did not warn"
for name in ("/proc/self/cmdline", "/proc/self/mountinfo", "/proc/self/environ", "/proc/self/maps", "/proc/1/cmdline"):
    try:
        texts.append(open(name, "rb").read().decode("utf-8", "replace").replace("\0", " "))
    except OSError:
        pass
FOUND = sorted({token for text in texts for token in re.findall(r"/[\w.+@~-]+(?:/[\w.+@~-]+)*", text)})
print("collected", len(texts), "texts")
'''


def probe(nb):
    """The solved notebook with cells added at its end: one that collects, then CHUNKS that print what it found,
    and one that prints how many there were (so a cut output would show)."""
    chunk = f"print('\\n'.join(FOUND[{{i}}::{CHUNKS}]))"
    cells = [COLLECT] + [chunk.format(i=i) for i in range(CHUNKS)] + ["print('COUNT', len(FOUND))"]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in cells]


SHARED_FEEDBACK = ()  # no feedback page is read here


@contextlib.contextmanager
def dnnkit_submissions(course):
    """The prober, and a solved application, for the course shared_courses.py grades with `dnnkit grade`."""
    submit(course, "prober", transform=probe)
    submit(course, "solved", assignment="application")
    yield {}


@pytest.fixture(scope="module")
def graded(dnnkit_graded, course_datasets):
    for assignment in ("step_by_step", "application"):
        done = dnnkit_graded.run(f"grade-{assignment}")
        assert done.returncode == 0, done.stderr[-2000:]
    return dnnkit_graded.course, dnnkit_graded.folder


def host_paths(course, base) -> list[str]:
    found = {str(REPO), sys.prefix, sys.base_prefix, os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix),
             str(course.root), str(base), os.path.join(tempfile.gettempdir(), PREFIX)}
    return sorted(path for path in found if path not in ("/", "/usr", "/usr/local"))


def test_the_probe_prints_only_neutral_paths(graded):
    course, base = graded
    nb = nbformat.read(course.root / "autograded" / "prober" / "step_by_step" / "step_by_step.ipynb", 4)
    probe_cells = nb.cells[-(CHUNKS + 2):]
    printed = ["".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")
               for cell in probe_cells]
    assert printed[0].startswith("collected"), probe_cells[0]
    paths = [line for text in printed[1:CHUNKS + 1] for line in text.splitlines()]
    assert printed[CHUNKS + 1].strip() == f"COUNT {len(paths)}"  # every path it found was printed, none cut
    assert "/sandbox/python/lib/python3.11/site-packages/numpy/linalg/_linalg.py" in paths  # it did look
    text = (course.root / "autograded" / "prober" / "step_by_step" / "step_by_step.ipynb").read_text()
    leaked = {host: sorted(p for p in paths if host in p)[:5] or "elsewhere" for host in host_paths(course, base)
              if host in text}
    assert not leaked, leaked


def test_both_solved_notebooks_still_grade_full(graded):
    course, _ = graded
    expect_row(read_grades(course, "step_by_step")["prober"])
    names = FUNCTIONS["application"]
    expect_row(read_grades(course, "application")["solved"], names=names)
