"""The course secret ($DNNKIT_COURSE_SECRET, else .dnnkit/course-secret, made on first use) and the per-student
seeds of the hidden cases drawn from it with hmac (docs/diagnosis.md)."""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from . import DnnkitError

SECRET_FILE = Path(".dnnkit") / "course-secret"


def course_secret(root: Path) -> bytes:
    """The course secret (made, readable by its owner only, if there is none yet)."""
    from_env = os.environ.get("DNNKIT_COURSE_SECRET")
    if from_env:
        return from_env.encode()
    path = Path(root) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(mode=0o700, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # another grader made it meanwhile
            with open(path, "x", opener=lambda name, flags: os.open(name, flags, 0o600)) as handle:
                handle.write(secrets.token_hex(32) + "\n")
    try:
        text = path.read_text().strip()
    except OSError as err:
        raise DnnkitError(f"{path}: cannot read the course secret ({err.strerror}); restore it from your "
                          "backup, or set DNNKIT_COURSE_SECRET") from None
    if len(text) < 32:
        raise DnnkitError(f"{path}: the course secret is too short (under 32 characters); restore it from your "
                          "backup, or delete it to make a new one (students' hidden cases change)")
    return text.encode()


def student_seed(secret: bytes, assignment: str, student: str, submission: str = "") -> int:
    """A 63-bit seed for the hidden cases of `student` in `assignment`, for the submission whose digest is
    `submission` ('' for a learner's own checks, which keep their numbers while the notebook changes)."""
    text = f"{assignment}\0{student}" + (f"\0{submission}" if submission else "")
    mac = hmac.new(secret, text.encode(), hashlib.sha256).digest()
    return int.from_bytes(mac[:8], "big") >> 1
