"""Detection benchmark: MB/s of all registered detectors on generated municipal mail, and false-positive rates.

Usage: ``python bench/detect.py`` (full: >= 10 MB of text, 3 runs, 1,000,000 false-positive probes, under ~3
minutes) or ``python bench/detect.py --quick`` (~10 s smoke run). Prints, with medians of the runs:

* all registered detectors together via ``gateway.scan.detect_chunks`` (normalisation included), MB/s;
* a baseline measured in the same run: one stdlib ``re`` pass of the personnummer shape over the same text;
* the ratio, each registered detector alone, and the four identity detectors together;
* false-positive rates of the identity detectors over random digit strings in phone, OCR (Luhn-valid
  references after the word OCR), date-time and organisationsnummer shapes, embedded in short sentences:
  ``reported`` (confidence >= 0.7) and ``any hit`` (the validators' raw pass rate through the detectors);
* optionally, Presidio's Swedish recognizer on the same text (skipped when ``presidio-analyzer`` is absent).

The generated text is deterministic (``--seed``) and uses only Skatteverket test personnummer and Tenor
numbers from ``tests/data/ids``.

Security: synthetic data only; prints counts and masked figures, never a matched value.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.detect import DetectContext, Text, registered  # noqa: E402
from gateway.detect.normalize import normalize  # noqa: E402
from gateway.model import Category, Location, TextChunk  # noqa: E402
from gateway.scan import ScanSettings, detect_chunks  # noqa: E402
from gateway.validators import luhn  # noqa: E402

IDS = ROOT / "tests" / "data" / "ids"
BASELINE = re.compile(r"(?<![0-9])(?:[0-9]{2})?[0-9]{6}[-+]?[0-9]{4}(?![0-9])")
LOC = Location(("body[text/plain]",))

FIRST = ["Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Eva", "Per", "Sara", "Ola", "Ingrid", "Nils", "Kari", "Ahmed", "Fatima"]
LAST = ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Hansen", "Olsen", "Berg", "Lind", "Holm"]
ROOMS = ["Sessionssalen", "rum 214", "Stora konferensrummet", "Teams", "Biblioteket", "møterom 3", "Aulan"]
SV = [
    "Hej {f}!", "Tack för senast.", "Hej alla,", "Vi ses på mötet {d} kl. {t} i {r}.",
    "Bifogar protokollet från kommunstyrelsens sammanträde {d}.", "Punkt {n}: Budgetuppföljning för förvaltningen.",
    "Ring mig gärna på {ph} om något är oklart.", "Nästa möte är flyttat till {d} kl. {t}.",
    "Fakturan på {a} kr ska betalas till bankgiro {bg} med OCR {ocr} senast {d}.",
    "Kan du boka {r} för arbetsplatsträffen den {d}?", "Schemat för vecka {w} finns på intranätet.",
    "Vänliga hälsningar, {f} {l}, handläggare, tel. {ph}", "Ärendet har diarienummer KS {y}/{n}.",
    "Enligt beslut i nämnden {d} ska rutinen ses över före {d}.", "Leverantören Bygg AB, org.nr {org}, har skickat offerten.",
    "Lunchen serveras kl. {t} i matsalen.", "Påminnelse: lämna in tidrapporten senast fredag.",
    "Eleven {f} med personnummer {pnr} behöver extra anpassningar.", "Vårdnadshavare {f} {l} ({pnr}) har ringt.",
    "Eleven har fått diagnosen ADHD och läkarintyget är bifogat.", "Patienten är sjukskriven till och med {d}.",
    "Sekretess enligt 26 kap. 1 § OSL.", "Detta mejl innehåller uppgifter som omfattas av sekretess.",
    "Hälsningar från skolan, mobil {ph}.", "Beställningen har ordernummer {ocr}.", "Mötet avslutades kl. {t}.",
    "Vi behöver {n} deltagare till utbildningen den {d}.", "Vg se bifogad fil Protokoll_{y}-{m}.pdf.",
]
NO = [
    "Hei {f}!", "Takk for sist.", "Vedlagt er referatet fra møtet {d}.", "Møtet holdes {d} kl. {t} i {r}.",
    "Fakturaen på {a} kr betales til konto 1503.12.34567 med KID {ocr}.", "Ring meg på {ph} hvis noe er uklart.",
    "Med vennlig hilsen {f} {l}, saksbehandler.", "Saken har saksnummer {y}/{n}.",
    "Unntatt offentlighet, offl. § 13.", "Fødselsnummer {fnr} er registrert på eleven.", "Timeplanen for uke {w} er lagt ut.",
    "Pasienten har fått time på legevakten {d}.",
]


def _load_ids() -> tuple[list[str], list[str]]:
    pnr = (IDS / "se_testpersonnummer_skatteverket.txt").read_text().split()
    import json

    cases = json.loads((IDS / "no_fodselsnummer_cases.json").read_text())["cases"]
    fnr = [c["nin"] for c in cases if c["expected_valid"] and c["computed_type"] in ("tenor_fnr", "tenor_dnr")]
    return pnr, fnr


def _luhn_ref(rnd: random.Random, n: int) -> str:
    body = "".join(rnd.choice("0123456789") for _ in range(n - 1))
    return body + luhn.calc_check_digit(body)


def _phone(rnd: random.Random) -> str:
    def d(k: int) -> str:
        return "".join(rnd.choice("0123456789") for _ in range(k))

    forms = [f"070-{d(3)} {d(2)} {d(2)}", f"07{rnd.choice('02369')}-{d(3)} {d(2)} {d(2)}", f"+46 7{rnd.choice('02369')} {d(3)} {d(2)} {d(2)}",
             f"08-{d(3)} {d(3)} {d(2)}", f"031-{d(2)} {d(2)} {d(2)}", f"+467{rnd.choice('02369')}{d(7)}",
             f"0046 7{rnd.choice('02369')} {d(7)}", f"07{rnd.choice('02369')}-{d(7)}", f"+47 {d(3)} {d(2)} {d(3)}", f"{d(8)}"]
    return rnd.choice(forms)


def _fill(rnd: random.Random, template: str, pnr: Sequence[str], fnr: Sequence[str], sink: list[str]) -> str:
    def date() -> str:
        return f"{rnd.randint(2024, 2026)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"

    def pn() -> str:
        n = rnd.choice(pnr)
        sink.append(n[2:])
        return rnd.choice([n, f"{n[:8]}-{n[8:]}", f"{n[2:8]}-{n[8:]}"])

    repl: dict[str, Callable[[], str]] = {
        "{f}": lambda: rnd.choice(FIRST), "{l}": lambda: rnd.choice(LAST), "{d}": date,
        "{t}": lambda: f"{rnd.randint(7, 18):02d}.{rnd.choice(['00', '15', '30', '45'])}", "{r}": lambda: rnd.choice(ROOMS),
        "{n}": lambda: str(rnd.randint(1, 400)), "{ph}": lambda: _phone(rnd), "{a}": lambda: f"{rnd.randint(100, 99999)}",
        "{bg}": lambda: f"{rnd.randint(100, 9999)}-{rnd.randint(1000, 9999)}", "{ocr}": lambda: _luhn_ref(rnd, rnd.choice([8, 10, 12, 15])),
        "{w}": lambda: str(rnd.randint(1, 52)), "{y}": lambda: str(rnd.randint(2020, 2026)), "{m}": lambda: f"{rnd.randint(1, 12):02d}",
        "{org}": lambda: f"55{rnd.randint(2, 9)}{rnd.randint(0, 999):03d}-{_luhn_ref(rnd, 4)}", "{pnr}": pn, "{fnr}": lambda: _keep(sink, rnd.choice(fnr)),
    }
    out = template
    for key, fn in repl.items():
        while key in out:
            out = out.replace(key, fn(), 1)
    return out


def _keep(sink: list[str], value: str) -> str:
    sink.append(value)
    return value


INSERTED: list[list[str]] = []  # per generated chunk: the identity numbers put into it (last 10/11 digits)


def generate(total_bytes: int, seed: int) -> list[str]:
    """Deterministic mails of 4-20 KB each; sensitive sentences are rare, as in real mail."""
    rnd = random.Random(seed)
    pnr, fnr = _load_ids()
    rare = {i for i, t in enumerate(SV) if "{pnr}" in t or "diagnos" in t or "sjukskriv" in t or "ekretess" in t}
    numeric = {i for i, t in enumerate(SV) if any(k in t for k in ("{ph}", "{ocr}", "{org}"))}
    numeric_no = {i for i, t in enumerate(NO) if any(k in t for k in ("{ph}", "{ocr}"))}
    rare_no = {i for i, t in enumerate(NO) if "{fnr}" in t or "Unntatt" in t or "Pasienten" in t}
    chunks: list[str] = []
    INSERTED.clear()
    size = 0
    while size < total_bytes:
        sink: list[str] = []
        target = rnd.randint(4_000, 20_000)
        norwegian = rnd.random() < 0.3
        pool = NO if norwegian else SV
        lines: list[str] = []
        length = 0
        while length < target:
            i = rnd.randrange(len(pool))
            if not norwegian and i in rare and rnd.random() < 0.97:
                continue
            if i in (numeric_no if norwegian else numeric) and rnd.random() < 0.85:
                continue
            if norwegian and i in rare_no and rnd.random() < 0.97:
                continue
            para = " ".join(_fill(rnd, pool[i], pnr, fnr, sink) for _ in range(rnd.randint(1, 3)))
            lines.append(para)
            length += len(para.encode()) + 2
        text = "\n\n".join(lines)
        chunks.append(text)
        INSERTED.append(sink)
        size += len(text.encode())
    return chunks


def _timed(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def throughput(chunks: list[str], runs: int) -> None:
    mb = sum(len(c.encode()) for c in chunks) / 1e6
    text_chunks = [TextChunk(Location((f"mail[{i}] body",)), "body", c) for i, c in enumerate(chunks)]
    settings = ScanSettings()
    all_s = _timed(lambda: detect_chunks(text_chunks, settings), runs)
    base_s = _timed(lambda: [sum(1 for _ in BASELINE.finditer(c)) for c in chunks], runs)
    norm_s = _timed(lambda: [normalize(c) for c in chunks], runs)
    normalized = [normalize(c) for c in chunks]
    print(f"text: {mb:.1f} MB in {len(chunks)} chunks (4-20 KB), medians of {runs} runs")
    print(f"all registered detectors (detect_chunks, incl. normalize): {mb / all_s:8.1f} MB/s")
    print(f"baseline: stdlib re personnummer shape, one pass:         {mb / base_s:8.1f} MB/s")
    print(f"ratio all-detectors / baseline:                            {base_s / all_s:8.2f}")
    print(f"normalize alone:                                           {mb / norm_s:8.1f} MB/s")

    def run(dets: Sequence[object], texts: Sequence[str]) -> None:
        ctx = DetectContext()
        for n in texts:
            text = Text(n, LOC, "body")
            ctx.chunk_hits = []
            for d in dets:
                ctx.chunk_hits.extend(d.detect(text, ctx))  # type: ignore[attr-defined]

    dets = registered()
    ident = [d for d in dets if d.category == Category.PERSONNUMMER]
    s = _timed(lambda: run(ident, normalized), runs)
    print(f"identity detectors together ({len(ident)}, normalised text):      {mb / s:8.1f} MB/s"
          f"  ({base_s / s:.2f} x baseline)")
    # each detector alone on a prefix of the text (at most ~2 MB) so that a slow one cannot blow the budget
    subset, sub_mb = [], 0.0
    for n in normalized:
        if sub_mb >= min(2.0, mb):
            break
        subset.append(n)
        sub_mb += len(n.encode()) / 1e6
    for d in dets:
        s = _timed(lambda d=d: run([d], subset), runs)  # type: ignore[misc]
        print(f"  {d.id:<24} alone: {sub_mb / s:8.1f} MB/s  (on {sub_mb:.1f} MB)")
    prose = []
    for path in sorted((ROOT / "tests" / "data" / "prose").glob("*.txt")):
        body = path.read_text()
        prose += [normalize(body[i : i + 16_000]) for i in range(0, len(body), 16_000)]
    prose_mb = sum(len(p.encode()) for p in prose) / 1e6
    s = _timed(lambda: run(ident, prose), runs)
    print(f"identity detectors together on statute prose ({prose_mb:.1f} MB):   {prose_mb / s:8.1f} MB/s")
    inserted = found_n = 0
    for n, expected in zip(normalized, INSERTED, strict=True):
        if expected:
            t = Text(n, LOC, "body")
            values = {h.value for d in ident for h in d.detect(t, DetectContext()) if h.confidence >= 0.7}
            got = {v[-10:] for v in values} | {v[-11:] for v in values}
            inserted += len(set(expected))
            found_n += len(set(expected) & got)
    print(f"recall on inserted test numbers: {found_n}/{inserted} reported")
    found, _ = detect_chunks(text_chunks, settings)
    counts: dict[str, int] = {}
    for f in found:
        counts[f.detector] = counts.get(f.detector, 0) + 1
    print(f"findings (per detector, locations x chunks): {dict(sorted(counts.items()))}")


def _fp_shapes(rnd: random.Random) -> dict[str, Callable[[], str]]:
    def dt() -> str:
        y, m, d = rnd.randint(2015, 2026), rnd.randint(1, 12), rnd.randint(1, 28)
        hh, mm = rnd.randint(0, 23), rnd.randint(0, 59)
        form = rnd.choice([f"{y}{m:02d}{d:02d}-{hh:02d}{mm:02d}", f"{y}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}",
                           f"{y % 100:02d}{m:02d}{d:02d}-{hh:02d}{mm:02d}", f"{y}{m:02d}{d:02d}{hh:02d}{mm:02d}"])
        return rnd.choice(["Loggen från {} visar felet.", "Export_{}.csv är klar.", "Senast ändrad {}.", "Backup {} lyckades.",
                           "Filen {} bifogas.", "Se {} nedan.", "{}", "Mötet {} ställdes in."]).format(form)

    def org() -> str:
        body = f"{rnd.randint(0, 99):02d}{rnd.randint(2, 9)}{rnd.randint(0, 999999):06d}"
        n = body + luhn.calc_check_digit(body)
        form = rnd.choice([f"{n[:6]}-{n[6:]}", n, f"16{n}", f"SE{n}01"])
        return rnd.choice(["Leverantören (org.nr {}) har svarat.", "Företaget {} har skickat offerten.", "Momsreg.nr {}.", "{}"]).format(form)

    return {
        "phone": lambda: rnd.choice(["Ring mig på {} om du har frågor.", "Tel: {}", "Mobil {} efter kl. 16.", "Nås på {}.", "{}",
                                     "Hälsningar Anna, {}"]).format(_phone(rnd)),
        "ocr": lambda: rnd.choice(["OCR {}", "Ange OCR-nummer {} vid betalning.", "Betala till bankgiro 5050-1055, OCR {}."]).format(
            _luhn_ref(rnd, rnd.choice([10, 10, 10, 12]))),
        "datetime": dt,
        "orgnr": org,
    }


def false_positives(total: int, seed: int) -> None:
    rnd = random.Random(seed + 1)
    ident = [d for d in registered() if d.category == Category.PERSONNUMMER]
    shapes = _fp_shapes(rnd)
    per = total // len(shapes)
    print(f"false positives of the identity detectors, {per:,} sentences per shape ({per * len(shapes):,} total):")
    for name, make in shapes.items():
        reported = anyhit = 0
        t0 = time.perf_counter()
        for _ in range(per):
            text = Text(normalize(make()), LOC, "body")
            ctx = DetectContext()
            best = max((h.confidence for d in ident for h in d.detect(text, ctx)), default=-1.0)
            anyhit += best >= 0
            reported += best >= 0.7
        dt = time.perf_counter() - t0
        print(f"  {name:<9} reported {reported / per:8.4%}   any hit {anyhit / per:8.4%}   ({per / dt:,.0f} sentences/s)")


def _traps() -> dict[str, tuple[str, bool]]:
    """Inputs others get wrong (design §6.2), built from Skatteverket's files: (text, report expected?)."""
    pnr = (IDS / "se_testpersonnummer_skatteverket.txt").read_text().split()[0]  # 12 digits
    ten = pnr[2:]
    rows = (IDS / "se_testsamordningsnummer_skatteverket.tsv").read_text().splitlines()[1:]
    month00 = next(r.split("\t")[0] for r in rows if r.endswith("month_00"))
    feb30 = "900230238"
    feb30 += luhn.calc_check_digit(feb30)
    return {
        "30 February, valid Luhn": (f"Personnummer {feb30[:6]}-{feb30[6:]} enligt ansökan.", False),
        "inside a token": (f"Artikel X{ten}Y i lager.", False),
        "11-digit run (tail is valid)": (f"Referens 7{ten} gäller.", False),
        "month 00 samordningsnummer": (f"Samordningsnummer {month00[:8]}-{month00[8:]} har tilldelats.", True),
        "valid number after bankgiro": (f"Betala till bankgiro {ten[:6]}-{ten[6:]} senast fredag.", False),
        "valid number, keyword": (f"Elevens personnummer är {pnr[:8]}-{pnr[8:]}.", True),
    }


def _ours_swedish(text: str) -> bool:
    det = [d for d in registered() if d.id == "se_personnummer"]
    t = Text(normalize(text), LOC, "body")
    return any(h.confidence >= 0.7 for d in det for h in d.detect(t, DetectContext()))


def presidio(chunks: list[str], probes: int = 20_000, seed: int = 1) -> None:
    """Presidio's SePersonnummerRecognizer on the same inputs: speed, recall, false positives, traps."""
    try:
        from presidio_analyzer import predefined_recognizers  # type: ignore

        rec = predefined_recognizers.SePersonnummerRecognizer()
    except Exception:
        print("presidio-analyzer (SePersonnummerRecognizer) not importable: comparison skipped")
        return

    def theirs(text: str) -> list[tuple[int, int]]:
        return [(r.start, r.end) for r in rec.analyze(text, entities=rec.supported_entities) if r.score >= 0.5]

    mb = sum(len(c.encode()) for c in chunks) / 1e6
    t0 = time.perf_counter()
    spans = [theirs(c) for c in chunks]
    rate = mb / (time.perf_counter() - t0)
    expected = found = 0
    for c, sp, inserted in zip(chunks, spans, INSERTED, strict=False):
        swedish = {v for v in inserted if len(v) == 10}
        got = {"".join(ch for ch in c[a:b] if ch.isdigit())[-10:] for a, b in sp}
        expected += len(swedish)
        found += len(swedish & got)
    print(f"presidio SePersonnummerRecognizer: {rate:.1f} MB/s; recall on inserted Swedish test numbers "
          f"{found}/{expected}")
    rnd = random.Random(seed + 1)
    for name, make in _fp_shapes(rnd).items():
        texts = [make() for _ in range(probes // 4)]
        ours = sum(_ours_swedish(t) for t in texts)
        their = sum(bool(theirs(t)) for t in texts)
        print(f"  false positives, {name:<9} ({len(texts):,}): presidio {their / len(texts):8.4%}   "
              f"ours (se_personnummer) {ours / len(texts):8.4%}")
    for name, (text, want) in _traps().items():
        print(f"  trap {name:<30} expected {'report' if want else 'nothing':<7}  presidio "
              f"{'report' if theirs(text) else 'nothing':<7}  ours {'report' if _ours_swedish(text) else 'nothing'}")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="~10 s smoke run")
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--mb", type=float, default=None, help="text size in MB (default 10, quick 1)")
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--fp", type=int, default=None, help="false-positive sentences (default 1,000,000)")
    args = ap.parse_args(argv)
    mb = args.mb or (1.0 if args.quick else 10.0)
    runs = args.runs or 3
    fp = args.fp or (40_000 if args.quick else 1_000_000)
    t0 = time.perf_counter()
    chunks = generate(int(mb * 1e6), args.seed)
    print(f"generated in {time.perf_counter() - t0:.1f} s; detectors: {', '.join(d.id for d in registered())}")
    throughput(chunks, runs)
    false_positives(fp, args.seed)
    presidio(chunks)
    print(f"total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
