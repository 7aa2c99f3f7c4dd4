"""DOCX/PPTX extraction on documents built with python-docx (plus XML edits) and hand-written PPTX packages."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage

import docx
import openpyxl
import pytest

from gateway.extract.base import Budget, LimitExceeded, Limits
from gateway.extract.ooxml import extract_ooxml
from gateway.extract.walk import extract_message
from gateway.model import Location, Part, Reason, TextChunk, Unscannable

PNR = "19121212-1212"
GUID = "3a3b5f2e-1d2c-4b5a-9e8f-0123456789ab"
SITE = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def mail(data: bytes, name: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@kommun.se", "b@example.com", "underlag"
    msg.set_content("Se bilaga.")
    msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


def by_location(raw: bytes, limits: Limits | None = None) -> tuple[dict[str, TextChunk], list[Unscannable]]:
    ex = extract_message(raw, limits)
    return {str(c.location): c for c in ex.chunks}, ex.unscannable


def rezip(data: bytes, replace: dict[str, bytes | str]) -> bytes:
    """Copy a package, replacing or adding members (the XML edits python-docx has no API for)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename not in replace:
                dst.writestr(info, src.read(info))
        for name, body in replace.items():
            dst.writestr(name, body)
    return out.getvalue()


def build_docx() -> bytes:
    doc = docx.Document()
    para = doc.add_paragraph("Personnummer ")
    para.add_run("19121212-").bold = True
    para.add_run("1212")
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Namn", "Personnummer"
    table.cell(1, 0).text, table.cell(1, 1).text = "Tolvan Tolvansson", "191212121212"
    hidden = doc.add_paragraph().add_run("dold diagnos F32.1")
    hidden.font.hidden = True
    doc.add_comment(para.runs[0], text="Skicka inte utan Säkra meddelanden", author="Handläggare")
    doc.sections[0].header.paragraphs[0].text = "Sekretessbelagd handling"
    doc.sections[0].footer.paragraphs[0].text = "Socialförvaltningen"
    doc.core_properties.title = "Utredning"
    doc.core_properties.keywords = "läkarintyg"
    out = io.BytesIO()
    doc.save(out)
    data = out.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        body = zf.read("word/document.xml").decode()
    deletion = '<w:p><w:del w:id="90" w:author="x" w:date="2024-01-01T00:00:00Z"><w:r><w:delText>borttaget läkarintyg</w:delText></w:r></w:del></w:p>'
    textbox = (
        '<w:p><w:r><w:t>Före rutan </w:t></w:r><w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml">'
        "<v:textbox><w:txbxContent><w:p><w:r><w:t>Textruta: skyddad identitet</w:t></w:r></w:p></w:txbxContent>"
        '</v:textbox></v:shape></w:pict></w:r><w:ins w:id="91" w:author="x"><w:r><w:t>efter rutan</w:t></w:r></w:ins></w:p>'
    )
    body = body.replace("<w:sectPr", deletion + textbox + "<w:sectPr", 1)
    footnotes = f'<w:footnotes {W}><w:footnote w:id="1"><w:p><w:r><w:t>Fotnot: {PNR}</w:t></w:r></w:p></w:footnote></w:footnotes>'
    custom = (
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="2" name="MSIP_Label_{GUID}_Enabled"><vt:lpwstr>true</vt:lpwstr></property>'
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="3" name="MSIP_Label_{GUID}_SiteId"><vt:lpwstr>{SITE}</vt:lpwstr></property>'
        "</Properties>"
    )
    labelinfo = (
        '<clbl:labelList xmlns:clbl="http://schemas.microsoft.com/office/2020/mipLabelMetadata">'
        f'<clbl:label id="{{{GUID}}}" enabled="1" method="Privileged" siteId="{{{SITE}}}" contentBits="0" removed="0"/>'
        "</clbl:labelList>"
    )
    return rezip(
        data,
        {
            "word/document.xml": body,
            "word/footnotes.xml": footnotes,
            "docProps/custom.xml": custom,
            "docMetadata/LabelInfo.xml": labelinfo,
            "word/charts/chart1.xml": (
                '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart"><c:chart><c:ser>'
                "<c:cat><c:strRef><c:f>Blad1!$A$2</c:f><c:strCache><c:pt idx=\"0\"><c:v>Tolvan 191212121212</c:v></c:pt>"
                "</c:strCache></c:strRef></c:cat><c:val><c:numRef><c:numCache><c:formatCode>General</c:formatCode>"
                "<c:pt idx=\"0\"><c:v>42</c:v></c:pt></c:numCache></c:numRef></c:val></c:ser></c:chart></c:chartSpace>"
            ),
            "customXml/item1.xml": (
                '<p:properties xmlns:p="http://schemas.microsoft.com/office/2006/metadata/properties">'
                "<documentManagement><Personnummer xmlns=\"urn:x\">191212121212</Personnummer>"
                "</documentManagement></p:properties>"
            ),
            "word/embeddings/Microsoft_Excel_Worksheet.xlsx": build_xlsx(),
        },
    )


def build_xlsx() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Elever"
    sheet.append(["Namn", "Personnummer"])
    sheet.append(["Tolvan", 191212121212])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def build_pptx(slide_text: str, notes_text: str) -> bytes:
    a = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
    p = 'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
    shape = "<p:sp><p:txBody><a:p><a:r><a:t>{}</a:t></a:r><a:r><a:t>{}</a:t></a:r></a:p></p:txBody></p:sp>"
    half = len(slide_text) // 2
    slide = f"<p:sld {a} {p}><p:cSld><p:spTree>{shape.format(slide_text[:half], slide_text[half:])}</p:spTree></p:cSld></p:sld>"
    notes = f"<p:notes {a} {p}><p:cSld><p:spTree>{shape.format(notes_text, '')}</p:spTree></p:cSld></p:notes>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        zf.writestr("ppt/presentation.xml", f"<p:presentation {p}/>")
        zf.writestr("ppt/slides/slide1.xml", slide)
        zf.writestr("ppt/notesSlides/notesSlide1.xml", notes)
        zf.writestr(
            "ppt/comments/comment1.xml",
            f'<p:cmLst {p}><p:cm authorId="0"><p:text>Granska: sekretess gäller</p:text></p:cm></p:cmLst>',
        )
    return out.getvalue()


@pytest.fixture(scope="module")
def docx_chunks() -> dict[str, TextChunk]:
    chunks, unscannable = by_location(mail(build_docx(), "rapport.docx"))
    assert unscannable == []
    return chunks


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        ("document.xml", f"Personnummer {PNR}\n"),
        ("document.xml", "Namn\tPersonnummer\nTolvan Tolvansson\t191212121212\n"),
        ("document.xml", "dold diagnos F32.1"),
        ("document.xml", "borttaget läkarintyg"),
        ("document.xml", "Före rutan efter rutan\n"),  # a text box does not split its host paragraph
        ("document.xml", "Textruta: skyddad identitet\n"),
        ("header1.xml", "Sekretessbelagd handling"),
        ("footer1.xml", "Socialförvaltningen"),
        ("footnotes.xml", f"Fotnot: {PNR}"),
        ("comments.xml", "Skicka inte utan Säkra meddelanden"),
        ("chart1.xml", "Tolvan 191212121212\n42\n"),
    ],
)
def test_docx_text_is_found_in_its_part(docx_chunks: dict[str, TextChunk], member: str, expected: str) -> None:
    chunk = docx_chunks[f"attachment[1] rapport.docx > {member}"]
    assert expected in chunk.text
    assert chunk.origin == "attachment"


def test_docx_properties_and_labels_are_metadata(docx_chunks: dict[str, TextChunk]) -> None:
    core = docx_chunks["attachment[1] rapport.docx > core.xml"]
    assert core.origin == "metadata" and "keywords: läkarintyg" in core.text
    custom = docx_chunks["attachment[1] rapport.docx > custom.xml"]
    assert custom.origin == "metadata"
    assert f"MSIP_Label_{GUID}_Enabled=true" in custom.text.splitlines()
    assert f"MSIP_Label_{GUID}_SiteId={SITE}" in custom.text.splitlines()
    sharepoint = docx_chunks["attachment[1] rapport.docx > item1.xml"]
    assert sharepoint.origin == "metadata" and sharepoint.text == "Personnummer: 191212121212"
    info = docx_chunks["attachment[1] rapport.docx > LabelInfo.xml"]
    assert info.text == f"label id={GUID} enabled=true siteId={SITE} method=Privileged contentBits=0"


def test_embedded_workbook_is_extracted_as_a_child(docx_chunks: dict[str, TextChunk]) -> None:
    sheet = docx_chunks["attachment[1] rapport.docx > Microsoft_Excel_Worksheet.xlsx > Elever"]
    assert "Namn\tPersonnummer\nTolvan\t191212121212\n" in sheet.text


def test_pptx_slides_and_speaker_notes() -> None:
    chunks, unscannable = by_location(mail(build_pptx(f"Elev {PNR}", "Anteckning: läkarintyg bifogas"), "bilder.bin"))
    assert unscannable == []
    assert f"Elev {PNR}" in chunks["attachment[1] bilder.bin > slide1.xml"].text
    assert "läkarintyg" in chunks["attachment[1] bilder.bin > notesSlide1.xml"].text
    assert "Granska: sekretess gäller\n" == chunks["attachment[1] bilder.bin > comment1.xml"].text


def part(data: bytes, kind: str = "docx") -> Part:
    return Part(Location(("attachment[1] x.docx",)), "application/octet-stream", "x.docx", data, 1, kind)


def test_entity_declarations_are_rejected_as_corrupt() -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        f"<w:document {W}><w:body><w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:body></w:document>"
    )
    data = rezip(build_docx(), {"word/document.xml": laughs})
    items = list(extract_ooxml(part(data), Budget()))
    bad = [i for i in items if isinstance(i, Unscannable)]
    assert [(str(u.location), u.reason) for u in bad] == [("attachment[1] x.docx > document.xml", Reason.CORRUPT)]
    assert any(isinstance(i, TextChunk) and "Sekretessbelagd" in i.text for i in items)  # other parts still read


def test_truncated_package_is_corrupt_not_clean() -> None:
    data = build_docx()
    items = list(extract_ooxml(part(data[: len(data) // 2]), Budget()))
    assert [(i.reason, i.detail) for i in items if isinstance(i, Unscannable)] == [(Reason.CORRUPT, "zip")]


def test_encrypted_member_is_reported() -> None:
    data = bytearray(build_docx())
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:  # set the encryption flag of every central-directory entry
        data[pos + 8] |= 1
        pos = data.find(b"PK\x01\x02", pos + 4)
    items = list(extract_ooxml(part(bytes(data)), Budget()))
    assert ("attachment[1] x.docx > document.xml", Reason.ENCRYPTED) in [
        (str(i.location), i.reason) for i in items if isinstance(i, Unscannable)
    ]
    assert not any(isinstance(i, TextChunk) for i in items)


def test_entry_count_and_ratio_limits() -> None:
    with pytest.raises(LimitExceeded, match="max_entries"):
        list(extract_ooxml(part(build_docx()), Budget(Limits(max_entries=5))))
    bomb = rezip(build_docx(), {"word/document.xml": b"<a>" + b" " * (4 << 20) + b"</a>"})
    with pytest.raises(LimitExceeded, match="max_ratio"):
        list(extract_ooxml(part(bomb), Budget(Limits(ratio_floor=1 << 20))))


def test_scan_reports_findings_per_part_and_the_label_as_confidential() -> None:
    from gateway.model import Category
    from gateway.scan import scan_bytes

    named = (
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="2" name="MSIP_Label_{GUID}_Enabled"><vt:lpwstr>true</vt:lpwstr></property>'
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="3" name="MSIP_Label_{GUID}_Name"><vt:lpwstr>Konfidentiell</vt:lpwstr></property>'
        "</Properties>"
    )
    result = scan_bytes(mail(rezip(build_docx(), {"docProps/custom.xml": named}), "rapport.docx"))
    found = {(f.category, f.location) for f in result.findings}
    assert (Category.PERSONNUMMER, "attachment[1] rapport.docx > footnotes.xml") in found
    assert (Category.CONFIDENTIAL, "attachment[1] rapport.docx > header1.xml") in found
    assert (Category.CONFIDENTIAL, "attachment[1] rapport.docx > custom.xml") in found
    assert result.unscannable == ()
