"""STARTTLS: offered by our listener with a configured certificate; required and verified towards a route."""

from __future__ import annotations

import asyncio
import shutil
import smtplib
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("tls")
    crt, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(crt)],
                   check=True, capture_output=True, timeout=60)
    return crt, key


def test_listener_offers_starttls_with_configured_certificate(gateway: Any, sinks: Any, h: Any,
                                                               cert: tuple[Path, Path]) -> None:
    nxt = sinks()
    gw = gateway(next_hop=nxt.url(), tls_cert=cert[0], tls_key=cert[1])
    ctx = ssl.create_default_context(cafile=str(cert[0]))
    with smtplib.SMTP("localhost", gw.port, timeout=30) as s:
        s.ehlo()
        assert s.has_extn("starttls")
        assert s.starttls(context=ctx)[0] == 220
        s.ehlo()
        assert not s.has_extn("auth")  # never offered, not even over TLS
        assert s.sendmail("kalle@kommun.example.se", ["anna@gmail.com"], h.mail()) == {}
    assert len(nxt.received) == 1


def test_route_with_required_tls_verifies_and_delivers(gateway: Any, loop_thread: Any, h: Any,
                                                       cert: tuple[Path, Path]) -> None:
    got: list[bytes] = []

    class Rec:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            got.append(bytes(envelope.original_content) if session.ssl else b"PLAINTEXT")
            return "250 OK"

    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(str(cert[0]), str(cert[1]))

    async def start() -> asyncio.AbstractServer:
        loop = asyncio.get_running_loop()
        return await loop.create_server(lambda: SMTP(Rec(), hostname="localhost", tls_context=server_ctx,
                                                     require_starttls=True), "127.0.0.1", 0)

    srv = loop_thread.call(start())
    port = srv.sockets[0].getsockname()[1]
    try:
        good = gateway(secure_route=f"smtp://localhost:{port}?tls=required&ca={cert[0]}")
        with smtplib.SMTP("127.0.0.1", good.port, timeout=30) as s:
            assert s.sendmail("kalle@kommun.example.se", ["anna@gmail.com"], h.sensitive()) == {}
        assert len(got) == 1 and got[0].endswith(h.sensitive()[-40:])
        bad = gateway(secure_route=f"smtp://localhost:{port}?tls=required")  # system CAs: self-signed fails
        with pytest.raises(smtplib.SMTPDataError) as exc, smtplib.SMTP("127.0.0.1", bad.port, timeout=30) as s:
            s.sendmail("kalle@kommun.example.se", ["anna@gmail.com"], h.sensitive())
        assert exc.value.smtp_code == 451 and len(got) == 1
        # opportunistic (Postfix's "may"): encrypted, the self-signed certificate accepted
        maybe = gateway(secure_route=f"smtp://localhost:{port}?tls=opportunistic")
        with smtplib.SMTP("127.0.0.1", maybe.port, timeout=30) as s:
            assert s.sendmail("kalle@kommun.example.se", ["anna@gmail.com"], h.sensitive()) == {}
        assert len(got) == 2 and got[1] != b"PLAINTEXT"
        # opportunistic with a CA file verifies: the self-signed certificate is not signed by the system CAs
        system_cas = ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt"
        wrong = gateway(secure_route=f"smtp://localhost:{port}?tls=opportunistic&ca={system_cas}")
        with pytest.raises(smtplib.SMTPDataError) as exc, smtplib.SMTP("127.0.0.1", wrong.port, timeout=30) as s:
            s.sendmail("kalle@kommun.example.se", ["anna@gmail.com"], h.sensitive())
        assert exc.value.smtp_code == 451 and len(got) == 2
    finally:
        loop_thread.close_server(srv)
