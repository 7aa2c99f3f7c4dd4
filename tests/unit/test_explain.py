"""`dlp-gateway explain`: parts, masked findings, hits below threshold, decisions and the exact reply."""

import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path


def _explain(path: Path, *extra: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "gateway", "explain", *extra, str(path)], capture_output=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.decode()


def _mail(tmp: Path, body: str, attach: bytes | None = None) -> Path:
    m = EmailMessage()
    m["From"] = "anna@kommun.example.se"
    m["To"] = "x@example.com"
    m["Subject"] = "Ärende"
    m.set_content(body)
    if attach is not None:
        m.add_attachment(attach, maintype="application", subtype="octet-stream", filename="data.asc")
    path = tmp / "m.eml"
    path.write_bytes(m.as_bytes())
    return path


def test_explain_shows_masked_finding_rule_and_scope(tmp_path: Path) -> None:
    out = _explain(_mail(tmp_path, "Eleven har personnummer 19121212-1212."))
    assert "se_personnummer" in out and "1912****-**12" in out and "1212-1212" not in out
    assert "example.com (external): reroute by rule sensitive-external" in out
    assert "body[text/plain]" in out


def test_explain_shows_the_block_reply_for_unscannable(tmp_path: Path) -> None:
    pgp = b"-----BEGIN PGP MESSAGE-----\n\nhQEMA1234567890abcdef\n-----END PGP MESSAGE-----\n"
    out = _explain(_mail(tmp_path, "Se bilaga.", pgp))
    assert "encrypted" in out and "block by rule unscannable-external" in out
    assert "reply: 550-5.7.1" in out and "reply: 550 5.7.1" in out and "DLP-" in out


def test_explain_lists_hits_below_threshold(tmp_path: Path) -> None:
    out = _explain(_mail(tmp_path, "Nummer 010100-4000 her."))  # a date-valid Danish shape without keyword
    assert "below the report threshold" in out and "dk_cpr" in out
