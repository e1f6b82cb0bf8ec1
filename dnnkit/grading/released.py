"""Every release's version of each nbgrader cell, so intake can tell what a student changed from what the
instructor changed since the student fetched the notebook: `.dnnkit/releases/<assignment>.json`, {grade id:
[[sha256 of the source, sha256 of the nbgrader metadata], ...]}, one pair per version (`dnnkit release` adds them).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

HISTORY = Path(".dnnkit") / "releases"


def _sha(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()


def cell_version(source, nbgrader_metadata) -> tuple[str, str]:
    """(digest of a cell's source, digest of its nbgrader metadata)."""
    return _sha(source if isinstance(source, str) else repr(source)), _sha(nbgrader_metadata)


def versions(nb) -> dict[str, tuple[str, str]]:
    """{grade id: cell_version} of a released notebook's nbgrader cells."""
    found = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if isinstance(meta, dict) and isinstance(meta.get("grade_id"), str):
            found[meta["grade_id"]] = cell_version(cell.get("source", ""), meta)
    return found


def history_path(root: Path, assignment: str) -> Path:
    return root / HISTORY / f"{assignment}.json"


def known_versions(root: Path, assignment: str, master) -> dict[str, set[tuple[str, str]]]:
    """{grade id: every version released so far}, the current release `master` included (an unreadable history
    counts as none: then only the current release counts, as before there was a history)."""
    try:
        data = json.loads(history_path(root, assignment).read_text())
        known = {gid: {tuple(pair) for pair in pairs} for gid, pairs in data.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        known = {}
    for gid, version in versions(master).items():
        known.setdefault(gid, set()).add(version)
    return known


def remember(root: Path, assignment: str, nb) -> None:
    """Add the versions of released notebook `nb` to the assignment's history."""
    known = known_versions(root, assignment, nb)
    path = history_path(root, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps({gid: sorted(map(list, pairs)) for gid, pairs in sorted(known.items())}, indent=1))
    os.replace(tmp, path)
