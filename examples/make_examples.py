# ruff: noqa: E501 - Swedish prose in string literals reads better unwrapped
"""Generate the example messages in this directory (reproducible: fixed dates, ids and boundaries).

    .venv/bin/python examples/make_examples.py          # rewrites examples/*.eml

Realistic Swedish/Norwegian municipal mail for `dlp-gateway scan examples/` and the docs. Identity numbers
are only Skatteverket test personnummer (tests/data/ids/se_testpersonnummer_skatteverket.txt) and Tenor
test fødselsnummer (tests/data/ids/no_fodselsnummer_cases.json); names and addresses are invented.
"""

from __future__ import annotations

from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from pathlib import Path

HERE = Path(__file__).parent
SE_ADULT = "19121212-1212"  # Skatteverket test personnummer
SE_PUPIL = "20000101-2384"  # Skatteverket test personnummer (a pupil born 2000)
NO_TENOR = "17912099997"  # Tenor test fødselsnummer


def base(subject: str, sender: str, to: str, n: int, date: str) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = date
    msg["Message-ID"] = f"<example-{n:02d}@kommun.example.se>"
    msg["MIME-Version"] = "1.0"
    return msg


def fix_boundaries(msg: EmailMessage, n: int) -> EmailMessage:
    for i, part in enumerate(msg.walk()):
        if part.is_multipart() and part.get_content_maintype() == "multipart":
            part.set_boundary(f"=_example{n:02d}_{i}")
    return msg


def meeting_invite() -> EmailMessage:
    msg = base("Inbjudan: Samverkansmöte skola och fritid", "Karin Lund <karin.lund@kommun.example.se>",
               "fritid@foreningen.example.org", 1, "Tue, 04 Mar 2025 09:12:00 +0100")
    msg.set_content("Hej!\n\nVälkomna till samverkansmöte om sommarlovsaktiviteter torsdag 13 mars kl. 10.00 i "
                    "Stadshusets sal 2. Fika finns.\n\nMed vänliga hälsningar\nKarin Lund\nFritidsförvaltningen\n")
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Kommun//Exempel//SV\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
           "UID:example-01@kommun.example.se\r\nDTSTART:20250313T090000Z\r\nDTEND:20250313T103000Z\r\n"
           "SUMMARY:Samverkansmöte skola och fritid\r\nLOCATION:Stadshuset\\, sal 2\r\n"
           "DESCRIPTION:Sommarlovsaktiviteter 2025. Fika finns.\r\n"
           "ORGANIZER;CN=Karin Lund:mailto:karin.lund@kommun.example.se\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    msg.add_attachment(ics.encode(), maintype="text", subtype="calendar", filename="invite.ics",
                       params={"method": "REQUEST"})
    return msg


def newsletter() -> EmailMessage:
    msg = base("Nyhetsbrev mars: öppet hus, lunchmeny och nya badtider", "Kommunen <nyheter@kommun.example.se>",
               "prenumeranter@lists.example.se", 2, "Mon, 03 Mar 2025 07:00:00 +0100")
    text = ("Öppet hus på kulturskolan lördag 15 mars kl. 11–14.\n\nLunchmeny vecka 11: måndag fiskgratäng, "
            "tisdag vegetarisk lasagne, onsdag köttbullar.\n\nSimhallen har nya tider från 1 april. Ring "
            "kundtjänst 0771-123 456 eller läs mer på kommun.example.se.\n")
    msg.set_content(text)
    html = ("<html><head><style>p{font-family:Arial}</style></head><body><h1>Nyhetsbrev mars</h1>"
            "<p>Öppet hus på <b>kulturskolan</b> lördag 15 mars kl. 11&ndash;14.</p><table><tr><td>Måndag</td>"
            "<td>Fiskgratäng</td></tr><tr><td>Tisdag</td><td>Vegetarisk lasagne</td></tr></table>"
            "<p>Kundtjänst: 0771-123&nbsp;456</p></body></html>")
    msg.add_alternative(html, subtype="html")
    return msg


def personnummer() -> EmailMessage:
    msg = base("Komplettering av ansökan om bostadsanpassning", "Handläggare <bab@kommun.example.se>",
               "info@byggfirma.example.com", 3, "Wed, 05 Mar 2025 14:30:00 +0100")
    msg.set_content(f"Hej,\n\nGäller ansökan för sökande med personnummer {SE_ADULT}, Storgatan 1. Ni får gärna "
                    "skicka offerten på ramp och dörrautomatik senast 20 mars.\n\nVänliga hälsningar\n"
                    "Bostadsanpassningen\n")
    return msg


def pupil_health() -> EmailMessage:
    msg = base("Elevärende inför överlämning", "Skolsköterska <elevhalsan@skola.kommun.example.se>",
               "mottagning@privatskola.example.com", 4, "Thu, 06 Mar 2025 11:05:00 +0100")
    msg.set_content(f"Hej,\n\nInför överlämningen: eleven {SE_PUPIL} i klass 9B har diagnosen diabetes typ 1 och "
                    "behöver ta insulin före lunch. Eleven har även en pågående kontakt med BUP.\n\n"
                    "Hälsningar\nElevhälsan\n")
    msg.add_alternative(f"<p>Inför överlämningen: eleven <b>{SE_PUPIL[:8]}</b>{SE_PUPIL[8:]} i klass 9B har "
                        "diagnosen diabetes typ 1 och behöver ta insulin före lunch.</p>", subtype="html")
    return msg


def sekretess() -> EmailMessage:
    msg = base("VB: Utredning enligt 11 kap. 1 § SoL", "Socialsekreterare <ifo@kommun.example.se>",
               "advokat@byra.example.com", 5, "Fri, 07 Mar 2025 16:45:00 +0100")
    msg["Sensitivity"] = "Company-Confidential"
    msg.set_content("Sekretessbelagd enligt 26 kap. 1 § OSL\n\nHej,\n\nBifogar en sammanfattning av utredningen "
                    "inför mötet på måndag. Uppgifterna får inte lämnas vidare.\n\nMed vänlig hälsning\n"
                    "Individ- och familjeomsorgen\n", charset="utf-8", cte="quoted-printable")
    return msg


def norwegian() -> EmailMessage:
    msg = base("Søknad om startlån – dokumentasjon", "Saksbehandler <startlan@kommune.example.no>",
               "post@bank.example.no", 6, "Mon, 10 Mar 2025 10:20:00 +0100")
    msg.set_content(f"Hei,\n\nVi viser til søknaden fra søker med fødselsnummer {NO_TENOR}. Vedlagt følger "
                    "vedtaket. Dokumentet er unntatt offentlighet, jf. offl. § 13.\n\nMed vennlig hilsen\n"
                    "Tildelingskontoret\n")
    return msg


def forwarded_with_attachment() -> EmailMessage:
    inner = base("Läkarintyg till Försäkringskassan", "Åsa Öberg <asa.oberg@kommun.example.se>",
                 "hr@kommun.example.se", 70, "Tue, 11 Mar 2025 08:00:00 +0100")
    inner.set_content("Hej HR,\n\nHär kommer mitt läkarintyg. Jag är sjukskriven till och med 31 mars.\n")
    inner.add_attachment(f"Läkarintyg\nPatient: Åsa Öberg, {SE_ADULT}\nDiagnos: utmattningssyndrom\n"
                         .encode("cp1252"), maintype="text", subtype="plain", filename="Läkarintyg_191212121212.txt",
                         params={"charset": "windows-1252"})
    msg = base("VB: Läkarintyg till Försäkringskassan", "HR <hr@kommun.example.se>",
               "lon@loneservice.example.com", 7, "Tue, 11 Mar 2025 09:30:00 +0100")
    msg.set_content("Vidarebefordrar för registrering i lönesystemet.\n")
    msg.add_attachment(inner)
    return msg


def labels_flowed() -> EmailMessage:
    msg = base("Protokoll arbetsmiljögruppen", "Chef <chef@kommun.example.se>", "konsult@firma.example.com", 8,
               "Wed, 12 Mar 2025 13:00:00 +0100")
    guid = "a1b2c3d4-0000-4000-8000-000000000001"
    msg["msip_labels"] = (f"MSIP_Label_{guid}_Enabled=true; MSIP_Label_{guid}_SetDate=2025-03-12T12:00:00Z; "
                          f"MSIP_Label_{guid}_Method=Standard; MSIP_Label_{guid}_Name=Intern; "
                          f"MSIP_Label_{guid}_SiteId=00000000-1111-2222-3333-444444444444; "
                          f"MSIP_Label_{guid}_ContentBits=0")
    body = ("Hej,\n\nHär är protokollet från mötet. Nästa möte blir 9 april. Punkt 4 om skyddsronden är \n"
            "klar och punkt 5 om nya rutiner för introduktion skjuts upp.\n\nHälsningar\nChefen\n")
    msg.set_content(body, charset="utf-8")
    msg.set_param("format", "flowed")
    return msg


EXAMPLES: dict[str, Callable[[], EmailMessage]] = {
    "01_meeting_invite.eml": meeting_invite,
    "02_newsletter.eml": newsletter,
    "03_personnummer.eml": personnummer,
    "04_pupil_health.eml": pupil_health,
    "05_sekretess_osl.eml": sekretess,
    "06_norwegian_fodselsnummer.eml": norwegian,
    "07_forwarded_attachment.eml": forwarded_with_attachment,
    "08_label_flowed.eml": labels_flowed,
}


def main(out: Path = HERE) -> list[Path]:
    """Write every example into ``out``; return the paths."""
    written = []
    for n, (name, build) in enumerate(EXAMPLES.items(), start=1):
        msg = fix_boundaries(build(), n)
        path = out / name
        path.write_bytes(msg.as_bytes(policy=policy.SMTP))
        written.append(path)
    return written


if __name__ == "__main__":
    for written in main():
        print(written.name)
