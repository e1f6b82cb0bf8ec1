"""Benchmark: the reference L_layer_model (4 layers [12288, 20, 7, 5, 1]) against the same math in PyTorch
CPU tensors with manual gradients (when torch is installed), and against this machine's measured matrix-multiply
rate; optionally the whole application notebook, solved, end to end.
Run: .venv/bin/python benchmarks/training.py [--iterations 2500] [--notebook]"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dnnkit.course import Course  # noqa: E402
from dnnkit.datasets import build_standin, identify  # noqa: E402
from dnnkit.solutions import load_solutions  # noqa: E402

DIMS = [12288, 20, 7, 5, 1]


def course_data(tmp: Path) -> tuple[Path, str]:
    """The course's files when present (../shared/datasets or datasets/), else a stand-in built in `tmp`."""
    for folder in (REPO.parent / "shared" / "datasets", REPO / "datasets"):
        files = [folder / "train_catvnoncat.h5", folder / "test_catvnoncat.h5"]
        if all(f.is_file() for f in files) and all(identify(f) == "course" for f in files):
            return folder, "the course's images"
    build_standin(tmp)
    return tmp, "the stand-in images (course files absent)"


def load(folder: Path):
    import h5py

    with h5py.File(folder / "train_catvnoncat.h5") as f:
        x, y = f["train_set_x"][()], f["train_set_y"][()]
    return x.reshape(x.shape[0], -1).T / 255.0, y.reshape(1, -1)


def torch_model(X, Y, iterations, lr=0.0075):
    """The same algorithm with torch float64 tensors and hand-written gradients. Like the application's helpers
    (dnn_app_utils.linear_backward defers it), it does not compute dA0, which nothing uses."""
    import torch

    np.random.seed(1)
    W, b = [], []
    for l in range(1, len(DIMS)):
        W.append(torch.from_numpy(np.random.randn(DIMS[l], DIMS[l - 1]) / np.sqrt(DIMS[l - 1])))
        b.append(torch.zeros(DIMS[l], 1, dtype=torch.float64))
    X, Y = torch.from_numpy(X), torch.from_numpy(Y.astype(np.float64))
    m, L = X.shape[1], len(W)
    for _ in range(iterations):
        A, cache = X, []
        for l in range(L):
            Z = W[l] @ A + b[l]
            cache.append((A, Z))
            A = torch.sigmoid(Z) if l == L - 1 else torch.relu(Z)
        cost = -(Y * torch.log(A) + (1 - Y) * torch.log(1 - A)).sum() / m
        dA = -(Y / A - (1 - Y) / (1 - A))
        for l in reversed(range(L)):
            A_prev, Z = cache[l]
            if l == L - 1:
                s = torch.sigmoid(Z)
                dZ = dA * s * (1 - s)
            else:
                dZ = dA * (Z > 0)
            dW, db = dZ @ A_prev.T / m, dZ.sum(dim=1, keepdim=True) / m
            if l > 0:
                dA = W[l].T @ dZ
            W[l], b[l] = W[l] - lr * dW, b[l] - lr * db
    return float(cost)


def gemm_rate(n=1500, repeats=5) -> float:
    a, b = np.random.rand(n, n), np.random.rand(n, n)
    a @ b
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n**3 * repeats / (time.perf_counter() - started)


def flops_per_iteration(m: int) -> float:
    """Matrix products only: forward W A, backward dZ A_prev^T for every layer, and W^T dZ for every layer but
    the first (dA0 is never computed)."""
    return sum((3 if l > 1 else 2) * 2 * DIMS[l] * DIMS[l - 1] * m for l in range(1, len(DIMS)))


def notebook_seconds(data_folder: Path, tmp: Path) -> float:
    from nbclient import NotebookClient

    from dnnkit.submissions import solved_notebook

    root = tmp / "course"
    shutil.copytree(REPO / "release", root / "release")
    shutil.copytree(REPO / "source", root / "source")
    (root / "datasets").mkdir()
    for name in ("train_catvnoncat.h5", "test_catvnoncat.h5"):
        shutil.copy(data_folder / name, root / "datasets" / name)
    nb = solved_notebook(Course(REPO), "application")
    os.environ.pop("NBGRADER_EXECUTION", None)
    started = time.perf_counter()
    NotebookClient(nb, timeout=900, resources={"metadata": {"path": str(root / "release" / "application")}}).execute()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=2500)
    parser.add_argument("--notebook", action="store_true", help="also time the solved application notebook")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dnnkit-bench-") as tmp:
        folder, what = course_data(Path(tmp))
        X, Y = load(folder)
        ref = load_solutions(Course(REPO), "application")
        started = time.perf_counter()
        ref["L_layer_model"](X, Y, DIMS, learning_rate=0.0075, num_iterations=args.iterations)
        t_ref = time.perf_counter() - started
        try:
            import torch

            torch.set_num_threads(len(os.sched_getaffinity(0)))
            started = time.perf_counter()
            torch_model(X, Y, args.iterations)
            t_torch = time.perf_counter() - started
        except ImportError:
            t_torch = None
        rate = gemm_rate()
        t_limit = flops_per_iteration(X.shape[1]) * args.iterations / rate
        t_nb = notebook_seconds(folder, Path(tmp)) if args.notebook else None
    print(f"machine: {os.cpu_count()} cores; data: {what}; {args.iterations} iterations of {DIMS}, m={X.shape[1]}")
    print(f"reference L_layer_model (numpy):  {t_ref:7.1f} s")
    if t_torch is None:
        print("PyTorch CPU, manual gradients:        - (torch not installed)")
    else:
        print(f"PyTorch CPU, manual gradients:    {t_torch:7.1f} s   reference / PyTorch = {t_ref / t_torch:.2f}"
              "  (goal: <= 1.0)")
    print(f"matrix-multiply limit:            {t_limit:7.1f} s   at {rate / 1e9:.1f} GFLOP/s measured; "
          f"reference reaches {t_limit / t_ref:.0%} of it")
    if t_nb is not None:
        print(f"application notebook, solved, end to end: {t_nb:.1f} s  (goal: <= 60 s)")


if __name__ == "__main__":
    main()
