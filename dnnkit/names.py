"""Names a student controls: the student id (a folder name under submitted/) and the names of the files in a
submission. Says whether an id is acceptable, alone (`id_problem`) and beside the class's other ids and the roster
(`id_problems`, by UTS #39 skeleton), and shows such text inert in a terminal (`shown`, `one_line`) and a
spreadsheet (`csv_cell`). The rules and why each is there: docs/student-ids.md. The categories come from
`unicodedata`; the identifier profile, scripts and confusables from ICU (PyICU's SpoofChecker), imported only
where ids are checked."""
from __future__ import annotations

import functools
import os
import re
import unicodedata

from . import DnnkitError

MAX_ID_CHARS = 100
ID_PUNCTUATION = "_-.@+"  # allowed in an id besides letters, combining marks and digits
MARKUP = "<>&\"'`"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula
KIT_PREFIXES = ("report-", "grades-", "grades.")  # autograded/report-A.html, grades-A.csv, nbgrader's grades.csv
KIT_SUFFIXES = (".html", ".htm", ".csv", ".json", ".md")  # .md: autograded/README.md
INVISIBLE = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")  # control, format (bidi, zero-width), surrogate, unassigned
MOVE_OR_RENAME = "if it is that student's submission, move it to their folder, else rename it, and grade again"
MAX_MARKS = 3  # combining marks on one letter (a Tibetan stack or a vocalized Arabic letter has up to three)


def _invisible(char: str) -> bool:
    """A character a terminal does not show as itself: control, format, line or paragraph separator,
    unassigned, or whitespace other than the plain space."""
    return unicodedata.category(char) in INVISIBLE or (char != " " and char.isspace())


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, as os.fsdecode keeps it (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x80:  # \xNN above 0x7f is kept for those bytes: the byte 0xe9 and the character U+00E9 differ
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _inert(text, backslash: bool) -> str:
    return "".join(_escape(c) if _invisible(c) or (backslash and c == "\\") else c for c in str(text))


def shown(name, refused: bool = False) -> str:
    """`name` (a student id or a file name, possibly holding undecodable bytes) as it can be printed: invisible
    characters, undecodable bytes and backslashes escaped (`\\u202e`, `\\xa0`, `\\x5c`); a `refused` id in printable
    ASCII, everything else escaped, so that no other id looks like it."""
    if refused:
        return "".join(c if "!" <= c <= "~" and c != "\\" else _escape(c) for c in str(name))
    return _inert(name, backslash=True)


def one_line(text) -> str:
    """A message as one inert line: like `shown`, but backslashes are kept (the names in it are shown already)."""
    return _inert(text, backslash=False)


def csv_cell(text) -> str:
    """A text cell that no spreadsheet runs as a formula."""
    text = str(text)
    return "'" + text if text.startswith(FORMULA_START) else text


def _allowed(char: str) -> bool:
    return unicodedata.category(char)[0] in "LMN" or char in ID_PUNCTUATION


def _char(char: str) -> str:
    return f"U+{ord(char):04X} ({unicodedata.name(char, 'unnamed')})"


@functools.cache
def _uts39():
    """(icu, a SpoofChecker for the kit's ids, their allowed characters): ICU's identifier profile (UTS #39
    Recommended and Inclusion characters) and the kit's punctuation, the highly restrictive level."""
    try:
        import icu
    except ImportError as err:
        raise DnnkitError("PyICU is not installed, and student ids are checked with it (Unicode's confusables "
                          "data); install requirements.txt (`make .venv/bin/.installed`)") from err
    checker = icu.SpoofChecker()
    allowed = icu.UnicodeSet()
    allowed.addAll(checker.getRecommendedUnicodeSet())
    allowed.addAll(checker.getInclusionUnicodeSet())
    allowed.addAll(ID_PUNCTUATION)
    allowed.freeze()
    checker.setAllowedUnicodeSet(allowed)
    checker.setRestrictionLevel(icu.URestrictionLevel.HIGHLY_RESTRICTIVE)
    checker.setChecks(icu.USpoofChecks.RESTRICTION_LEVEL | icu.USpoofChecks.INVISIBLE
                      | icu.USpoofChecks.MIXED_NUMBERS)
    return icu, checker, allowed


def _mark_problem(name: str, icu) -> str | None:
    """Why a combining mark of `name` (in NFC) does not belong, or None."""
    base, marks = name[0], 0
    for char in name[1:]:
        if unicodedata.category(char)[0] != "M":
            base, marks = char, 0
            continue
        marks += 1
        if unicodedata.category(base)[0] != "L":
            return f"holds the combining mark {_char(char)} on {base!r}, which is not a letter"
        if icu.Script.getScriptExtensions(char) == (icu.UScriptCode.INHERITED,):
            return (f"holds the combining mark {_char(char)} on {base!r}, which it does not compose with: an accent "
                    "or overlay that makes one letter look like another")
        if marks > MAX_MARKS:
            return f"holds more than {MAX_MARKS} combining marks stacked on {base!r}"
    return None


def _uts39_problem(name: str) -> str | None:
    """Why `name` (already acceptable to the character rules) fails Unicode's security checks, or None."""
    if not unicodedata.is_normalized("NFC", name):
        return ("not in Unicode's composed form NFC (a letter and its accent are stored apart, as macOS names "
                "files)")
    icu, checker, allowed = _uts39()
    for char in name:
        if not allowed.contains(char):
            return (f"holds {_char(char)}, which is outside Unicode's profile of identifier characters "
                    "(invisible, compatibility, or of a script in limited use)")
    if problem := _mark_problem(name, icu):
        return problem
    failed = checker.check(name)
    if failed & icu.USpoofChecks.INVISIBLE:
        return "holds the same combining mark twice on one letter"
    if failed & icu.USpoofChecks.MIXED_NUMBERS:
        return "mixes digits of different numbering systems"
    if failed & icu.USpoofChecks.RESTRICTION_LEVEL:
        shared = (icu.UScriptCode.COMMON, icu.UScriptCode.INHERITED)
        scripts = sorted({script.getName() for script in map(icu.Script.getScript, name)
                          if script.getScriptCode() not in shared})
        return (f"mixes the scripts {' and '.join(scripts)}, as lookalike letters do (only Han with kana, Bopomofo "
                "or Hangul, and Latin with these, may mix)")
    return None


def id_problem(name: str) -> str | None:
    """Why `name` (a folder name as os.fsdecode gives it) cannot be a student id, or None when it can."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "not valid UTF-8"
    if not name:
        return "empty"
    if len(name) > MAX_ID_CHARS:
        return f"longer than {MAX_ID_CHARS} characters"
    if name.startswith(FORMULA_START):
        return f"begins with {name[0]!r}, which makes a spreadsheet read it as a formula"
    if markup := [char for char in name if char in MARKUP]:
        return f"holds {markup[0]!r}, which could act as HTML markup"
    if unseen := [char for char in name if _invisible(char) or char.isspace()]:
        kind = "whitespace" if unseen[0].isspace() else "a control or invisible character"
        return f"holds {kind} (U+{ord(unseen[0]):04X})"
    if separators := [char for char in name if char in "/\\"]:
        return f"holds {separators[0]!r}, a path separator"
    if name.startswith("."):
        return "a path ('.' or '..')" if name in (".", "..") else "begins with '.' (a hidden file)"
    if unicodedata.category(name[0])[0] not in "LN" and name[0] != "_":
        return "does not begin with a letter, a digit or '_'"
    if other := [char for char in name if not _allowed(char)]:
        return f"holds {other[0]!r}, which is not a letter, a digit or one of _ - . @ +"
    folded = name.casefold()
    if folded.startswith(KIT_PREFIXES) or folded.endswith(KIT_SUFFIXES):
        return "named like a file of the kit's in autograded/ (report-*, grades-*, *.html, *.csv, *.json, *.md)"
    return _uts39_problem(name)


def suggested_id(name: str) -> str | None:
    """An acceptable id close to a refused `name` (its NFC form, else accents dropped and other characters made
    `_`), or None. Bytes that are not UTF-8 are read as Latin-1, as zips from learning platforms hold them."""
    try:
        raw = os.fsencode(name)
    except UnicodeEncodeError:  # a surrogate no file system name holds
        raw = name.encode("utf-8", errors="replace")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    else:
        if text and id_problem(composed := unicodedata.normalize("NFC", text)) is None:
            return composed
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if unicodedata.category(c) != "Mn")
    text = "".join(c if _allowed(c) else "_" for c in unicodedata.normalize("NFC", text))
    text = re.sub("_{2,}", "_", text).strip("_.-+@")[:MAX_ID_CHARS]
    return text if text and id_problem(text) is None else None


def skeleton(name: str) -> str | None:
    """The UTS #39 skeleton of `name` (equal skeletons: the two look the same), what cannot be seen removed
    first (default ignorables, as UTS #39 since Unicode 15.1 does, and the invisible characters above); None for
    a name that is not valid UTF-8."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return None
    icu, checker, _ = _uts39()
    ignorable = icu.UProperty.DEFAULT_IGNORABLE_CODE_POINT
    seen = "".join(c for c in name if not (_invisible(c) or icu.Char.hasBinaryProperty(c, ignorable)))
    return checker.getSkeleton(0, seen)


def id_problems(ids, roster=()) -> dict[str, str]:
    """{id: why it is refused and what to do, one line} for `ids` (the submission folders of one class, and
    any id named for grading) beside the gradebook's `roster`. Of two lookalikes the roster's is graded; when
    neither or both are on it, both are refused."""
    roster = set(roster)
    alone = {name: id_problem(name) for name in set(ids)}
    looks = {}  # skeleton: the acceptable submitted ids and the roster's ids that have it
    for name in {*(n for n, problem in alone.items() if problem is None), *roster}:
        if (key := skeleton(name)) is not None:
            looks.setdefault(key, set()).add(name)
    problems = {}
    for name in sorted(alone):
        # a refused id also looks like what its suggested rename would look like ('ada ' like 'ada')
        keys = {skeleton(name), *([skeleton(better)] if alone[name] and (better := suggested_id(name)) else [])}
        others = sorted(set().union(*(looks.get(key, set()) for key in keys if key)) - {name},
                        key=lambda other: (other not in roster, other))
        if alone[name] is not None:
            problems[name] = _refused_alone(name, alone[name], others, roster)
        elif others and (name not in roster or others[0] in roster):
            problems[name] = _refused_lookalike(name, others[0], roster)
    return problems


def _shown_other(other: str, roster: set[str]) -> str:
    """The id another one looks like: as itself only when it is the roster's and acceptable (the real student)."""
    return shown(other, refused=other not in roster or id_problem(other) is not None)


def _refused_alone(name: str, problem: str, others: list[str], roster: set[str]) -> str:
    """Why `name` is refused on its own, whom it looks like if anyone, and what to do."""
    if others:
        where = "a student on the gradebook's roster" if others[0] in roster else "another submission's id"
        return (f"{problem}; it looks like '{_shown_other(others[0], roster)}', {where}: {MOVE_OR_RENAME}")
    better = suggested_id(name)
    return (f"{problem}; rename it" + (f" (e.g. to '{better}')" if better else " (letters, digits and _ - . @ + only)")
            + " and grade again")


def _refused_lookalike(name: str, other: str, roster: set[str]) -> str:
    """Why acceptable `name` is refused for looking like `other` (the roster's first, see id_problems)."""
    if other in roster and name not in roster:
        return (f"looks like '{_shown_other(other, roster)}', a student on the gradebook's roster (Unicode's "
                f"confusables, UTS #39): {MOVE_OR_RENAME}")
    if name in roster:
        return (f"looks like '{shown(other, refused=True)}' (Unicode's confusables, UTS #39) and both are on the "
                "gradebook's roster, so they cannot be told apart: remove the wrong one (`nbgrader db student remove "
                "ID`) or rename one, and grade again")
    return (f"looks like '{shown(other, refused=True)}', also submitted (Unicode's confusables, UTS #39), and "
            "neither is on the gradebook's roster: add the real student (`nbgrader db student add ID`) and grade again")
