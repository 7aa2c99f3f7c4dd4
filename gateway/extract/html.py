"""HTML to text the way a reader sees it, plus what a reader cannot see (design §5.2 HTML row).

selectolax (Lexbor) parses; script and style are dropped; a newline follows every block element, a tab every
table cell, and inline elements are joined with ``""`` so ``<b>19811218</b>-9876`` stays one number
(``separator="\\n"`` would split it). Hidden text (``display:none``) is kept on purpose: it is still sent.
So is what a reader never sees but the recipient still gets: comments (``<!-- … -->``) and the text of
``alt``, ``title``, ``aria-label``, ``placeholder`` and ``value`` attributes, one per line after the text.
If selectolax fails, a stdlib ``html.parser`` fallback gives the same shape of text, slower.

Security: the markup is hostile. Nothing is fetched or executed; entities are decoded by the parser; the
walker's ``max_chars`` bounds the output; both parsers are linear in the input.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from html.parser import HTMLParser

from gateway.extract.base import Budget, Item, extractor
from gateway.mime.charset import decode_bytes
from gateway.model import Part, TextChunk

_DROP = "script,style,template"
_BLOCKS = frozenset(
    "address article aside blockquote caption center dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody thead tfoot "
    "title tr ul option legend".split()
)
_CELLS = frozenset({"td", "th"})
_BLOCK_CSS = ",".join(sorted(_BLOCKS))
_CELL_CSS = ",".join(sorted(_CELLS))
_BLANKS = re.compile(r"\n[ \t\r\f\v]*(?:\n[ \t\r\f\v]*){2,}")
_TEXT_ATTRS = ("alt", "title", "aria-label", "placeholder", "value")
_TEXT_ATTR_CSS = ",".join(f"[{a}]" for a in _TEXT_ATTRS)

log = logging.getLogger(__name__)


def html_to_text(html: str) -> str:
    """Visible and hidden text of ``html``, with line structure; never raises."""
    if not html.strip():
        return ""
    try:
        text, attrs = _lexbor(html)
    except Exception:  # noqa: BLE001 - fall back to the stdlib parser on any selectolax failure
        log.debug("selectolax failed; using html.parser", exc_info=True)
        text, attrs = _stdlib(html)  # attrs: attribute texts and authored comments
    hidden = [h for h in attrs if h.strip()]
    if hidden:
        text += "\n\n" + "\n".join(" ".join(h.split()) for h in hidden)
    return _BLANKS.sub("\n\n", text).strip()


def _authored(comment: str | None) -> bool:
    """A comment someone wrote, not Outlook's conditional markup (``[if gte mso 9]><xml>…``)."""
    head = (comment or "").lstrip()[:8].lower()
    return bool(head) and not head.startswith(("[if", "[endif", "<![endif"))


def _lexbor(html: str) -> tuple[str, list[str]]:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html.replace("\x00", "\ufffd"))
    for node in tree.css(_DROP):
        node.decompose()
    hidden = [v for node in tree.css(_TEXT_ATTR_CSS) for a in _TEXT_ATTRS if (v := node.attributes.get(a))]
    for node in tree.css(_BLOCK_CSS):
        node.insert_after("\n")
    for node in tree.css(_CELL_CSS):
        node.insert_after("\t")
    for node in tree.css("br"):
        node.replace_with("\n")
    root = tree.root
    if root is None:
        return "", hidden
    # comments outside script/style (those are raw text to the parser, and were dropped with them)
    hidden.extend(str(n.comment_content) for n in root.traverse(include_text=False)
                  if n.tag == "-comment" and _authored(n.comment_content))
    return str(root.text(deep=True, separator="")), hidden


class _TextParser(HTMLParser):
    """Fallback: collect text outside script/style, newline after blocks, tab after cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.attrs: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skip:
            self.attrs.extend(v for k, v in attrs if k in _TEXT_ATTRS and v)
        if tag in ("script", "style", "template"):
            self.skip += 1
        elif tag == "br":
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template"):
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCKS:
            self.out.append("\n")
        elif tag in _CELLS:
            self.out.append("\t")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(data)

    def handle_comment(self, data: str) -> None:
        if not self.skip and _authored(data):
            self.attrs.append(data)


def _stdlib(html: str) -> tuple[str, list[str]]:
    parser = _TextParser()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - keep whatever was collected before the failure
        log.debug("html.parser failed", exc_info=True)
    return "".join(parser.out), parser.attrs


def charset_of(declared_type: str) -> str | None:
    """The ``charset=`` parameter of a declared Content-Type string, if any."""
    m = re.search(r"charset\s*=\s*\"?([^\";\s]+)", declared_type, re.IGNORECASE)
    return m.group(1) if m else None


_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?([A-Za-z0-9_.:-]{1,40})", re.IGNORECASE)


@extractor("html")
def extract_html(part: Part, budget: Budget) -> Iterator[Item]:
    """An HTML attachment (or a part sniffed as HTML): decode, strip markup, one chunk."""
    declared = charset_of(part.declared_type)
    if declared is None:
        m = _META_CHARSET.search(part.data[:4096])
        declared = m.group(1).decode("ascii") if m else None
    text = html_to_text(decode_bytes(part.data, declared))
    budget.check_time()
    yield TextChunk(part.location, "attachment", text)
