"""Property: random MIME trees built with ``email`` never make extract_message raise, and every text leaf's
marker reaches some chunk (random nesting, containers, transfer encodings, charsets and file names)."""

from __future__ import annotations

import base64
import quopri
from email.message import Message
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.extract.walk import extract_message
from gateway.model import Reason

CHARSETS = ["utf-8", "iso-8859-1", "windows-1252", "utf-16", "x-bogus", "unknown-8bit"]
ENCODINGS = ["7bit", "8bit", "quoted-printable", "base64"]
NAMES = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=24)


class Tree:
    """Builds the message and remembers the marker of every text leaf."""

    def __init__(self) -> None:
        self.markers: list[str] = []

    def marker(self) -> str:
        self.markers.append(f"Sekretessbelagd{len(self.markers):03d}x")
        return self.markers[-1]


def encode(text: str, charset: str, cte: str) -> tuple[str, str]:
    codec = {"x-bogus": "cp1252", "unknown-8bit": "cp1252"}.get(charset, charset)
    data = text.encode(codec)
    if cte == "7bit" and not data.isascii():
        cte = "base64"
    if cte == "base64":
        return base64.encodebytes(data).decode("ascii"), cte
    if cte == "quoted-printable":
        return quopri.encodestring(data).decode("ascii"), cte
    return data.decode("ascii", "surrogateescape"), cte


@st.composite
def leaf(draw: st.DrawFn, tree: Tree) -> Message:
    kind = draw(st.sampled_from(["plain", "html", "txt-attachment", "binary"]))
    charset, cte = draw(st.sampled_from(CHARSETS)), draw(st.sampled_from(ENCODINGS))
    if kind == "binary":
        part = MIMENonMultipart("application", "octet-stream")
        part.set_payload(base64.encodebytes(draw(st.binary(max_size=64)) + b"\x00\x01").decode())
        part["Content-Transfer-Encoding"] = "base64"
        part.add_header("Content-Disposition", "attachment", filename=draw(NAMES) or "x")
        return part
    mark = tree.marker()
    text = f"Åsa Öberg: {mark} är här." if kind != "html" else f"<p>Åsa <b>{mark}</b> &amp; Öberg</p>"
    part = MIMENonMultipart("text", "html" if kind == "html" else "plain", charset=charset)
    payload, cte = encode(text, charset, cte)
    part.set_payload(payload)
    part["Content-Transfer-Encoding"] = cte
    part.dlp_marker = mark  # type: ignore[attr-defined]  # strategies may discard drawn leaves: read markers back
    if kind == "txt-attachment":
        part.add_header("Content-Disposition", "attachment", filename=(draw(NAMES) or "fil") + ".txt")
    return part


def trees(tree: Tree) -> st.SearchStrategy[Message]:
    def extend(children: st.SearchStrategy[Message]) -> st.SearchStrategy[Message]:
        return st.one_of(
            st.builds(container, st.sampled_from(["mixed", "alternative", "related", "report"]),
                      st.lists(children, min_size=1, max_size=4)),
            st.builds(forward, children),
        )

    return st.recursive(leaf(tree), extend, max_leaves=12)


def container(subtype: str, children: list[Message]) -> Message:
    outer = MIMEMultipart(subtype)
    for child in children:
        outer.attach(child)
    return outer


def forward(child: Message) -> Message:
    inner = child if child.get("Subject") else child
    inner["Subject"] = "Vidarebefordrat"
    return MIMEMessage(inner)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_trees_keep_every_marker(data: st.DataObject) -> None:
    tree = Tree()
    msg = data.draw(trees(tree))
    msg["Subject"] = "Slumpat meddelande"
    raw = msg.as_bytes()
    ex = extract_message(raw)
    text = "\n".join(c.text for c in ex.chunks)
    markers = [p.dlp_marker for p in msg.walk() if hasattr(p, "dlp_marker")]
    missing = [m for m in markers if m not in text]
    assert missing == [], (missing, [u for u in ex.unscannable])
    assert all(u.reason != Reason.PARSER_CRASH for u in ex.unscannable)
    assert all(u.location.path[0].startswith("attachment[") for u in ex.unscannable)  # only the binary leaves


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    ex = extract_message(b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" + raw)
    assert isinstance(ex.chunks, list)
