"""Extraction benchmark: ms, ms per MB and peak RSS per format through ``extract_message`` (design §5.2, §9).

Usage: ``python bench/extract.py`` (7 runs per case, ~1 min) or ``python bench/extract.py --quick`` (5 runs,
smaller xlsx/pdf/html inputs, ~15 s). Each case is one e-mail carrying one attachment built here with real
libraries (python-docx, openpyxl, odfpy, fpdf2; pptx and rtf written by hand). Every case runs in a fresh
process (spawn), so its ``ru_maxrss`` is its own: printed are the median in-process extraction time of the
runs (after one warm-up), ms per MB of the attachment, peak RSS and RSS growth over the process after
imports and input building. The same-run baseline is stdlib ``email`` parsing plus decoding every payload
of the same message (what any gateway pays before reading a format); ``ratio`` = ours / baseline.

More suites plug in by appending a ``Callable[[argparse.Namespace], list[Row]]`` to ``SUITES``; the last one
runs ``bench/bombs.py`` (1 GiB zip bomb, nested bomb, 100k entries, gzip bomb: time to reject and peak RSS).

Security: synthetic documents with Skatteverket test numbers only.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import io
import multiprocessing
import platform
import resource
import statistics
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MiB = 1024 * 1024
PNR = "19121212-1212"


@dataclass(frozen=True, slots=True)
class Row:
    """One measured case."""

    case: str
    size: int  # attachment bytes
    median_ms: float
    baseline_ms: float
    peak_rss_mb: float
    rss_growth_mb: float
    runs: int

    @property
    def ms_per_mb(self) -> float:
        return self.median_ms / max(self.size / MiB, 1e-9)

    def line(self) -> str:
        ratio = self.median_ms / self.baseline_ms if self.baseline_ms else float("nan")
        return (
            f"| {self.case} | {self.size / 1024:,.0f} KB | {self.median_ms:.1f} | {self.ms_per_mb:,.0f} | "
            f"{self.baseline_ms:.2f} | {ratio:.0f}x | {self.peak_rss_mb:.0f} | {self.rss_growth_mb:.1f} |"
        )


HEADER = (
    "| case | attachment | median ms | ms/MB | baseline ms | ratio | peak RSS MB | RSS growth MB |\n"
    "|---|---|---|---|---|---|---|---|"
)


# --- inputs -------------------------------------------------------------------------------------------------


def mail(data: bytes, name: str, maintype: str = "application", subtype: str = "octet-stream") -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@kommun.se", "b@example.com", "bench"
    msg.set_content("Hej,\nse bilaga.\n")
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def docx_bytes(paragraphs: int = 300) -> bytes:
    import docx

    doc = docx.Document()
    doc.sections[0].header.paragraphs[0].text = "Sekretessbelagd handling"
    for i in range(paragraphs):
        doc.add_paragraph(f"Stycke {i}: eleven med personnummer {PNR} har lämnat läkarintyg till skolan.")
    table = doc.add_table(rows=20, cols=3)
    for r in range(20):
        for c in range(3):
            table.cell(r, c).text = f"{r}:{c}"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def xlsx_bytes(rows: int) -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Elever")
    sheet.append(["Namn", "Personnummer", "Klass", "Belopp", "Datum", "Kommentar", "Status"])
    for i in range(rows):
        sheet.append([f"Elev {i}", 191212121212, "7B", i * 1.5, "2024-01-01", "Ingen anmärkning", i % 3])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pptx_bytes(slides: int = 30) -> bytes:
    a = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
    p = 'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        zf.writestr("ppt/presentation.xml", f"<p:presentation {p}/>")
        for n in range(1, slides + 1):
            body = "".join(f"<a:p><a:r><a:t>Punkt {k} om elev {PNR}</a:t></a:r></a:p>" for k in range(10))
            zf.writestr(
                f"ppt/slides/slide{n}.xml",
                f"<p:sld {a} {p}><p:cSld><p:spTree><p:sp><p:txBody>{body}</p:txBody></p:sp></p:spTree></p:cSld></p:sld>",
            )
            zf.writestr(
                f"ppt/notesSlides/notesSlide{n}.xml",
                f"<p:notes {a} {p}><p:cSld><p:spTree><p:sp><p:txBody>{body}</p:txBody></p:sp></p:spTree></p:cSld></p:notes>",
            )
    return out.getvalue()


def odt_bytes(paragraphs: int = 300) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    doc = OpenDocumentText()
    for i in range(paragraphs):
        doc.text.addElement(P(text=f"Stycke {i}: personnummer {PNR}, läkarintyg bifogas."))
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def rtf_bytes(paragraphs: int = 200) -> bytes:
    body = "".join(
        f"\\pard Stycke {i}: personnummer {{\\b 19121212-}}1212, l\\'e4karintyg.\\par\n"
        for i in range(paragraphs)
    )
    return (
        "{\\rtf1\\ansi\\ansicpg1252{\\header \\pard Sekretessbelagd handling\\par}\n" + body + "}"
    ).encode()


def pdf_bytes(pages: int) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=10)
    for n in range(pages):
        pdf.add_page()
        for line in range(40):
            pdf.cell(
                text=f"Sida {n + 1} rad {line}: personnummer {PNR} och diagnos.",
                new_x="LMARGIN",
                new_y="NEXT",
            )
    return bytes(pdf.output())


def html_bytes(size: int) -> bytes:
    row = "<tr><td>Elev</td><td><b>19121212-</b>1212</td><td>läkarintyg</td></tr>\n"
    n = size // len(row.encode())
    return (f"<html><body><table>{row * n}</table></body></html>").encode()


def nested_eml() -> bytes:
    inner = EmailMessage()
    inner["From"], inner["To"], inner["Subject"] = "c@kommun.se", "a@kommun.se", "vidarebefordrat"
    inner.set_content(f"Personnummer {PNR}\n")
    inner.add_attachment(docx_bytes(50), maintype="application", subtype="octet-stream", filename="a.docx")
    inner.add_attachment(pdf_bytes(2), maintype="application", subtype="octet-stream", filename="b.pdf")
    outer = EmailMessage()
    outer["From"], outer["To"], outer["Subject"] = "a@kommun.se", "b@example.com", "Fwd"
    outer.set_content("Se nedan.\n")
    outer.add_attachment(inner)
    return outer.as_bytes()


def cases(quick: bool) -> dict[str, Callable[[], tuple[bytes, int]]]:
    """Case name -> builder of (raw message, attachment size); built inside the measuring process."""

    def att(
        build: Callable[[], bytes], name: str, sub: str = "octet-stream", main: str = "application"
    ) -> Callable[[], tuple[bytes, int]]:
        def make() -> tuple[bytes, int]:
            data = build()
            return mail(data, name, main, sub), len(data)

        return make

    def eml() -> tuple[bytes, int]:
        raw = nested_eml()
        return raw, len(raw)

    rows = 2_000 if quick else 10_000
    return {
        "docx 300 paragraphs": att(docx_bytes, "a.docx"),
        f"xlsx {rows:,} rows x 7": att(lambda: xlsx_bytes(rows), "a.xlsx"),
        "pptx 30 slides + notes": att(pptx_bytes, "a.pptx"),
        "odt 300 paragraphs": att(odt_bytes, "a.odt"),
        "rtf 200 paragraphs": att(rtf_bytes, "a.rtf"),
        "pdf 1 page": att(lambda: pdf_bytes(1), "a.pdf"),
        f"pdf {20 if quick else 100} pages": att(lambda: pdf_bytes(20 if quick else 100), "a.pdf"),
        f"html {'256 KB' if quick else '1 MB'}": att(
            lambda: html_bytes(256 * 1024 if quick else MiB), "a.html", "html", "text"
        ),
        "eml nested (docx + pdf)": eml,
    }


# --- measuring ----------------------------------------------------------------------------------------------


def _baseline(raw: bytes) -> None:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for part in msg.walk():
        if not part.is_multipart():
            part.get_payload(decode=True)


def _child(quick: bool, name: str, runs: int, conn: Any) -> None:
    from gateway.extract.walk import extract_message

    raw, size = cases(quick)[name]()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    extract_message(raw)  # warm-up: first-call costs (pdfium init, codec lookups) are not per message
    times, base = [], []
    for _ in range(runs):
        started = time.perf_counter()
        result = extract_message(raw)
        times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        _baseline(raw)
        base.append((time.perf_counter() - started) * 1000)
    assert result.chunks and not result.unscannable, (name, result.unscannable)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    conn.send(Row(name, size, statistics.median(times), statistics.median(base), peak, peak - before, runs))
    conn.close()


def bench_extraction(args: argparse.Namespace) -> list[Row]:
    """Every format case in its own spawned process."""
    ctx = multiprocessing.get_context("spawn")
    rows = []
    for name in cases(args.quick):
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(args.quick, name, args.runs, child))
        proc.start()
        row = parent.recv()
        proc.join()
        rows.append(row)
        print(row.line(), flush=True)
    return rows


def bench_bombs(args: argparse.Namespace) -> list[Row]:
    """Time and peak RSS to reject the 1 GiB zip bomb and the other hostile archives (``bench/bombs.py``)."""
    import subprocess

    print("\n# hostile inputs (bench/bombs.py): time to reject, peak RSS")
    cmd = [sys.executable, str(ROOT / "bench" / "bombs.py"), "--runs", str(min(args.runs, 3))]
    subprocess.run(cmd + (["--quick"] if args.quick else []), check=True)
    return []


SUITES: list[Callable[[argparse.Namespace], list[Row]]] = [bench_extraction, bench_bombs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, 5 runs")
    parser.add_argument("--runs", type=int, default=0, help="runs per case (default 7, quick 5)")
    args = parser.parse_args()
    args.runs = args.runs or (5 if args.quick else 7)
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, "
        f"{multiprocessing.cpu_count()} CPU, Python {platform.python_version()}, runs={args.runs}"
    )
    print(HEADER)
    for suite in SUITES:
        suite(args)


if __name__ == "__main__":
    main()
