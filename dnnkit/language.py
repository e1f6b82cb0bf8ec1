"""The language of a course's notebooks: `c.Dnnkit.language` in nbgrader_config.py, and the nbgrader
preprocessor (in c.GenerateAssignment.preprocessors) that writes each markdown cell in it.

A source markdown cell holds its English as the cell's text and its Chinese in metadata["dnnkit"]["zh"],
block for block (blocks are separated by blank lines; a fenced code block is one block). Code cells are never
touched, so every language makes the same gradebook."""
from __future__ import annotations

import re
from collections import Counter

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode
from traitlets.config import Configurable

LANGUAGES = ("en", "zh", "en+zh")
TRANSLATIONS = ("zh",)  # the languages a source cell carries besides English


class LanguageError(ValueError):
    pass


def check_language(value, setting: str = "c.Dnnkit.language") -> str:
    """`value` if it is a course language, else a LanguageError naming `setting` and the choices."""
    if value not in LANGUAGES:
        raise LanguageError(f"{setting} = {value!r} is not a course language; choose {', '.join(LANGUAGES)}")
    return value


class Dnnkit(Configurable):
    """The `c.Dnnkit` section of nbgrader_config.py."""

    language = Unicode("en", help=f"language of the released notebooks' text: {', '.join(LANGUAGES)}").tag(
        config=True)


def blocks(text: str) -> list[str]:
    """The markdown's blocks: runs of lines between blank lines, a fenced code block kept whole."""
    found, current, fenced = [], [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not line.strip() and not fenced:
            if current:
                found.append("\n".join(current))
            current = []
        else:
            current.append(line)
    if current:
        found.append("\n".join(current))
    return found


def is_heading(block: str) -> bool:
    return block.startswith("#") and "\n" not in block


def merged_table(english: str, chinese: str) -> str | None:
    """One table with two-language headers, if the two tables differ only in their header row."""
    en, zh = english.splitlines(), chinese.splitlines()
    if not english.startswith("|") or en[1:] != zh[1:] or en[0].count("|") != zh[0].count("|"):
        return None
    heads = [(e.strip(), z.strip()) for e, z in zip(en[0].split("|")[1:-1], zh[0].split("|")[1:-1])]
    return "\n".join(["| " + " | ".join(e if e == z else f"{e} / {z}" for e, z in heads) + " |", *en[1:]])


def bilingual(english: str, chinese: str) -> str:
    """English with the Chinese under each of its blocks; a heading gets its Chinese after it, a table two-language
    headers, and a block that is the same in both (a diagram, a formula) appears once."""
    en, zh = blocks(english), blocks(chinese)
    if len(en) != len(zh):
        raise LanguageError(f"{len(en)} English blocks but {len(zh)} Chinese ones in the cell starting "
                            f"{english[:40]!r}")
    merged = []
    for e, z in zip(en, zh):
        if e == z:
            merged.append(e)
        elif is_heading(e):
            merged.append(f"{e} · {z.lstrip('#').strip()}")
        elif (table := merged_table(e, z)) is not None:
            merged.append(table)
        else:
            merged += [e, z]
    return "\n\n".join(merged)


def localized(cell, language: str) -> str:
    """The text of markdown `cell` in `language`."""
    if language == "en":
        return cell.source
    chinese = cell.metadata.get("dnnkit", {}).get("zh")
    if chinese is None:
        raise LanguageError(f"a markdown cell has no Chinese text (metadata dnnkit.zh): {cell.source[:60]!r}")
    return chinese if language == "zh" else bilingual(cell.source, chinese)


class Localize(NbGraderPreprocessor):
    """Writes each markdown cell in the course's language and drops the translations from the cell's metadata:
    a released notebook holds one text per cell."""

    def preprocess(self, nb, resources):
        language = check_language(Dnnkit(parent=self).language)
        for cell in nb.cells:
            if cell.cell_type != "markdown":
                continue
            cell.source = localized(cell, language)
            extra = cell.metadata.get("dnnkit")
            if extra is not None:
                for key in TRANSLATIONS:
                    extra.pop(key, None)
                if not extra:
                    del cell.metadata["dnnkit"]
        return nb, resources


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

