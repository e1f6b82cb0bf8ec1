"""Benchmark: the same 20 step_by_step submissions graded by plain `nbgrader autograde` and by
`dnnkit grade --workers 2`, in one run, each in its own throw-away course folder. Prints both wall times (and
CPU seconds) and the ratio. Run: .venv/bin/python benchmarks/grading.py [--submissions 20]

`--before CHECKOUT` also grades the same submissions with the dnnkit of another checkout (a git worktree of an
older commit, say), in the same run, right after this one's: both ratios to plain nbgrader, side by side. `--rounds N` grades with both N times in
turns and shows the medians (a single run on a busy machine can be off by a quarter)."""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dnnkit.course import Course  # noqa: E402
from dnnkit.mistakes import CATALOG  # noqa: E402
from dnnkit.nbgrader_cli import nbgrader  # noqa: E402
from dnnkit.submissions import solved_notebook, write_submission  # noqa: E402


def make_course(root: Path, submissions: int, repo: Path = REPO) -> Course:
    root.mkdir(parents=True)
    shutil.copy(repo / "nbgrader_config.py", root)
    for folder in ("source", "release", "references"):
        shutil.copytree(repo / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    if repo == REPO:
        nbgrader(root, "generate_assignment", "step_by_step", "--force")
    else:  # the other checkout's nbgrader_config.py imports its own dnnkit
        path = str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]  # nbgrader runs alembic from there
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "step_by_step", "--force"],
                       cwd=root, env={**os.environ, "PATH": path, "PYTHONPATH": str(repo)}, check=True,
                       capture_output=True)
    course = Course(root)
    mistakes = [m.name for m in CATALOG if m.function not in ("two_layer_model", "L_layer_model")]
    for i in range(submissions):  # a class: most correct, some with one typical mistake
        chosen = () if i % 3 else (mistakes[i % len(mistakes)],)
        write_submission(course, "step_by_step", f"student{i:03d}", solved_notebook(course, "step_by_step", chosen))
    return course


CPU: dict[str, float] = {}  # the CPU seconds of each command's whole process tree, by its last argument's run


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], cwd: Path, env: dict) -> tuple[float, str]:
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    CPU[str(cwd)] = _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return elapsed, done.stdout + done.stderr


def fresh(template: Course, folder: Path) -> Course:
    """An ungraded copy of `template` (dnnkit grade resumes what a course already holds)."""
    shutil.copytree(template.root, folder)
    return Course(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--submissions", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--before", type=Path, help="another checkout whose dnnkit grade is timed in the same run")
    parser.add_argument("--rounds", type=int, default=1,
                        help="with --before: grade with both checkouts this many times, in turns (medians shown)")
    args = parser.parse_args()
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    grade = [sys.executable, "-m", "dnnkit.cli", "grade", "step_by_step", "--workers", str(args.workers)]
    kit_times, before_times, kit_cpu, before_cpu = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="dnnkit-bench-") as tmp:
        plain = make_course(Path(tmp) / "plain", args.submissions)
        kit = make_course(Path(tmp) / "kit", args.submissions)
        old = make_course(Path(tmp) / "before", args.submissions, args.before.resolve()) if args.before else None
        startup, _ = timed([sys.executable, "-m", "nbgrader", "db", "student", "list"], plain.root, env)
        t_plain, _ = timed([sys.executable, "-m", "nbgrader", "autograde", "step_by_step"], plain.root, env)
        for i in range(args.rounds if old else 1):
            course = fresh(kit, Path(tmp) / f"kit-{i}")
            kit_times.append(timed(grade, course.root, {**env, "DNNKIT_COURSE_ROOT": str(course.root)})[0])
            kit_cpu.append(CPU[str(course.root)])
            if old:
                course = fresh(old, Path(tmp) / f"before-{i}")
                before_times.append(timed(grade, course.root, {**env, "DNNKIT_COURSE_ROOT": str(course.root),
                                                               "PYTHONPATH": str(args.before.resolve())})[0])
                before_cpu.append(CPU[str(course.root)])
    t_kit = statistics.median(kit_times)
    print(f"machine: {os.cpu_count()} cores; {args.submissions} step_by_step submissions")
    print(f"plain nbgrader autograde (serial):  {t_plain:7.1f} s   (of which ~{startup:.1f} s is nbgrader's start-up)")
    print(f"dnnkit grade --workers {args.workers} (sandboxed): {t_kit:7.1f} s  ({statistics.median(kit_cpu):.1f} CPU-s; "
          f"plain {CPU[str(plain.root)]:.1f} CPU-s)")
    print(f"speed-up: {t_plain / t_kit:.2f}x  (goal: >= 2.5x on 2 cores)")
    if old:
        t_before = statistics.median(before_times)
        if args.rounds > 1:
            print("rounds, this checkout / the other (s): "
                  + ", ".join(f"{a:.1f}/{b:.1f}" for a, b in zip(kit_times, before_times)))
        print(f"dnnkit grade of {args.before}: {t_before:7.1f} s ({statistics.median(before_cpu):.1f} CPU-s), speed-up "
              f"{t_plain / t_before:.2f}x; this checkout's ratio is {t_before / t_kit:.2f} times the other's "
              f"({statistics.median(before_cpu) / statistics.median(kit_cpu):.2f} in CPU time)")


if __name__ == "__main__":
    main()
