"""Names a student controls: the student id (the folder name under submitted/) and the names of the files in a
submission. One job: say whether an id is acceptable, and show any such text so that it is inert in a
terminal and in a spreadsheet.

- `id_problem(name)`: why `name` cannot be a student id, or None. Accepted: letters of any script (valid UTF-8,
  combining marks included), digits, and `_ - . @ +` (e-mail-like ids), up to 100 characters, beginning with a
  letter, a digit or `_`, and not named like a file dnnkit writes in autograded/. Everything else is refused:
  markup (`< > & " '` and backtick, so `o'brien` too), a spreadsheet formula (begins with `= + - @`), control,
  format and invisible characters (categories Cc, Cf, Cs, Co, Cn, Zl, Zp) and any whitespace, paths (`/`, `\\`,
  `.`, `..`, a leading `.`), bytes that are not UTF-8, and other punctuation or symbols.
- `shown(name)`: a name as it can be printed: every character that is not visible text (the categories above,
  whitespace other than the plain space), every byte that is not UTF-8 and every backslash is escaped
  (`\\x1b`, `\\u202e`, `\\xe9` for the byte 0xe9, `\\x5c` for a backslash), so the result holds no control
  sequence, cannot start a new line, and two different names never look the same.
- `one_line(text)`: the same for a composed message that may already hold shown names: backslashes are kept.
- `csv_cell(text)`: a text cell neutralized for spreadsheets (OWASP CSV injection): a cell that begins with
  `= + - @`, a tab or a carriage return gets a leading single quote.

The categories come from the standard library's `unicodedata` (the Unicode database of this Python)."""
from __future__ import annotations

import os
import unicodedata

MAX_ID_CHARS = 100
ID_PUNCTUATION = "_-.@+"  # allowed in an id besides letters, combining marks and digits
MARKUP = "<>&\"'`"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula
KIT_PREFIXES = ("report-", "grades-", "grades.")  # autograded/report-A.html, grades-A.csv, nbgrader's grades.csv
KIT_SUFFIXES = (".html", ".htm", ".csv", ".json", ".md")  # .md: autograded/README.md
INVISIBLE = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")  # control, format (bidi, zero-width), surrogate, unassigned


def _invisible(char: str) -> bool:
    """A character a terminal does not show as itself: control, format, line or paragraph separator,
    unassigned, or whitespace other than the plain space."""
    return unicodedata.category(char) in INVISIBLE or (char != " " and char.isspace())


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, as os.fsdecode keeps it (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _inert(text, backslash: bool) -> str:
    return "".join(_escape(c) if _invisible(c) or (backslash and c == "\\") else c for c in str(text))


def shown(name) -> str:
    """`name` (a student id or a file name, possibly holding undecodable bytes) as it can be printed."""
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
    for char in name:
        if char in MARKUP:
            return f"holds {char!r}, which could act as HTML markup"
    for char in name:
        if _invisible(char) or char.isspace():
            kind = "whitespace" if char.isspace() else "a control or invisible character"
            return f"holds {kind} (U+{ord(char):04X})"
    for char in name:
        if char in "/\\":
            return f"holds {char!r}, a path separator"
    if name.startswith("."):
        return "a path ('.' or '..')" if name in (".", "..") else "begins with '.' (a hidden file)"
    if unicodedata.category(name[0])[0] not in "LN" and name[0] != "_":
        return "does not begin with a letter, a digit or '_'"
    for char in name:
        if not _allowed(char):
            return f"holds {char!r}, which is not a letter, a digit or one of _ - . @ +"
    folded = name.casefold()
    if folded.startswith(KIT_PREFIXES) or folded.endswith(KIT_SUFFIXES):
        return "named like a file of the kit's in autograded/ (report-*, grades-*, *.html, *.csv, *.json, *.md)"
    return None


def suggested_id(name: str) -> str | None:
    """An acceptable id close to a refused `name` (accents dropped, other characters made `_`), or None.
    Bytes that are not UTF-8 are read as Latin-1, as zips from learning platforms hold them."""
    try:
        raw = os.fsencode(name)
    except UnicodeEncodeError:  # a surrogate no file system name holds
        raw = name.encode("utf-8", errors="replace")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if unicodedata.category(c) != "Mn")
    text = "".join(c if _allowed(c) else "_" for c in unicodedata.normalize("NFC", text))
    while "__" in text:
        text = text.replace("__", "_")
    text = text.strip("_.-+@")[:MAX_ID_CHARS]
    return text if text and id_problem(text) is None else None
