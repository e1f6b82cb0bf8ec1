"""The course secret, and the per-student seeds of the hidden cases drawn from it.

Hidden cases are drawn from hmac(secret, assignment/student/submission): the same submission gets the same
numbers on every regrade, two students get different numbers, and so does every new submission of one student
(its notebook or timestamp changed), so hidden inputs that leaked out of one grading run (kernel state outlives
a process) are worthless for the next one. Without the secret nobody can compute them. The secret is
`$DNNKIT_COURSE_SECRET`, else the file `.dnnkit/course-secret` in the course folder (git-ignored, never
released), made on first use. Back it up: a new secret gives every student new hidden cases.
"""
from __future__ import annotations

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
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another grader made it meanwhile
            pass
        else:
            with os.fdopen(fd, "w") as handle:
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
