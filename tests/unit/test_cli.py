"""`dlp-gateway scan` as an operator runs it: a real subprocess, real files, JSON Lines on stdout."""

import json
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest


def _run(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "gateway", *args], input=stdin, capture_output=True,
                          timeout=120, cwd=cwd)


def _write(path: Path, body: str, subject: str = "Hej") -> Path:
    m = EmailMessage()
    m["From"] = "anna@kommun.example.se"
    m["To"] = "x@example.com"
    m["Subject"] = subject
    m.set_content(body)
    path.write_bytes(m.as_bytes())
    return path


@pytest.fixture()
def mails(tmp_path: Path) -> Path:
    d = tmp_path / "msgs"
    (d / "sub").mkdir(parents=True)
    _write(d / "0001.eml", "Mötet flyttas till torsdag.")
    _write(d / "0002.eml", "Eleven har personnummer 19121212-1212.")
    _write(d / "sub" / "0003.eml", "Hej igen, inget känsligt här.")
    (d / "notes.txt").write_text("not a message")
    return d


def test_directory_scan_json_lines_in_sorted_order(mails: Path, tmp_path: Path) -> None:
    proc = _run("scan", "--json", str(mails), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [Path(r["file"]).name for r in rows] == ["0001.eml", "0002.eml", "0003.eml"]
    assert [r["action"] for r in rows] == ["deliver", "reroute", "deliver"]
    pn = rows[1]
    assert pn["rule"] == "sensitive-external" and "personnummer" in pn["categories"]
    assert {"file", "action", "rule", "categories", "findings", "unscannable", "scan_ms"} <= set(pn)
    assert pn["findings"][0]["sample"] == "1912****-**12"
    assert b"1212-1212" not in proc.stdout and b"1212-1212" not in proc.stderr
    assert proc.stderr == b""  # no progress mixed in when stderr is not a terminal


def test_stdin_and_internal_recipient(mails: Path) -> None:
    raw = (mails / "0002.eml").read_bytes()
    proc = _run("scan", "--json", "--from", "a@kommun.example.se", "--to", "b@kommun.example.se", "-", stdin=raw)
    row = json.loads(proc.stdout)
    assert proc.returncode == 0 and row["file"] == "-" and row["action"] == "deliver"
    assert "personnummer" in row["categories"]


def test_human_summary_masks(mails: Path) -> None:
    proc = _run("scan", str(mails / "0002.eml"))
    out = proc.stdout.decode()
    assert proc.returncode == 0 and "reroute" in out and "1912****-**12" in out and "1212-1212" not in out


def test_missing_file_and_usage_errors_exit_2(mails: Path) -> None:
    proc = _run("scan", str(mails / "0001.eml"), str(mails / "missing.eml"))
    assert proc.returncode == 2 and b"missing.eml" in proc.stderr
    assert _run("scan").returncode == 2
    assert _run("frobnicate").returncode == 2


def test_malformed_message_still_gets_a_decision(tmp_path: Path) -> None:
    bad = tmp_path / "bad.eml"
    bad.write_bytes(b"Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\nContent-Transfer-Encoding: base64"
                    b"\r\n\r\n!!!not base64\x00\xff\r\n--y--\r\n" + b"A" * 20000)
    proc = _run("scan", "--json", str(bad))
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["action"] in {"deliver", "block", "reroute", "quarantine"}


def test_check_policy(tmp_path: Path) -> None:
    assert _run("check-policy").returncode == 0
    (tmp_path / "default.yaml").write_text("rules:\n  - {id: x, action: nope}\n")
    proc = _run("check-policy", str(tmp_path))
    assert proc.returncode == 1 and b"default.yaml:2:" in proc.stderr


def _custom_policy(root: Path, lexicon_line: str) -> Path:
    import shutil

    from gateway.paths import bundled_policy_dir

    root.mkdir()
    shutil.copy(bundled_policy_dir() / "default.yaml", root / "default.yaml")
    (root / "lexicons").mkdir()
    (root / "lexicons" / "health_local.txt").write_text(lexicon_line + "\n", encoding="utf-8")
    return root


def test_policy_dir_lexicon_extends_detection(tmp_path: Path) -> None:
    policy = _custom_policy(tmp_path / "pol", "zorblaxsyndrom any S cond:zorblax")
    msg = _write(tmp_path / "m.eml", "Hej! Eleven Kalle Svensson har zorblaxsyndrom, så han kommer senare.")
    plain = json.loads(_run("scan", "--json", str(msg)).stdout)
    custom = json.loads(_run("scan", "--json", "--policy", str(policy), str(msg)).stdout)
    assert plain["categories"] == [] and plain["action"] == "deliver"
    assert custom["categories"] == ["health"] and custom["action"] == "reroute", custom
    assert _run("check-policy", str(policy)).returncode == 0


def test_check_policy_reports_a_broken_lexicon_line(tmp_path: Path) -> None:
    policy = _custom_policy(tmp_path / "pol", "zorblax nowhere Q")
    proc = _run("check-policy", str(policy))
    assert proc.returncode == 1 and b"health_local.txt:1" in proc.stderr, proc.stderr


def test_progress_goes_to_a_terminal_stderr_never_into_json(mails: Path) -> None:
    import os
    import pty

    master, slave = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "gateway", "scan", "--json", str(mails)], stdout=subprocess.PIPE,
                              stderr=slave, timeout=120)
        os.close(slave)
        progress = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            progress += chunk
    finally:
        os.close(master)
    assert proc.returncode == 0
    assert b"scanned 3/3" in progress
    assert all(json.loads(line) for line in proc.stdout.decode().splitlines())  # stdout is pure JSON Lines
