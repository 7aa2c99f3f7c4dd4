"""Attachment builders for the evaluation corpus: real DOCX, XLSX, CSV, PDF files and HTML tables.

Security: synthetic data only; writes nothing to disk.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def make_docx(paras: list[str], header: str | None = None, table: list[list[str]] | None = None) -> bytes:
    import docx

    d = docx.Document()
    if header:
        d.sections[0].header.paragraphs[0].text = header
    for p in paras:
        if p.startswith("# "):
            d.add_heading(p[2:], level=1)
        else:
            para = d.add_paragraph()
            # split in runs like Word does after editing
            for i, piece in enumerate(p.split(" ")):
                run = para.add_run(("" if i == 0 else " ") + piece)
                run.bold = i == 0 and p.endswith(":")
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for i, row in enumerate(table):
            for j, cell in enumerate(row):
                t.cell(i, j).text = cell
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def make_xlsx(rows: list[list[object]], sheet: str = "Blad1") -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def make_csv(rows: list[list[object]], sep: str = ";", encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    for row in rows:
        w.writerow(row)
    return buf.getvalue().encode(encoding)


def make_pdf(lines: list[str], table: list[list[str]] | None = None, title: str | None = None) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    font = FONT_DIR / "DejaVuSans.ttf"
    if font.is_file():
        pdf.add_font("dv", "", str(font))
        pdf.add_font("dv", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        pdf.set_font("dv", size=10)
    else:  # pragma: no cover - fallback keeps the generator usable without DejaVu
        pdf.set_font("helvetica", size=10)
        lines = [ln.encode("latin-1", "replace").decode("latin-1") for ln in lines]
    if title:
        pdf.set_font_size(14)
        pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font_size(10)
    for ln in lines:
        pdf.multi_cell(0, 6, ln, new_x="LMARGIN", new_y="NEXT")
    if table:
        with pdf.table() as t:
            for row in table:
                r = t.row()
                for cell in row:
                    r.cell(str(cell))
    return bytes(pdf.output())


def html_table(rows: list[list[object]]) -> str:
    out = ["<table border=1 cellpadding=3>"]
    for i, row in enumerate(rows):
        tag = "th" if i == 0 else "td"
        out.append("<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in row) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


MIME = {
    "docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": ("application", "pdf"),
    "csv": ("text", "csv"),
    "txt": ("text", "plain"),
    "html": ("text", "html"),
}
