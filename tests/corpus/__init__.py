"""Our own reproductions of real students' code for the step-by-step assignment (see docs/real-mistakes.md).

real_mistakes.WRONG (development set) and held_out.WRONG (kept apart to measure the diagnosis engine): lists of
{"id", "function", "class", "code", "wrong", "seen"}; real_correct.CORRECT: {"id", "function", "code", "seen"}.
"code" is a notebook cell's source (the function definition) that runs in the step-by-step notebook's namespace."""
from __future__ import annotations

import textwrap


def mistake(id: str, function: str, klass: int, wrong: str, seen: str, code: str) -> dict:
    """A wrong function: `klass` is its class of mistake (1-7, as numbered in issue 22), `wrong` says what it
    does wrong and `seen` where the mistake was seen. `code` is dedented, so it can be written indented here."""
    return {"id": id, "function": function, "class": klass, "code": _cell(code), "wrong": wrong, "seen": seen}


def solution(id: str, function: str, seen: str, code: str) -> dict:
    """A correct function written in a style seen in real students' code (`seen`)."""
    return {"id": id, "function": function, "code": _cell(code), "seen": seen}


def _cell(code: str) -> str:
    return textwrap.dedent(code).strip("\n") + "\n"


def github(repo: str, commit: str, path: str) -> str:
    """The address of a file of a public repository at one commit."""
    return f"https://github.com/{repo}/blob/{commit}/{path}"
