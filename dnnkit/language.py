"""The language of a course's notebooks: `c.Dnnkit.language` in nbgrader_config.py, and the nbgrader preprocessor
(in c.GenerateAssignment.preprocessors) that writes each markdown cell in it from the English text and the Chinese
in metadata["dnnkit"]["zh"] (docs/languages.md)."""
from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode
from traitlets.config import Configurable

LANGUAGES = ("en", "zh", "en+zh")


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
        fenced ^= line.startswith("```")
        if line.strip() or fenced:
            current.append(line)
        elif current:
            found.append("\n".join(current))
            current = []
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
    """Writes each markdown cell in the course's language and drops the Chinese from the cell's metadata: a
    released notebook holds one text per cell."""

    def preprocess(self, nb, resources):
        language = check_language(Dnnkit(parent=self).language)
        for cell in nb.cells:
            if cell.cell_type != "markdown":
                continue
            cell.source = localized(cell, language)
            extra = cell.metadata.get("dnnkit")
            if extra is not None:
                extra.pop("zh", None)
                if not extra:
                    del cell.metadata["dnnkit"]
        return nb, resources
