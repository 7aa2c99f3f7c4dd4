"""SMTP throughput: the real gateway vs a bare aiosmtpd relay, with the same messages, in the same run.

    .venv/bin/python bench/throughput.py [--mix all|office|text] [--messages 600] [--concurrency 20] [--rounds 2]
                                         [--workers N] [--harness light|smtplib] [--in-process] [--quick]

By default both mixes run, text first, and the end line compares each with the design's target (text >= 0.8,
office >= 0.5 of the relay). A mix is generated once: plain-text mail (2-20 KB), mail with a DOCX (python-docx)
or a PDF (fpdf2, 1-5 pages) attachment, and ~15 % sensitive (a Skatteverket test personnummer in the body or in the document),
which the bundled policy reroutes to the secure route (plus a notice to the sender). Both servers forward to the
same sink through the same ``SmtpRoute`` code (aiosmtplib on the event loop) before replying; the gateway adds
parsing, extraction and detection in its worker pool (``ScanPool``), the policy, the trace header, notices,
metrics and the audit line. Clients and sink are the light asyncio pair of ``bench/smtp_harness.py`` (one
connection per client, sending back to back); ``--harness smtplib`` uses smtplib threads and an aiosmtpd sink.
By default the server under test runs in its own process (as behind a real MTA) and reports its main-process CPU
per message and the mean scan wall time; ``--in-process`` runs it in the harness process instead (one GIL for
clients, sink and server, as in the design's first measurements). Rounds alternate relay / gateway so that
machine drift hits both; we report each round and the median ratio.

Security: synthetic content only (test personnummer); everything binds 127.0.0.1 on ephemeral ports.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import queue
import random
import smtplib
import statistics
import sys
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from aiosmtpd.smtp import SMTP

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smtp_harness import Sink, send_all  # noqa: E402  (bench/ is on sys.path when run as a script)

from gateway.config import GatewayConfig, RouteSpec  # noqa: E402
from gateway.deliver.smtp import SmtpRoute  # noqa: E402
from gateway.envelope import build_message  # noqa: E402
from gateway.server import Gateway  # noqa: E402

TEST_PNR = ["19121212-1212", "189001019802", "19900101-2385"]
WORDS = ("mote kommunen protokoll budget skola forslag beslut namnd ekonomi planering vecka rapport "
         "trafik bygglov remiss yttrande information kallelse underlag sammantrade").split()


def _text(rng: random.Random, size: int) -> str:
    lines, n = [], 0
    while n < size:
        line = " ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + "."
        lines.append(line)
        n += len(line) + 2
    return "\n".join(lines)


def _docx(rng: random.Random, sensitive: bool) -> bytes:
    import docx

    d = docx.Document()
    for _ in range(rng.randint(5, 40)):
        d.add_paragraph(_text(rng, 300))
    if sensitive:
        d.add_paragraph(f"Elevens personnummer: {rng.choice(TEST_PNR)}")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _pdf(rng: random.Random, sensitive: bool) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for _ in range(rng.randint(1, 5)):
        pdf.add_page()
        pdf.multi_cell(0, 6, _text(rng, 1500), new_x="LMARGIN", new_y="NEXT")
    if sensitive:
        pdf.multi_cell(0, 6, f"Personnummer {rng.choice(TEST_PNR)}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def make_mix(n: int, seed: int = 7, mix: str = "office") -> list[tuple[str, bytes]]:
    """(kind, raw message) pairs; office: 55 % text, 25 % docx, 20 % pdf; text: text only; ~15 % sensitive."""
    rng = random.Random(seed)
    out = []
    weights = [55, 25, 20] if mix == "office" else [100, 0, 0]
    for i in range(n):
        kind = rng.choices(["text", "docx", "pdf"], weights)[0]
        sensitive = rng.random() < 0.15
        m = EmailMessage()
        m["From"], m["To"] = "kalle@kommun.example.se", f"mottagare{i}@example.org"
        m["Subject"] = f"Bench {i} {kind}"
        m["Message-ID"] = f"<bench{i}@kommun.example.se>"
        body = _text(rng, rng.randint(2000, 20000))
        if sensitive and kind == "text":
            body += f"\n\nPersonnummer: {rng.choice(TEST_PNR)}\n"
        m.set_content(body)
        if kind == "docx":
            m.add_attachment(_docx(rng, sensitive), maintype="application",
                             subtype="vnd.openxmlformats-officedocument.wordprocessingml.document", filename="underlag.docx")
        elif kind == "pdf":
            m.add_attachment(_pdf(rng, sensitive), maintype="application", subtype="pdf", filename="rapport.pdf")
        out.append((kind + ("+pnr" if sensitive else ""), m.as_bytes().replace(b"\n", b"\r\n")))
    return out


WORKERS: list[int | None] = [None]  # --workers (None: the gateway's default, two per core)
Driver = Callable[[int, list[tuple[str, bytes]], int], tuple[float, list[float], int]]


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coro: Any, timeout: float = 120) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class SinkHandler:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 2.0.0 Ok"


class BareRelay:
    """What a relay costs without scanning: the same SmtpRoute, forwarding before replying."""

    def __init__(self, route: SmtpRoute) -> None:
        self.route = route

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = build_message(envelope.original_content, envelope.mail_from, envelope.rcpt_tos)
        replies = await self.route.send(msg, envelope.rcpt_tos, time.monotonic() + 60)
        return "250 2.0.0 Ok" if all(r.code == 250 for r in replies.values()) else "451 4.4.1 Try again"


async def _server(handler: Any) -> asyncio.AbstractServer:
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: SMTP(handler, hostname="bench", enable_SMTPUTF8=True), "127.0.0.1", 0)


def drive(port: int, msgs: list[tuple[str, bytes]], concurrency: int) -> tuple[float, list[float], int]:
    """Send everything with ``concurrency`` client threads; (elapsed s, latencies s, failures)."""
    work: queue.Queue[bytes] = queue.Queue()
    for _, raw in msgs:
        work.put(raw)
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()

    def client() -> None:
        s = smtplib.SMTP("127.0.0.1", port, timeout=120, local_hostname="bench.client")
        while True:
            try:
                raw = work.get_nowait()
            except queue.Empty:
                break
            t0 = time.perf_counter()
            try:
                s.sendmail("kalle@kommun.example.se", ["mottagare@example.org"], raw)
                ok = True
            except smtplib.SMTPException:
                ok = False
            dt = time.perf_counter() - t0
            with lock:
                latencies.append(dt)
                failures[0] += not ok
        s.quit()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, latencies, failures[0]


def run_relay(lt: LoopThread, sink_port: int, msgs: list[tuple[str, bytes]], conc: int,
              driver: Driver) -> tuple[float, list[float], int]:
    route = SmtpRoute("next_hop", "127.0.0.1", sink_port, tls="none", concurrency=16, helo="bench")
    server = lt.call(_server(BareRelay(route)))
    try:
        return driver(server.sockets[0].getsockname()[1], msgs, conc)
    finally:
        server.close()
        lt.call(route.close())


def run_gateway(lt: LoopThread, sink_port: int, msgs: list[tuple[str, bytes]], conc: int, tmp: Path,
                warm: list[tuple[str, bytes]], driver: Driver) -> tuple[float, list[float], int]:
    hop = RouteSpec("smtp", "127.0.0.1", sink_port, "none")
    cfg = GatewayConfig(listen_port=0, next_hop=hop, secure_route=hop, metrics_listen=None, quarantine_dir=tmp / "q",
                        internal_domains=("kommun.example.se",), hostname="bench", max_inflight=64,
                        workers=WORKERS[0])

    async def start() -> Gateway:
        gw = Gateway(cfg, start_metrics=False)
        await gw.start()
        return gw

    gw: Gateway = lt.call(start())
    try:
        driver(gw.port, warm, min(conc, len(warm)))  # warm the workers (imports, forkserver)
        return driver(gw.port, msgs, conc)
    finally:
        lt.call(gw.stop())


def _child(kind: str, sink_port: int, tmp: str, conn: Any, workers: int | None = None) -> None:
    """Run the server under test in its own process (like a real deployment: the MTA is another process)."""

    async def main() -> None:
        hop = RouteSpec("smtp", "127.0.0.1", sink_port, "none")
        if kind == "relay":
            route = SmtpRoute("next_hop", "127.0.0.1", sink_port, tls="none", concurrency=16, helo="bench")
            server = await _server(BareRelay(route))
            port = server.sockets[0].getsockname()[1]
        else:
            cfg = GatewayConfig(listen_port=0, next_hop=hop, secure_route=hop, metrics_listen=None,
                                quarantine_dir=Path(tmp) / "q", internal_domains=("kommun.example.se",),
                                hostname="bench", max_inflight=64, workers=workers)
            gw = Gateway(cfg, start_metrics=False)
            await gw.start()
            port = gw.port
            scans: list[float] = []
            scan = gw.scanner.scan

            async def timed_scan(raw: bytes, settings: Any) -> Any:  # scan wall time per message, for p95
                t0 = time.perf_counter()
                try:
                    return await scan(raw, settings)
                finally:
                    scans.append(time.perf_counter() - t0)

            gw.scanner.scan = timed_scan  # type: ignore[method-assign]
        conn.send(port)
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "start": count from here
        cpu0 = time.process_time()
        first_scan = len(scans) if kind != "relay" else 0  # warm-up scans before "start" are not counted
        lags: list[float] = []
        probe = asyncio.get_running_loop().create_task(_lag_probe(lags))
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "stop"
        probe.cancel()
        stats: dict[str, Any] = {"cpu": time.process_time() - cpu0, "scan_s": 0.0, "scans": 0.0,
                                 "lag_p99": _pct(lags, 0.99)}
        if kind == "relay":
            server.close()
            await route.close()
        else:
            reg = gw.metrics.registry
            stats["scan_s"] = float(reg.get_sample_value("dlp_scan_duration_seconds_sum") or 0.0)
            stats["scans"] = float(reg.get_sample_value("dlp_scan_duration_seconds_count") or 0.0)
            stats["scan_p95"] = _pct(scans[first_scan:], 0.95)
            await gw.stop()
        conn.send(stats)

    asyncio.run(main())


async def _lag_probe(lags: list[float], period: float = 0.01) -> None:
    """Event-loop lag: how late a 10 ms sleep wakes up (design §9: p99 <= 20 ms)."""
    loop = asyncio.get_running_loop()
    while True:
        t0 = loop.time()
        await asyncio.sleep(period)
        lags.append(max(0.0, loop.time() - t0 - period))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


def run_in_process(kind: str, sink_port: int, msgs: list[tuple[str, bytes]], conc: int, tmp: Path,
                   warm: list[tuple[str, bytes]], driver: Driver) -> tuple[float, list[float], int]:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(kind, sink_port, str(tmp), child, WORKERS[0]))
    proc.start()
    try:
        port = parent.recv()
        driver(port, warm, min(conc, len(warm)))
        parent.send("start")
        h0 = time.process_time()
        result = driver(port, msgs, conc)
        harness = time.process_time() - h0
    finally:
        parent.send("stop")
    stats = parent.recv()
    proc.join(60)
    scan = (f", scan wall {stats['scan_s'] / stats['scans'] * 1000:.1f} ms/msg (p95 {stats['scan_p95'] * 1000:.1f})"
            if stats["scans"] else "")
    scan += f", loop lag p99 {stats['lag_p99'] * 1000:.1f} ms"
    print(f"  {kind:8s} server main-process CPU {stats['cpu'] / len(msgs) * 1000:.2f} ms/msg{scan}; "
          f"harness (clients + sink) CPU {harness / len(msgs) * 1000:.2f} ms/msg", flush=True)
    return result


def summary(name: str, res: tuple[float, list[float], int], n: int) -> dict[str, float]:
    elapsed, lat, failed = res
    lat_ms = sorted(x * 1000 for x in lat)
    p99 = lat_ms[min(len(lat_ms) - 1, int(len(lat_ms) * 0.99))]
    row = {"rate": n / elapsed, "p50": statistics.median(lat_ms), "p99": p99, "failed": failed}
    print(f"  {name:8s} {row['rate']:7.1f} msg/s  p50 {row['p50']:7.1f} ms  p99 {row['p99']:7.1f} ms  failed {failed}",
          flush=True)
    return row


TARGETS = {"text": 0.8, "office": 0.5}  # design §9: throughput vs the bare relay (text goal 0.9)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=600)
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--mix", choices=["all", "office", "text"], default="all",
                    help="all: text, then office (default); office: text + DOCX/PDF attachments; text: plain text")
    ap.add_argument("--in-process", action="store_true",
                    help="run the server under test in the harness process (default: its own process)")
    ap.add_argument("--quick", action="store_true", help="120 messages, 1 round")
    ap.add_argument("--workers", type=int, default=None, help="scan workers (default: the gateway's, one per core)")
    ap.add_argument("--harness", choices=["light", "smtplib"], default="light",
                    help="light: asyncio clients and sink in one loop (default, bench/smtp_harness.py); "
                         "smtplib: smtplib client threads and an aiosmtpd sink")
    args = ap.parse_args(argv)
    if args.quick:
        args.messages, args.rounds = 120, 1
    WORKERS[0] = args.workers
    mixes = ["text", "office"] if args.mix == "all" else [args.mix]
    results = {mix: run_mix(mix, args) for mix in mixes}
    print()
    for mix, ratio in results.items():
        verdict = "met" if ratio >= TARGETS[mix] else "NOT met"
        print(f"{mix:6s} ratio {ratio:.2f}  (design target >= {TARGETS[mix]}: {verdict})")
    return 0


def run_mix(mix: str, args: argparse.Namespace) -> float:
    """Rounds of relay then gateway on one mix; prints the rounds and a median table; the median ratio."""
    t0 = time.perf_counter()
    msgs = make_mix(args.messages, mix=mix)
    warm = make_mix(20, seed=99, mix=mix)
    kinds: dict[str, int] = {}
    for k, _ in msgs:
        kinds[k] = kinds.get(k, 0) + 1
    size = sum(len(r) for _, r in msgs) / len(msgs) / 1024
    print(f"mix {mix}: {args.messages} messages, mean {size:.1f} KiB, {dict(sorted(kinds.items()))} "
          f"(generated in {time.perf_counter() - t0:.1f} s)", flush=True)
    sink_loop, srv_loop = LoopThread(), LoopThread()
    sink: SinkHandler | Sink
    driver: Driver
    if args.harness == "light":
        sink = Sink()
        sink_port = sink_loop.call(sink.start())
        sink_server: Any = sink

        def driver(port: int, batch: list[tuple[str, bytes]], conc: int) -> tuple[float, list[float], int]:
            return sink_loop.call(send_all(port, [raw for _, raw in batch], conc), timeout=600)  # type: ignore[no-any-return]
    else:
        sink = SinkHandler()
        sink_server = sink_loop.call(_server(sink))
        sink_port = sink_server.sockets[0].getsockname()[1]
        driver = drive
    ratios: list[float] = []
    rows: list[tuple[dict[str, float], dict[str, float]]] = []
    try:
        with TemporaryDirectory() as tmp:
            for rnd in range(args.rounds):
                print(f"round {rnd + 1}:", flush=True)
                if args.in_process:
                    r_res = run_relay(srv_loop, sink_port, msgs, args.concurrency, driver)
                    g_res = run_gateway(srv_loop, sink_port, msgs, args.concurrency, Path(tmp), warm, driver)
                else:
                    r_res = run_in_process("relay", sink_port, msgs, args.concurrency, Path(tmp), warm, driver)
                    g_res = run_in_process("gateway", sink_port, msgs, args.concurrency, Path(tmp), warm, driver)
                relay = summary("relay", r_res, len(msgs))
                gateway = summary("gateway", g_res, len(msgs))
                ratios.append(gateway["rate"] / relay["rate"])
                rows.append((relay, gateway))
                print(f"  ratio    {ratios[-1]:.2f}", flush=True)
    finally:
        sink_server.close()
        sink_loop.close()
        srv_loop.close()
    med: Callable[[str, int], float] = lambda key, i: statistics.median(r[i][key] for r in rows)  # noqa: E731
    print("\n| | msg/s | p50 ms | p99 ms |\n|---|---|---|---|")
    print(f"| bare aiosmtpd relay (same SmtpRoute) | {med('rate', 0):.1f} | {med('p50', 0):.1f} | {med('p99', 0):.1f} |")
    print(f"| gateway (scan pool, policy, hand-off) | {med('rate', 1):.1f} | {med('p50', 1):.1f} | {med('p99', 1):.1f} |")
    print(f"| ratio gateway / relay (median of {len(ratios)}) | {statistics.median(ratios):.2f} | | |")
    print(f"sink received {sink.count} messages (gateway adds one notice per rerouted message)")
    return statistics.median(ratios)



if __name__ == "__main__":
    sys.exit(main())
