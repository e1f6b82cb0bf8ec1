"""The folder of the sandbox's Python views: a view is what every student's Python runs, so a folder another
account can write (to plant a view before the grader builds it) is refused, naming the folder."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dnnkit import DnnkitError
from dnnkit.grading import python_view


@pytest.fixture
def planted(tmp_path, monkeypatch):
    """A views folder anyone can write, holding a view planted under the name the grader would look for."""
    views = tmp_path / "views"
    views.mkdir()
    views.chmod(0o777)
    layout = python_view.Layout()
    view = views / f"{layout.identity()}-{layout.fingerprint()}"
    (view / "venv").mkdir(parents=True)
    (view / "lock").touch()
    monkeypatch.setattr(python_view, "VIEWS", views)
    python_view._current_folder.cache_clear()
    yield view
    python_view._current_folder.cache_clear()


@pytest.mark.skipif(python_view.Layout().prefix == python_view.Layout().base and
                    not python_view.Layout().trees, reason="a system interpreter is shown as it is")
def test_a_views_folder_others_can_write_is_refused(planted, monkeypatch):
    with monkeypatch.context() as without_the_check:
        without_the_check.setattr(python_view, "_own_folder", lambda folder: None)
        landed = python_view.current()
    assert str(planted / "venv") in landed.mounts or str(planted / "base") in landed.mounts  # the planted view
    python_view._current_folder.cache_clear()
    with pytest.raises(DnnkitError) as refused:
        python_view.current()
    assert str(planted.parent) in str(refused.value) and "only root can write" in str(refused.value)


def test_a_views_compiled_files_stay_in_the_view_whatever_the_hosts_pycache_prefix(tmp_path, monkeypatch):
    """PYTHONPYCACHEPREFIX on the grader's side moves the host's .pyc files, never the view's: a view's .pyc is
    in the __pycache__ beside its source, where the sandbox's Python looks."""
    host = tmp_path / "host" / "pkg"
    host.mkdir(parents=True)
    (host / "mod.py").write_text("X = 1\n")
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "prefix"))
    python_view._copy_tree(python_view.Tree(host.parent, Path("lib"), "/view/lib"), tmp_path / "view", ())
    cached = tmp_path / "view" / "lib" / "pkg" / "__pycache__" / f"mod.{sys.implementation.cache_tag}.pyc"
    assert cached.is_file() and not (tmp_path / "prefix").exists()
