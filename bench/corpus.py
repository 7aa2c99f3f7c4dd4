"""Evaluation corpus: >= 200 realistic Swedish/Norwegian municipal mails (.eml) with expected verdicts.

Usage: ``python bench/corpus.py OUTDIR`` writes ``OUTDIR/NNN_<slug>.eml`` and ``OUTDIR/labels.json``
(``{file: {"action": "reroute"|"deliver", "categories": [...], "scenario": str}}``). ``bench/eval_detection.py``
builds the corpus in memory with :func:`build_corpus` and does not need the files.

The messages were written independently of the detector rules (scenarios first, rules never read), in the way
staff write: abbreviations, typos, signatures, quoted replies, "Skickat från min iPhone", disclaimers, HTML
bodies, and attachments in every common office format (DOCX, XLSX with numbers as numeric cells, CSV with ``;``,
PDF with and without tables, HTML tables). Each scenario is rendered twice with different names, identity
numbers, wrappers and body format, so one phrasing is never counted as two independent successes without
variation. Deterministic (fixed seed).

Security: synthetic data only. Identity numbers are Skatteverket's published test personnummer and
samordningsnummer and Norwegian test numbers from ``tests/data/ids`` (expected_valid true); names are invented.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from corpus_batch2 import BATCH2_NEGATIVES, BATCH2_POSITIVES  # noqa: E402
from corpus_files import MIME  # noqa: E402
from corpus_scenarios import NEGATIVES, POSITIVES, Scenario  # noqa: E402

IDS = ROOT / "tests" / "data" / "ids"

FIRST_SV = ["Olle", "Maja", "Elsa", "Noah", "Ebba", "Hugo", "Alice", "Liam", "Wilma", "Elias", "Saga", "Leo",
            "Nour", "Yusuf", "Amina", "Dragan", "Ingrid", "Gunnar", "Birgitta", "Sven", "Karin", "Lennart",
            "Astrid", "Melvin", "Tindra", "Malte", "Siri", "Ahmed", "Leila", "Jonas"]
LAST_SV = ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
           "Svensson", "Gustafsson", "Lindqvist", "Berg", "Hassan", "Mohammed", "Petrović", "Lundgren", "Holm",
           "Sandberg", "Öberg", "Åkesson"]
FIRST_NO = ["Ola", "Kari", "Ingrid", "Jonas", "Emma", "Nora", "Sander", "Aksel", "Sofie", "Henrik", "Ida",
            "Magnus", "Tiril", "Eirik", "Aisha", "Mats"]
LAST_NO = ["Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Jensen",
           "Berg", "Haugen", "Bakken", "Solberg", "Strand", "Ali"]
KOMMUN_SV = ["Lunds", "Växjö", "Sundsvalls", "Ale", "Skövde", "Härnösands", "Kalmar", "Borås", "Umeå", "Eslövs"]
KOMMUN_NO = ["Bergen", "Tromsø", "Bodø", "Stord", "Voss", "Hamar", "Molde"]


@dataclass
class Mail:
    """One rendered corpus message and its label."""

    name: str
    raw: bytes
    action: str
    categories: tuple[str, ...]
    scenario: str
    attachments: tuple[str, ...] = field(default=())


def _load_ids() -> tuple[list[str], list[str], list[str], list[str]]:
    se = [ln.strip() for ln in (IDS / "se_testpersonnummer_skatteverket.txt").read_text().splitlines() if ln.strip()]
    samo = [ln.split("\t")[0] for ln in (IDS / "se_testsamordningsnummer_skatteverket.tsv").read_text().splitlines()[1:]
            if ln.strip() and ln.split("\t")[-1].strip() == "ok"]
    cases = json.loads((IDS / "no_fodselsnummer_cases.json").read_text())["cases"]
    fnr = [c["nin"] for c in cases if c["expected_valid"] is True and c["declared_type"] == "fnr"]
    dnr = [c["nin"] for c in cases if c["expected_valid"] is True and c["declared_type"] == "dnr"]
    return se, samo, fnr, dnr


class Filler:
    """Placeholder values for one rendering: names, identity numbers in varied real-world formats."""

    def __init__(self, rnd: random.Random, ids: tuple[list[str], list[str], list[str], list[str]], no: bool) -> None:
        self.rnd = rnd
        se, samo, fnr, dnr = ids
        # adults born 1940-1999, children 2005-2019 (the test lists cover every date from 1890 on)
        self.adults = [p for p in se if "1940" <= p[:4] <= "1999"]
        self.kids = [p for p in se if "2005" <= p[:4] <= "2019"]
        self.samo, self.fnr, self.dnr = samo, fnr, dnr
        self.no = no

    def se_fmt(self, p: str) -> str:
        form = self.rnd.choice(["12dash", "10dash", "12bare", "10bare", "12dash", "10dash"])
        if form == "12dash":
            return f"{p[:8]}-{p[8:]}"
        if form == "10dash":
            return f"{p[2:8]}-{p[8:]}"
        if form == "12bare":
            return p
        return p[2:]

    def values(self) -> dict[str, str]:
        r = self.rnd
        first, last = (FIRST_NO, LAST_NO) if self.no else (FIRST_SV, LAST_SV)
        names = r.sample(first, 5)
        lasts = r.sample(last, 4)
        adult = r.choice(self.adults)
        kid = r.choice(self.kids)
        v = {
            "fn": names[0], "ln": lasts[0], "fn2": names[1], "ln2": lasts[1], "fn3": names[2], "ln3": lasts[2],
            "child": names[3], "sender": f"{names[4]} {lasts[3]}",
            "pnr": self.se_fmt(adult), "pnr_kid": self.se_fmt(kid), "pnr12": f"{adult[:8]}-{adult[8:]}",
            "pnr_kid12": f"{kid[:8]}-{kid[8:]}", "pnr_bare": kid,
            "samo": f"{(s := r.choice(self.samo))[:8]}-{s[8:]}",
            "born": f"{kid[:4]}-{kid[4:6]}-{kid[6:8]}",
            "kommun": r.choice(KOMMUN_NO if self.no else KOMMUN_SV),
            "fnr": r.choice(self.fnr), "dnr": r.choice(self.dnr),
        }
        f = v["fnr"]
        v["fnr_sp"] = f"{f[:6]} {f[6:]}"
        return v

    def pnr_list(self, n: int, kids: bool = True) -> list[str]:
        return self.rnd.sample(self.kids if kids else self.adults, n)

    def fnr_list(self, n: int) -> list[str]:
        return self.rnd.sample(self.fnr, n)


# --- wrappers (how staff really send mail) -------------------------------------------------------------

SIG_SV = [
    "Med vänlig hälsning\n{sender}\n{title}\n{kommun} kommun\nTel 0{a}-{b} {c} {d}\nwww.{web}.se",
    "Mvh\n{sender}",
    "Hälsningar /{first}",
    "Vänliga hälsningar\n\n{sender} | {title}\n{kommun} kommun | Växel 0771-{b} {c}",
]
SIG_NO = [
    "Med vennlig hilsen\n{sender}\n{title}\n{kommun} kommune\nTlf. {b} {c} {d}",
    "Mvh {first}",
    "Helsing\n{sender}\n{kommun} kommune",
]
TITLES_SV = ["Handläggare", "Skolsköterska", "Mentor åk 4", "Enhetschef hemtjänsten", "Socialsekreterare",
             "Specialpedagog", "HR-konsult", "Bygglovshandläggare", "Kurator", "Administratör", "Rektor"]
TITLES_NO = ["Saksbehandler", "Helsesykepleier", "Kontaktlærer", "Rådgiver", "Konsulent", "Enhetsleder"]
DISCLAIMERS_SV = [
    "När du skickar e-post till {kommun} kommun behandlas dina personuppgifter enligt dataskyddsförordningen "
    "(GDPR). Läs mer på www.{web}.se/personuppgifter",
    "Detta e-postmeddelande och eventuella bilagor kan innehålla information som omfattas av sekretess och är "
    "endast avsett för adressaten. Om du har fått meddelandet av misstag, meddela avsändaren och radera det.",
    "Tänk på miljön innan du skriver ut detta mejl.",
]
DISCLAIMERS_NO = [
    "Denne e-posten kan inneholde informasjon som er underlagt taushetsplikt. Dersom du ikke er rett mottaker, "
    "vennligst gi beskjed til avsender og slett meldingen.",
    "Vi behandler personopplysninger i samsvar med personvernforordningen. Les mer på www.{web}.kommune.no",
]
QUOTES_SV = [
    "Hej,\nkan du återkomma om detta innan fredag?\nTack!",
    "Hej! Tack för infon. Vi hörs på måndag.",
    "Hej, påminner om mötet på torsdag kl 13.",
]
QUOTES_NO = ["Hei, kan du sende meg dette før fredag? Takk!", "Hei! Takk for sist. Snakkes på mandag."]


def _wrap(body: str, rnd: random.Random, v: dict[str, str], no: bool, style: str) -> str:
    first = v["sender"].split()[0]
    web = v["kommun"].lower().rstrip("s").replace("å", "a").replace("ä", "a").replace("ö", "o").replace("ø", "o")
    fmt = {"sender": v["sender"], "first": first, "kommun": v["kommun"], "web": web,
           "title": rnd.choice(TITLES_NO if no else TITLES_SV), "a": str(rnd.randint(11, 99)),
           "b": str(rnd.randint(100, 999)), "c": f"{rnd.randint(10, 99)}", "d": f"{rnd.randint(10, 99)}"}
    sig = rnd.choice(SIG_NO if no else SIG_SV).format(**fmt)
    parts = [body.rstrip(), "", sig]
    if style in ("iphone", "iphone_quote"):
        parts = [body.rstrip(), "", ("Sendt fra min iPhone" if no else "Skickat från min iPhone")]
    if style in ("disclaimer", "quote_disclaimer"):
        parts += ["", "—", rnd.choice(DISCLAIMERS_NO if no else DISCLAIMERS_SV).format(**fmt)]
    if style in ("quote", "iphone_quote", "quote_disclaimer"):
        q = rnd.choice(QUOTES_NO if no else QUOTES_SV)
        who = f"{rnd.choice(FIRST_NO if no else FIRST_SV)} {rnd.choice(LAST_NO if no else LAST_SV)}"
        intro = (f"Den {rnd.randint(1, 28)}. mars 2024 kl. 09:{rnd.randint(10, 59)} skrev {who}:" if no
                 else f"{who} skrev {rnd.randint(1, 28)} mars 2024 kl. 09:{rnd.randint(10, 59)}:")
        parts += ["", intro] + ["> " + ln for ln in q.splitlines()]
    return "\n".join(parts) + "\n"


def _to_html(text: str) -> str:
    import html

    paras = text.split("\n\n")
    inner = "".join("<p>" + html.escape(p).replace("\n", "<br>\n") + "</p>\n" for p in paras)
    return ("<html><head><meta charset=\"utf-8\"><style>p{font-family:Calibri}</style></head>"
            f"<body><div class=WordSection1>{inner}</div></body></html>")


def render(sc: Scenario, idx: int, variant: int, rnd: random.Random, filler: Filler) -> Mail:
    v = sc.fill(filler) if sc.fill else {}
    v = {**filler.values(), **v}
    body = sc.body.format(**v)
    style = rnd.choice(["sig", "sig", "iphone", "disclaimer", "quote", "quote_disclaimer", "iphone_quote"])
    text = _wrap(body, rnd, v, sc.no, style)
    msg = EmailMessage()
    dom = f"{v['kommun'].lower().rstrip('s')}.{'kommune.no' if sc.no else 'se'}"
    dom = dom.replace("å", "a").replace("ä", "a").replace("ö", "o").replace("ø", "o")
    msg["From"] = f"{v['sender']} <{v['sender'].split()[0].lower().replace('ö', 'o')}@{dom}>"
    msg["To"] = rnd.choice(["mottagare@gmail.com", "info@foretaget-ab.se", "post@partner.example.org",
                            "kontakt@region.example.no" if sc.no else "registrator@extern.example.se"])
    subj = sc.subject.format(**v)
    msg["Subject"] = rnd.choice(["", "", "SV: ", "VB: " if not sc.no else "Fwd: "]) + subj
    msg["Date"] = format_datetime(datetime(2024, 3, 1 + idx % 28, 8 + idx % 9, idx % 60, tzinfo=UTC))
    msg["Message-ID"] = f"<corpus-{idx:03d}-{variant}@{dom}>"
    as_html = sc.html or (variant == 1 and rnd.random() < 0.35)
    html_extra = sc.html_extra(filler, v) if sc.html_extra else ""
    if as_html or html_extra:
        msg.set_content(text)
        h = _to_html(text)
        if html_extra:
            h = h.replace("</div></body>", html_extra + "</div></body>")
        msg.add_alternative(h, subtype="html")
    else:
        msg.set_content(text)
    names = []
    for att in (sc.attach(filler, v) if sc.attach else []):
        fname, data = att
        ext = fname.rsplit(".", 1)[-1].lower()
        maintype, subtype = MIME.get(ext, ("application", "octet-stream"))
        if maintype == "text":
            msg.add_attachment(data.decode("utf-8"), subtype=subtype, filename=fname)
        else:
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=fname)
        names.append(ext)
    label = "reroute" if sc.categories else "deliver"
    return Mail(f"{idx:03d}_{sc.slug}_{variant}", bytes(msg), label, tuple(sc.categories), sc.slug, tuple(names))


def build_corpus(seed: int = 20240301) -> list[Mail]:
    """All corpus messages, deterministic for ``seed``."""
    rnd = random.Random(seed)
    ids = _load_ids()
    out: list[Mail] = []
    idx = 0
    for sc in [*POSITIVES, *NEGATIVES, *BATCH2_POSITIVES, *BATCH2_NEGATIVES]:
        filler = Filler(rnd, ids, sc.no)
        for variant in range(sc.variants):
            out.append(render(sc, idx, variant, rnd, filler))
            idx += 1
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    labels: dict[str, object] = {}
    for m in build_corpus():
        (out / f"{m.name}.eml").write_bytes(m.raw)
        labels[f"{m.name}.eml"] = {"action": m.action, "categories": list(m.categories), "scenario": m.scenario}
    (out / "labels.json").write_text(json.dumps(labels, indent=1, ensure_ascii=False))
    print(f"wrote {len(labels)} messages to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

