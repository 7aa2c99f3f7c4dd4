"""Calendar and vCard extraction: unfolding, escapes, attendee names, inline attachments, structure dropped."""

from __future__ import annotations

import base64

from gateway.extract.base import Budget
from gateway.extract.calendar import extract_calendar
from gateway.model import Location, Part, TextChunk

LOC = Location(("attachment[1] invite.ics",))

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Microsoft Corporation//Outlook 16.0//EN\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nUID:040000008200E00074C5B7101A82E008\r\nDTSTART;TZID=W. Europe Standard Time:20250312T100000\r\n"
    "DTSTAMP:20250301T080000Z\r\nSUMMARY;LANGUAGE=sv-SE:Elevhälsomöte om elev 19121212-\r\n 1212\r\n"
    "DESCRIPTION:Sekretessbelagd enligt 23 kap. 2 § OSL\\nRum 3\\, plan 2\\; tak\\\\golv\r\n"
    "LOCATION:Skolans konferensrum\r\n"
    'ATTENDEE;CN="Åsa Öberg";ROLE=REQ-PARTICIPANT:mailto:asa@kommun.example.se\r\n'
    "X-ALT-DESC;FMTTYPE=text/html:<p>Hej <b>1912</b>1212-1212</p>\r\n"
    "ATTACH;ENCODING=BASE64;VALUE=BINARY;X-FILENAME=kallelse.pdf:" + base64.b64encode(b"%PDF-1.4 kallelse").decode() + "\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def run(data: bytes, declared: str = "text/calendar") -> tuple[str, list[Part]]:
    part = Part(LOC, declared, "invite.ics", data, 1, "ics")
    items = list(extract_calendar(part, Budget()))
    chunks = [i for i in items if isinstance(i, TextChunk)]
    assert len(chunks) == 1 and chunks[0].location == LOC
    return chunks[0].text, [i for i in items if isinstance(i, Part)]


def test_invite() -> None:
    text, parts = run(ICS.encode())
    assert "Elevhälsomöte om elev 19121212-1212" in text
    assert "Sekretessbelagd enligt 23 kap. 2 § OSL\nRum 3, plan 2; tak\\golv" in text
    assert "Skolans konferensrum" in text
    assert "Åsa Öberg mailto:asa@kommun.example.se" in text
    assert "Hej 19121212-1212" in text
    assert "20250312" not in text and "040000008200E00074C5B7101A82E008" not in text
    (part,) = parts
    assert part.data == b"%PDF-1.4 kallelse" and part.filename == "kallelse.pdf" and part.depth == 2
    assert str(part.location) == "attachment[1] invite.ics > attach[1] kallelse.pdf"


def test_vcard_21_quoted_printable_and_v3() -> None:
    card = ("BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:=D6berg;=C5sa\r\n"
            "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:Personnummer 19121212-=\r\n1212, diabetes\r\n"
            "item1.TEL;TYPE=CELL:070-1234567\r\nPHOTO;ENCODING=BASE64:AAAA\r\nEND:VCARD\r\n"
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Åsa Öberg\r\nNOTE:Skyddad identitet\\, kontakta\r\n  handläggare\r\nEND:VCARD\r\n")
    text, parts = run(card.encode(), "text/vcard")
    assert "Öberg;Åsa" in text
    assert "Personnummer 19121212-1212, diabetes" in text
    assert "070-1234567" in text and "AAAA" not in text
    assert "Skyddad identitet, kontakta handläggare" in text
    assert parts == []


def test_garbage_never_raises() -> None:
    for junk in (b"", b"\x00\xff" * 50, b"BEGIN:VCALENDAR\r\n:::\r\n;;;\r\nATTACH;ENCODING=BASE64:!!!\r\n", b"\r\n \r\n \r\n"):
        text, _ = run(junk)
        assert isinstance(text, str)
