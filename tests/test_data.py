"""The cat/non-cat data: schema checks, stand-in, from-folder builds, course files, `dnnkit data`."""
from __future__ import annotations

import ast
import importlib.util
import shutil
import subprocess
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from PIL import Image

from dnnkit import catdata, datasets
from dnnkit.catdata import DatasetError, data_note, find_datasets, load_data, validate_file
from dnnkit.cli import main

from conftest import COURSE_SHA256

TRAIN, TEST = "train_catvnoncat.h5", "test_catvnoncat.h5"
STANDIN_SUFFIX = " (stand-in data: synthetic images, not the course's photos)"


@pytest.fixture(scope="session")
def standin(tmp_path_factory) -> Path:
    """A folder holding a freshly built stand-in pair (do not modify: copy it)."""
    folder = tmp_path_factory.mktemp("standin")
    datasets.build_standin(folder)
    return folder


@pytest.fixture
def course_dir(tmp_path, monkeypatch) -> Path:
    """An empty course folder (nbgrader_config.py + source/) that dnnkit uses as its root."""
    root = tmp_path / "course"
    (root / "source").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    monkeypatch.setenv("DNNKIT_COURSE_ROOT", str(root))
    monkeypatch.chdir(root)
    return root


def _one_line(message: str) -> str:
    assert "\n" not in message and "\r" not in message, message
    return message


def _write(path: Path, split: str = "train", m: int = 5, drop: str | None = None, **override) -> Path:
    """A small data file following the schema, except for `override`s and a `drop`ped key."""
    data = {
        f"{split}_set_x": np.zeros((m, 64, 64, 3), np.uint8),
        f"{split}_set_y": (np.arange(m) % 2).astype(np.int64),
        "list_classes": np.array([b"non-cat", b"cat"], dtype="S7"),
    }
    data.update(override)
    with h5py.File(path, "w") as f:
        for key, value in data.items():
            if key != drop:
                f.create_dataset(key, data=value)
    return path


# ---------------------------------------------------------------------------------------------
# validate_file
# ---------------------------------------------------------------------------------------------
def test_good_small_file_validates(tmp_path):
    info = validate_file(_write(tmp_path / TRAIN), "train")
    assert (info.m, info.cats, info.origin) == (5, 2, None)


def test_missing_file_names_it_and_the_fix(tmp_path):
    with pytest.raises(DatasetError) as err:
        validate_file(tmp_path / "datasets" / TRAIN, "train", display="datasets/train_catvnoncat.h5")
    assert _one_line(str(err.value)) == (
        'datasets/train_catvnoncat.h5: missing; run "dnnkit data" in the course folder to build it '
        "(or copy the course's file there)")


@pytest.mark.parametrize("cut", [0.5, 0.99])
def test_truncated_file_is_reported(tmp_path, standin, cut):
    path = tmp_path / TRAIN
    data = (standin / TRAIN).read_bytes()
    path.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(DatasetError) as err:
        validate_file(path, "train")
    msg = _one_line(str(err.value))
    assert msg.startswith(f"{catdata.show_path(path)}: not a readable HDF5 file (truncated or corrupt")
    assert '"dnnkit data --force"' in msg


def test_not_hdf5_is_reported(tmp_path):
    path = tmp_path / TEST
    path.write_text("this is not HDF5\n" * 10)
    with pytest.raises(DatasetError, match=r"test_catvnoncat\.h5: not a readable HDF5 file"):
        validate_file(path, "test")


BAD_SCHEMAS = {
    "no x": (dict(drop="train_set_x"), 'no dataset "train_set_x" (it has: list_classes, train_set_y)'),
    "no y": (dict(drop="train_set_y"), 'no dataset "train_set_y"'),
    "no classes": (dict(drop="list_classes"), 'no dataset "list_classes"'),
    "test file as train": (dict(split="test"), 'no dataset "train_set_x"'),
    "x float": (dict(train_set_x=np.zeros((5, 64, 64, 3))), "train_set_x has dtype <f8, expected |u1"),
    "y int32": (dict(train_set_y=np.zeros(5, np.int32)), "train_set_y has dtype <i4, expected <i8"),
    "classes S8": (dict(list_classes=np.array([b"non-cat", b"cat"], "S8")), "list_classes has dtype |S8"),
    "x grey": (dict(train_set_x=np.zeros((5, 64, 64), np.uint8)),
               "train_set_x has shape (5, 64, 64), expected (m, 64, 64, 3)"),
    "x small": (dict(train_set_x=np.zeros((5, 32, 32, 3), np.uint8)), "train_set_x has shape (5, 32, 32, 3)"),
    "y row": (dict(train_set_y=np.zeros((1, 5), np.int64)), "train_set_y has shape (1, 5), expected (m,)"),
    "classes 3": (dict(list_classes=np.array([b"non-cat", b"cat", b"dog"], "S7")),
                  "list_classes has shape (3,), expected (2,)"),
    "lengths": (dict(train_set_y=np.zeros(4, np.int64)), "train_set_x has 5 images but train_set_y has 4 labels"),
    "empty": (dict(m=0), "it holds no images"),
    "labels": (dict(train_set_y=np.array([0, 1, 2, 1, -1], np.int64)),
               "train_set_y has labels other than 0 and 1 (found -1, 2)"),
    "classes swapped": (dict(list_classes=np.array([b"cat", b"non-cat"], "S7")),
                        "list_classes is [b'cat', b'non-cat'], expected [b'non-cat', b'cat']"),
}


@pytest.mark.parametrize("case", list(BAD_SCHEMAS))
def test_wrong_schema_names_file_and_problem(tmp_path, case):
    kwargs, problem = BAD_SCHEMAS[case]
    path = _write(tmp_path / TRAIN, **kwargs)
    with pytest.raises(DatasetError) as err:
        validate_file(path, "train", display="datasets/train_catvnoncat.h5")
    msg = _one_line(str(err.value))
    assert msg.startswith("datasets/train_catvnoncat.h5: ")
    assert problem in msg
    assert msg.endswith('run "dnnkit data --force" in the course folder to rebuild a stand-in')


# ---------------------------------------------------------------------------------------------
# Stand-in
# ---------------------------------------------------------------------------------------------
def test_standin_is_byte_identical_on_rebuild(tmp_path, standin):
    time.sleep(1.1)  # a timestamp written anywhere in the file would now differ
    train, test = datasets.build_standin(tmp_path)
    assert train.read_bytes() == (standin / TRAIN).read_bytes()
    assert test.read_bytes() == (standin / TEST).read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [TEST, TRAIN]  # no temporary files left


def test_standin_schema_counts_and_marking(standin):
    for split, name in (("train", TRAIN), ("test", TEST)):
        info = validate_file(standin / name, split)
        assert (info.m, info.cats) == datasets.COURSE_COUNTS[split]
        assert info.origin == "stand-in" and "not the course's photos" in info.note
        assert datasets.identify(standin / name) == "stand-in"
    assert datasets.COURSE_COUNTS == {"train": (209, 72), "test": (50, 33)}
    assert data_note(standin) == STANDIN_SUFFIX


def test_standin_class_balance_matches_course_files(standin, course_datasets):
    for split, name in (("train", TRAIN), ("test", TEST)):
        real = validate_file(course_datasets / name, split)
        fake = validate_file(standin / name, split)
        assert (fake.m, fake.cats) == (real.m, real.cats)


def test_standin_is_learnable_by_logistic_regression(standin):
    train_x, train_y, test_x, test_y, _ = load_data(standin)
    X, Xt = train_x.reshape(len(train_x), -1) / 255.0, test_x.reshape(len(test_x), -1) / 255.0
    y, yt = train_y[0].astype(float), test_y[0]
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(300):
        a = 1.0 / (1.0 + np.exp(-(X @ w + b)))
        w -= 0.005 * ((a - y) @ X) / len(y)
        b -= 0.005 * float(np.mean(a - y))
    assert np.mean((Xt @ w + b > 0) == yt) >= 0.8
    assert np.mean((X @ w + b > 0) == y) >= 0.8


def test_standin_classes_differ_visibly(standin):
    x, y, _, _, _ = load_data(standin)
    centre = x[:, 20:48, 16:48].astype(float)
    warmth = (centre[..., 0] - centre[..., 2]).mean(axis=(1, 2))
    assert warmth[y[0] == 1].mean() > warmth[y[0] == 0].mean() + 40


# ---------------------------------------------------------------------------------------------
# load_data, find_datasets, data_note, the standalone module
# ---------------------------------------------------------------------------------------------
def test_load_data_walks_up_and_prints_the_note_once(tmp_path, standin, monkeypatch, capsys):
    shutil.copytree(standin, tmp_path / "course" / "datasets")
    for where in ("release/application", "autograded/alice/application"):
        (tmp_path / "course" / where).mkdir(parents=True)
        monkeypatch.chdir(tmp_path / "course" / where)
        assert find_datasets() == (tmp_path / "course" / "datasets").resolve()
    train_x, train_y, test_x, test_y, classes = load_data()
    assert train_x.dtype == np.uint8 and train_x.shape == (209, 64, 64, 3)
    assert test_x.dtype == np.uint8 and test_x.shape == (50, 64, 64, 3)
    assert train_y.dtype == np.int64 and train_y.shape == (1, 209)
    assert test_y.dtype == np.int64 and test_y.shape == (1, 50)
    assert classes.dtype == np.dtype("S7") and classes.tolist() == [b"non-cat", b"cat"]
    out = capsys.readouterr().out
    assert out.count("STAND-IN") == 1 and out.startswith("Note: ") and len(out.splitlines()) == 1
    assert data_note() == STANDIN_SUFFIX


def test_load_data_takes_the_files_next_to_the_notebook_first(tmp_path, standin, monkeypatch, course_datasets,
                                                              capsys):
    course = tmp_path / "course"
    shutil.copytree(course_datasets, course / "datasets")  # the course's files in the course folder ...
    shutil.copytree(standin, course / "release" / "application")  # ... and a stand-in next to the notebook
    monkeypatch.chdir(course / "release" / "application")
    assert find_datasets() == (course / "release" / "application").resolve()
    load_data()
    assert "STAND-IN" in capsys.readouterr().out
    assert data_note() == STANDIN_SUFFIX
    for name in (TRAIN, TEST):  # without them there, the course's datasets/
        (course / "release" / "application" / name).unlink()
    assert find_datasets() == (course / "datasets").resolve()
    load_data()
    assert capsys.readouterr().out == "" and data_note() == ""


def test_load_data_found_nowhere_says_what_a_student_does(tmp_path, monkeypatch):
    (tmp_path / "datasets").mkdir()  # the course's folder, empty (a clone: the data are never committed)
    (tmp_path / "release" / "application").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "release" / "application")
    with pytest.raises(DatasetError) as err:
        load_data()
    message = _one_line(str(err.value))
    assert message.startswith("train_catvnoncat.h5 and test_catvnoncat.h5: not found next to this notebook nor in "
                              "a datasets/ folder above it; ask your instructor for the course's data files and put "
                              "them next to this notebook; ")
    assert '"dnnkit study"' in message and "stand-in" in message
    assert '"dnnkit data"' not in message  # an instructor's command, which students do not have


def test_load_data_names_a_lone_missing_file(tmp_path, standin, monkeypatch):
    shutil.copy(standin / TRAIN, tmp_path / TRAIN)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DatasetError) as err:
        load_data()
    assert _one_line(str(err.value)).startswith("test_catvnoncat.h5: missing; ask your instructor")


def test_load_data_course_files(course_datasets, capsys):
    train_x, train_y, test_x, test_y, classes = load_data(course_datasets)
    assert capsys.readouterr().out == ""
    assert data_note(course_datasets) == ""
    assert train_x.shape == (209, 64, 64, 3) and train_y.shape == (1, 209) and test_y.shape == (1, 50)
    with h5py.File(course_datasets / TEST, "r") as f:
        np.testing.assert_array_equal(test_x, f["test_set_x"][:])
        np.testing.assert_array_equal(classes, f["list_classes"][:])


def test_catdata_is_standalone(tmp_path, standin, capsys):
    source = Path(catdata.__file__).read_text()
    roots = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports in catdata"
            roots.add(node.module.split(".")[0])
    assert roots <= {"__future__", "os", "pathlib", "typing", "numpy", "h5py"}, roots
    copy = tmp_path / "cat_data.py"
    copy.write_text(source)
    spec = importlib.util.spec_from_file_location("cat_data_copy", copy)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.load_data(standin)[0].shape == (209, 64, 64, 3)


# ---------------------------------------------------------------------------------------------
# identify / install_course_files
# ---------------------------------------------------------------------------------------------
def test_identify_course_files_by_sha256(course_datasets, tmp_path):
    for name in (TRAIN, TEST):
        assert datasets.sha256(course_datasets / name) == COURSE_SHA256[name]
        assert datasets.identify(course_datasets / name) == "course"
    changed = tmp_path / TEST
    data = bytearray((course_datasets / TEST).read_bytes())
    data[-1] ^= 0xFF
    changed.write_bytes(bytes(data))
    assert datasets.identify(changed) == "unknown"


def test_identify_does_not_trust_an_origin_attribute(tmp_path):
    path = _write(tmp_path / TRAIN)
    assert datasets.identify(path) == "unknown"
    with h5py.File(path, "a") as f:
        f.attrs["origin"] = "course"
    assert datasets.identify(path) == "unknown"


def test_install_course_files(course_datasets, tmp_path):
    train, test = datasets.install_course_files(course_datasets, tmp_path / "out")
    assert datasets.sha256(train) == COURSE_SHA256[TRAIN] and datasets.sha256(test) == COURSE_SHA256[TEST]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [TEST, TRAIN]


def test_install_course_files_refuses_a_wrong_hash(course_datasets, standin, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(course_datasets / TRAIN, src / TRAIN)
    shutil.copy(standin / TEST, src / TEST)
    with pytest.raises(DatasetError) as err:
        datasets.install_course_files(src, tmp_path / "out")
    msg = _one_line(str(err.value))
    assert msg.startswith(f"{src / TEST}: sha256 ") and "is not the course's file (6a9d39ce…b951)" in msg
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------------------------
# build_from_folder
# ---------------------------------------------------------------------------------------------
BLUE = (0, 0, 255)


@pytest.fixture
def images(tmp_path) -> Path:
    """4 cats (one non-square, one grayscale, one palette GIF, one .JPG) and 3 non-cats."""
    root = tmp_path / "photos"
    (root / "cat").mkdir(parents=True)
    (root / "non-cat").mkdir()
    Image.new("RGB", (80, 80), (200, 120, 40)).save(root / "cat" / "a.png")
    wide = Image.new("RGB", (96, 64), (255, 0, 0))
    wide.paste(Image.new("RGB", (64, 64), BLUE), (16, 0))  # centre square is pure blue
    wide.save(root / "cat" / "b_wide.png")
    Image.new("L", (50, 50), 128).save(root / "cat" / "c_gray.PNG")
    Image.new("RGB", (30, 30), (250, 200, 0)).convert("P").save(root / "cat" / "d.gif")
    Image.new("RGB", (64, 64), (0, 160, 0)).save(root / "non-cat" / "e.JPG", quality=95)
    Image.new("RGB", (70, 70), (40, 40, 200)).save(root / "non-cat" / "f.bmp")
    Image.new("RGBA", (40, 60), (10, 10, 10, 255)).save(root / "non-cat" / "g.png")
    (root / "non-cat" / "notes.txt").write_text("not an image, ignored")
    return root


def _read(path: Path, split: str):
    with h5py.File(path, "r") as f:
        return f[f"{split}_set_x"][:], f[f"{split}_set_y"][:], dict(f.attrs)


def test_from_folder_shapes_split_and_content(images, tmp_path):
    train, test = datasets.build_from_folder(images, tmp_path / "out", test_fraction=0.34, seed=0)
    assert validate_file(train, "train")[2:4] == (5, 3)  # (m, cats): 3 of 4 cats, 2 of 3 non-cats
    assert validate_file(test, "test")[2:4] == (2, 1)
    assert datasets.identify(train) == "folder" == datasets.identify(test)
    assert data_note(tmp_path / "out") == f" (images from {images})"
    (xa, _, attrs), (xb, _, _) = _read(train, "train"), _read(test, "test")
    assert attrs["origin"] == "folder" and attrs["images_folder"] == str(images)
    x = np.concatenate([xa, xb])
    assert x.shape == (7, 64, 64, 3) and x.dtype == np.uint8
    assert any((img == BLUE).all() for img in x), "the non-square image is centre-cropped"
    assert any((np.abs(img.astype(int) - 128) <= 1).all() for img in x), "grayscale becomes RGB"


def test_from_folder_is_deterministic(images, tmp_path):
    first = datasets.build_from_folder(images, tmp_path / "one", test_fraction=0.34, seed=3)
    time.sleep(1.1)
    second = datasets.build_from_folder(images, tmp_path / "two", test_fraction=0.34, seed=3)
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes()


def test_from_folder_unreadable_image_writes_nothing(images, tmp_path, standin):
    (images / "cat" / "broken.jpg").write_bytes(b"definitely not a JPEG")
    out = tmp_path / "out"
    with pytest.raises(DatasetError) as err:
        datasets.build_from_folder(images, out)
    msg = _one_line(str(err.value))
    assert msg.startswith(f"{images / 'cat' / 'broken.jpg'}: not a readable image (")
    assert not out.exists()
    shutil.copytree(standin, out)  # existing files stay untouched too
    with pytest.raises(DatasetError):
        datasets.build_from_folder(images, out)
    assert sorted(p.name for p in out.iterdir()) == [TEST, TRAIN]
    assert (out / TRAIN).read_bytes() == (standin / TRAIN).read_bytes()


def test_from_folder_missing_class_folder(images, tmp_path):
    shutil.rmtree(images / "non-cat")
    with pytest.raises(DatasetError, match=r"non-cat: missing class folder; put the cat images in "):
        datasets.build_from_folder(images, tmp_path / "out")


def test_from_folder_needs_two_images_per_class(images, tmp_path):
    for name in ("b_wide.png", "c_gray.PNG", "d.gif"):
        (images / "cat" / name).unlink()
    with pytest.raises(DatasetError) as err:
        datasets.build_from_folder(images, tmp_path / "out")
    assert _one_line(str(err.value)).startswith(f"{images / 'cat'}: 1 image(s) found, need at least 2")
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------------------------
# dnnkit data
# ---------------------------------------------------------------------------------------------
def _run(capsys, *argv):
    code = main(["data", *argv])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


OK_STANDIN = ["datasets/train_catvnoncat.h5: ok — STAND-IN synthetic images, not the course's photos",
              "datasets/test_catvnoncat.h5: ok — STAND-IN synthetic images, not the course's photos"]


def test_cli_builds_standin_when_absent_then_verifies(course_dir, capsys, standin):
    code, out, err = _run(capsys)
    assert code == 0 and err == []
    assert out[0].startswith("datasets/: the course's files are not installed; built a STAND-IN")
    assert out[1:] == OK_STANDIN
    assert (course_dir / "datasets" / TRAIN).read_bytes() == (standin / TRAIN).read_bytes()
    assert _run(capsys) == (0, OK_STANDIN, [])  # second run: verify only
    assert _run(capsys, "--check") == (0, OK_STANDIN, [])


def test_cli_check_never_builds(course_dir, capsys):
    code, out, err = _run(capsys, "--check")
    assert code == 2 and out == []
    assert err == ['dnnkit data: error: datasets/train_catvnoncat.h5: missing; run "dnnkit data" in the course '
                   "folder to build it (or copy the course's file there)"]
    assert not (course_dir / "datasets").exists()


def test_cli_broken_file_is_an_error_and_kept(course_dir, capsys, standin):
    shutil.copytree(standin, course_dir / "datasets")
    broken = course_dir / "datasets" / TEST
    broken.write_bytes(broken.read_bytes()[:1000])
    code, out, err = _run(capsys)
    assert code == 2 and out == [] and len(err) == 1
    assert err[0].startswith("dnnkit data: error: datasets/test_catvnoncat.h5: not a readable HDF5 file")
    assert broken.stat().st_size == 1000
    code, out, err = _run(capsys, "--force")
    assert code == 0 and out[1:] == OK_STANDIN


def test_cli_one_file_missing(course_dir, capsys, standin):
    (course_dir / "datasets").mkdir()
    shutil.copy(standin / TRAIN, course_dir / "datasets" / TRAIN)
    code, out, err = _run(capsys)
    assert code == 2 and len(err) == 1
    assert err[0].startswith("dnnkit data: error: datasets/test_catvnoncat.h5: missing while "
                             "train_catvnoncat.h5 is present;")
    assert not (course_dir / "datasets" / TEST).exists()


def test_cli_course_files(course_dir, capsys, course_datasets):
    code, out, err = _run(capsys, "--course-files", str(course_datasets))
    assert code == 0 and err == []
    assert out[1:] == ["datasets/train_catvnoncat.h5: ok — the course's file (sha256 fbe56ab6…f242)",
                       "datasets/test_catvnoncat.h5: ok — the course's file (sha256 6a9d39ce…b951)"]
    code, out, err = _run(capsys, "--course-files", str(course_dir / "source"))
    assert code == 2 and "train_catvnoncat.h5: missing; give the folder holding the course's" in err[0]


def test_cli_mixed_pair_is_an_error(course_dir, capsys, course_datasets, standin):
    (course_dir / "datasets").mkdir()
    shutil.copy(course_datasets / TRAIN, course_dir / "datasets" / TRAIN)
    shutil.copy(standin / TEST, course_dir / "datasets" / TEST)
    code, out, err = _run(capsys, "--check")
    assert code == 2 and "both must come from the same source" in err[0]


def test_cli_from_folder(course_dir, capsys, images):
    code, out, err = _run(capsys, "--from-folder", str(images), "--test-fraction", "0.34", "--seed", "1")
    assert code == 0 and err == []
    assert out[1:] == [f"datasets/train_catvnoncat.h5: ok — built from images in {images}",
                       f"datasets/test_catvnoncat.h5: ok — built from images in {images}"]
    before = (course_dir / "datasets" / TRAIN).read_bytes()
    code, out, err = _run(capsys, "--from-folder", str(images), "--seed", "2")
    assert code == 2 and err == ["dnnkit data: error: datasets/train_catvnoncat.h5: already exists (built from "
                                 "a folder); add --force to replace it with the set built from the folder"]
    assert (course_dir / "datasets" / TRAIN).read_bytes() == before
    (images / "non-cat" / "bad.png").write_bytes(b"nope")
    code, out, err = _run(capsys, "--from-folder", str(images), "--force")
    assert code == 2 and len(err) == 1 and f"{images / 'non-cat' / 'bad.png'}: not a readable image" in err[0]
    assert (course_dir / "datasets" / TRAIN).read_bytes() == before


def test_cli_option_mistakes(course_dir, capsys):
    code, _, err = _run(capsys, "--seed", "3")
    assert code == 2 and "--seed only apply with --from-folder" in err[0]
    code, _, err = _run(capsys, "--check", "--force")
    assert code == 2 and "--check never builds" in err[0]


def test_no_data_file_is_tracked_by_git(repo_root):
    try:
        tracked = subprocess.run(["git", "ls-files", "*.h5", "datasets"], cwd=repo_root, check=True,
                                 capture_output=True, text=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    assert all(name == "datasets/README.md" for name in tracked), tracked
