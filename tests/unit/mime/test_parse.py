"""parse_message: headers, bodies, attachments, encodings and nesting, on messages built with ``email``."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from gateway.extract.base import Budget, Item, LimitExceeded, Limits
from gateway.extract.walk import extract_message
from gateway.mime.parse import parse_message
from gateway.model import Location, Part, Reason, TextChunk, Unscannable

PNR = "19121212-1212"  # Skatteverket test personnummer
MARK = "Sekretessbelagd"


def items(raw: bytes, limits: Limits | None = None) -> list[Item]:
    return list(parse_message(raw, Location(()), 0, Budget(limits or Limits())))


def texts(raw: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items(raw):
        if isinstance(item, TextChunk):
            key = f"{item.location}|{item.origin}"
            out[key] = out.get(key, "") + item.text
    return out


def parts(raw: bytes) -> list[Part]:
    return [i for i in items(raw) if isinstance(i, Part)]


def unscannable(raw: bytes) -> list[Unscannable]:
    return [i for i in items(raw) if isinstance(i, Unscannable)]


def test_headers_bodies_and_attachment() -> None:
    msg = EmailMessage()
    msg["Subject"] = f"Läkarintyg {PNR}"
    msg["msip_labels"] = "MSIP_Label_1f2e_Enabled=true; MSIP_Label_1f2e_SiteId=abcd; MSIP_Label_1f2e_Name=Sekretess"
    msg["Sensitivity"] = "Company-Confidential"
    msg["X-Titus-Metadata-40"] = "eyJDYXRlZ29yeUxhYmVscyI6IiJ9"
    msg.set_content(f"Hej\n{MARK} {PNR}\n")
    msg.add_alternative(f"<p>Hej <b>{PNR[:8]}</b>{PNR[8:]}</p><div style='display:none'>{MARK}</div>", subtype="html")
    msg.add_attachment(b"%PDF-1.4\n", maintype="application", subtype="pdf", filename="Läkarintyg_191212121212.pdf")
    got = texts(msg.as_bytes())
    assert got["subject|header"] == f"Läkarintyg {PNR}"
    assert got["header[msip_labels]|header"].startswith("MSIP_Label_1f2e_Enabled=true;")
    assert "\n" not in got["header[msip_labels]|header"]
    assert got["header[sensitivity]|header"] == "Company-Confidential"
    assert got["header[x-titus-metadata-40]|header"] == "eyJDYXRlZ29yeUxhYmVscyI6IiJ9"
    assert f"{MARK} {PNR}" in got["body[text/plain]|body"]
    assert PNR in got["body[text/html]|body"] and MARK in got["body[text/html]|body"]
    assert got["attachment[1] Läkarintyg_############.pdf|filename"] == "Läkarintyg_191212121212.pdf"
    (part,) = parts(msg.as_bytes())
    assert part.location == Location(("attachment[1] Läkarintyg_############.pdf",))
    assert part.declared_type == "application/pdf" and part.data == b"%PDF-1.4\n" and part.depth == 1
    assert part.filename == "Läkarintyg_191212121212.pdf"


def test_folded_msip_labels_are_unfolded_raw() -> None:
    raw = (b"Subject: x\r\nmsip_labels: MSIP_Label_aa_Enabled=true;\r\n MSIP_Label_aa_Name=Intern;\r\n"
           b"\tMSIP_Label_aa_ContentBits=0\r\n\r\nbody\r\n")
    got = texts(raw)["header[msip_labels]|header"]
    assert got == "MSIP_Label_aa_Enabled=true; MSIP_Label_aa_Name=Intern;\tMSIP_Label_aa_ContentBits=0"


def test_several_bodies_are_numbered() -> None:
    outer = MIMEMultipart("mixed")
    for text in ("första", "andra", PNR):
        outer.attach(MIMEText(text, "plain", "utf-8"))
    outer.attach(MIMEText("<p>a</p>", "html", "utf-8"))
    outer.attach(MIMEText("<p>b</p>", "html", "utf-8"))
    got = texts(outer.as_bytes())
    assert got["body[text/plain]|body"] == "första"
    assert got["body[2][text/plain]|body"] == "andra"
    assert got["body[3][text/plain]|body"] == PNR
    assert got["body[2][text/html]|body"] == "b"


@pytest.mark.parametrize("cte", ["7bit", "8bit", "quoted-printable", "base64", "binary"])
def test_every_transfer_encoding(cte: str) -> None:
    body = f"Elevhälsan: {MARK} {PNR} — läkarintyg".encode()
    if cte == "base64":
        payload = base64.encodebytes(body).decode()
    elif cte == "quoted-printable":
        payload = "Elevh=C3=A4lsan: Sekretessbe=\r\nlagd 19121212-=\r\n1212 =E2=80=94 l=C3=A4karintyg"
    else:
        payload = body.decode()
    raw = (f"Subject: t\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: {cte}\r\n\r\n"
           f"{payload}\r\n").encode()
    assert body.decode() in texts(raw)["body[text/plain]|body"]


def test_uuencode() -> None:
    msg = MIMEText("x")
    import binascii

    encoded = b"begin 644 a.txt\n" + binascii.b2a_uu(PNR.encode()) + b"`\nend\n"
    raw = msg.as_bytes().split(b"\n\n")[0].replace(b"7bit", b"x-uuencode") + b"\n\n" + encoded
    assert PNR in texts(raw)["body[text/plain]|body"]


@pytest.mark.parametrize("charset", ["unknown-8bit", "x-user-defined", "bogus-42", "utf-8", "iso-8859-1", "windows-1252"])
def test_cp1252_body_survives_any_charset_label(charset: str) -> None:
    raw = (f"Subject: t\r\nContent-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           ).encode() + f"Läkarintyg {PNR}".encode("cp1252")
    assert f"Läkarintyg {PNR}" in texts(raw)["body[text/plain]|body"]


def test_utf16_body_with_and_without_bom() -> None:
    for charset, data in (("utf-16", "Läkarintyg 19121212-1212".encode("utf-16")),
                          ("utf-16le", "Läkarintyg 19121212-1212".encode("utf-16-le"))):
        raw = (f"Subject: t\r\nContent-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: base64\r\n\r\n"
               ).encode() + base64.encodebytes(data)
        assert f"Läkarintyg {PNR}" in texts(raw)["body[text/plain]|body"]


def test_format_flowed_delsp_joins_a_split_number() -> None:
    raw = (b"Subject: t\r\nContent-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\r\n\r\n"
           b"Personnummer 19121212- \r\n1212 finns i bilagan. \r\nNy rad\r\n>> citat 1912 \r\n>> 1212-1212\r\n")
    body = texts(raw)["body[text/plain]|body"]
    assert f"Personnummer {PNR} finns i bilagan.Ny rad" in body
    assert ">> citat 19121212-1212" in body
    flowed_no_delsp = raw.replace(b"; delsp=yes", b"")
    assert "Personnummer 19121212- 1212" in texts(flowed_no_delsp)["body[text/plain]|body"]


def test_rfc2231_and_rfc2047_filenames() -> None:
    raw = (
        b"Subject: t\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
        b"--XX\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Disposition: attachment;\r\n filename*0*=utf-8''L%C3%A4karintyg%5F1912;\r\n filename*1*=12121212.pdf\r\n\r\nAAAA\r\n"
        b"--XX\r\nContent-Type: application/pdf; name=\"=?utf-8?Q?Elevh=C3=A4lsa_19121212-1212.pdf?=\"\r\n"
        b"Content-Disposition: attachment; filename=\"=?utf-8?Q?Elevh=C3=A4lsa_19121212-1212.pdf?=\"\r\n\r\nBBBB\r\n"
        b"--XX\r\nContent-Type: application/pdf; name*=bogus''L%E4kare.pdf\r\n\r\nCCCC\r\n"
        b"--XX--\r\n"
    )
    names = [p.filename for p in parts(raw)]
    assert names == ["Läkarintyg_191212121212.pdf", "Elevhälsa 19121212-1212.pdf", "Läkare.pdf"]
    assert [str(p.location) for p in parts(raw)][:2] == [
        "attachment[1] Läkarintyg_############.pdf", "attachment[2] Elevhälsa ########-1212.pdf"]


def test_raw_8bit_filename_and_subject() -> None:
    raw = ("Subject: Läkarintyg för elev\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
           "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"Läkarintyg.pdf\"\r\n\r\n"
           "%PDF-1.4\r\n--b--\r\n").encode("cp1252")
    got = texts(raw)
    assert got["subject|header"] == "Läkarintyg för elev"
    assert got["attachment[1] Läkarintyg.pdf|filename"] == "Läkarintyg.pdf"


def test_path_traversal_name_is_made_safe() -> None:
    msg = EmailMessage()
    msg["Subject"] = "x"
    msg.set_content("hej")
    msg.add_attachment(b"data", maintype="application", subtype="octet-stream", filename="../../etc/passwd\x07")
    (part,) = parts(msg.as_bytes())
    assert str(part.location) == "attachment[1] passwd"


def test_pdf_declared_as_text_is_a_part() -> None:
    pdf = b"%PDF-1.4\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 10
    raw = b"Subject: t\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(pdf)
    (part,) = parts(raw)
    assert part.data == pdf and str(part.location) == "attachment[1] text/plain"


def test_text_attachment_with_charset_is_a_part() -> None:
    msg = EmailMessage()
    msg.set_content("hej")
    msg.add_attachment(f"Åsa {PNR}".encode("cp1252"), maintype="text", subtype="plain", filename="anteckning.txt",
                       params={"charset": "windows-1252"})
    (part,) = parts(msg.as_bytes())
    assert part.declared_type == "text/plain; charset=windows-1252"
    ex = extract_message(msg.as_bytes())
    assert [c.text for c in ex.chunks if str(c.location) == "attachment[1] anteckning.txt" and c.origin == "attachment"] == [
        f"Åsa {PNR}"]


def test_signed_message_scans_content_and_skips_signature() -> None:
    signed = MIMEMultipart("signed", protocol="application/pkcs7-signature", micalg="sha-256")
    signed.attach(MIMEText(f"{MARK} {PNR}", "plain", "utf-8"))
    sig = MIMEApplication(b"\x30\x82\x01\x00\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02" + b"\0" * 64, "pkcs7-signature",
                          name="smime.p7s")
    signed.attach(sig)
    ex = extract_message(signed.as_bytes())
    assert any(PNR in c.text for c in ex.chunks if str(c.location) == "body[text/plain]")
    assert ex.unscannable == []


def test_signature_name_does_not_hide_a_pdf() -> None:
    signed = MIMEMultipart("signed", protocol="application/pkcs7-signature")
    signed.attach(MIMEText("hej"))
    signed.attach(MIMEApplication(b"%PDF-1.4\n", "pkcs7-signature"))
    assert [p.data for p in parts(signed.as_bytes())] == [b"%PDF-1.4\n"]


def test_encrypted_content_is_unscannable() -> None:
    enc = MIMEMultipart("encrypted", protocol="application/pgp-encrypted")
    enc.attach(MIMEApplication(b"Version: 1", "pgp-encrypted"))
    enc.attach(MIMEApplication(b"-----BEGIN PGP MESSAGE-----\n\nhQEMA\n-----END PGP MESSAGE-----\n", "octet-stream"))
    assert [(u.reason, u.detail) for u in unscannable(enc.as_bytes())] == [(Reason.ENCRYPTED, "multipart/encrypted")]
    smime = MIMEApplication(b"\x30\x80" + b"\0" * 40, "pkcs7-mime", name="smime.p7m")
    smime.set_param("smime-type", "enveloped-data")
    assert [u.reason for u in unscannable(smime.as_bytes())] == [Reason.ENCRYPTED]
    inline = MIMEText("Hej\n-----BEGIN PGP MESSAGE-----\n\nhQEMA\n-----END PGP MESSAGE-----\n")
    assert [(str(u.location), u.reason) for u in unscannable(inline.as_bytes())] == [("body[text/plain]", Reason.ENCRYPTED)]


def test_smime_enveloped_without_smime_type_is_encrypted_via_the_walker() -> None:
    der = b"\x30\x80\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x03\xa0\x80" + b"\0" * 40
    ex = extract_message(MIMEApplication(der, "pkcs7-mime", name="smime.p7m").as_bytes())
    assert [u.reason for u in ex.unscannable] == [Reason.ENCRYPTED]


def test_nested_forward_is_walked_in_place() -> None:
    inner = EmailMessage()
    inner["Subject"] = "Elevärende 19121212-1212"
    inner.set_content(f"{MARK}: elevens personnummer {PNR}")
    inner.add_attachment(b"PK\x03\x04", maintype="application", subtype="zip", filename="bilaga.zip")
    outer = MIMEMultipart()
    outer["Subject"] = "Fwd: ärende"
    outer.attach(MIMEText("se nedan"))
    outer.attach(MIMEMessage(inner))
    got = texts(outer.as_bytes())
    root = "attachment[1] message.eml"  # never the subject: locations appear in logs and audit lines
    assert got[f"{root} > subject|header"] == "Elevärende 19121212-1212"
    assert PNR in got[f"{root} > body[text/plain]|body"]
    (part,) = parts(outer.as_bytes())
    assert str(part.location) == f"{root} > attachment[1] bilaga.zip" and part.depth == 2


def test_nesting_beyond_message_depth_is_over_limit() -> None:
    msg: EmailMessage | MIMEMultipart = EmailMessage()
    msg.set_content(PNR)
    for level in range(4):
        outer = MIMEMultipart()
        outer["Subject"] = f"level {level}"
        outer.attach(MIMEMessage(msg))
        msg = outer
    found = items(msg.as_bytes(), Limits(max_message_depth=2))
    over = [i for i in found if isinstance(i, Unscannable)]
    assert [(u.reason, u.detail) for u in over] == [(Reason.OVER_LIMIT, "max_message_depth=2")]
    assert not any(isinstance(i, TextChunk) and PNR in i.text for i in found)
    assert any(isinstance(i, TextChunk) and PNR in i.text for i in items(msg.as_bytes()))


def test_base64_encoded_rfc822_becomes_an_eml_part() -> None:
    inner = f"Subject: inre\r\n\r\n{MARK} {PNR}\r\n".encode()
    raw = (b"Subject: yttre\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
           b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(inner)
           + b"--b--\r\n")
    (part,) = parts(raw)
    assert part.sniffed_type == "eml" and PNR.encode() in part.data
    ex = extract_message(raw)
    assert any(PNR in c.text and str(c.location).endswith("body[text/plain]") for c in ex.chunks)


def test_multipart_report_and_other_message_types() -> None:
    report = MIMEMultipart("report", report_type="delivery-status")
    report.attach(MIMEText("Leverans misslyckades"))
    original = EmailMessage()
    original["Subject"] = "Original"
    original.set_content(PNR)
    report.attach(MIMEMessage(original))
    raw = report.as_bytes()
    boundary = report.get_boundary().encode()
    status = (b"--" + boundary + b"\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.kommun.example.se\n\n"
              b"Final-Recipient: rfc822; a@b.se\n")
    raw = raw.replace(b"--" + boundary + b"--", status + b"--" + boundary + b"--")
    ex = extract_message(raw)
    assert any(PNR in c.text for c in ex.chunks)
    assert any("Final-Recipient" in c.text for c in ex.chunks)
    partial = MIMEBase("message", "partial")
    partial.set_payload("x")
    assert [u.reason for u in unscannable(partial.as_bytes())] == [Reason.UNSUPPORTED]


def test_inline_calendar_image_and_tnef_are_parts() -> None:
    msg = MIMEMultipart("mixed")
    alt = MIMEMultipart("alternative")
    alt.attach(MIMEText("Möte"))
    alt.attach(MIMEText("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Elevhälsomöte\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
                        "calendar", "utf-8"))
    msg.attach(alt)
    image = MIMEBase("image", "png")
    image.set_payload(b"\x89PNG\r\n\x1a\n")
    image.add_header("Content-ID", "<logo>")
    msg.attach(image)
    msg.attach(MIMEApplication(b"\x78\x9f\x3e\x22\x01\x00", "ms-tnef", name="winmail.dat"))
    locations = [str(p.location) for p in parts(msg.as_bytes())]
    assert locations == ["attachment[1] text/calendar", "attachment[2] image/png", "attachment[3] winmail.dat"]
    ex = extract_message(msg.as_bytes())
    assert any("Elevhälsomöte" in c.text for c in ex.chunks)
    assert all(u.location.path[0] != "attachment[2] image/png" for u in ex.unscannable)


def test_message_without_headers_or_content_type() -> None:
    assert texts(b"\r\n19121212-1212\r\n")["body[text/plain]|body"].strip() == PNR
    assert texts(b"")  == {}


def test_preamble_text_is_scanned() -> None:
    raw = (b"Content-Type: multipart/mixed; boundary=b\r\n\r\nDolt 19121212-1212\r\n--b\r\n\r\nhej\r\n--b--\r\n")
    assert PNR in texts(raw)["body[preamble]|body"]


def test_part_limit_raises_after_text_is_yielded() -> None:
    outer = MIMEMultipart()
    for i in range(20):
        outer.attach(MIMEText(f"del {i}"))
    gen = parse_message(outer.as_bytes(), Location(()), 0, Budget(Limits(max_parts=5)))
    seen: list[Item] = []
    with pytest.raises(LimitExceeded) as exc:
        for item in gen:
            seen.append(item)
    assert exc.value.reason == Reason.OVER_LIMIT
    assert [i.text for i in seen if isinstance(i, TextChunk)] == ["del 0", "del 1", "del 2", "del 3"]


def _make_examples() -> object:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[3] / "examples" / "make_examples.py"
    spec = importlib.util.spec_from_file_location("make_examples", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_examples_are_reproducible_and_parse_cleanly(tmp_path: object) -> None:
    from pathlib import Path

    module = _make_examples()
    written = module.main(Path(str(tmp_path)))  # type: ignore[attr-defined]
    assert len(written) >= 6
    for path in written:
        committed = Path(__file__).parents[3] / "examples" / path.name
        assert committed.read_bytes() == path.read_bytes(), path.name
        ex = extract_message(path.read_bytes())
        assert ex.unscannable == [], path.name
        assert any(c.origin == "body" for c in ex.chunks)
    pupil = extract_message((Path(str(tmp_path)) / "04_pupil_health.eml").read_bytes())
    assert {str(c.location) for c in pupil.chunks if "20000101-2384" in c.text} == {"body[text/plain]", "body[text/html]"}
    flowed = extract_message((Path(str(tmp_path)) / "08_label_flowed.eml").read_bytes())
    assert any("MSIP_Label_" in c.text and str(c.location) == "header[msip_labels]" for c in flowed.chunks)


def test_hostile_content_type_is_cleaned_for_the_location() -> None:
    raw = (b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
           b"Content-Type: application/<script>\"x\"" + b"a" * 200 + b"\r\n\r\ndata\r\n--b--\r\n")
    (part,) = parts(raw)
    label = part.location.path[0]
    assert label.startswith("attachment[1] application/script") and len(label) <= 80 and "<" not in label


def test_label_like_x_headers_are_kept_raw() -> None:
    raw = (b"Subject: t\r\nX-Classification: KONFIDENTIELL\r\nX-Protective-Marking: VER=2018.1, NS=se,\r\n SEC=RESTRICTED\r\n"
           b"X-Mailer: Outlook\r\nX-Some-Label-Header-" + b"a" * 100 + b": x\r\n\r\nbody\r\n")
    got = texts(raw)
    assert got["header[x-classification]|header"] == "KONFIDENTIELL"
    assert got["header[x-protective-marking]|header"] == "VER=2018.1, NS=se, SEC=RESTRICTED"
    assert not any("x-mailer" in key or "aaaa" in key for key in got)
