"""Spreadsheet extraction: openpyxl-built XLSX (hidden sheets, numbers, comments) and odfpy-built ODS."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage

import openpyxl
import pytest
from odf.office import Annotation
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P
from openpyxl.comments import Comment

from gateway.extract.base import Budget, LimitExceeded, Limits
from gateway.extract.walk import extract_message
from gateway.extract.xlsx import cell_text, extract_spreadsheet
from gateway.model import Location, Part, Reason, TextChunk, Unscannable

GUID = "3a3b5f2e-1d2c-4b5a-9e8f-0123456789ab"


def mail(data: bytes, name: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@kommun.se", "b@example.com", "lista"
    msg.set_content("Bifogat.")
    msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


def chunks_of(raw: bytes) -> tuple[dict[str, TextChunk], list[Unscannable]]:
    ex = extract_message(raw)
    return {str(c.location): c for c in ex.chunks}, ex.unscannable


def build_xlsx(rows: int = 3) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Elever"
    sheet.append(["Namn", "Personnummer", "Belopp"])
    for i in range(rows - 2):
        sheet.append([f"Elev {i}", 189001019802, 12.5])
    sheet.append(["Tolvan", 191212121212, 100.0])
    sheet["A1"].comment = Comment("Sekretessbelagd handling", "Handläggare")
    hidden = book.create_sheet("Dolt")
    hidden.sheet_state = "veryHidden"
    hidden["A1"] = "läkarintyg"
    book.properties.title = "Elevlista"
    out = io.BytesIO()
    book.save(out)
    custom = (
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="2" name="MSIP_Label_{GUID}_Enabled">'
        "<vt:lpwstr>true</vt:lpwstr></property></Properties>"
    )
    data = io.BytesIO(out.getvalue())
    with zipfile.ZipFile(data, "a") as zf:
        zf.writestr("docProps/custom.xml", custom)
    return data.getvalue()


def test_every_sheet_with_header_context_and_bare_numbers() -> None:
    chunks, unscannable = chunks_of(mail(build_xlsx(), "elever.xlsx"))
    assert unscannable == []
    visible = chunks["attachment[1] elever.xlsx > Elever"].text
    lines = visible.splitlines()
    assert lines[0] == "Elever" and lines[1] == "Namn\tPersonnummer\tBelopp"
    assert lines[-1] == "Tolvan\t191212121212\t100"  # 12 digits, no ".0", no exponent
    assert "Elev 0\t189001019802\t12.5" in lines
    assert "läkarintyg" in chunks["attachment[1] elever.xlsx > Dolt"].text  # very hidden sheet
    assert "Sekretessbelagd handling" in chunks["attachment[1] elever.xlsx > comment1.xml"].text
    assert chunks["attachment[1] elever.xlsx > core.xml"].origin == "metadata"
    assert f"MSIP_Label_{GUID}_Enabled=true" in chunks["attachment[1] elever.xlsx > custom.xml"].text


@pytest.mark.parametrize(
    ("value", "text"),
    [(191212121212.0, "191212121212"), (12.5, "12.5"), (1e20, "1e+20"), (True, "TRUE"), (None, ""), ("x", "x")],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def build_ods() -> bytes:
    doc = OpenDocumentSpreadsheet()
    table = Table(name="Blad1")
    for label, value in (("Personnummer", None), ("Tolvan", "191212121212")):
        row = TableRow()
        cell = TableCell(valuetype="string")  # as LibreOffice writes text cells
        cell.addElement(P(text=label))
        row.addElement(cell)
        if value:
            num = TableCell(valuetype="float", value=value)
            num.addElement(P(text="1,91E+11"))  # the displayed text loses digits; the value does not
            row.addElement(num)
        else:
            note = TableCell()
            ann = Annotation()
            ann.addElement(P(text="Sekretessbelagd handling"))
            note.addElement(ann)
            row.addElement(note)
        table.addElement(row)
    doc.spreadsheet.addElement(table)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def test_ods_values_and_annotations() -> None:
    chunks, unscannable = chunks_of(mail(build_ods(), "lista.ods"))
    assert unscannable == []
    assert "Tolvan\t191212121212" in chunks["attachment[1] lista.ods > Blad1"].text
    assert "Sekretessbelagd handling" in chunks["attachment[1] lista.ods > content.xml"].text


def part(data: bytes, kind: str = "xlsx") -> Part:
    return Part(Location(("attachment[1] x.xlsx",)), "application/octet-stream", "x.xlsx", data, 1, kind)


def test_row_text_is_bounded_by_max_chars() -> None:
    with pytest.raises(LimitExceeded, match="max_chars"):
        list(extract_spreadsheet(part(build_xlsx(rows=500)), Budget(Limits(max_chars=2000))))


def test_damaged_workbook_is_corrupt() -> None:
    data = build_xlsx()
    items = list(extract_spreadsheet(part(data[:-300]), Budget()))
    assert [i.reason for i in items if isinstance(i, Unscannable)] == [Reason.CORRUPT]


def test_pivot_cache_keeps_source_rows() -> None:
    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    definition = (
        f'<pivotCacheDefinition {main}><cacheFields count="2">'
        '<cacheField name="Namn"><sharedItems><s v="Tolvan"/></sharedItems></cacheField>'
        '<cacheField name="Personnummer"><sharedItems containsNumber="1"><n v="191212121212"/></sharedItems></cacheField>'
        "</cacheFields></pivotCacheDefinition>"
    )
    records = f'<pivotCacheRecords {main} count="1"><r><s v="Tolvan"/><n v="191212121212"/></r></pivotCacheRecords>'
    data = io.BytesIO(build_xlsx())
    with zipfile.ZipFile(data, "a") as zf:
        zf.writestr("xl/pivotCache/pivotCacheDefinition1.xml", definition)
        zf.writestr("xl/pivotCache/pivotCacheRecords1.xml", records)
    chunks = {str(c.location): c.text for c in extract_spreadsheet(part(data.getvalue()), Budget()) if isinstance(c, TextChunk)}
    assert chunks["attachment[1] x.xlsx > pivotCacheRecords1.xml"] == "Tolvan\t191212121212\n"
    assert chunks["attachment[1] x.xlsx > pivotCacheDefinition1.xml"] == "Namn\tTolvan\nPersonnummer\t191212121212\n"
