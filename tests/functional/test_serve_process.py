"""`dlp-gateway serve` as a real process: the embedded default end to end, SIGTERM with mail in flight,
SIGHUP reload, and a bad config (exit 2 with file:line)."""

from __future__ import annotations

import os
import re
import select
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

SERVE = [sys.executable, "-m", "gateway", "serve"]


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio does: TIME_WAIT is fine
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start(cwd: Path, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    proc = subprocess.Popen([*SERVE, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    buf = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 0.5)
        if ready:
            chunk = os.read(proc.stderr.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            m = re.search(rb"dlp-gateway: (?:smtp|lmtp) on [0-9.]+:(\d+)", buf)
            if m:
                threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep draining
                return proc, int(m.group(1))
        if proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"gateway did not start: {buf[-2000:]!r}")


def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()


def maildir(path: Path) -> list[bytes]:
    return [f.read_bytes() for f in sorted((path / "new").iterdir())] if (path / "new").is_dir() else []


@pytest.mark.slow
def test_embedded_default_end_to_end(tmp_path: Path, h: Any) -> None:
    if not (port_free(10025) and port_free(9925)):
        pytest.skip("127.0.0.1:10025 or :9925 is in use on this machine")
    proc, port = start(tmp_path)
    try:
        assert port == 10025
        with smtplib.SMTP("127.0.0.1", 10025, timeout=60) as s:
            assert s.sendmail("kalle@kommun.example.se", ["anna@gmail.com"], h.mail(subject="clean")) == {}
            assert s.sendmail("kalle@kommun.example.se", ["anna@gmail.com"], h.sensitive()) == {}
            m = EmailMessage()
            m["From"], m["To"], m["Subject"] = "kalle@kommun.example.se", "anna@gmail.com", "krypterad"
            m.set_content("Se bilagan.")
            m.add_attachment(os.urandom(4096), maintype="application", subtype="octet-stream", filename="x.bin")
            with pytest.raises(smtplib.SMTPDataError) as exc:
                s.sendmail("kalle@kommun.example.se", ["anna@gmail.com"], m.as_bytes().replace(b"\n", b"\r\n"))
            assert exc.value.smtp_code == 550 and exc.value.smtp_error.startswith(b"5.7.1")
        assert h.wait_until(lambda: len(maildir(tmp_path / "var/outbound")) == 2)  # clean + the notice
        outbound, secure = maildir(tmp_path / "var/outbound"), maildir(tmp_path / "var/secure")
        assert len(secure) == 1 and h.SE_TEST.encode() in secure[0] and b"action=reroute" in secure[0]
        assert sum(b"Subject: clean" in x for x in outbound) == 1
        assert sum(b"X-DLP-Gateway: v1; incident=" in x and b"kind=reroute" in x for x in outbound) == 1  # notice
        assert all(b"krypterad" not in x for x in outbound + secure)
        metrics = urllib.request.urlopen("http://127.0.0.1:9925/metrics", timeout=10).read().decode()
        assert 'dlp_messages_total{action="reroute"} 1.0' in metrics
        assert 'dlp_smtp_replies_total{code="550"} 1.0' in metrics
        assert h.SE_TEST not in metrics
    finally:
        rc = stop(proc)
    assert rc == 0
    out = proc.stdout.read().decode() if proc.stdout else ""
    lines = [x for x in out.splitlines() if x.startswith("{")]
    assert len(lines) == 3 and h.SE_TEST not in out and "anna@gmail.com" not in out  # audit: domains only


@pytest.mark.slow
def test_sigterm_finishes_in_flight_message(tmp_path: Path, sinks: Any, h: Any) -> None:
    nxt = sinks(delay=2.0)
    cfg = tmp_path / "gw.yaml"
    cfg.write_text(f"listen: 127.0.0.1:0\nnext_hop: {nxt.url()}\nmetrics_listen: off\n"
                   f"quarantine_dir: {tmp_path / 'q'}\nsecure_route: maildir:{tmp_path / 'sec'}\n")
    proc, port = start(tmp_path, "--config", str(cfg))
    result: list[Any] = []

    def client() -> None:
        s = smtplib.SMTP("127.0.0.1", port, timeout=60)
        result.append(s.sendmail("kalle@kommun.example.se", ["anna@gmail.com"], h.mail()))
        result.append(s.noop()[0])  # after its message, a stopping gateway says 421 and closes
        s.close()

    idle = smtplib.SMTP("127.0.0.1", port, timeout=30)
    idle.ehlo()
    t = threading.Thread(target=client)
    t.start()
    time.sleep(1.0)  # the message is now waiting for the slow next hop
    rc = stop(proc)
    t.join(30)
    assert rc == 0
    assert result == [{}, 421] and len(nxt.received) == 1
    try:
        code = idle.mail("kalle@kommun.example.se")[0]  # the idle connection got 421 and was closed
    except smtplib.SMTPServerDisconnected:
        code = 421
    assert code == 421
    idle.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_sighup_reloads_policy(tmp_path: Path, h: Any) -> None:
    pol = tmp_path / "pol"
    pol.mkdir()
    (pol / "default.yaml").write_text("version: 1\nrules:\n  - {id: default, action: deliver}\n")
    cfg = tmp_path / "gw.yaml"
    cfg.write_text(f"listen: 127.0.0.1:0\npolicy_dir: {pol}\nmetrics_listen: off\nnext_hop: maildir:{tmp_path / 'out'}\n"
                   f"secure_route: maildir:{tmp_path / 'sec'}\nquarantine_dir: {tmp_path / 'q'}\n")
    proc, port = start(tmp_path, "--config", str(cfg))
    try:
        (pol / "default.yaml").write_text(
            "version: 1\nrules:\n  - {id: hold, when: {recipients: external, categories: [personnummer]},"
            " action: block}\n  - {id: default, action: deliver}\n")
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        code = 250
        while time.monotonic() < deadline:
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
                    s.sendmail("kalle@kommun.example.se", ["anna@gmail.com"], h.sensitive())
            except smtplib.SMTPDataError as exc:
                code = exc.smtp_code
                break
            time.sleep(0.3)
        assert code == 550
    finally:
        assert stop(proc) == 0


def test_bad_config_exits_2_with_file_and_line(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("listen: 127.0.0.1:10025\nprotocl: smtp\ntimeout: 10\n")
    res = subprocess.run([*SERVE, "--config", str(cfg)], capture_output=True, timeout=60, cwd=tmp_path)
    assert res.returncode == 2
    assert f"{cfg}:2: unknown key 'protocl'" in res.stderr.decode()
