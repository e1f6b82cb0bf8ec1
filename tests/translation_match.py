"""Whether a translation matches its English: the same code spans, formulas and numbers block for block (the
notebooks' markdown cells), and the same code words (the catalog's one-line messages). Used by test_language and
test_language_messages."""
from __future__ import annotations

import re
from collections import Counter

from dnnkit.language import blocks, is_heading

# What a translation keeps exactly as the English has it.
FENCE = re.compile(r"^```")
CODE = re.compile(r"`[^`\n]+`")
MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.S)
NUMBER = re.compile(r"\d+(?:\.\d+)?")


def invariants(block: str) -> dict:
    """What of `block` is the same in every language: a fenced block whole; else its code spans, formulas, and
    the numbers in the rest (each as a multiset), and whether it is a heading."""
    if FENCE.match(block):
        return {"fenced block": block}
    code = CODE.findall(block)
    rest = CODE.sub(" ", block)
    math = MATH.findall(rest)
    rest = MATH.sub(" ", rest)
    return {"code spans": Counter(code), "formulas": Counter(math), "numbers": Counter(NUMBER.findall(rest)),
            "heading": is_heading(block)}


def mismatches(english: str, chinese: str) -> list[str]:
    """How `chinese` fails to match `english` block for block (empty: it matches)."""
    en, zh = blocks(english), blocks(chinese)
    if len(en) != len(zh):
        return [f"{len(en)} blocks in English, {len(zh)} in Chinese"]
    found = []
    for i, (e, z) in enumerate(zip(en, zh), 1):
        a, b = invariants(e), invariants(z)
        for key in a.keys() | b.keys():
            if a.get(key) != b.get(key):
                found.append(f"block {i} ({e[:40]!r}): {key} differ: {a.get(key)} vs {b.get(key)}")
    return found


# In a plain-text message (no code spans: the catalog's and the checks' texts), the words that are code: a
# call's name (not English's "problem(s)"), a name with an underscore or a digit, a dotted name (not "i.e.").
CODE_WORD = re.compile(r"[A-Za-z_][\w.]*(?=\((?!s\)))|[A-Za-z]\w*_\w*|[A-Za-z]+\d\w*|"
                       r"\b(?!i\.e\.|e\.g\.)[A-Za-z]+\.[A-Za-z_][\w.]*")


def message_mismatches(english: str, chinese: str) -> list[str]:
    """How the Chinese of a one-line message fails to match its English: `mismatches`, and the code words
    (CODE_WORD) as a multiset; empty: it matches."""
    found = mismatches(english, chinese)
    a, b = Counter(CODE_WORD.findall(english)), Counter(CODE_WORD.findall(chinese))
    if a != b:
        found.append(f"code words differ: {dict(a - b)} only in English, {dict(b - a)} only in Chinese")
    return found

