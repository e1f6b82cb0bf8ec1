"""Student markup made inert: what a student wrote in a notebook (markdown, raw HTML, outputs, attachments) is
reduced to a safe subset before anyone else's browser shows it (formgrader, feedback HTML, JupyterLab).
`sanitize_notebook(nb)` edits a notebook in place and returns one line per thing it removed ("markdown cell 12:
removed <script>"); `SanitizeStudentMarkup` runs it as an nbconvert/nbgrader preprocessor. How and why:
docs/threat-model.md (Markup)."""
from __future__ import annotations

import base64
import binascii
import functools
import html
import re
from collections import Counter
from xml.etree import ElementTree

import bleach
from bleach import html5lib_shim
from bleach.css_sanitizer import CSSSanitizer
from nbconvert.filters.markdown_mistune import InvalidNotebook, IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

# ------------------------------------------------------------------------------------------------ policy

TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "input", "ins", "kbd", "li", "mark", "ol", "p", "pre",
    "q", "s", "samp", "small", "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var",
})
_CELL = ("align", "colspan", "rowspan", "style")       # style: text-align only (markdown table alignment)
ATTRIBUTES = {
    "a": ("href", "title"),
    "abbr": ("title",),
    "img": ("src", "alt", "title", "width", "height"),
    "td": _CELL,
    "th": _CELL,
    "ol": ("start",),
    "details": ("open",),
    "input": ("type", "checked", "disabled", "class"),   # markdown task lists: disabled checkboxes
    # code highlighting (pygments) and nbconvert's renderer
    "code": ("class",), "div": ("class",), "pre": ("class",), "span": ("class",), "li": ("class",),
}
PROTOCOLS = frozenset({"http", "https", "mailto", "data"})   # data: only for images, below
SAFE_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
_RASTER_DATA_URL = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,[a-z0-9+/=]*$")
_URL_JUNK = re.compile(r"[`\000-\040\177-\240\s]+")      # what browsers ignore in a URL (as bleach does)
_CSS = CSSSanitizer(allowed_css_properties=frozenset({"text-align"}))

# output MIME types shown as they are (plain text, JSON, raster images, LaTeX typeset in MathJax's Safe mode)
SAFE_OUTPUT_TYPES = frozenset({"text/plain", "application/json", "text/latex", *SAFE_IMAGE_TYPES})
_URL_ATTRIBUTES = {name for _ns, name in html5lib_shim.attr_val_is_uri}
_RASTER_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}


def _compact_url(value: str) -> str:
    return _URL_JUNK.sub("", html5lib_shim.convert_entities(value)).lower()


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name not in ATTRIBUTES.get(tag, ()):
        return False
    if name in _URL_ATTRIBUTES and _compact_url(value).startswith("data:"):
        return tag == "img" and name == "src" and bool(_RASTER_DATA_URL.match(_compact_url(value)))
    if tag == "input" and name == "type":
        return value.strip().lower() == "checkbox"
    return True


class _CheckboxesOnly(html5lib_shim.Filter):
    """bleach keeps or drops tags by name only: of <input>, keep the checkboxes (markdown task lists)."""

    def __iter__(self):
        for token in super().__iter__():
            if token.get("name") == "input" and token["type"] in ("StartTag", "EmptyTag", "EndTag") and (
                    token["type"] == "EndTag" or (token.get("data") or {}).get((None, "type")) != "checkbox"):
                continue
            yield token


def _cleaner() -> bleach.Cleaner:
    """A fresh bleach Cleaner with the policy above (a Cleaner is not thread-safe)."""
    return bleach.Cleaner(tags=TAGS, attributes=_allowed_attribute, protocols=PROTOCOLS, strip=True,
                          strip_comments=True, css_sanitizer=_CSS, filters=[_CheckboxesOnly])


# ------------------------------------------------------------------------------ what was removed, in words

_NAME = re.compile(r"[a-z][a-z0-9:_-]{0,30}$")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]{0,20}):")
_MEDIA_TYPE = re.compile(r"[a-z0-9.+-]{1,40}/[a-z0-9.+-]{1,60}")
_MEDIA = re.compile(r"data:(" + _MEDIA_TYPE.pattern + ")")


def _shown(name: str) -> str:
    """A tag or attribute name as it may appear in a report line (never the student's raw text)."""
    return name if _NAME.match(name) else "?"


def _shown_media(media) -> str:
    return media if isinstance(media, str) and _MEDIA_TYPE.fullmatch(media) else "?"


def _url_kind(value: str) -> str:
    url = _compact_url(value)
    if url.startswith("data:"):
        media = _MEDIA.match(url)
        return f"data:{media.group(1) if media else ''}"
    scheme = _SCHEME.match(url)
    return f"{scheme.group(1)}:" if scheme else "relative"


def _markup(fragment: str) -> tuple[Counter, dict]:
    """The elements, attributes and comments of an HTML fragment as the browser's parser (html5lib) sees it:
    a Counter of ("tag", name), ("attr", tag, name, URL kind or "") and "an HTML comment"; and, per tag, the
    event handler attributes it carried."""
    parser = html5lib_shim.BleachHTMLParser(tags=None, strip=False, consume_entities=False,
                                            namespaceHTMLElements=False)
    found: Counter = Counter()
    handlers: dict[str, set] = {}
    for element in parser.parseFragment(fragment).iter():
        if element.tag is ElementTree.Comment:
            found["an HTML comment"] += 1
            continue
        if not isinstance(element.tag, str) or element.tag == "DOCUMENT_FRAGMENT":
            continue
        tag = _shown(element.tag.rsplit("}", 1)[-1].lower())          # "{svg namespace}svg" -> "svg"
        found[("tag", tag)] += 1
        for name, value in element.attrib.items():
            name = _shown(str(name).rsplit("}", 1)[-1].lower())
            found[("attr", tag, name, _url_kind(value) if name in _URL_ATTRIBUTES else "")] += 1
            if name.startswith("on"):
                handlers.setdefault(tag, set()).add(name)
    return found, handlers


def _removed(before: str, after: str) -> list[str]:
    """What sanitizing `before` into `after` took away, one phrase each, e.g. "removed <script>",
    "removed <svg> with onload=", "removed onerror= from <img>", "removed javascript: URL from <a href>"."""
    (had, handlers), (kept, _) = _markup(before), _markup(after)
    gone = had - kept
    removed_tags = {key[1] for key in gone if isinstance(key, tuple) and key[0] == "tag"}
    phrases = []
    for key, count in gone.items():
        times = f" ({count}x)" if count > 1 else ""
        if isinstance(key, str):
            phrases.append(f"removed {key}{times}")
        elif key[0] == "tag":
            on = sorted(handlers.get(key[1], ()))
            phrases.append(f"removed <{key[1]}>{' with ' + ', '.join(h + '=' for h in on) if on else ''}{times}")
        elif key[1] not in removed_tags:             # the attributes of a removed element go with it
            _attr, tag, name, kind = key
            if kind == "attachment:":
                phrases.append(f"removed the URL of a missing attachment from <{tag} {name}>{times}")
            elif kind and kind != "relative":
                phrases.append(f"removed {kind} URL from <{tag} {name}>{times}")
            else:
                phrases.append(f"removed {name}= from <{tag}>{times}")
    return phrases


# -------------------------------------------------------------------------------------------- sanitizing


class _Renderer(IPythonRenderer):
    """nbconvert's markdown renderer, noting whether the source holds raw HTML; a missing attachment leaves
    its `attachment:` URL in place (the sanitizer then drops it) instead of failing the whole export."""

    raw_html = False

    def block_html(self, html: str) -> str:
        self.raw_html = True
        return super().block_html(html)

    def inline_html(self, html: str) -> str:
        self.raw_html = True
        return super().inline_html(html)

    def _embed_image_or_attachment(self, src: str) -> str:
        try:
            return super()._embed_image_or_attachment(src)
        except InvalidNotebook:
            return src


def _single_block(fragment: str, note: str = "") -> str:
    """Sanitized HTML as markdown source that every markdown renderer passes through unchanged: one line
    (newlines as character references) starting with <div>, i.e. one HTML block. Sanitizing it again leaves
    it as it is."""
    body = (note + fragment.strip()).replace("\r\n", "\n").replace("\r", "\n").replace("\n", "&#10;")
    return _cleaner().clean(f"<div>{body}</div>")


def _note(phrases) -> str:
    """A visible line heading a sanitized cell or output: what was removed."""
    return f"<p><em>[{html.escape('dnnkit: ' + '; '.join(phrases), quote=False)}]</em></p>"


def sanitize_markdown(source: str, attachments: dict | None = None) -> tuple[str, tuple[str, ...]]:
    """(markdown to keep, phrases) for one markdown text: the source itself when it holds no raw HTML and its
    rendering is safe, else its sanitized rendering as one HTML block, headed by a note of what was removed."""
    if attachments or len(source) > 20000:  # only short texts without pictures are kept in the cache
        return _sanitize_markdown(source, attachments)
    return _sanitize_markdown_cached(source)  # the released cells recur in every submission


def _sanitize_markdown(source: str, attachments: dict | None) -> tuple[str, tuple[str, ...]]:
    renderer = _Renderer(escape=False, exclude_anchor_links=True, attachments=attachments or {})
    rendered = MarkdownWithMath(renderer=renderer).render(source)
    cleaned = _cleaner().clean(rendered)
    phrases = tuple(_removed(rendered, cleaned))
    if not phrases and (not renderer.raw_html or source.strip() == cleaned.strip()):
        return source, ()                  # safe markdown, or already its own sanitized rendering
    return _single_block(cleaned, _note(phrases) if phrases else ""), phrases


@functools.lru_cache(maxsize=4096)
def _sanitize_markdown_cached(source: str) -> tuple[str, tuple[str, ...]]:
    return _sanitize_markdown(source, None)


def sanitize_html(fragment: str) -> tuple[str, list[str]]:
    """(sanitized HTML, phrases) for an HTML fragment."""
    cleaned = _cleaner().clean(fragment)
    phrases = _removed(fragment, cleaned)
    return (_note(phrases) + cleaned if phrases else cleaned), phrases


def _safe_image(media: str, data) -> bool:
    """A raster image whose bytes start as that format does (nothing else may hide behind its name)."""
    if media not in _RASTER_MAGIC or not isinstance(data, str):
        return False
    start = re.sub(r"\s+", "", data[:256])[:64]
    try:
        head = base64.b64decode(start + "=" * (-len(start) % 4))
    except (binascii.Error, ValueError):
        return False
    return head.startswith(_RASTER_MAGIC[media])


def _sanitize_attachments(cell, where: str) -> list[str]:
    attachments = cell.get("attachments")
    if not attachments:
        return []
    lines = []
    if not isinstance(attachments, dict):
        del cell["attachments"]
        return [f"{where}: removed its attachments (not a mapping)"]
    for name in list(attachments):
        bundle = attachments[name]
        shown = repr(name) if re.fullmatch(r"[\w.-]{1,60}", str(name)) else "?"
        if not isinstance(bundle, dict):
            del attachments[name]
            lines.append(f"{where}: removed attachment {shown}")
            continue
        for media in list(bundle):
            if not _safe_image(media, bundle[media]):
                del bundle[media]
                lines.append(f"{where}: removed attachment {shown} ({_shown_media(media)})")
        if not bundle:
            del attachments[name]
    if not attachments:
        del cell["attachments"]
    return lines


def _text(value) -> str:
    """A notebook string (nbformat allows a list of lines)."""
    return "".join(map(str, value)) if isinstance(value, list) else str(value)


def _sanitize_outputs(cell, where: str) -> list[str]:
    lines = []
    for number, output in enumerate(cell.get("outputs") or [], start=1):
        data = output.get("data") if isinstance(output, dict) else None
        if not isinstance(data, dict):
            continue                       # stream and error outputs are plain text
        here = f"{where}, output {number}"
        dropped = []
        for media in list(data):
            value = data[media]
            if media in ("text/html", "text/markdown"):
                clean = sanitize_html if media == "text/html" else sanitize_markdown
                data[media], phrases = clean(_text(value))
                lines += [f"{here} ({media}): {phrase}" for phrase in phrases]
            elif media in SAFE_IMAGE_TYPES:
                if not _safe_image(media, _text(value)):
                    del data[media]
                    dropped.append(f"{media} (not an image)")
            elif media not in SAFE_OUTPUT_TYPES:
                del data[media]
                dropped.append(_shown_media(media))
        if dropped:
            lines.append(f"{here}: removed {', '.join(dropped)}")
            if not data:
                data["text/plain"] = f"[output removed by dnnkit: {', '.join(dropped)}]"
    return lines


def sanitize_notebook(nb) -> list[str]:
    """Make every student-controlled part of `nb` inert, in place; one line per thing removed, naming the cell
    by its position (1 = the first cell) and type, e.g. "markdown cell 12: removed <script>"."""
    lines = []
    metadata = nb.get("metadata")
    if isinstance(metadata, dict) and "widgets" in metadata:
        del metadata["widgets"]            # widget state makes nbconvert's page load and run a widget renderer
        lines.append("notebook metadata: removed the widget state")
    for number, cell in enumerate(nb.get("cells") or [], start=1):
        if not isinstance(cell, dict):
            continue                       # not a cell: nothing renders it
        kind = cell.get("cell_type")
        where = f"{kind if kind in ('markdown', 'code', 'raw') else 'unknown'} cell {number}"
        lines += _sanitize_attachments(cell, where)
        source = _text(cell.get("source", ""))
        if kind == "markdown":
            cell["source"], phrases = sanitize_markdown(source, cell.get("attachments"))
            lines += [f"{where}: {phrase}" for phrase in phrases]
        elif kind == "raw":
            cleaned, phrases = sanitize_html(source)
            if phrases:                    # raw text stays text unless it held markup that had to go
                cell["source"] = cleaned
                lines += [f"{where}: {phrase}" for phrase in phrases]
        elif kind == "code":
            lines += _sanitize_outputs(cell, where)
    return lines


class SanitizeStudentMarkup(Preprocessor):
    """nbconvert/nbgrader preprocessor running `sanitize_notebook`; logs each removal as a warning and keeps
    the lines in resources["dnnkit_sanitized"]. Enabled by default (c.SanitizeStudentMarkup.enabled)."""

    enabled = Bool(True, help="Whether to sanitize student markup").tag(config=True)

    def preprocess(self, nb, resources):
        lines = sanitize_notebook(nb)
        for line in lines:
            self.log.warning("Sanitized student markup: %s", line)
        if resources is not None:
            resources.setdefault("dnnkit_sanitized", []).extend(lines)
        return nb, resources
