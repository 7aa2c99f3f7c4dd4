"""PGP and S/MIME: encrypted content is ``encrypted``; opaque signed S/MIME content is read (openssl-made CMS)."""

from __future__ import annotations

import shutil
import subprocess
from email.mime.application import MIMEApplication
from pathlib import Path

import pytest

from gateway.extract.base import Budget
from gateway.extract.crypto import extract_crypto, signed_content
from gateway.extract.walk import extract_message
from gateway.model import Location, Part, Reason, TextChunk, Unscannable

PNR = "19121212-1212"
CONTENT = f"Content-Type: text/plain; charset=utf-8\r\n\r\nSekretessbelagd {PNR}\r\n".encode()
LOC = Location(("attachment[1] smime.p7m",))


def tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    length = bytes([n]) if n < 128 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + length + body


SIGNED_OID = tlv(0x06, bytes.fromhex("2a864886f70d010702"))
DATA_OID = tlv(0x06, bytes.fromhex("2a864886f70d010701"))


def hand_signed(content: bytes | None, chunked: bool = False) -> bytes:
    """A SignedData ContentInfo (no certificates or signers: the reader does not need them)."""
    encap = DATA_OID
    if content is not None:
        octets = tlv(0x24, tlv(0x04, content[:10]) + tlv(0x04, content[10:])) if chunked else tlv(0x04, content)
        encap += tlv(0xA0, octets)
    signed = tlv(0x30, tlv(0x02, b"\x01") + tlv(0x31, b"") + tlv(0x30, encap) + tlv(0x31, b""))
    return tlv(0x30, SIGNED_OID + tlv(0xA0, signed))


def run(data: bytes, sniffed: str = "smime") -> list[TextChunk | Part | Unscannable]:
    return list(extract_crypto(Part(LOC, "application/pkcs7-mime", "smime.p7m", data, 1, sniffed), Budget()))


@pytest.mark.parametrize("chunked", [False, True])
def test_hand_built_signed_data_is_read(chunked: bool) -> None:
    assert signed_content(hand_signed(CONTENT, chunked)) == CONTENT
    chunks = [i for i in run(hand_signed(CONTENT, chunked))
              if isinstance(i, TextChunk) and not str(i.location).endswith("> headers")]
    assert [(str(c.location), c.text.strip()) for c in chunks] == [
        ("attachment[1] smime.p7m > body[text/plain]", f"Sekretessbelagd {PNR}")]


def test_detached_signature_yields_nothing_and_garbage_is_reported() -> None:
    assert run(hand_signed(None)) == []
    broken = hand_signed(CONTENT)[:-5]
    assert [(u.reason, u.detail) for u in run(broken) if isinstance(u, Unscannable)] == [
        (Reason.CORRUPT, "smime signed-data")]
    assert [u.reason for u in run(b"\x30\x03\x02\x01\x01") if isinstance(u, Unscannable)] == [Reason.UNSUPPORTED]
    for junk in (b"\x30\x80" * 1000, b"\x30\x84\xff\xff\xff\xff", b"\x30\x89" + b"\xff" * 9, b"\x30", b""):
        assert all(isinstance(i, Unscannable) for i in run(junk))


def test_pgp_is_encrypted() -> None:
    assert [(u.reason, u.detail) for u in run(b"-----BEGIN PGP MESSAGE-----", "pgp") if isinstance(u, Unscannable)] == [
        (Reason.ENCRYPTED, "pgp")]


@pytest.fixture(scope="module")
def openssl_cms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    d: Path = tmp_path_factory.mktemp("cms")
    (d / "m.txt").write_bytes(CONTENT)

    def sh(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)

    sh("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=test", "-keyout", "k.pem", "-out", "c.pem", "-days", "1")
    signer = ["-signer", "c.pem", "-inkey", "k.pem", "-outform", "DER", "-in", "m.txt", "-binary"]
    sh("cms", "-sign", "-nodetach", *signer, "-out", "opaque.der")
    sh("cms", "-sign", "-nodetach", "-stream", *signer, "-out", "streamed.der")
    sh("cms", "-sign", *signer, "-out", "detached.der")
    sh("cms", "-encrypt", "-aes256", "-in", "m.txt", "-outform", "DER", "-out", "enveloped.der", "c.pem")
    return {p.stem: p.read_bytes() for p in d.glob("*.der")}


def as_mail(der: bytes, smime_type: str | None) -> bytes:
    part = MIMEApplication(der, "pkcs7-mime", name="smime.p7m")
    if smime_type:
        part.set_param("smime-type", smime_type)
    part["Subject"] = "Signerat"
    return part.as_bytes()


@pytest.mark.parametrize("name", ["opaque", "streamed"])
def test_openssl_opaque_signed_mail_is_scanned(openssl_cms: dict[str, bytes], name: str) -> None:
    ex = extract_message(as_mail(openssl_cms[name], "signed-data"))
    assert ex.unscannable == []
    assert [str(c.location) for c in ex.chunks if PNR in c.text] == ["attachment[1] smime.p7m > body[text/plain]"]


def test_openssl_enveloped_and_detached(openssl_cms: dict[str, bytes]) -> None:
    for smime_type in ("enveloped-data", None):  # declared, or only visible in the CMS bytes
        ex = extract_message(as_mail(openssl_cms["enveloped"], smime_type))
        assert [(u.reason, u.detail) for u in ex.unscannable] == [(Reason.ENCRYPTED, "smime")]
        assert not any(PNR in c.text for c in ex.chunks)
    ex = extract_message(as_mail(openssl_cms["detached"], None))
    assert ex.unscannable == [] and not any(PNR in c.text for c in ex.chunks)
