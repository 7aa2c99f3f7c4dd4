"""ODT/ODP extraction on documents built with odfpy: header in styles.xml, notes, comments, tables, meta."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage

from odf import dc, meta
from odf.draw import Frame, Page, TextBox
from odf.office import Annotation, ChangeInfo
from odf.opendocument import OpenDocumentPresentation, OpenDocumentText
from odf.presentation import Notes
from odf.style import Footer, Header, MasterPage, PageLayout
from odf.table import Table, TableCell, TableRow
from odf.text import (
    ChangedRegion,
    Deletion,
    HiddenText,
    Note,
    NoteBody,
    NoteCitation,
    P,
    Span,
    TrackedChanges,
)

from gateway.extract.base import Budget
from gateway.extract.odf import extract_odf
from gateway.extract.walk import extract_message
from gateway.model import Location, Part, Reason, TextChunk, Unscannable

PNR = "19121212-1212"


def mail(data: bytes, name: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@kommun.se", "b@example.com", "underlag"
    msg.set_content("Bifogat.")
    msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


def chunks_of(raw: bytes) -> tuple[dict[str, TextChunk], list[Unscannable]]:
    ex = extract_message(raw)
    return {str(c.location): c for c in ex.chunks}, ex.unscannable


def build_odt() -> bytes:
    doc = OpenDocumentText()
    layout = PageLayout(name="pm1")
    doc.automaticstyles.addElement(layout)
    master = MasterPage(name="Standard", pagelayoutname=layout)
    header, footer = Header(), Footer()
    header.addElement(P(text="Sekretessbelagd handling"))
    footer.addElement(P(text="Barn- och utbildningsförvaltningen"))
    master.addElement(header)
    master.addElement(footer)
    doc.masterstyles.addElement(master)
    para = P(text="Elevens personnummer 19121212-")
    para.addElement(Span(text="1212"))
    note = Note(noteclass="footnote", id="ftn1")
    note.addElement(NoteCitation(text="1"))
    body = NoteBody()
    body.addElement(P(text="Se bifogat läkarintyg"))
    note.addElement(body)
    para.addElement(note)
    para.addText(" enligt beslut.")
    doc.text.addElement(para)
    commented = P(text="Utredning")
    comment = Annotation()
    comment.addElement(P(text="Omfattas av sekretess"))
    commented.addElement(comment)
    doc.text.addElement(commented)
    table = Table(name="T")
    for cells in (("Namn", "Personnummer"), ("Tolvan", "191212121212")):
        row = TableRow()
        for value in cells:
            cell = TableCell()
            cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    doc.text.addElement(table)
    changes = TrackedChanges()
    region = ChangedRegion(qattributes={("http://www.w3.org/XML/1998/namespace", "id"): "ct1"})
    deletion = Deletion()
    info = ChangeInfo()
    info.addElement(dc.Creator(text="Handläggare"))
    info.addElement(dc.Date(text="2024-01-01T00:00:00"))
    deletion.addElement(info)
    deletion.addElement(P(text="Borttaget: skyddad identitet"))
    region.addElement(deletion)
    changes.addElement(region)
    doc.text.addElement(changes)
    hidden = P(text="Synligt ")
    hidden.addElement(HiddenText(condition="ooow:true", stringvalue="dold text", text="dold diagnos"))
    doc.text.addElement(hidden)
    doc.meta.addElement(dc.Title(text="Elevärende"))
    doc.meta.addElement(meta.UserDefined(name="MSIP_Label_abc_Enabled", text="true"))
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def test_odt_parts_are_found_in_their_locations() -> None:
    chunks, unscannable = chunks_of(mail(build_odt(), "beslut.odt"))
    assert unscannable == []
    content = chunks["attachment[1] beslut.odt > content.xml"].text
    assert f"Elevens personnummer {PNR} enligt beslut.\n" in content  # footnote does not split the sentence
    assert "Se bifogat läkarintyg\n" in content
    assert "Omfattas av sekretess" in content
    assert "Namn\tPersonnummer\nTolvan\t191212121212\n" in content
    assert "Borttaget: skyddad identitet\n" in content  # tracked deletion
    assert "Handläggare" not in content  # change metadata is not document text
    assert "Synligt dold diagnos\n" in content  # hidden text is kept
    styles = chunks["attachment[1] beslut.odt > styles.xml"].text
    assert "Sekretessbelagd handling" in styles and "Barn- och utbildningsförvaltningen" in styles
    meta_chunk = chunks["attachment[1] beslut.odt > meta.xml"]
    assert meta_chunk.origin == "metadata"
    assert meta_chunk.text.splitlines() == ["title: Elevärende", "MSIP_Label_abc_Enabled=true"]


def build_odp() -> bytes:
    doc = OpenDocumentPresentation()
    layout = PageLayout(name="pl")
    doc.automaticstyles.addElement(layout)
    master = MasterPage(name="M", pagelayoutname=layout)
    doc.masterstyles.addElement(master)
    page = Page(masterpagename=master)
    frame = Frame(width="10cm", height="2cm", x="1cm", y="1cm")
    box = TextBox()
    box.addElement(P(text="Veckans ärenden"))
    frame.addElement(box)
    page.addElement(frame)
    notes = Notes()
    nframe = Frame(width="10cm", height="2cm", x="1cm", y="1cm")
    nbox = TextBox()
    nbox.addElement(P(text=f"Talaranteckning: {PNR} har läkarintyg"))
    nframe.addElement(nbox)
    notes.addElement(nframe)
    page.addElement(notes)
    doc.presentation.addElement(page)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def test_odp_slides_and_notes() -> None:
    chunks, unscannable = chunks_of(mail(build_odp(), "bilder.odp"))
    assert unscannable == []
    content = chunks["attachment[1] bilder.odp > content.xml"].text
    assert "Veckans ärenden" in content
    assert f"Talaranteckning: {PNR} har läkarintyg" in content


def part(data: bytes) -> Part:
    return Part(Location(("attachment[1] x.odt",)), "application/octet-stream", "x.odt", data, 1, "odt")


def test_password_protected_package_is_encrypted() -> None:
    src = io.BytesIO(build_odt())
    out = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            body = zin.read(info)
            if info.filename == "META-INF/manifest.xml":
                body = body.replace(b"</manifest:manifest>", b"<manifest:encryption-data/></manifest:manifest>")
            if info.filename == "content.xml":
                body = b"\x8f\x12 ciphertext"
            zout.writestr(info, body)
    items = list(extract_odf(part(out.getvalue()), Budget()))
    assert (Reason.ENCRYPTED, "attachment[1] x.odt") in [
        (i.reason, str(i.location)) for i in items if isinstance(i, Unscannable)
    ]
    assert not any(isinstance(i, TextChunk) and i.origin == "attachment" for i in items)


def test_billion_laughs_in_content_is_corrupt() -> None:
    src = io.BytesIO(build_odt())
    out = io.BytesIO()
    laughs = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "x"><!ENTITY b "&a;&a;">]><d>&b;</d>'
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, laughs if info.filename == "content.xml" else zin.read(info))
    items = list(extract_odf(part(out.getvalue()), Budget()))
    assert ("attachment[1] x.odt > content.xml", Reason.CORRUPT) in [
        (str(i.location), i.reason) for i in items if isinstance(i, Unscannable)
    ]
